//! Customer care (DOMAIN.md §5): one table per reminder row, each case naming the row it checks
//! and the boundary day it tries (the day before the window, its first day, its last day, the day
//! after); the service file folded from events in any order; the rules' properties.

mod common;

use carclub_shared::care::*;
use carclub_shared::events::*;
use carclub_shared::projection::{MemberState, Rejection, Status, project};
use carclub_shared::*;
use common::table::rejected;
use common::*;
use proptest::prelude::*;
use time::Date;

/// One case of a rule's table: the DOMAIN.md row, what the case tries, the day, and the window
/// expected open that day (none: no reminder of the kind).
struct Case {
    row: &'static str,
    what: &'static str,
    day: &'static str,
    want: Option<(&'static str, &'static str)>,
}

const fn case(
    row: &'static str,
    what: &'static str,
    day: &'static str,
    want: Option<(&'static str, &'static str)>,
) -> Case {
    Case {
        row,
        what,
        day,
        want,
    }
}

/// Runs the cases of one kind against a state; every failing case is reported with its row.
fn check(state: &MemberState, kind: ReminderKind, cases: &[Case]) {
    let rules = CareRules::default();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let got: Vec<(Date, Date)> = reminders(state, day(c.day), &rules)
                .into_iter()
                .filter(|r| r.kind == kind)
                .map(|r| (r.due, r.until))
                .collect();
            let want: Vec<(Date, Date)> =
                c.want.map(|(d, u)| (day(d), day(u))).into_iter().collect();
            (got != want).then(|| {
                format!(
                    "{} — {} on {}: expected {want:?}, got {got:?}",
                    c.row, c.what, c.day
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A member who bought the car here on 2026-01-10 (enrolled at the purchase, approved that day).
fn buyer() -> Member {
    let mut m = Member::new(1);
    m.enroll("2026-01-10", "standard", Channel::Purchase, 0);
    m.approve("2026-01-10");
    m
}

fn facts(m: &mut Member, on: &str, f: VehicleFacts) {
    let (member, vin) = (m.id, vin(1));
    m.push(
        on,
        EventBody::VehicleFactsSet {
            member,
            vin,
            facts: f,
        },
    );
}

fn visit(m: &mut Member, on: &str, km: Option<u32>, kind: VisitKind, elsewhere: bool) -> EventId {
    let (member, vin) = (m.id, vin(1));
    m.push(
        on,
        EventBody::ServiceVisitRecorded {
            member,
            vin,
            on: day(on),
            km,
            kind,
            amount: if elsewhere { Money::ZERO } else { yuan(400) },
            advisor: None,
            elsewhere: elsewhere.then(|| Elsewhere {
                store: ShortText::parse("城东4S店").unwrap(),
                place: ShortText::parse("城东路 8 号").unwrap(),
                cost: yuan(350),
            }),
        },
    )
}

fn reading(m: &mut Member, on: &str, km: u32) -> EventId {
    let (member, vin) = (m.id, vin(1));
    m.push(
        on,
        EventBody::MileageRecorded {
            member,
            vin,
            on: day(on),
            km,
        },
    )
}

fn person(m: &mut Member, on: &str, f: PersonFacts) -> EventId {
    let member = m.id;
    m.push(on, EventBody::PersonFactsSet { member, facts: f })
}

fn state(m: &Member) -> MemberState {
    project(&preset("A"), &m.events, day("2026-12-31"))
}

const FIRST: &str = r#"DOMAIN.md §5 "first service 首保 | 2–3 months after delivery""#;
const REGULAR: &str =
    r#"DOMAIN.md §5 "regular service 定保 | one week before due (date or mileage)""#;
const WARRANTY: &str = r#"DOMAIN.md §5 "warranty expiry | one month before""#;
const INSURANCE: &str = r#"DOMAIN.md §5 "insurance expiry | two months ahead""#;
const INSPECTION: &str = r#"DOMAIN.md §5 "annual inspection, licence | before due""#;
const BIRTHDAY: &str = r#"DOMAIN.md §5 "birthday | on the day, within 2 h of opening""#;
const RENEWAL: &str = r#"DOMAIN.md §5 "membership renewal | 30 days before expiry""#;
const DELIVERY: &str = r#"DOMAIN.md §5 "follow-up after delivery | sales: 24 h and 72 h""#;
const SERVICE: &str = r#"DOMAIN.md §5 "follow-up after service | 48 h""#;
const LOST: &str = r#"DOMAIN.md §5 "lost customers | no visit for 90–360 days""#;

#[test]
fn first_service_two_to_three_months_after_delivery() {
    let m = buyer();
    let s = state(&m);
    assert_eq!(s.care.vehicles[0].facts.delivered, Some(day("2026-01-10")));
    let w = Some(("2026-03-10", "2026-04-10"));
    check(
        &s,
        ReminderKind::FirstService,
        &[
            case(FIRST, "the day before the window", "2026-03-09", None),
            case(FIRST, "the first day: delivery + 2 months", "2026-03-10", w),
            case(FIRST, "the last day: delivery + 3 months", "2026-04-10", w),
            case(FIRST, "the day after", "2026-04-11", None),
        ],
    );
    let r = &reminders(&s, day("2026-03-10"), &CareRules::default())
        .into_iter()
        .find(|r| r.kind == ReminderKind::FirstService)
        .unwrap();
    assert_eq!(
        (r.by, r.contact, r.vin.clone()),
        (CareRole::Specialist, Contact::Call, Some(vin(1)))
    );

    let mut elsewhere = buyer();
    visit(
        &mut elsewhere,
        "2026-03-01",
        Some(2900),
        VisitKind::FirstService,
        true,
    );
    let mut here = buyer();
    here.maintenance("2026-03-01", 2900);
    for (what, m) in [
        ("a first service recorded at another store", &elsewhere),
        ("a maintenance settled at the till", &here),
    ] {
        check(
            &state(m),
            ReminderKind::FirstService,
            &[
                case(FIRST, what, "2026-03-10", None),
                case(FIRST, what, "2026-04-10", None),
            ],
        );
    }

    let mut desk = Member::new(1);
    desk.join("2026-01-10", "standard", 180);
    check(
        &state(&desk),
        ReminderKind::FirstService,
        &[case(
            FIRST,
            "no delivery known (joined at the desk)",
            "2026-03-10",
            None,
        )],
    );
    facts(
        &mut desk,
        "2026-01-12",
        VehicleFacts {
            delivered: Some(day("2026-01-05")),
            ..VehicleFacts::default()
        },
    );
    check(
        &state(&desk),
        ReminderKind::FirstService,
        &[
            case(
                FIRST,
                "delivery from the facts: the day before",
                "2026-03-04",
                None,
            ),
            case(
                FIRST,
                "delivery from the facts: first day",
                "2026-03-05",
                Some(("2026-03-05", "2026-04-05")),
            ),
        ],
    );
}

#[test]
fn regular_service_one_week_before_due_by_date_or_mileage() {
    // By date: the first service on 2026-03-15 at 3,000 km; no other reading, so no rate.
    let mut by_date = buyer();
    visit(
        &mut by_date,
        "2026-03-15",
        Some(3000),
        VisitKind::FirstService,
        false,
    );
    let w = Some(("2026-09-08", "2026-09-15"));
    check(
        &state(&by_date),
        ReminderKind::RegularService,
        &[
            case(
                REGULAR,
                "one reading: by date only; the day before",
                "2026-09-07",
                None,
            ),
            case(
                REGULAR,
                "by date: last service + 6 months − 7 days",
                "2026-09-08",
                w,
            ),
            case(REGULAR, "by date: the due day", "2026-09-15", w),
            case(REGULAR, "by date: the day after", "2026-09-16", None),
        ],
    );

    // By mileage: 3,000 km on 03-15, 4,500 km on 04-14 — 50 km a day, 8,000 km on 06-23.
    let mut by_km = buyer();
    visit(
        &mut by_km,
        "2026-03-15",
        Some(3000),
        VisitKind::FirstService,
        false,
    );
    reading(&mut by_km, "2026-04-14", 4500);
    let w = Some(("2026-06-16", "2026-06-23"));
    check(
        &state(&by_km),
        ReminderKind::RegularService,
        &[
            case(
                REGULAR,
                "predicted mileage: the day before",
                "2026-06-15",
                None,
            ),
            case(
                REGULAR,
                "predicted mileage: 7 days before 8,000 km",
                "2026-06-16",
                w,
            ),
            case(
                REGULAR,
                "predicted mileage: the day 8,000 km is reached",
                "2026-06-23",
                w,
            ),
            case(
                REGULAR,
                "predicted mileage: the day after",
                "2026-06-24",
                None,
            ),
            case(
                REGULAR,
                "the date rule no longer applies",
                "2026-09-10",
                None,
            ),
        ],
    );

    // A reading already past the due kilometres: due on the day it was read.
    let mut past = buyer();
    visit(
        &mut past,
        "2026-03-15",
        Some(3000),
        VisitKind::FirstService,
        false,
    );
    reading(&mut past, "2026-05-01", 8100);
    check(
        &state(&past),
        ReminderKind::RegularService,
        &[
            case(
                REGULAR,
                "read past due km: a week before the reading",
                "2026-04-23",
                None,
            ),
            case(
                REGULAR,
                "read past due km: window opens",
                "2026-04-24",
                Some(("2026-04-24", "2026-05-01")),
            ),
            case(
                REGULAR,
                "read past due km: the reading's day",
                "2026-05-01",
                Some(("2026-04-24", "2026-05-01")),
            ),
            case(
                REGULAR,
                "read past due km: the day after",
                "2026-05-02",
                None,
            ),
        ],
    );

    // No maintenance on file: no regular-service reminder, whatever the day.
    check(
        &state(&buyer()),
        ReminderKind::RegularService,
        &[case(REGULAR, "no maintenance on file", "2026-07-10", None)],
    );
}

#[test]
fn warranty_insurance_inspection_and_licence() {
    let mut m = buyer();
    facts(
        &mut m,
        "2026-01-11",
        VehicleFacts {
            warranty_end: Some(day("2027-01-10")),
            insurance_expiry: Some(day("2027-01-09")),
            insurer: Some(ShortText::parse("平安保险").unwrap()),
            inspection_due: Some(day("2027-01-10")),
            licence_due: Some(day("2027-02-01")),
            ..VehicleFacts::default()
        },
    );
    let s = project(&preset("A"), &m.events, day("2027-01-01"));
    // Facts without a delivery day keep the purchase enrollment's.
    assert_eq!(s.care.vehicles[0].facts.delivered, Some(day("2026-01-10")));
    let w = Some(("2026-12-10", "2027-01-10"));
    check(
        &s,
        ReminderKind::WarrantyEnd,
        &[
            case(WARRANTY, "the day before", "2026-12-09", None),
            case(WARRANTY, "one month before the end", "2026-12-10", w),
            case(WARRANTY, "the last day of the warranty", "2027-01-10", w),
            case(WARRANTY, "the day after", "2027-01-11", None),
        ],
    );
    let w = Some(("2026-11-09", "2027-01-09"));
    check(
        &s,
        ReminderKind::InsuranceExpiry,
        &[
            case(INSURANCE, "the day before", "2026-11-08", None),
            case(INSURANCE, "two months before expiry", "2026-11-09", w),
            case(INSURANCE, "the expiry day", "2027-01-09", w),
            case(INSURANCE, "the day after", "2027-01-10", None),
        ],
    );
    let w = Some(("2026-12-11", "2027-01-10"));
    check(
        &s,
        ReminderKind::AnnualInspection,
        &[
            case(INSPECTION, "inspection: the day before", "2026-12-10", None),
            case(
                INSPECTION,
                "inspection: 30 days before due",
                "2026-12-11",
                w,
            ),
            case(INSPECTION, "inspection: the due day", "2027-01-10", w),
            case(INSPECTION, "inspection: the day after", "2027-01-11", None),
        ],
    );
    let w = Some(("2027-01-02", "2027-02-01"));
    check(
        &s,
        ReminderKind::LicenceDue,
        &[
            case(INSPECTION, "licence: the day before", "2027-01-01", None),
            case(INSPECTION, "licence: 30 days before due", "2027-01-02", w),
            case(INSPECTION, "licence: the due day", "2027-02-01", w),
            case(INSPECTION, "licence: the day after", "2027-02-02", None),
        ],
    );
}

#[test]
fn birthday_on_the_day_within_two_hours_of_opening() {
    let mut m = buyer();
    person(
        &mut m,
        "2026-01-11",
        PersonFacts {
            birthday: Some(day("1990-06-15")),
            region: Some(Region::Local),
            call_slots: vec![CallSlot::Morning],
            sms_consent: true,
        },
    );
    let s = state(&m);
    let w = Some(("2026-06-15", "2026-06-15"));
    check(
        &s,
        ReminderKind::Birthday,
        &[
            case(BIRTHDAY, "the day before", "2026-06-14", None),
            case(BIRTHDAY, "the birthday", "2026-06-15", w),
            case(BIRTHDAY, "the day after", "2026-06-16", None),
            case(
                BIRTHDAY,
                "next year's",
                "2027-06-15",
                Some(("2027-06-15", "2027-06-15")),
            ),
        ],
    );
    let rules = CareRules::default();
    let r = reminders(&s, day("2026-06-15"), &rules)
        .into_iter()
        .find(|r| r.kind == ReminderKind::Birthday)
        .unwrap();
    assert_eq!(
        (r.contact, r.by, r.vin.clone()),
        (Contact::CallThenSms, CareRole::Specialist, None)
    );
    assert_eq!(r.deadline_hours_after_opening, Some(2));
    assert_eq!(
        r.deadline(&rules),
        Some(Timestamp::parse("2026-06-15T10:30:00+08:00").unwrap()),
        "opening 08:30 + 2 h"
    );

    let mut leap = buyer();
    person(
        &mut leap,
        "2026-01-11",
        PersonFacts {
            birthday: Some(day("1992-02-29")),
            ..PersonFacts::default()
        },
    );
    let s = project(&preset("A"), &leap.events, day("2027-01-01"));
    check(
        &s,
        ReminderKind::Birthday,
        &[
            case(
                BIRTHDAY,
                "29 Feb in a common year: 28 Feb",
                "2027-02-28",
                Some(("2027-02-28", "2027-02-28")),
            ),
            case(
                BIRTHDAY,
                "29 Feb in a common year: not 1 March",
                "2027-03-01",
                None,
            ),
            case(
                BIRTHDAY,
                "29 Feb in a leap year",
                "2028-02-29",
                Some(("2028-02-29", "2028-02-29")),
            ),
            case(
                BIRTHDAY,
                "29 Feb in a leap year: not 28 Feb",
                "2028-02-28",
                None,
            ),
        ],
    );
}

#[test]
fn renewal_thirty_days_before_expiry_by_phone_and_sms() {
    let m = buyer();
    let s = project(&preset("A"), &m.events, day("2027-12-01"));
    assert_eq!(s.valid_until, Some(day("2028-01-09")));
    let w = Some(("2027-12-10", "2028-01-09"));
    check(
        &s,
        ReminderKind::Renewal,
        &[
            case(RENEWAL, "the day before", "2027-12-09", None),
            case(RENEWAL, "30 days before the last day", "2027-12-10", w),
            case(RENEWAL, "the last day", "2028-01-09", w),
            case(RENEWAL, "the day after", "2028-01-10", None),
        ],
    );
    let r = reminders(&s, day("2027-12-10"), &CareRules::default())
        .into_iter()
        .find(|r| r.kind == ReminderKind::Renewal)
        .unwrap();
    assert_eq!((r.contact, r.vin), (Contact::CallAndSms, None));
}

#[test]
fn follow_ups_after_delivery_by_sales() {
    let s = state(&buyer());
    let w24 = Some(("2026-01-11", "2026-01-12"));
    check(
        &s,
        ReminderKind::DeliveryFollowUp24h,
        &[
            case(DELIVERY, "24 h: the delivery day", "2026-01-10", None),
            case(DELIVERY, "24 h: the day after delivery", "2026-01-11", w24),
            case(DELIVERY, "24 h: its last day", "2026-01-12", w24),
            case(DELIVERY, "24 h: the day after", "2026-01-13", None),
        ],
    );
    let w72 = Some(("2026-01-13", "2026-01-14"));
    check(
        &s,
        ReminderKind::DeliveryFollowUp72h,
        &[
            case(DELIVERY, "72 h: the day before", "2026-01-12", None),
            case(
                DELIVERY,
                "72 h: three days after delivery",
                "2026-01-13",
                w72,
            ),
            case(DELIVERY, "72 h: its last day", "2026-01-14", w72),
            case(DELIVERY, "72 h: the day after", "2026-01-15", None),
        ],
    );
    let r = reminders(&s, day("2026-01-11"), &CareRules::default());
    assert!(r.iter().all(|r| r.by == CareRole::Sales), "{r:?}");
}

#[test]
fn follow_up_after_service_by_the_advisor() {
    let mut m = buyer();
    visit(
        &mut m,
        "2026-03-15",
        Some(3000),
        VisitKind::FirstService,
        false,
    );
    visit(&mut m, "2026-05-20", Some(5000), VisitKind::Repair, true);
    let s = state(&m);
    let w = Some(("2026-03-17", "2026-03-18"));
    check(
        &s,
        ReminderKind::ServiceFollowUp48h,
        &[
            case(SERVICE, "the day before", "2026-03-16", None),
            case(SERVICE, "48 h after the visit", "2026-03-17", w),
            case(SERVICE, "its last day", "2026-03-18", w),
            case(SERVICE, "the day after", "2026-03-19", None),
            case(
                SERVICE,
                "a visit at another store: no follow-up",
                "2026-05-22",
                None,
            ),
        ],
    );
    let r = reminders(&s, day("2026-03-17"), &CareRules::default())
        .into_iter()
        .find(|r| r.kind == ReminderKind::ServiceFollowUp48h)
        .unwrap();
    assert_eq!(r.by, CareRole::Advisor);
}

#[test]
fn lost_customers_90_to_360_days_in_six_classes() {
    let mut m = buyer();
    visit(
        &mut m,
        "2026-03-15",
        Some(3000),
        VisitKind::FirstService,
        false,
    );
    // A visit elsewhere does not bring the customer back to this store.
    visit(
        &mut m,
        "2026-08-01",
        Some(6000),
        VisitKind::RegularService,
        true,
    );
    let s = project(&preset("A"), &m.events, day("2026-12-31"));
    let w = Some(("2026-06-13", "2027-03-10"));
    check(
        &s,
        ReminderKind::Lost,
        &[
            case(
                LOST,
                "89 days after the last visit here",
                "2026-06-12",
                None,
            ),
            case(LOST, "90 days", "2026-06-13", w),
            case(LOST, "360 days", "2027-03-10", w),
            case(LOST, "361 days", "2027-03-11", None),
        ],
    );
    // Without a visit here, counted from delivery.
    check(
        &state(&buyer()),
        ReminderKind::Lost,
        &[
            case(LOST, "no visit: 89 days after delivery", "2026-04-09", None),
            case(
                LOST,
                "no visit: 90 days after delivery",
                "2026-04-10",
                Some(("2026-04-10", "2027-01-05")),
            ),
        ],
    );
    // The classes: region (unknown counts as local) × in or out of warranty on the day.
    let class = |region: Option<Region>, warranty: Option<&str>| {
        let mut m = buyer();
        person(
            &mut m,
            "2026-01-11",
            PersonFacts {
                region,
                ..PersonFacts::default()
            },
        );
        facts(
            &mut m,
            "2026-01-11",
            VehicleFacts {
                warranty_end: warranty.map(day),
                ..VehicleFacts::default()
            },
        );
        reminders(&state(&m), day("2026-05-01"), &CareRules::default())
            .into_iter()
            .find(|r| r.kind == ReminderKind::Lost)
            .and_then(|r| r.lost_class)
            .unwrap()
    };
    let lc = |region, in_warranty| LostClass {
        region,
        in_warranty,
    };
    let cases = [
        (
            "local, in warranty",
            Some(Region::Local),
            Some("2029-01-10"),
            lc(Region::Local, true),
        ),
        (
            "local, out of warranty",
            Some(Region::Local),
            Some("2026-04-30"),
            lc(Region::Local, false),
        ),
        (
            "non-local, in warranty",
            Some(Region::NonLocal),
            Some("2026-05-01"),
            lc(Region::NonLocal, true),
        ),
        (
            "non-local, warranty unknown",
            Some(Region::NonLocal),
            None,
            lc(Region::NonLocal, false),
        ),
        (
            "region unknown: local",
            None,
            Some("2029-01-10"),
            lc(Region::Local, true),
        ),
    ];
    for (what, region, warranty, want) in cases {
        assert_eq!(class(region, warranty), want, "{LOST} — {what}");
    }
    assert_eq!(lc(Region::Local, true).zh(), "本地在保客户");
    assert_eq!(lc(Region::NonLocal, false).zh(), "外地出保客户");
}

#[test]
fn former_members_get_only_the_lost_customer_recall() {
    let mut m = buyer();
    let member = m.id;
    visit(
        &mut m,
        "2026-03-15",
        Some(3000),
        VisitKind::FirstService,
        false,
    );
    person(
        &mut m,
        "2026-01-11",
        PersonFacts {
            birthday: Some(day("1990-06-15")),
            ..PersonFacts::default()
        },
    );
    m.push(
        "2026-03-20",
        EventBody::WithdrawalRequested {
            member,
            reason: WithdrawalReason::Other,
        },
    );
    m.push(
        "2026-03-21",
        EventBody::WithdrawalDecided {
            member,
            accepted: true,
        },
    );
    let s = state(&m);
    assert_eq!(s.status, Status::Withdrawn);
    let rules = CareRules::default();
    for d in ["2026-06-15", "2026-09-10", "2026-07-01"] {
        let kinds: Vec<ReminderKind> = reminders(&s, day(d), &rules)
            .into_iter()
            .map(|r| r.kind)
            .collect();
        assert!(
            kinds.iter().all(|k| *k == ReminderKind::Lost),
            "{d}: {kinds:?}"
        );
    }
    assert!(
        reminders(&s, day("2026-07-01"), &rules)
            .iter()
            .any(|r| r.kind == ReminderKind::Lost),
        "withdrawn members are still recalled as lost customers"
    );
    let nobody = project(&preset("A"), &[], day("2026-07-01"));
    assert!(reminders(&nobody, day("2026-07-01"), &rules).is_empty());
}

#[test]
fn upcoming_shows_the_members_own_reminders_within_the_horizon() {
    let mut m = buyer();
    facts(
        &mut m,
        "2026-01-11",
        VehicleFacts {
            insurance_expiry: Some(day("2026-06-30")),
            ..VehicleFacts::default()
        },
    );
    let s = state(&m);
    let rules = CareRules::default();
    let kinds = |d: &str, h: u32| -> Vec<ReminderKind> {
        upcoming(&s, day(d), h, &rules)
            .into_iter()
            .map(|r| r.kind)
            .collect()
    };
    // On 2026-03-01: the first service opens on 03-10; insurance on 04-30.
    assert_eq!(kinds("2026-03-01", 8), Vec::<ReminderKind>::new());
    assert_eq!(kinds("2026-03-01", 9), vec![ReminderKind::FirstService]);
    assert_eq!(
        kinds("2026-03-01", 60),
        vec![ReminderKind::FirstService, ReminderKind::InsuranceExpiry]
    );
    // Staff kinds (follow-ups, lost customers, birthdays) never show to the member.
    assert!(
        upcoming(&s, day("2026-01-10"), 400, &rules)
            .iter()
            .all(|r| r.kind.for_member())
    );
}

#[test]
fn the_service_file_is_folded_from_events() {
    let mut m = buyer();
    let member = m.id;
    // The order is a maintenance with the card: a regular service of vehicle 1, and a reading.
    let order = m.maintenance("2026-03-15", 3000);
    let accident = m.settle(
        "2026-04-01",
        Order {
            lines: vec![OrderLine {
                category: Category::AccidentRepair,
                amount: yuan(2000),
            }],
            card: Some(m.card.clone()),
            mileage_km: Some(3500),
            ..Order::default()
        },
    );
    let s = state(&m);
    let v = &s.care.vehicles[0];
    assert_eq!(v.plate.as_ref().map(|p| p.as_str()), Some("粤B12345"));
    assert_eq!(
        v.visits.iter().map(|x| (x.id, x.kind)).collect::<Vec<_>>(),
        vec![
            (order, VisitKind::RegularService),
            (accident, VisitKind::Accident)
        ]
    );
    assert_eq!(
        v.visits[0].amount,
        yuan(300),
        "what the member paid (parts: no card discount)"
    );
    assert_eq!(
        v.readings,
        vec![
            MileageReading {
                on: day("2026-03-15"),
                km: 3000
            },
            MileageReading {
                on: day("2026-04-01"),
                km: 3500
            },
        ]
    );

    // A second vehicle with its model.
    m.push(
        "2026-04-02",
        EventBody::VehicleAdded {
            member,
            vehicle: Vehicle {
                vin: vin(2),
                plate: Plate::parse("粤B54321").unwrap(),
                model: Some(ShortText::parse("Model Y").unwrap()),
            },
            card: None,
        },
    );
    let s = state(&m);
    assert_eq!(s.care.vehicles.len(), 2);
    assert_eq!(
        s.care.vehicles[1].facts.model.as_ref().map(|x| x.as_str()),
        Some("Model Y")
    );
    assert_eq!(s.care.vehicles[1].facts.delivered, None, "not bought here");
}

#[test]
fn bad_care_events_are_rejected_and_change_nothing() {
    let mut m = buyer();
    let member = m.id;
    reading(&mut m, "2026-03-01", 3000);
    let unknown = m.push(
        "2026-03-02",
        EventBody::MileageRecorded {
            member,
            vin: vin(9),
            on: day("2026-03-02"),
            km: 3100,
        },
    );
    let lower = reading(&mut m, "2026-03-03", 2900);
    // Read on 03-10 but recorded on 03-04.
    let future = m.push(
        "2026-03-04",
        EventBody::MileageRecorded {
            member,
            vin: vin(1),
            on: day("2026-03-10"),
            km: 3500,
        },
    );
    let future_visit = m.push(
        "2026-03-04",
        EventBody::ServiceVisitRecorded {
            member,
            vin: vin(1),
            on: day("2026-03-05"),
            km: None,
            kind: VisitKind::Repair,
            amount: yuan(100),
            advisor: None,
            elsewhere: None,
        },
    );
    let unborn = person(
        &mut m,
        "2026-03-04",
        PersonFacts {
            birthday: Some(day("2026-03-05")),
            ..PersonFacts::default()
        },
    );
    let s = state(&m);
    assert!(rejected(&s, Rejection::UnknownVehicle));
    assert!(rejected(&s, Rejection::MileageDecreased));
    assert!(rejected(&s, Rejection::DatedInFuture));
    let rejected_ids: Vec<EventId> = s
        .violations
        .iter()
        .filter_map(|v| match v {
            projection::Violation::Rejected { event, .. } => Some(*event),
            _ => None,
        })
        .collect();
    assert_eq!(
        rejected_ids,
        vec![unknown, lower, future, future_visit, unborn]
    );
    assert_eq!(
        s.care.vehicles[0].readings,
        vec![MileageReading {
            on: day("2026-03-01"),
            km: 3000
        }]
    );
    assert!(s.care.vehicles[0].visits.is_empty());
    assert_eq!(s.care.person, PersonFacts::default());
    // A reading dated between two others must fit between them.
    let mut m = buyer();
    reading(&mut m, "2026-03-01", 3000);
    reading(&mut m, "2026-03-20", 4000);
    reading(&mut m, "2026-03-21", 3500); // lower than 03-20: refused
    let mid = reading(&mut m, "2026-03-22", 4100);
    let s = state(&m);
    assert_eq!(s.care.vehicles[0].readings.len(), 3);
    assert!(s.care.vehicles[0].readings.iter().any(|r| r.km == 4100));
    let _ = mid;
    // Care events before enrolling: not a member.
    let mut stranger = Member::new(2);
    let id = stranger.id;
    stranger.push(
        "2026-03-01",
        EventBody::PersonFactsSet {
            member: id,
            facts: PersonFacts::default(),
        },
    );
    assert!(rejected(&state(&stranger), Rejection::NotAMember));
}

#[test]
fn event_json_of_the_care_events() {
    let json = serde_json::json!({
        "id": "01900000-0000-7000-8000-000000000001",
        "at": "2026-03-01T10:00:00+08:00",
        "device": "01900000-0000-7000-8000-000000000002",
        "seq": 3,
        "author": "01900000-0000-7000-8000-000000000003",
        "type": "service_visit_recorded",
        "member": "01900000-0000-7000-8000-000000000004",
        "vin": "LSVAU2180N2183294",
        "on": "2026-02-27",
        "km": 5120,
        "kind": "first_service",
        "amount": 0,
        "elsewhere": {"store": "城东4S店", "place": "城东路 8 号", "cost": 35000}
    });
    let e: Event = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(e.body.kind(), "service_visit_recorded");
    assert_eq!(
        EventBody::kind_zh("service_visit_recorded"),
        "登记维修保养记录"
    );
    assert_eq!(serde_json::to_value(&e).unwrap(), json);
    let facts = serde_json::json!({
        "id": "01900000-0000-7000-8000-000000000005",
        "at": "2026-03-01T10:00:00+08:00",
        "device": "01900000-0000-7000-8000-000000000002",
        "seq": 4,
        "author": "01900000-0000-7000-8000-000000000003",
        "type": "person_facts_set",
        "member": "01900000-0000-7000-8000-000000000004",
        "facts": {"birthday": "1990-06-15", "region": "non_local", "call_slots": ["evening"], "sms_consent": true}
    });
    let e: Event = serde_json::from_value(facts).unwrap();
    let EventBody::PersonFactsSet { facts, .. } = e.body else {
        panic!("person facts")
    };
    assert_eq!(facts.region, Some(Region::NonLocal));
    let bad = serde_json::json!({"type": "mileage_recorded", "member": "01900000-0000-7000-8000-000000000004",
        "vin": "LSVAU2180N2183294", "on": "2026-02-30", "km": 1});
    assert!(
        serde_json::from_value::<EventBody>(bad).is_err(),
        "30 February"
    );
}

/// A shuffled copy (Fisher–Yates with a small LCG from the seed).
fn shuffled(events: &[Event], seed: u64) -> Vec<Event> {
    let mut out = events.to_vec();
    let mut x = seed | 1;
    for i in (1..out.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.swap(i, (x >> 33) as usize % (i + 1));
    }
    out
}

/// A care history: the purchase, then readings, visits and facts on days after it.
fn care_history() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec((1..700i64, 0..6u8, 0..40_000u32, any::<bool>()), 0..25).prop_map(
        |steps| {
            let mut m = buyer();
            let start = day("2026-01-10");
            for (offset, what, km, flag) in steps {
                let on = start + time::Duration::days(offset);
                let text = on.to_string();
                match what {
                    0 => {
                        reading(&mut m, &text, km);
                    }
                    1 => {
                        let kind = if flag {
                            VisitKind::FirstService
                        } else {
                            VisitKind::RegularService
                        };
                        visit(&mut m, &text, Some(km), kind, !flag && km % 3 == 0);
                    }
                    2 => {
                        m.maintenance(&text, km);
                    }
                    3 => {
                        visit(&mut m, &text, None, VisitKind::Repair, flag);
                    }
                    4 => facts(
                        &mut m,
                        &text,
                        VehicleFacts {
                            warranty_end: Some(on + time::Duration::days(i64::from(km % 900))),
                            insurance_expiry: Some(on + time::Duration::days(i64::from(km % 400))),
                            inspection_due: flag.then(|| on + time::Duration::days(200)),
                            licence_due: (!flag).then(|| on + time::Duration::days(300)),
                            ..VehicleFacts::default()
                        },
                    ),
                    _ => {
                        person(
                            &mut m,
                            &text,
                            PersonFacts {
                                birthday: Some(day(if flag { "1992-02-29" } else { "1985-12-31" })),
                                region: Some(if km % 2 == 0 {
                                    Region::Local
                                } else {
                                    Region::NonLocal
                                }),
                                call_slots: vec![],
                                sms_consent: flag,
                            },
                        );
                    }
                }
            }
            m.events
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_care_file_does_not_depend_on_arrival_order(events in care_history(), seed in any::<u64>()) {
        let program = preset("A");
        let at = day("2028-01-01");
        let a = project(&program, &events, at);
        let b = project(&program, &shuffled(&events, seed), at);
        prop_assert_eq!(&a.care, &b.care);
        prop_assert_eq!(a.violations, b.violations);
    }

    #[test]
    fn reminders_are_deterministic_and_open_on_the_day(
        events in care_history(),
        offset in 0..900i64,
    ) {
        let program = preset("A");
        let d = day("2026-01-10") + time::Duration::days(offset);
        let s = project(&program, &events, d);
        let rules = CareRules::default();
        let first = reminders(&s, d, &rules);
        prop_assert_eq!(&first, &reminders(&s.clone(), d, &rules));
        let mut ids = std::collections::HashSet::new();
        for r in &first {
            prop_assert!(r.due <= d && d <= r.until, "{:?} not open on {}", r, d);
            prop_assert!(ids.insert((r.kind, r.vin.clone(), r.due)), "one reminder per identity: {:?}", r);
        }
        for r in upcoming(&s, d, 60, &rules) {
            prop_assert!(r.until >= d && r.due <= d + time::Duration::days(60));
            prop_assert!(r.kind.for_member());
        }
    }
}

#[test]
fn the_ledger_describes_the_care_events_in_both_languages() {
    let mut m = buyer();
    person(&mut m, "2026-01-11", PersonFacts::default());
    facts(&mut m, "2026-01-11", VehicleFacts::default());
    reading(&mut m, "2026-02-01", 1500);
    visit(
        &mut m,
        "2026-03-01",
        Some(2900),
        VisitKind::FirstService,
        true,
    );
    visit(&mut m, "2026-03-02", None, VisitKind::Repair, false);
    reading(&mut m, "2026-03-03", 100);
    let entries = projection::ledger(&preset("A"), &m.events, day("2026-12-31"));
    let said: Vec<(&str, &str)> = entries[2..]
        .iter()
        .map(|e| (e.description.as_str(), e.description_zh.as_str()))
        .collect();
    assert_eq!(
        said,
        vec![
            ("care details updated", "更新车主关怀资料"),
            ("vehicle 粤B12345 details updated", "更新车辆 粤B12345 档案"),
            (
                "粤B12345 read 1500 km on 2026-02-01",
                "粤B12345 于 2026-02-01 里程 1500 公里"
            ),
            (
                "first service of 粤B12345 on 2026-03-01 at 城东4S店, 城东路 8 号 (¥350.00)",
                "粤B12345 于 2026-03-01 在城东4S店（城东路 8 号）首保，费用 ¥350.00"
            ),
            (
                "repair of 粤B12345 on 2026-03-02",
                "粤B12345 于 2026-03-02 维修"
            ),
            (
                "粤B12345 read 100 km on 2026-03-03 (not applied)",
                "粤B12345 于 2026-03-03 里程 100 公里（未生效）"
            ),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.points == 0 || e.kind == "enrolled")
    );
}
