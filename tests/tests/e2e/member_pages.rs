//! The member list pages: 2,500 members read 100 at a time, each found exactly once, while members
//! are being added — some of them with ids that sort before the page being read.

use std::collections::{BTreeSet, HashMap};

use carclub_shared::EventId;
use carclub_tests::journal::JournalDevice;
use carclub_tests::{ADMIN_PASSWORD, Server, TestServer};
use serde_json::{Value, json};

const MEMBERS: u32 = 2_500;
const PAGE: usize = 100;

/// Enrolls member `id` (number `n`) at the desk on `device`.
fn enroll(device: &mut JournalDevice, id: &str, n: u32) {
    let card = device.next_card();
    device.record(
        1,
        json!({
            "type": "enrolled", "member": id,
            "person": {"name": format!("会员{n}"), "phone": format!("139{n:08}")},
            "vehicle": {"vin": format!("LSVAU2180N{n:07}"), "plate": format!("粤B{n:05}")},
            "tier": "standard", "channel": {"kind": "desk"}, "fee": 18000,
            "receipt": format!("R-{n}"), "card": card
        }),
    );
}

/// One page of the list; the ids and the cursor of the next page.
fn page(server: &Server, token: &str, after: Option<&str>) -> (Vec<String>, Option<String>) {
    let mut path = format!("/api/members?limit={PAGE}");
    if let Some(a) = after {
        path.push_str(&format!("&after={a}"));
    }
    let (status, body) = server.get(&path, Some(token));
    assert_eq!(status, 200, "{path}: {body}");
    let ids = body["members"]
        .as_array()
        .expect("a members list")
        .iter()
        .map(|m| m["id"].as_str().expect("an id").to_owned())
        .collect::<Vec<_>>();
    assert!(ids.len() <= PAGE, "a page holds at most {PAGE} members");
    let next = match &body["next"] {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => panic!("next is a member id or null, not {other}"),
    };
    (ids, next)
}

#[test]
fn paging_through_2500_members_finds_each_exactly_once_while_members_are_added() {
    let server = TestServer::start();
    let admin = server.admin();

    // Ids of members enrolled later, made now: they sort among the first ones.
    let early_late: Vec<String> = (0..40).map(|_| EventId::new().to_string()).collect();

    let mut seeded = BTreeSet::new();
    let mut n = 0;
    while n < MEMBERS {
        let mut device = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
        for _ in 0..200.min(MEMBERS - n) {
            n += 1;
            let id = EventId::new().to_string();
            enroll(&mut device, &id, n);
            seeded.insert(id);
        }
        device.sync(&server);
    }

    let mut adder = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    let mut late = early_late.into_iter();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let (ids, next) = page(&server, &admin, after.as_deref());
        pages += 1;
        for id in ids {
            *seen.entry(id).or_default() += 1;
        }
        // Between pages, two members join: one whose id sorts before the cursor, one after.
        n += 1;
        enroll(&mut adder, &late.next().expect("an early id"), n);
        n += 1;
        enroll(&mut adder, &EventId::new().to_string(), n);
        adder.sync(&server);
        match next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
        assert!(pages < 100, "the pages never end");
    }

    let twice: Vec<_> = seen.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.is_empty(), "members listed twice: {twice:?}");
    let missing: Vec<_> = seeded.iter().filter(|id| !seen.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of the {MEMBERS} members were never listed",
        missing.len()
    );
    assert!(
        pages >= MEMBERS as usize / PAGE,
        "{pages} pages for {MEMBERS} members"
    );
}

#[test]
fn a_search_answers_from_the_start_of_a_name_and_either_end_of_a_number() {
    let server = TestServer::start();
    let admin = server.admin();
    let mut device = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
    let ids: Vec<String> = (1..=3).map(|_| EventId::new().to_string()).collect();
    for (i, id) in ids.iter().enumerate() {
        enroll(&mut device, id, 41 + i as u32);
    }
    device.sync(&server);
    let found = |q: &str| -> Vec<String> {
        server
            .members(&admin, q)
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // 会员41's phone is 13900000041, VIN LSVAU2180N0000041, plate 粤B00041.
    assert_eq!(found("会员41"), vec![ids[0].clone()], "the whole name");
    assert_eq!(found("会员4").len(), 3, "the start of a name");
    assert_eq!(
        found("0042"),
        vec![ids[1].clone()],
        "the last digits of a phone"
    );
    assert_eq!(found("1390000004").len(), 3, "the start of a phone");
    assert_eq!(found("N0000043"), vec![ids[2].clone()], "the end of a VIN");
    assert_eq!(
        found("lsvau2180n0000041"),
        vec![ids[0].clone()],
        "a VIN in lower case"
    );
    assert_eq!(found("粤B00042"), vec![ids[1].clone()], "a plate");
    assert!(found("99999").is_empty(), "nothing matches");
}
