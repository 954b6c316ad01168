//! Lifecycle paths across presets: joining, approval, cards, redemption, invariants, the store check
//! and the simulate entry point. The preset numbers themselves are in `presets.rs`.

mod common;

use carclub_shared::events::*;
use carclub_shared::program::Program;
use carclub_shared::projection::*;
use carclub_shared::*;
use common::*;

fn labor_order(card: Option<CardNo>) -> Order {
    Order {
        lines: vec![OrderLine {
            category: Category::Labor,
            amount: yuan(1000),
        }],
        card,
        ..Order::default()
    }
}

#[test]
fn join_by_fee_is_pending_until_approved() {
    let p = preset("A");
    let mut m = Member::new(1);
    m.enroll("2026-03-01", "standard", Channel::Desk, 180);
    m.order("2026-03-02", &[(Category::Parts, 500)]);
    let s = m.project(&p, "2026-03-02");
    assert_eq!(s.status, Status::Pending);
    assert_eq!(s.points, Points::ZERO, "no points before approval");
    let q = quote(
        &p,
        &s,
        &labor_order(Some(m.card.clone())),
        day("2026-03-02"),
    );
    assert_eq!(q.no_discount, Some(NoDiscount::NotAMember));
    assert_eq!(s.refund_if_withdrawn, Some(yuan(180)));

    m.approve("2026-03-03");
    m.order("2026-03-04", &[(Category::Parts, 500)]);
    let s = m.project(&p, "2026-03-04");
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.joined, Some(day("2026-03-03")));
    assert_eq!(s.valid_until, Some(day("2028-03-02")));
    assert_eq!(s.points, Points::new(10));
    assert!(s.violations.is_empty(), "{:?}", s.violations);
}

#[test]
fn join_by_purchase_is_a_gift_and_a_fee_without_receipt_is_flagged() {
    let p = preset("A");
    let mut gift = Member::new(1);
    gift.enroll("2026-03-01", "standard", Channel::Purchase, 0);
    gift.approve("2026-03-01");
    let s = gift.project(&p, "2026-03-01");
    assert_eq!((s.status, s.violations.len()), (Status::Active, 0));
    assert_eq!(
        s.refund_if_withdrawn,
        Some(Money::ZERO),
        "nothing paid, nothing back"
    );

    let mut m = Member::new(2);
    m.enroll("2026-03-01", "standard", Channel::Desk, 180);
    if let EventBody::Enrolled(en) = &mut m.events[0].body {
        en.receipt = None;
    }
    let s = m.project(&p, "2026-03-01");
    assert!(
        matches!(s.violations[..], [Violation::MissingReceipt { .. }]),
        "{:?}",
        s.violations
    );
}

#[test]
fn rejected_enrollment_owes_the_fee_back() {
    let p = preset("B");
    let mut m = Member::new(1);
    m.enroll("2026-03-01", "guest", Channel::Desk, 300);
    let member = m.id;
    m.push(
        "2026-03-02",
        EventBody::EnrollmentRejected {
            member,
            reason: None,
        },
    );
    let s = m.project(&p, "2026-03-02");
    assert_eq!(s.status, Status::Withdrawn);
    assert_eq!(s.refund_due, Some(yuan(300)));
}

#[test]
fn enrolling_at_an_earned_tier_is_rejected() {
    let p = preset("A");
    let mut m = Member::new(1);
    m.enroll("2026-03-01", "gold", Channel::Desk, 0);
    let s = m.project(&p, "2026-03-01");
    assert_eq!(s.status, Status::NotMember);
    assert!(matches!(
        s.violations[..],
        [Violation::Rejected {
            reason: Rejection::NotAnEntryTier,
            ..
        }]
    ));
}

#[test]
fn lost_card_then_temporary_card_then_reissue() {
    let p = preset("B");
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    let member = m.id;
    let old = m.card.clone();
    m.push(
        "2026-04-01",
        EventBody::CardLost {
            member,
            card: old.clone(),
        },
    );
    m.push(
        "2026-04-01",
        EventBody::TemporaryCardIssued {
            member,
            card: card("T0001"),
        },
    );

    let on = |d: &str, c: &CardNo| {
        let s = m.project(&p, d);
        quote(&p, &s, &labor_order(Some(c.clone())), day(d))
    };
    assert_eq!(
        on("2026-04-02", &old).no_discount,
        Some(NoDiscount::NoValidCard),
        "lost card"
    );
    assert_eq!(
        on("2026-04-03", &card("T0001")).discount,
        yuan(50),
        "temporary card, day 3"
    );
    assert_eq!(
        on("2026-04-04", &card("T0001")).no_discount,
        Some(NoDiscount::NoValidCard),
        "day 4"
    );

    let new = card("C20000001");
    m.push(
        "2026-04-04",
        EventBody::CardReissued {
            member,
            card: new.clone(),
            replaces: None,
            fee: yuan(20),
            receipt: Some(receipt("RE-1")),
        },
    );
    let s = m.project(&p, "2026-04-05");
    assert_eq!(
        quote(&p, &s, &labor_order(Some(new.clone())), day("2026-04-05")).discount,
        yuan(50)
    );
    let statuses: Vec<_> = s
        .cards
        .iter()
        .map(|c| (c.number.as_str(), c.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("C00000001", CardStatus::Replaced),
            ("T0001", CardStatus::Void),
            ("C20000001", CardStatus::Active)
        ]
    );
    assert!(s.violations.is_empty(), "{:?}", s.violations);
}

#[test]
fn redemption_overdraw_is_a_violation_not_a_negative_balance() {
    let p = preset("B");
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    m.grant_points("2026-03-02", 800);
    // Two devices redeemed offline from the same 800 points.
    let first = m.redeem("2026-03-03", 500);
    let second = m.redeem("2026-03-03", 500);
    let s = m.project(&p, "2026-03-03");
    assert_eq!(s.points, Points::new(300));
    assert_eq!(s.measures.points_redeemed, Points::new(500));
    assert_eq!(
        s.violations,
        [Violation::PointsOverdrawn {
            event: second,
            requested: Points::new(500),
            available: Points::new(300)
        }]
    );
    assert_ne!(first, second);
}

#[test]
fn benefit_overuse_is_flagged_and_remaining_stops_at_zero() {
    let p = preset("B");
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    for _ in 0..7 {
        m.use_benefit("2026-04-01", "free_wash", 30);
    }
    let s = m.project(&p, "2026-04-01");
    let wash = s
        .benefits
        .iter()
        .find(|b| b.benefit.id().as_str() == "free_wash")
        .unwrap();
    assert_eq!(
        (wash.used, wash.remaining, wash.value_used),
        (7, Some(0), yuan(210))
    );
    assert!(
        matches!(
            s.violations[..],
            [Violation::BenefitOverused {
                allowance: 6,
                used: 7,
                ..
            }]
        ),
        "{:?}",
        s.violations
    );
    assert_eq!(s.benefits_used_value, yuan(210));
}

#[test]
fn a_receipt_counted_twice_earns_points_once() {
    let p = preset("B");
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    let order = Order {
        receipt: Some(receipt("S-1")),
        lines: vec![OrderLine {
            category: Category::Cash,
            amount: yuan(1000),
        }],
        card: Some(m.card.clone()),
        ..Order::default()
    };
    let a = m.settle("2026-03-02", order.clone());
    let b = m.settle("2026-03-02", order);
    let s = m.project(&p, "2026-03-02");
    assert_eq!(s.points, Points::new(100));
    assert_eq!(
        s.violations,
        [Violation::ReceiptCountedTwice {
            receipt: receipt("S-1"),
            events: vec![a, b]
        }]
    );
}

#[test]
fn one_car_one_card() {
    let p = preset("C");
    let mut m = Member::new(1);
    m.join("2026-03-01", "green", 0);
    let member = m.id;
    let same_vin = Vehicle {
        vin: vin(1),
        plate: Plate::parse("粤B12345").unwrap(),
        model: None,
    };
    m.push(
        "2026-03-02",
        EventBody::VehicleAdded {
            member,
            vehicle: same_vin,
            card: Some(card("C99000001")),
        },
    );
    let other = Vehicle {
        vin: vin(2),
        plate: Plate::parse("粤B22345").unwrap(),
        model: None,
    };
    m.push(
        "2026-03-03",
        EventBody::VehicleAdded {
            member,
            vehicle: other,
            card: Some(m.card.clone()),
        },
    );
    let s = m.project(&p, "2026-03-03");
    assert!(
        matches!(&s.violations[0], Violation::SecondActiveCard { vin: v, .. } if *v == vin(1)),
        "{:?}",
        s.violations
    );
    assert!(
        matches!(&s.violations[1], Violation::DuplicateCard { card: c, .. } if *c == m.card),
        "{:?}",
        s.violations
    );
}

#[test]
fn store_check_finds_invariants_across_members() {
    let p = preset("A");
    let mut a = Member::new(1);
    a.join("2026-03-01", "standard", 180);
    let mut b = Member::new(2);
    b.card = a.card.clone();
    b.join("2026-03-01", "standard", 180);
    // Member 3 enrolls the vehicle member 1 already holds an active card for.
    let mut c = Member::new(3);
    c.join("2026-03-01", "standard", 180);
    if let EventBody::Enrolled(en) = &mut c.events[0].body {
        en.vehicle.vin = vin(1);
        en.receipt = a.events.iter().find_map(|e| e.body.receipt().cloned());
    }
    let all: Vec<Event> = [a.events, b.events, c.events].concat();
    let found = check_store(&p, &all, day("2026-03-02"));
    assert!(
        found
            .iter()
            .any(|v| matches!(v, Violation::DuplicateCard { events, .. } if events.len() == 2)),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|v| matches!(v, Violation::SecondActiveCard { vin: x, .. } if *x == vin(1))),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|v| matches!(v, Violation::ReceiptCountedTwice { .. })),
        "{found:?}"
    );
    let mut doubled = all.clone();
    doubled.extend(all.iter().cloned());
    assert_eq!(
        check_store(&p, &doubled, day("2026-03-02")),
        found,
        "idempotent"
    );
}

#[test]
fn events_of_another_member_are_reported() {
    let p = preset("A");
    let mut a = Member::new(1);
    a.join("2026-03-01", "standard", 180);
    let mut b = Member::new(2);
    b.attend("2026-03-02");
    let s = project(&p, &[a.events, b.events].concat(), day("2026-03-02"));
    assert_eq!(s.points, Points::ZERO);
    assert!(matches!(
        s.violations[..],
        [Violation::Rejected {
            reason: Rejection::OtherMember,
            ..
        }]
    ));
}

#[test]
fn rejoining_after_lapse_starts_a_new_membership() {
    let p = preset("A");
    let mut m = Member::new(1);
    m.join("2026-03-01", "standard", 180);
    m.card = card("C00000002");
    m.join("2028-06-01", "standard", 180);
    let s = m.project(&p, "2028-06-01");
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.joined, Some(day("2028-06-01")));
    assert_eq!(
        s.cards
            .iter()
            .filter(|c| c.status == CardStatus::Active)
            .count(),
        1
    );
}

#[test]
fn quote_for_a_non_member_gives_nothing() {
    let p = preset("B");
    let q = quote_events(&p, &[], &labor_order(None), day("2026-03-01"));
    assert_eq!(
        (q.discount, q.points, q.payable),
        (Money::ZERO, Points::ZERO, yuan(1000))
    );
    assert_eq!(q.no_discount, Some(NoDiscount::NotAMember));
}

#[test]
fn simulate_runs_the_documented_example() {
    let text = include_str!("../../docs/examples/member-year.json");
    let state = carclub_shared::simulate::run(&preset("A"), text, None).unwrap();
    assert_eq!(state["status"], "active");
    assert_eq!(state["tier"], "silver");
    assert!(
        state["violations"].as_array().unwrap().is_empty(),
        "{state:#}"
    );
    for key in ["points", "valid_until", "benefits"] {
        assert!(state.get(key).is_some(), "{key}");
    }
}

#[test]
fn simulate_names_the_bad_event() {
    let err =
        carclub_shared::simulate::run(&preset("A"), r#"[{"type": "enrolled"}]"#, None).unwrap_err();
    assert!(err.to_string().starts_with("event 0:"), "{err}");
    let program = Program::preset("a").unwrap();
    assert!(carclub_shared::simulate::run(&program, "[]", None).is_err());
    let empty = carclub_shared::simulate::run(&program, "[]", Some(day("2026-01-01"))).unwrap();
    assert_eq!(empty["status"], "not_member");
}

#[test]
fn every_event_type_is_documented_with_a_valid_example() {
    let doc = include_str!("../../docs/events.md");
    let mut kinds = Vec::new();
    for block in doc.split("```json\n").skip(1) {
        let text = block.split("\n```").next().unwrap();
        let event: Event = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(value["type"], event.body.kind());
        assert_eq!(
            serde_json::to_value(&event).unwrap()["type"],
            event.body.kind()
        );
        assert_eq!(
            event.member().is_some(),
            !event.body.kind().starts_with("visit_")
        );
        kinds.push(event.body.kind());
    }
    let expected = [
        "visit_started",
        "visit_ended",
        "enrolled",
        "enrollment_approved",
        "enrollment_rejected",
        "order_settled",
        "event_attended",
        "forum_rewarded",
        "referral_recorded",
        "referral_converted",
        "vehicle_added",
        "benefit_used",
        "points_redeemed",
        "renewed",
        "tier_purchased",
        "upgrade_approved",
        "manual_grant",
        "card_lost",
        "temporary_card_issued",
        "card_reissued",
        "withdrawal_requested",
        "withdrawal_decided",
        "expired",
        "company_changed",
        "person_facts_set",
        "vehicle_facts_set",
        "mileage_recorded",
        "service_visit_recorded",
        "pre_inspection_recorded",
        "customer_imported",
        "invitation_answered",
        "complaint_filed",
        "contact_change_requested",
        "contact_change_decided",
    ];
    assert_eq!(kinds, expected);
}

#[test]
fn extreme_values_do_not_panic() {
    let mut p = preset("B");
    p.tiers[0].validity = carclub_shared::program::Period {
        months: u32::MAX,
        days: u32::MAX,
    };
    p.cards.temporary_validity = carclub_shared::program::Period::days(u32::MAX);
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    let member = m.id;
    m.settle(
        "2026-03-02",
        Order {
            lines: vec![OrderLine {
                category: Category::Labor,
                amount: Money::from_fen(i64::MAX),
            }],
            card: Some(m.card.clone()),
            ..Order::default()
        },
    );
    m.push(
        "2026-03-02",
        EventBody::BenefitUsed {
            member,
            benefit: benefit("free_wash"),
            count: u32::MAX,
            value: Money::from_fen(i64::MAX),
        },
    );
    m.push(
        "2026-03-02",
        EventBody::BenefitUsed {
            member,
            benefit: benefit("free_wash"),
            count: u32::MAX,
            value: Money::from_fen(i64::MAX),
        },
    );
    m.push(
        "2026-03-02",
        EventBody::TemporaryCardIssued {
            member,
            card: card("T0001"),
        },
    );
    m.push(
        "2026-03-03",
        EventBody::WithdrawalRequested {
            member,
            reason: WithdrawalReason::Other,
        },
    );
    let s = m.project(&p, "2026-03-03");
    assert_eq!(s.status, Status::Active);
    assert!(
        s.violations
            .iter()
            .any(|v| matches!(v, Violation::BenefitOverused { .. }))
    );
    let s = serde_json::to_value(m.project(&preset("B"), "9999-12-31")).unwrap();
    assert_eq!(s["status"], "lapsed");
}

#[test]
fn an_earned_upgrade_keeps_the_refund_window_of_the_fee() {
    let p = preset("A");
    let mut m = Member::new(1);
    m.join("2026-03-01", "standard", 180);
    m.grant_points("2026-03-10", 100);
    let s = m.project(&p, "2026-03-20");
    assert_eq!(
        (tier_name(&s), s.term_start),
        ("silver", Some(day("2026-03-10")))
    );
    assert_eq!(
        s.refund_if_withdrawn,
        Some(yuan(180)),
        "within 30 days of paying"
    );
    assert_eq!(
        m.project(&p, "2026-04-01").refund_if_withdrawn,
        Some(Money::ZERO)
    );
}

fn tier_name(s: &MemberState) -> &str {
    s.tier.as_ref().map(|t| t.as_str()).unwrap_or("-")
}

#[test]
fn a_lapsed_member_gets_no_discount_and_earns_nothing() {
    let p = preset("A");
    let mut m = Member::new(1);
    m.join("2026-03-01", "standard", 180);
    let order = labor_order(Some(m.card.clone()));
    let q = quote_events(&p, &m.events, &order, day("2028-02-29"));
    assert_eq!(
        (q.discount, q.points),
        (yuan(50), Points::new(19)),
        "last valid day"
    );
    let q = quote_events(&p, &m.events, &order, day("2028-03-01"));
    assert_eq!((q.discount, q.points), (Money::ZERO, Points::ZERO));
    assert_eq!(q.no_discount, Some(NoDiscount::NotAMember));
    m.settle("2028-03-01", order);
    assert_eq!(
        m.project(&p, "2028-03-01").measures.points_earned,
        Points::ZERO
    );
}

#[test]
fn a_contact_change_applies_once_the_store_confirms_it_and_a_declined_one_keeps_its_reason() {
    use carclub_shared::care::CallSlot;
    let p = preset("B");
    let mut m = Member::new(1);
    m.join("2026-03-01", "guest", 300);
    let member = m.id;
    let asked = m.push(
        "2026-03-02",
        EventBody::ContactChangeRequested {
            member,
            phone: Some(phone(77)),
            call_slots: Some(vec![CallSlot::Evening]),
            sms_consent: Some(true),
        },
    );
    let s = m.project(&p, "2026-03-02");
    assert_eq!(s.contact_changes.len(), 1, "{:?}", s.violations);
    assert_eq!(s.contact_changes[0].confirmed, None);
    assert!(
        s.care.person.call_slots.is_empty(),
        "nothing applies before the store confirms"
    );
    m.push(
        "2026-03-03",
        EventBody::ContactChangeDecided {
            member,
            request: asked,
            confirmed: true,
            reason: None,
        },
    );
    let s = m.project(&p, "2026-03-03");
    assert_eq!(s.contact_changes[0].confirmed, Some(true));
    assert_eq!(s.care.person.call_slots, vec![CallSlot::Evening]);
    assert!(s.care.person.sms_consent);
    assert!(s.violations.is_empty(), "{:?}", s.violations);

    // Answered once: a second answer to the same request is refused.
    m.push(
        "2026-03-04",
        EventBody::ContactChangeDecided {
            member,
            request: asked,
            confirmed: false,
            reason: None,
        },
    );
    let s = m.project(&p, "2026-03-04");
    assert_eq!(s.violations.len(), 1, "{:?}", s.violations);

    let again = m.push(
        "2026-03-05",
        EventBody::ContactChangeRequested {
            member,
            phone: None,
            call_slots: None,
            sms_consent: Some(false),
        },
    );
    m.push(
        "2026-03-05",
        EventBody::ContactChangeDecided {
            member,
            request: again,
            confirmed: false,
            reason: Some("请到店核验".parse().unwrap()),
        },
    );
    let s = m.project(&p, "2026-03-05");
    assert_eq!(s.contact_changes[1].confirmed, Some(false));
    assert_eq!(
        s.contact_changes[1].reason.as_ref().unwrap().as_str(),
        "请到店核验"
    );
    assert!(
        s.care.person.sms_consent,
        "a declined change applies nothing"
    );

    // A request naming nothing new is refused.
    m.push(
        "2026-03-06",
        EventBody::ContactChangeRequested {
            member,
            phone: None,
            call_slots: None,
            sms_consent: None,
        },
    );
    let s = m.project(&p, "2026-03-06");
    assert_eq!(s.contact_changes.len(), 2);
    assert_eq!(s.violations.len(), 2, "{:?}", s.violations);
}
