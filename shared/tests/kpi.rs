//! The monthly figures (docs/kpis.md) on a hand-built month: November 2026 at one store running
//! preset A (2-year terms, no grace, no catalogue), seven members, a club event, six care tasks,
//! two appointments and three complaints. Every expected figure is worked out by hand in the
//! comments beside it, from the definitions in docs/kpis.md.

mod common;

use std::collections::BTreeSet;

use carclub_shared::care::*;
use carclub_shared::complaints::{ComplaintState, Filed, Level, Month};
use carclub_shared::events::*;
use carclub_shared::kpi::*;
use carclub_shared::projection::MemberState;
use carclub_shared::*;
use common::*;

fn vin_of(m: &Member) -> Vin {
    vin(m.id.0.as_u128() as u32 % 100)
}

fn visit(m: &mut Member, on: &str, kind: VisitKind, elsewhere: bool) {
    let (member, vin) = (m.id, vin_of(m));
    m.push(
        on,
        EventBody::ServiceVisitRecorded {
            member,
            vin,
            on: day(on),
            km: None,
            kind,
            amount: if elsewhere { Money::ZERO } else { yuan(400) },
            advisor: None,
            elsewhere: elsewhere.then(|| Elsewhere {
                store: ShortText::parse("城东4S店").unwrap(),
                place: ShortText::parse("城东路 8 号").unwrap(),
                cost: yuan(350),
            }),
        },
    );
}

fn vehicle_facts(m: &mut Member, on: &str, facts: VehicleFacts) {
    let (member, vin) = (m.id, vin_of(m));
    m.push(on, EventBody::VehicleFactsSet { member, vin, facts });
}

fn non_local(m: &mut Member, on: &str) {
    let member = m.id;
    m.push(
        on,
        EventBody::PersonFactsSet {
            member,
            facts: PersonFacts {
                region: Some(Region::NonLocal),
                ..PersonFacts::default()
            },
        },
    );
}

fn user(n: u128) -> UserId {
    UserId(uuid::Uuid::from_u128(n))
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// The seven members of the month.
fn members() -> Vec<Member> {
    // M1 bought the car here on 15 August (delivered that day: first service due 15 Oct – 15 Nov)
    // and came back for it on 20 October. Local, warranty unknown (out of warranty).
    let mut m1 = Member::new(1);
    m1.enroll("2026-08-15", "standard", Channel::Purchase, 0);
    m1.approve("2026-08-15");
    visit(&mut m1, "2026-10-20", VisitKind::FirstService, false);

    // M2 bought on 1 August (first service due 1 Oct – 1 Nov) but had it done at another store on
    // 25 October. Non-local, warranty to 2029: not seen here since delivery, 121 days on 30 Nov.
    let mut m2 = Member::new(2);
    m2.enroll("2026-08-01", "standard", Channel::Purchase, 0);
    m2.approve("2026-08-01");
    non_local(&mut m2, "2026-08-01");
    vehicle_facts(
        &mut m2,
        "2026-08-01",
        VehicleFacts {
            warranty_end: Some(day("2029-08-01")),
            ..VehicleFacts::default()
        },
    );
    visit(&mut m2, "2026-10-25", VisitKind::FirstService, true);

    // M3 joined at the desk on 1 December 2024 (term to 30 Nov 2026) and renewed on 10 November.
    // Car delivered 2024, warranty to 2027; last regular service 12 May → next due 12 November;
    // came on 12 November by appointment, and again for a repair on 20 November without one.
    // An order of 500 yuan of labor on 12 November: 5 % Standard labor discount → 475 yuan paid →
    // 9 points (preset A: 1 point per 50 yuan, rounded down).
    let mut m3 = Member::new(3);
    m3.join("2024-12-01", "standard", 180);
    vehicle_facts(
        &mut m3,
        "2024-12-01",
        VehicleFacts {
            delivered: Some(day("2024-01-01")),
            warranty_end: Some(day("2027-01-01")),
            ..VehicleFacts::default()
        },
    );
    visit(&mut m3, "2026-05-12", VisitKind::RegularService, false);
    m3.renew("2026-11-10", 180);
    visit(&mut m3, "2026-11-12", VisitKind::RegularService, false);
    m3.order("2026-11-12", &[(Category::Labor, 500)]);
    visit(&mut m3, "2026-11-20", VisitKind::Repair, false);

    // M4 joined on 5 November and used a free wash worth 30 yuan on 6 November.
    let mut m4 = Member::new(4);
    m4.join("2026-11-05", "standard", 180);
    m4.use_benefit("2026-11-06", "free_wash", 30);

    // M5 joined on 15 November 2024 (term to 14 Nov 2026) and did not renew: lapsed on 15 Nov.
    let mut m5 = Member::new(5);
    m5.join("2024-11-15", "standard", 180);

    // M6 joined in June 2025; regular service here on 3 May (next due 3 November), not back since:
    // 211 days on 30 November. Local, no warranty on file.
    let mut m6 = Member::new(6);
    m6.join("2025-06-01", "standard", 180);
    vehicle_facts(
        &mut m6,
        "2025-06-01",
        VehicleFacts {
            delivered: Some(day("2025-01-01")),
            ..VehicleFacts::default()
        },
    );
    visit(&mut m6, "2026-05-03", VisitKind::RegularService, false);

    // M7 joined on 20 November and has done nothing since.
    let mut m7 = Member::new(7);
    m7.join("2026-11-20", "standard", 180);

    vec![m1, m2, m3, m4, m5, m6, m7]
}

fn task(
    member: u128,
    by: CareRole,
    due: &str,
    end: TaskEnd,
    obsolete: bool,
    who: Option<u128>,
) -> CareTask {
    CareTask {
        member: MemberId(uuid::Uuid::from_u128(member)),
        kind: ReminderKind::RegularService,
        by,
        due: day(due),
        end,
        obsolete,
        specialist: who.map(user),
    }
}

fn complaint(member: u128, filed: &str, answered: Option<&str>) -> Complaint {
    let mut state = ComplaintState::filed(Level::Complaint, at(filed));
    if let Some(a) = answered {
        state.answer(Role::Admin, at(a)).unwrap();
    }
    Complaint {
        filed: Filed {
            channel: carclub_shared::complaints::Channel::Counter,
            state,
            escalated: false,
        },
        member: Some(MemberId(uuid::Uuid::from_u128(member))),
    }
}

fn id(n: u128) -> MemberId {
    MemberId(uuid::Uuid::from_u128(n))
}

fn ids(ns: &[u128]) -> BTreeSet<MemberId> {
    ns.iter().map(|&n| id(n)).collect()
}

#[test]
fn a_hand_built_november_gives_the_figures_worked_out_by_hand() {
    let program = preset("A");
    let ms = members();
    let states: Vec<[MemberState; 3]> = ms
        .iter()
        .map(|m| {
            [
                m.project(&program, "2026-09-30"),
                m.project(&program, "2026-10-31"),
                m.project(&program, "2026-11-30"),
            ]
        })
        .collect();
    let inputs = Inputs {
        members: ms
            .iter()
            .zip(&states)
            .map(|(m, [earlier, before, after])| MemberMonth {
                member: m.id,
                earlier,
                before,
                after,
                events: &m.events,
            })
            .collect(),
        tasks: vec![
            // Specialist 21: three due in November — done, failed after 3×3×3, still open.
            task(
                1,
                CareRole::Specialist,
                "2026-11-03",
                TaskEnd::Done,
                false,
                Some(21),
            ),
            task(
                2,
                CareRole::Specialist,
                "2026-11-10",
                TaskEnd::Failed,
                false,
                Some(21),
            ),
            task(
                6,
                CareRole::Specialist,
                "2026-11-28",
                TaskEnd::Open,
                false,
                Some(21),
            ),
            // Specialist 22: one, done.
            task(
                3,
                CareRole::Specialist,
                "2026-11-05",
                TaskEnd::Done,
                false,
                Some(22),
            ),
            // Not counted: closed as no longer due, an advisor's follow-up, due in October.
            task(
                3,
                CareRole::Specialist,
                "2026-11-06",
                TaskEnd::Done,
                true,
                Some(22),
            ),
            task(
                3,
                CareRole::Advisor,
                "2026-11-14",
                TaskEnd::Open,
                false,
                None,
            ),
            task(
                5,
                CareRole::Specialist,
                "2026-10-30",
                TaskEnd::Open,
                false,
                Some(21),
            ),
        ],
        bookings: vec![
            Booking {
                member: id(3),
                day: day("2026-11-12"),
                arrived: true,
            },
            // Booked but never came: no visit to count it against.
            Booking {
                member: id(6),
                day: day("2026-11-25"),
                arrived: false,
            },
        ],
        gatherings: vec![
            Gathering {
                day: day("2026-11-21"),
                invited: vec![id(1), id(2), id(4)],
                attended: vec![id(4)],
            },
            Gathering {
                day: day("2026-10-10"),
                invited: vec![id(5)],
                attended: vec![id(5)],
            },
        ],
        complaints: vec![
            // Filed 2 Nov, answered the next day: on time.
            complaint(
                1,
                "2026-11-02T10:00:00+08:00",
                Some("2026-11-03T10:00:00+08:00"),
            ),
            // Filed 10 Nov, answered 20 Nov: late (3 days).
            complaint(
                2,
                "2026-11-10T10:00:00+08:00",
                Some("2026-11-20T10:00:00+08:00"),
            ),
            // Filed 29 Nov, unanswered on 1 Dec: still within its 3 days, counts neither way.
            complaint(3, "2026-11-29T10:00:00+08:00", None),
        ],
        now: Some(at("2026-12-01T09:00:00+08:00")),
    };
    let month = Month::parse("2026-11").unwrap();
    let k = compute(month, &inputs);
    let fig = |kpi: Kpi| {
        let f = k.figure(kpi).unwrap();
        (f.value, f.base, f.permille)
    };
    let behind = |kpi: Kpi| {
        let b = &k.behind[&kpi];
        (b.counted.clone(), b.missed.clone())
    };

    // First service: windows closing in November — M1 (15 Nov, back 20 Oct) and M2 (1 Nov, done
    // elsewhere) → 1 of 2 = 500 ‰.
    assert_eq!(fig(Kpi::FirstServiceReturn), (1, Some(2), Some(500)));
    assert_eq!(behind(Kpi::FirstServiceReturn), (ids(&[1]), ids(&[2])));
    // Regular service due in November by the file on 31 Oct: M3 (12 Nov, came 12 Nov) and M6
    // (3 Nov, did not) → 1 of 2. M1's and M2's first services put theirs in April 2027.
    assert_eq!(fig(Kpi::RegularServiceReturn), (1, Some(2), Some(500)));
    assert_eq!(behind(Kpi::RegularServiceReturn), (ids(&[3]), ids(&[6])));
    // Appointment rate: visits here in November are M3's two (12 Nov booked and arrived, 20 Nov
    // not booked) → 1 of 2. M6's booking has no visit.
    assert_eq!(fig(Kpi::AppointmentRate), (1, Some(2), Some(500)));
    // Lost: vehicles seen here (or delivered) within 360 days of 30 Nov: M1 (20 Oct, 41 days),
    // M2 (delivered 1 Aug, 121 days: lost), M3 (20 Nov), M6 (3 May, 211 days: lost); M4, M5 and
    // M7 have no delivery or visit on file → 2 of 4.
    assert_eq!(fig(Kpi::LostRate), (2, Some(4), Some(500)));
    assert_eq!(behind(Kpi::LostRate), (ids(&[2, 6]), ids(&[1, 3])));
    // The six classes, each of the base vehicles of its class:
    // local M1 (out), M3 (in), M6 (out) → 1 of 3 = 333 ‰; non-local M2 (in) → 1 of 1.
    assert_eq!(fig(Kpi::LostLocal), (1, Some(3), Some(333)));
    assert_eq!(fig(Kpi::LostNonLocal), (1, Some(1), Some(1000)));
    // local in warranty: M3 → 0 of 1; local out of warranty: M1, M6 → 1 of 2.
    assert_eq!(fig(Kpi::LostLocalInWarranty), (0, Some(1), Some(0)));
    assert_eq!(fig(Kpi::LostLocalOutOfWarranty), (1, Some(2), Some(500)));
    // non-local in warranty: M2 → 1 of 1; non-local out of warranty: none → no rate.
    assert_eq!(fig(Kpi::LostNonLocalInWarranty), (1, Some(1), Some(1000)));
    assert_eq!(fig(Kpi::LostNonLocalOutOfWarranty), (0, Some(0), None));
    // Reminder completion: the specialists' tasks due in November, not obsolete: 21's three
    // (done, failed, open) and 22's one (done) → 3 of 4 = 750 ‰.
    assert_eq!(fig(Kpi::ReminderCompletion), (3, Some(4), Some(750)));
    // Per specialist: 21 → 2 of 3 = 666 ‰, under the 95 % floor; 22 → 1 of 1.
    assert_eq!(
        k.specialists
            .iter()
            .map(|s| (s.specialist, s.done, s.due, s.permille, s.below_floor))
            .collect::<Vec<_>>(),
        vec![
            (Some(user(21)), 2, 3, Some(666), true),
            (Some(user(22)), 1, 1, Some(1000), false),
        ]
    );
    // Activity participation: November's event invited M1, M2, M4; M4 came → 1 of 3 = 333 ‰.
    assert_eq!(fig(Kpi::ActivityParticipation), (1, Some(3), Some(333)));
    // Renewal: terms ending in November by the file on 30 Sep: M3 (30 Nov, renewed 10 Nov: now
    // to 30 Nov 2028) and M5 (14 Nov, not renewed) → 1 of 2.
    assert_eq!(fig(Kpi::RenewalRate), (1, Some(2), Some(500)));
    assert_eq!(behind(Kpi::RenewalRate), (ids(&[3]), ids(&[5])));
    // Members on 31 Oct: M1, M2, M3, M5, M6 = 5; on 30 Nov: M1, M2, M3, M4, M6, M7 = 6.
    // Growth (6 − 5) / 5 = 200 ‰; joined M4, M7; left M5.
    assert_eq!(fig(Kpi::MemberGrowth), (6, Some(5), Some(200)));
    assert_eq!(fig(Kpi::MembersJoined), (2, None, None));
    assert_eq!(behind(Kpi::MembersJoined).0, ids(&[4, 7]));
    assert_eq!(fig(Kpi::MembersLeft), (1, None, None));
    assert_eq!(behind(Kpi::MembersLeft).0, ids(&[5]));
    // Inactive: of the six members on 30 Nov, nothing recorded 1 Jun – 30 Nov by M2 (only a visit
    // elsewhere), M6 (visit 3 May) and M7 → 3 of 6. M1 visited 20 Oct, M3 in Nov, M4 a wash.
    assert_eq!(fig(Kpi::InactiveRatio), (3, Some(6), Some(500)));
    assert_eq!(
        behind(Kpi::InactiveRatio),
        (ids(&[2, 6, 7]), ids(&[1, 3, 4]))
    );
    // Points: M3's order, 475 yuan paid → 9; nothing redeemed (no catalogue in A).
    assert_eq!(fig(Kpi::PointsIssued), (9, None, None));
    assert_eq!(fig(Kpi::PointsRedeemed), (0, None, None));
    // Benefit value: M4's wash, 30 yuan = 3000 fen.
    assert_eq!(fig(Kpi::BenefitValue), (3000, None, None));
    // Complaints: answered 2, on time 1, overdue 0 (the third is still within its deadline) →
    // 1 of 2.
    assert_eq!(fig(Kpi::ComplaintOnTime), (1, Some(2), Some(500)));
    assert_eq!(behind(Kpi::ComplaintOnTime), (ids(&[1]), ids(&[2])));

    // The group of this store and an empty one: the same figures.
    let empty = compute(month, &Inputs::default());
    let group = add(month, &[k.clone(), empty]);
    assert_eq!(group.figures, k.figures);
    assert_eq!(group.specialists, k.specialists);
}

#[test]
fn points_issued_and_redeemed_count_the_month_only() {
    // Preset B (catalogue 500 points → 100 yuan). A guest joins on 1 Oct and is granted 700 points
    // on 20 Oct; in November 300 more and a redemption of 500.
    let program = preset("B");
    let mut m = Member::new(8);
    m.join("2026-10-01", "guest", 0);
    m.grant_points("2026-10-20", 700);
    m.grant_points("2026-11-02", 300);
    m.redeem("2026-11-15", 500);
    let [earlier, before, after] =
        ["2026-09-30", "2026-10-31", "2026-11-30"].map(|d| m.project(&program, d));
    let inputs = Inputs {
        members: vec![MemberMonth {
            member: m.id,
            earlier: &earlier,
            before: &before,
            after: &after,
            events: &m.events,
        }],
        ..Inputs::default()
    };
    let k = compute(Month::parse("2026-11").unwrap(), &inputs);
    // Issued in November: 300 (the October 700 are October's). Redeemed: 500.
    assert_eq!(k.figure(Kpi::PointsIssued).unwrap().value, 300);
    assert_eq!(k.figure(Kpi::PointsRedeemed).unwrap().value, 500);
    let october = compute(
        Month::parse("2026-10").unwrap(),
        &inputs_for(&m, &program, "2026-10"),
    );
    assert_eq!(october.figure(Kpi::PointsIssued).unwrap().value, 700);
    // Joined in October: growth from 0 has no rate; one joined.
    assert_eq!(october.figure(Kpi::MemberGrowth).unwrap().permille, None);
    assert_eq!(october.figure(Kpi::MembersJoined).unwrap().value, 1);
}

fn inputs_for<'a>(
    m: &'a Member,
    program: &carclub_shared::program::Program,
    month: &str,
) -> Inputs<'a> {
    let mo = Month::parse(month).unwrap();
    let (first, last) = days_of(mo);
    let before_day = first.previous_day().unwrap();
    let earlier_day = days_of(mo.previous()).0.previous_day().unwrap();
    let leak = |d: time::Date| -> &'a MemberState {
        Box::leak(Box::new(carclub_shared::projection::project(
            program, &m.events, d,
        )))
    };
    Inputs {
        members: vec![MemberMonth {
            member: m.id,
            earlier: leak(earlier_day),
            before: leak(before_day),
            after: leak(last),
            events: &m.events,
        }],
        ..Inputs::default()
    }
}

#[test]
fn a_growth_that_shrinks_is_negative_and_rates_round_down() {
    // 3 members at the start, 2 at the end: (2 − 3) × 1000 / 3 = −333 ‰ (toward zero).
    assert_eq!(Figure::new(Kpi::MemberGrowth, 2, 3).permille, Some(-333));
    // 2 of 3 = 666 ‰, not 667.
    assert_eq!(Figure::new(Kpi::RenewalRate, 2, 3).permille, Some(666));
    // Nothing in the base: no rate, not zero.
    assert_eq!(Figure::new(Kpi::RenewalRate, 0, 0).permille, None);
    // Counts have no base.
    assert_eq!(Figure::new(Kpi::PointsIssued, 40, 0).base, None);
    for k in Kpi::ALL {
        assert_eq!(Kpi::parse(k.as_str()), Some(k));
    }
}
