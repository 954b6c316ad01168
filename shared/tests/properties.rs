//! Properties of the projection over random event histories: it does not depend on the order the
//! events arrive in, applying an event twice changes nothing, and points are never created or
//! overdrawn (an overdraw becomes a violation, never a negative balance).

mod common;

use std::collections::HashMap;

use carclub_shared::events::*;
use carclub_shared::projection::*;
use carclub_shared::*;
use common::*;
use proptest::prelude::*;

/// One thing a member or staff may do, with a day offset from 2026-01-01.
#[derive(Debug, Clone)]
enum Action {
    Order(usize, i64),
    Attend,
    Refer(u32),
    Redeem(u64),
    Use(usize),
    Renew,
    Grant(u64),
    LoseCard,
    TempCard,
    Withdraw(bool),
    Maintenance(u32),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..8usize, 1..20_000i64).prop_map(|(c, y)| Action::Order(c, y)),
        Just(Action::Attend),
        (0..6u32).prop_map(Action::Refer),
        prop::sample::select(vec![500u64, 1000, 1500, 2000, 700]).prop_map(Action::Redeem),
        (0..3usize).prop_map(Action::Use),
        Just(Action::Renew),
        (1..1500u64).prop_map(Action::Grant),
        Just(Action::LoseCard),
        Just(Action::TempCard),
        any::<bool>().prop_map(Action::Withdraw),
        (0..100_000u32).prop_map(Action::Maintenance),
    ]
}

/// A history: a preset, then actions on days within three years, recorded on two devices.
fn history() -> impl Strategy<Value = (String, Vec<Event>)> {
    (
        prop::sample::select(vec!["A", "B", "C"]),
        prop::collection::vec((0..1100i64, 0..2u8, action()), 1..40),
    )
        .prop_map(|(name, actions)| {
            let program = preset(name);
            let entry = program.entry_tiers().next().unwrap();
            let mut m = Member::new(1);
            m.join(
                "2026-01-01",
                entry.id.as_str(),
                entry.fee.unwrap_or_default().whole_yuan(),
            );
            let member = m.id;
            let benefits: Vec<BenefitId> = entry.benefits.iter().map(|b| b.id().clone()).collect();
            for (i, (offset, device, a)) in actions.into_iter().enumerate() {
                let on = (day("2026-01-01") + time::Duration::days(offset)).to_string();
                match a {
                    Action::Order(c, y) => {
                        m.order(&on, &[(Category::ALL[c], y)]);
                    }
                    Action::Attend => {
                        m.attend(&on);
                    }
                    Action::Refer(n) => m.refer(&on, n),
                    Action::Redeem(points) => {
                        m.redeem(&on, points);
                    }
                    Action::Use(k) => {
                        if let Some(b) = benefits.get(k % benefits.len().max(1)) {
                            m.use_benefit(&on, b.as_str(), 30);
                        }
                    }
                    Action::Renew => {
                        m.renew(&on, entry.renewal_fee().whole_yuan());
                    }
                    Action::Grant(points) => {
                        m.grant_points(&on, points);
                    }
                    Action::LoseCard => {
                        let card = m.card.clone();
                        m.push(&on, EventBody::CardLost { member, card });
                    }
                    Action::TempCard => {
                        m.push(
                            &on,
                            EventBody::TemporaryCardIssued {
                                member,
                                card: card(&format!("T{i:05}")),
                            },
                        );
                    }
                    Action::Withdraw(accepted) => {
                        m.push(
                            &on,
                            EventBody::WithdrawalRequested {
                                member,
                                reason: WithdrawalReason::Other,
                            },
                        );
                        m.push(&on, EventBody::WithdrawalDecided { member, accepted });
                    }
                    Action::Maintenance(km) => {
                        m.maintenance(&on, km);
                    }
                }
                if device == 1 {
                    // The same history recorded on a second device: same times, other device id.
                    if let Some(last) = m.events.last_mut() {
                        last.device = DeviceId(uuid::Uuid::from_u128(99));
                    }
                }
            }
            (name.to_owned(), m.events)
        })
}

fn end() -> time::Date {
    day("2029-01-15")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn order_of_arrival_does_not_matter(
        (name, events) in history(),
        seed in any::<u64>(),
    ) {
        let program = preset(&name);
        let mut shuffled = events.clone();
        // A deterministic shuffle from the seed (Fisher–Yates with a small LCG).
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (x >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(project(&program, &events, end()), project(&program, &shuffled, end()));
    }

    #[test]
    fn applying_an_event_twice_changes_nothing(
        (name, events) in history(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..10),
    ) {
        let program = preset(&name);
        let mut doubled = events.clone();
        for pick in picks {
            doubled.push(pick.get(&events).clone());
        }
        prop_assert_eq!(project(&program, &events, end()), project(&program, &doubled, end()));
    }

    #[test]
    fn points_are_never_created_or_overdrawn((name, events) in history()) {
        let program = preset(&name);
        let by_id: HashMap<EventId, &Event> = events.iter().map(|e| (e.id, e)).collect();
        // Every prefix of the timeline, not only the end.
        for on in ["2026-06-30", "2027-03-01", "2027-12-31", "2029-01-15"] {
            let s = project(&program, &events, day(on));
            prop_assert!(s.points.get() + s.measures.points_redeemed.get() <= s.measures.points_earned.get());
            let requested: u64 = events
                .iter()
                .filter(|e| e.at.date() <= day(on))
                .filter_map(|e| match &e.body { EventBody::PointsRedeemed { points, .. } => Some(points.get()), _ => None })
                .sum();
            let overdrawn: u64 = s.violations.iter().filter_map(|v| match v {
                Violation::PointsOverdrawn { requested, .. } => Some(requested.get()),
                _ => None,
            }).sum();
            let refused: u64 = s.violations.iter().filter_map(|v| match v {
                Violation::Rejected { event, .. } => match &by_id[event].body {
                    EventBody::PointsRedeemed { points, .. } => Some(points.get()),
                    _ => None,
                },
                _ => None,
            }).sum();
            prop_assert_eq!(s.measures.points_redeemed.get() + overdrawn + refused, requested);
            for b in &s.benefits {
                if let (Some(left), carclub_shared::program::Benefit::Allowance { per_year, .. }) = (b.remaining, &b.benefit) {
                    prop_assert!(left <= *per_year);
                }
            }
        }
    }

    #[test]
    fn state_json_round_trips((name, events) in history()) {
        let program = preset(&name);
        let s = project(&program, &events, end());
        let back: MemberState = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        prop_assert_eq!(back, s);
        for (i, e) in events.iter().enumerate() {
            let back: Event = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
            prop_assert_eq!(&back, e);
            // The body reads as serde's own internally tagged reader reads it, also when changed.
            let mut body = serde_json::to_value(e).unwrap();
            for envelope in ["id", "at", "device", "seq", "author"] {
                body.as_object_mut().unwrap().remove(envelope);
            }
            let variations = if i < 3 {
                carclub_shared::tagged::variations(&body)
            } else {
                vec![body]
            };
            for value in variations {
                let alike = carclub_shared::tagged::reads_alike(
                    serde_json::from_value::<EventBody>(value.clone()),
                    EventBody::reference_from_value(value.clone()),
                );
                prop_assert!(alike.is_ok(), "{}: {:?}", value, alike);
            }
        }
    }
}

/// A deterministic shuffle from `seed` (Fisher–Yates with a small LCG).
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..items.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items.swap(i, (x >> 33) as usize % (i + 1));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// One projection on both sides (issue 14 item 4): a member's phone projects the server's
    /// events plus its own pending ones (`optimistic`); once the server has accepted the pending
    /// ones — after other devices' events, in whatever order they arrive — its projection is
    /// the same, state and ledger, on every day. Answers to invitations, which the server keeps
    /// on the club event and not with the member, change neither.
    #[test]
    fn the_phones_projection_is_the_servers_once_it_accepts_the_pending_events(
        (name, events) in history(),
        split in prop::collection::vec(0..3u8, 40),
        answers in prop::collection::vec((0..1100i64, any::<bool>()), 0..4),
        seed in any::<u64>(),
    ) {
        let program = preset(&name);
        // Each event is the server's before the phone went offline, another device's that
        // reaches the server while the phone is offline, or one the phone recorded offline.
        let (mut before, mut others, mut pending) = (Vec::new(), Vec::new(), Vec::new());
        for (i, e) in events.iter().enumerate() {
            match split[i % split.len()] {
                0 => before.push(e.clone()),
                1 => others.push(e.clone()),
                _ => pending.push(e.clone()),
            }
        }
        let member = events[0].member().expect("about the member");
        let template = events.last().expect("an event").clone();
        for (i, (offset, attending)) in answers.into_iter().enumerate() {
            let on = day("2026-01-01") + time::Duration::days(offset);
            pending.push(Event {
                id: EventId(uuid::Uuid::from_u128(0xa000 + i as u128)),
                at: Timestamp::start_of(on),
                seq: 10_000 + i as u64,
                body: EventBody::InvitationAnswered {
                    member,
                    activity: ActivityId(uuid::Uuid::from_u128(7)),
                    attending,
                },
                ..template.clone()
            });
        }
        // The phone synced the other devices' events; its own are not answered yet.
        let synced: Vec<Event> = before.iter().chain(&others).cloned().collect();
        let phone = optimistic(&synced, &pending);
        // The server receives the phone's events in any order and keeps them with the member.
        let mut arrived = pending.clone();
        shuffle(&mut arrived, seed);
        let mut server = synced;
        server.extend(arrived.into_iter().filter(|e| kept_with_member(&e.body)));
        for on in ["2026-03-31", "2027-06-30", "2029-01-15"] {
            prop_assert_eq!(
                project(&program, &phone, day(on)),
                project(&program, &server, day(on))
            );
            prop_assert_eq!(
                ledger(&program, &phone, day(on)),
                ledger(&program, &server, day(on))
            );
        }
    }
}
