//! Club events (DOMAIN.md §6): an event invites exactly its segment, has its places, members
//! answer for themselves, and attendance earns the program's points once.

use carclub_tests::accounts::{file, member_login};
use carclub_tests::time::{DAY_MS, now_ms, ts};
use serde_json::{Value, json};

use super::{Club, club, sorted};

/// Creates an event as `token`; the event.
fn create(c: &Club, token: &str, event: Value) -> Value {
    let (s, v) = c.server.post("/api/club-events", &event, Some(token));
    assert_eq!(s, 201, "{v}");
    v
}

fn id(event: &Value) -> String {
    event["id"].as_str().unwrap().to_owned()
}

/// A lecture that began an hour ago, for the active guests (the first and third member).
fn lecture(c: &Club) -> Value {
    create(
        c,
        &c.login("act"),
        json!({"title": "车主讲堂：冬季保养", "kind": "lecture", "starts_at": ts(now_ms() - 3_600_000),
                "place": "店内二楼", "capacity": 30, "segment": {"tiers": ["guest"], "statuses": ["active"]}}),
    )
}

/// A self-drive tour next week for the pending members (the second).
fn self_drive(c: &Club) -> Value {
    create(
        c,
        &c.login("cm"),
        json!({"title": "自驾游", "kind": "self_drive", "starts_at": ts(now_ms() + 7 * DAY_MS), "place": "从化",
                "capacity": 10, "segment": {"statuses": ["pending"]}}),
    )
}

/// A party next week for silver members (nobody).
fn party(c: &Club) -> Value {
    create(
        c,
        &c.login("cm"),
        json!({"title": "派对", "kind": "party", "starts_at": ts(now_ms() + 7 * DAY_MS), "place": "店内",
                "capacity": 10, "segment": {"tiers": ["silver"]}}),
    )
}

/// A test drive next week for every guest, with one place.
fn test_drive(c: &Club) -> Value {
    create(
        c,
        &c.login("cm"),
        json!({"title": "试驾会", "kind": "other", "starts_at": ts(now_ms() + 7 * DAY_MS), "place": "店外",
                "capacity": 1, "segment": {"tiers": ["guest"]}}),
    )
}

/// Records an answer to `event` as `token`, for `member` or for the login's own member.
fn rsvp(c: &Club, token: &str, event: &str, member: Option<&str>, yes: bool) -> (u16, Value) {
    let mut body = json!({"attending": yes});
    if let Some(m) = member {
        body["member"] = json!(m);
    }
    c.server.post(
        &format!("/api/club-events/{event}/rsvp"),
        &body,
        Some(token),
    )
}

fn points(c: &Club, member: &str) -> u64 {
    let (s, f) = file(&c.server, &c.login("cm"), member);
    assert_eq!(s, 200, "{f}");
    f["state"]["points"].as_u64().unwrap()
}

fn attend(c: &Club, token: &str, event: &str, member: &str) -> (u16, Value) {
    c.server.post(
        &format!("/api/club-events/{event}/attendance"),
        &json!({"member": member}),
        Some(token),
    )
}

#[test]
fn an_event_invites_exactly_its_segment() {
    let c = club();
    let [m1, m2, m3] = &c.members;
    // Active guests (m1, m3), not the pending m2.
    let ev = lecture(&c);
    let invited: Vec<String> = ev["invited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sorted(invited), sorted(vec![m1.clone(), m3.clone()]));
    assert_eq!(ev["points"], 10, "B: each club event 10 points");
    assert_eq!(self_drive(&c)["invited"], json!([m2]));
    assert_eq!(party(&c)["invited"], json!([]), "nobody is silver");
}

#[test]
fn a_full_event_refuses_another_yes_until_a_place_is_given_back() {
    let c = club();
    let [m1, _, m3] = &c.members;
    let small = id(&test_drive(&c));
    let care = c.login("care");
    let answer = |m: &str, yes: bool| rsvp(&c, &care, &small, Some(m), yes).0;
    assert_eq!(answer(m1, true), 200);
    assert_eq!(answer(m3, true), 409, "full");
    assert_eq!(answer(m1, false), 200);
    assert_eq!(answer(m3, true), 200, "a place was given back");
}

#[test]
fn nobody_attends_an_event_before_its_day() {
    let c = club();
    let small = id(&test_drive(&c));
    let (s, v) = attend(&c, &c.login("act"), &small, &c.members[2]);
    assert_eq!(s, 409, "{v}");
}

#[test]
fn bad_events_and_roles_without_the_permission_are_refused_and_nothing_is_stored() {
    let c = club();
    let cm = c.login("cm");
    for event in [lecture, self_drive, party, test_drive] {
        event(&c);
    }
    let starts = ts(now_ms() + 7 * DAY_MS);
    for body in [
        json!({"title": "x", "kind": "concert", "starts_at": starts, "place": "y", "capacity": 1}),
        json!({"title": "", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1}),
        json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 0}),
        json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1, "segment": {"statuses": ["happy"]}}),
    ] {
        let (s, v) = c.server.post("/api/club-events", &body, Some(&cm));
        assert_eq!(s, 400, "{body}: {v}");
    }
    // A tier the store's program does not have: well-formed, refused with 422.
    let (s, v) = c.server.post(
        "/api/club-events",
        &json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1, "segment": {"tiers": ["gold"]}}),
        Some(&cm),
    );
    assert_eq!(s, 422, "{v}");
    let (s, _) = c.server.post(
        "/api/club-events",
        &json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1}),
        Some(&c.login("fin")),
    );
    assert_eq!(s, 403);
    let (s, v) = c.server.get("/api/club-events", Some(&cm));
    assert_eq!(s, 200);
    assert_eq!(v["events"].as_array().unwrap().len(), 4);
}

#[test]
fn a_member_answers_only_for_themselves_and_only_when_invited() {
    let c = club();
    let [m1, _, m3] = &c.members;
    let lecture = id(&lecture(&c));
    let party = id(&party(&c));
    let me = member_login(&c.server, &c.login("care"), m1, "chenjing");
    let (s, v) = rsvp(&c, &me, &lecture, None, true);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rsvp"]["attending"], true, "{v}");
    let (s, _) = rsvp(&c, &me, &lecture, Some(m3), true);
    assert_eq!(s, 403, "a member answers only for themselves");
    let (s, v) = rsvp(&c, &me, &party, None, true);
    assert_eq!(s, 403, "the member's own login, not invited: {v}");
    let (_, v) = c
        .server
        .get(&format!("/api/club-events/{party}"), Some(&c.login("cm")));
    assert_eq!(v["rsvps"], json!({}), "nothing recorded: {v}");
}

#[test]
fn staff_record_an_answer_for_an_invited_member_only() {
    let c = club();
    let [m1, m2, m3] = &c.members;
    let lecture = id(&lecture(&c));
    let care = c.login("care");
    let me = member_login(&c.server, &care, m1, "chenjing");
    let (s, v) = rsvp(&c, &me, &lecture, None, true);
    assert_eq!(s, 200, "{v}");
    let (s, v) = rsvp(&c, &care, &lecture, Some(m3), false);
    assert_eq!(s, 200, "{v}");
    let (s, v) = rsvp(&c, &care, &lecture, Some(m2), true);
    assert_eq!(s, 403, "not invited: {v}");
    let (_, v) = c
        .server
        .get(&format!("/api/club-events/{lecture}"), Some(&c.login("cm")));
    assert_eq!(v["accepted"], 1, "{v}");
    assert_eq!(v["rsvps"].as_object().unwrap().len(), 2, "{v}");
    assert!(v["rsvps"].get(m2.as_str()).is_none());
}

#[test]
fn a_member_sees_the_events_they_are_invited_to_with_their_own_answer_only() {
    let c = club();
    let care = c.login("care");
    let lecture = id(&lecture(&c));
    for event in [self_drive, party, test_drive] {
        event(&c);
    }
    let me = member_login(&c.server, &care, &c.members[0], "chenjing");
    let (s, v) = rsvp(&c, &me, &lecture, None, true);
    assert_eq!(s, 200, "{v}");
    let (s, v) = rsvp(&c, &care, &lecture, Some(&c.members[2]), false);
    assert_eq!(s, 200, "{v}");
    let (s, v) = c.server.get("/api/club-events", Some(&me));
    assert_eq!(s, 200);
    let seen = v["events"].as_array().unwrap();
    assert_eq!(seen.len(), 2, "the lecture and the test drive: {v}");
    assert!(seen.iter().any(|e| e["id"] == lecture.as_str()));
    assert!(seen[0]["rsvps"].is_null(), "{v}");
}

#[test]
fn attendance_earns_the_programs_points_once_and_is_audited() {
    let c = club();
    let m1 = &c.members[0];
    let act = c.login("act");
    let id = id(&lecture(&c));
    let before = points(&c, m1);
    let (s, v) = attend(&c, &act, &id, m1);
    assert_eq!(s, 200, "{v}");
    assert_eq!(points(&c, m1), before + 10);
    let (s, v) = attend(&c, &act, &id, m1);
    assert_eq!(s, 409, "attending twice: {v}");
    assert_eq!(points(&c, m1), before + 10, "earned once");
    let cm = c.login("cm");
    let (_, v) = c.server.get(&format!("/api/club-events/{id}"), Some(&cm));
    assert_eq!(v["attended"].as_object().unwrap().len(), 1, "{v}");
    let (s, v) = c.server.get("/api/audit?action=event_attended", Some(&cm));
    assert_eq!(s, 200);
    assert_eq!(v["records"].as_array().unwrap().len(), 1, "{v}");
    let (s, _) = attend(&c, &act, &id, "0190b7e4-0000-7000-8000-000000000000");
    assert_eq!(
        s, 422,
        "a member not on file, named in the body of an event that exists"
    );
}

#[test]
fn finance_does_not_record_attendance() {
    let c = club();
    let m1 = &c.members[0];
    let id = id(&lecture(&c));
    let before = points(&c, m1);
    let (s, _) = attend(&c, &c.login("fin"), &id, m1);
    assert_eq!(s, 403, "finance does not record attendance");
    assert_eq!(points(&c, m1), before);
}
