//! Complaints and club events through the API (DOMAIN.md §6): each complaint level lands with its
//! owner and a 3-day deadline, escalation moves the owner, a late answer is flagged, closing needs
//! an answer, a member sees only their own complaints; a club event invites exactly its segment,
//! members answer for themselves, and attendance earns the program's points once.

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::{ADMIN_PASSWORD, Server};
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn ts(ms: i64) -> String {
    serde_json::to_value(carclub_shared::Timestamp::from_millis(ms))
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn ms(v: &Value) -> i64 {
    carclub_shared::Timestamp::parse(v.as_str().expect("a time"))
        .expect("an RFC 3339 time")
        .millis()
}

/// A store on preset B with staff, two active members and a pending one.
struct Club {
    server: Server,
    _tmp: tempfile::TempDir,
    admin: String,
    store: String,
    members: [String; 3],
}

fn club() -> Club {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let admin = server.login("admin", ADMIN_PASSWORD);
    let store = create_store(&server, &admin, "北店", "B");
    create_user(&server, &admin, "gm", "general_manager", &store);
    create_user(&server, &admin, "cm", "club_manager", &store);
    let cm = server.login("cm", PASSWORD);
    for (name, role) in [
        ("field", "field_staff"),
        ("fin", "finance"),
        ("care", "care_specialist"),
        ("rec", "reception"),
        ("act", "activity_specialist"),
    ] {
        create_user(&server, &cm, name, role, &store);
    }
    let mut phone = JournalDevice::register(&server, "field", PASSWORD);
    let m1 = phone.enroll(30, "陈静", 1, "guest", 30000);
    let m2 = phone.enroll(30, "刘洋", 2, "guest", 30000);
    let m3 = phone.enroll(30, "王芳", 3, "guest", 30000);
    phone.sync(&server);
    for m in [&m1, &m3] {
        let (s, v) = operate(&server, &cm, m, json!({"type": "enrollment_approved"}));
        assert_eq!(s, 200, "{v}");
    }
    Club {
        server,
        _tmp: tmp,
        admin,
        store,
        members: [m1, m2, m3],
    }
}

/// A member's own login.
fn member_login(server: &Server, staff: &str, member: &str, username: &str) -> String {
    let (s, inv) = server.post(
        &format!("/api/members/{member}/invitations"),
        &json!({}),
        Some(staff),
    );
    assert_eq!(s, 201, "{inv}");
    let (s, v) = server.post(
        "/api/member-signup",
        &json!({"code": inv["code"], "username": username, "password": "member-pw-123"}),
        None,
    );
    assert_eq!(s, 201, "{v}");
    server.login(username, "member-pw-123")
}

fn complaints(server: &Server, token: &str, query: &str) -> Vec<Value> {
    let (s, v) = server.get(&format!("/api/complaints{query}"), Some(token));
    assert_eq!(s, 200, "{v}");
    v["complaints"].as_array().unwrap().clone()
}

fn ids(list: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = list
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn complaints_from_filing_to_closing() {
    let c = club();
    let server = &c.server;
    let [m1, m2, _] = &c.members;
    let rec = server.login("rec", PASSWORD);
    let cm = server.login("cm", PASSWORD);
    let gm = server.login("gm", PASSWORD);
    let fin = server.login("fin", PASSWORD);

    // Each level lands with its owner and a deadline 3 days after filing.
    let mut by_level = std::collections::BTreeMap::new();
    for (level, owner, channel) in [
        ("grumble", "reception", "counter"),
        ("complaint", "club_manager", "phone"),
        ("claim", "general_manager", "letter"),
        ("major", "general_manager", "hotline"),
        ("crisis", "general_manager", "comments_book"),
    ] {
        let before = now_ms();
        let (s, v) = server.post(
            "/api/complaints",
            &json!({"channel": channel, "level": level, "text": format!("{level}: 等候时间太长"), "member": m1}),
            Some(&rec),
        );
        assert_eq!(s, 201, "{level}: {v}");
        assert_eq!(v["owner"], owner, "{level}: {v}");
        assert_eq!(v["level"], level);
        assert_eq!(v["member"], m1.as_str());
        assert_eq!(v["open"], true);
        assert_eq!(v["overdue"], false);
        let filed = ms(&v["filed_at"]);
        assert!(filed >= before - 1000 && filed <= now_ms() + 1000, "{v}");
        assert_eq!(ms(&v["deadline"]) - filed, 3 * DAY_MS, "{v}");
        by_level.insert(level, v["id"].as_str().unwrap().to_owned());
    }

    // Escalation to a higher level moves the owner; not to the same or a lower one.
    let grumble = &by_level["grumble"];
    let (s, v) = server.post(
        &format!("/api/complaints/{grumble}/escalate"),
        &json!({"level": "complaint", "reason": "客户不满意答复"}),
        Some(&rec),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["owner"], "club_manager");
    assert_eq!(v["escalations"].as_array().unwrap().len(), 1);
    let (s, v) = server.post(
        &format!("/api/complaints/{grumble}/escalate"),
        &json!({"level": "grumble", "reason": "降级"}),
        Some(&cm),
    );
    assert_eq!(s, 409, "{v}");

    // The reception cannot answer what the club manager now owns; nothing changes.
    let (s, v) = server.post(
        &format!("/api/complaints/{grumble}/answer"),
        &json!({"text": "已处理"}),
        Some(&rec),
    );
    assert_eq!(s, 403, "{v}");
    let (_, v) = server.get(&format!("/api/complaints/{grumble}"), Some(&cm));
    assert!(v["answer"].is_null(), "{v}");

    // Closing needs an answer first; an answer in time is not late; closing twice is refused.
    let (s, v) = server.post(
        &format!("/api/complaints/{grumble}/close"),
        &json!({}),
        Some(&cm),
    );
    assert_eq!(s, 409, "{v}");
    let (s, v) = server.post(
        &format!("/api/complaints/{grumble}/answer"),
        &json!({"text": "已向客户道歉并改进排队"}),
        Some(&cm),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["answer"]["late"], false, "{v}");
    let (s, v) = server.post(
        &format!("/api/complaints/{grumble}/answer"),
        &json!({"text": "再答一次"}),
        Some(&cm),
    );
    assert_eq!(s, 409, "answering twice: {v}");
    let (s, v) = server.post(
        &format!("/api/complaints/{grumble}/close"),
        &json!({}),
        Some(&cm),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["open"], false);
    let (s, _) = server.post(
        &format!("/api/complaints/{grumble}/close"),
        &json!({}),
        Some(&cm),
    );
    assert_eq!(s, 409);

    // A letter keyed in 10 days late: overdue until answered, and the answer is flagged late.
    let (s, old) = server.post(
        "/api/complaints",
        &json!({"channel": "letter", "level": "claim", "text": "维修后漏油，要求赔偿", "member": m2,
                "filed_at": ts(now_ms() - 10 * DAY_MS)}),
        Some(&rec),
    );
    assert_eq!(s, 201, "{old}");
    assert_eq!(old["overdue"], true, "{old}");
    let old_id = old["id"].as_str().unwrap().to_owned();
    let overdue = complaints(server, &cm, "?overdue=true");
    assert_eq!(
        ids(&overdue),
        vec![old_id.clone()],
        "only the old letter is overdue"
    );
    // The club manager cannot answer a claim (the general manager's).
    let (s, _) = server.post(
        &format!("/api/complaints/{old_id}/answer"),
        &json!({"text": "x"}),
        Some(&cm),
    );
    assert_eq!(s, 403);
    let (s, v) = server.post(
        &format!("/api/complaints/{old_id}/answer"),
        &json!({"text": "同意赔偿维修费用", "at": ts(now_ms() - 2 * DAY_MS)}),
        Some(&gm),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["answer"]["late"], true, "{v}");
    assert_eq!(v["overdue"], false, "answered: no longer overdue");
    assert!(complaints(server, &cm, "?overdue=true").is_empty());

    // Listing filters.
    let open = complaints(server, &cm, "?open=true");
    assert_eq!(open.len(), 5, "four levels left open plus the letter");
    assert!(!ids(&open).contains(grumble));
    let closed = complaints(server, &cm, "?open=false");
    assert_eq!(ids(&closed), vec![grumble.clone()]);
    let gm_owned = complaints(server, &cm, "?owner=general_manager");
    assert_eq!(gm_owned.len(), 4);
    assert_eq!(complaints(server, &cm, "").len(), 6);

    // A member files about themselves and sees only their own complaints.
    let care = server.login("care", PASSWORD);
    let me = member_login(server, &care, m2, "liuyang");
    let (s, mine) = server.post(
        "/api/complaints",
        &json!({"channel": "hotline", "level": "grumble", "text": "洗车券没有收到"}),
        Some(&me),
    );
    assert_eq!(s, 201, "{mine}");
    assert_eq!(mine["member"], m2.as_str(), "filed about themselves");
    let (s, v) = server.post(
        "/api/complaints",
        &json!({"channel": "hotline", "level": "grumble", "text": "冒名投诉", "member": m1}),
        Some(&me),
    );
    assert_eq!(s, 403, "about somebody else: {v}");
    let seen = complaints(server, &me, "");
    assert_eq!(
        ids(&seen),
        sorted(vec![
            old_id.clone(),
            mine["id"].as_str().unwrap().to_owned()
        ])
    );
    let (s, _) = server.get(&format!("/api/complaints/{grumble}"), Some(&me));
    assert_eq!(s, 403, "another member's complaint");
    let (s, _) = server.post(
        &format!("/api/complaints/{old_id}/close"),
        &json!({}),
        Some(&me),
    );
    assert_eq!(s, 403, "members do not close complaints");

    // Forbidden roles: 403 and nothing changes.
    let total = complaints(server, &cm, "").len();
    let (s, _) = server.get("/api/complaints", Some(&fin));
    assert_eq!(s, 403);
    let crisis = &by_level["crisis"];
    let (s, _) = server.post(
        &format!("/api/complaints/{crisis}/escalate"),
        &json!({"level": "crisis", "reason": "x"}),
        Some(&fin),
    );
    assert_eq!(s, 403);
    let (s, _) = server.post(
        &format!("/api/complaints/{crisis}/answer"),
        &json!({"text": "x"}),
        Some(&fin),
    );
    assert_eq!(s, 403);
    let (_, v) = server.get(&format!("/api/complaints/{crisis}"), Some(&cm));
    assert!(v["answer"].is_null() && v["open"] == true, "{v}");

    // Bad input: 4xx and nothing stored.
    for body in [
        json!({"channel": "counter", "level": "catastrophe", "text": "x"}),
        json!({"channel": "fax", "level": "grumble", "text": "x"}),
        json!({"channel": "counter", "level": "grumble", "text": "   "}),
        json!({"channel": "counter", "level": "grumble"}),
        json!({"channel": "counter", "level": "grumble", "text": "x", "filed_at": ts(now_ms() + 2 * DAY_MS)}),
        json!({"channel": "counter", "level": "grumble", "text": "x", "filed_at": ts(now_ms() - 1200 * DAY_MS)}),
        json!({"channel": "counter", "level": "grumble", "text": "x", "member": "not-a-uuid"}),
        json!({"channel": "counter", "level": "grumble", "text": "x", "extra": 1}),
    ] {
        let (s, v) = server.post("/api/complaints", &body, Some(&rec));
        assert_eq!(s, 400, "{body}: {v}");
    }
    let (s, v) = server.post(
        "/api/complaints",
        &json!({"channel": "counter", "level": "grumble", "text": "x", "member": "0190b7e4-0000-7000-8000-000000000000"}),
        Some(&rec),
    );
    assert_eq!(s, 404, "unknown member: {v}");
    let unknown = "0190b7e4-0000-7000-8000-000000000001";
    let (s, _) = server.get(&format!("/api/complaints/{unknown}"), Some(&cm));
    assert_eq!(s, 404);
    let (s, _) = server.post(
        &format!("/api/complaints/{unknown}/answer"),
        &json!({"text": "x"}),
        Some(&cm),
    );
    assert_eq!(s, 404);
    let (s, _) = server.get("/api/complaints/nope", Some(&cm));
    assert_eq!(s, 400);
    let (s, v) = server.post(
        &format!("/api/complaints/{crisis}/escalate"),
        &json!({"level": "apocalypse", "reason": "x"}),
        Some(&gm),
    );
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        complaints(server, &cm, "").len(),
        total,
        "nothing was stored"
    );
    let (s, _) = server.get("/api/complaints", None);
    assert_eq!(s, 401);

    // Every change is in the audit log.
    let (s, v) = server.get("/api/audit?action=complaint_answered", Some(&c.admin));
    assert_eq!(s, 200);
    assert_eq!(v["records"].as_array().unwrap().len(), 2, "{v}");
}

#[test]
fn club_event_invitations_rsvp_and_attendance() {
    let c = club();
    let server = &c.server;
    let [m1, m2, m3] = &c.members;
    let cm = server.login("cm", PASSWORD);
    let act = server.login("act", PASSWORD);
    let care = server.login("care", PASSWORD);
    let fin = server.login("fin", PASSWORD);
    let starts = ts(now_ms() + 7 * DAY_MS);

    // The segment picks exactly its members: active guests (m1, m3), not the pending m2.
    let (s, ev) = server.post(
        "/api/club-events",
        &json!({"title": "车主讲堂：冬季保养", "kind": "lecture", "starts_at": ts(now_ms() - 3_600_000),
                "place": "店内二楼", "capacity": 30, "segment": {"tiers": ["guest"], "statuses": ["active"]}}),
        Some(&act),
    );
    assert_eq!(s, 201, "{ev}");
    let invited: Vec<String> = ev["invited"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sorted(invited), sorted(vec![m1.clone(), m3.clone()]));
    assert_eq!(ev["points"], 10, "B: each club event 10 points");
    let id = ev["id"].as_str().unwrap().to_owned();

    let (s, v) = server.post(
        "/api/club-events",
        &json!({"title": "自驾游", "kind": "self_drive", "starts_at": starts, "place": "从化",
                "capacity": 10, "segment": {"statuses": ["pending"]}}),
        Some(&cm),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["invited"], json!([m2]));
    let (s, v) = server.post(
        "/api/club-events",
        &json!({"title": "派对", "kind": "party", "starts_at": starts, "place": "店内",
                "capacity": 10, "segment": {"tiers": ["silver"]}}),
        Some(&cm),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["invited"], json!([]), "nobody is silver");
    let party = v["id"].as_str().unwrap().to_owned();

    // Capacity: a full event refuses another yes until a place is given back.
    let (s, v) = server.post(
        "/api/club-events",
        &json!({"title": "试驾会", "kind": "other", "starts_at": starts, "place": "店外",
                "capacity": 1, "segment": {"tiers": ["guest"]}}),
        Some(&cm),
    );
    assert_eq!(s, 201, "{v}");
    let small = v["id"].as_str().unwrap().to_owned();
    let answer = |m: &str, yes: bool| {
        server
            .post(
                &format!("/api/club-events/{small}/rsvp"),
                &json!({"attending": yes, "member": m}),
                Some(&care),
            )
            .0
    };
    assert_eq!(answer(m1, true), 200);
    assert_eq!(answer(m3, true), 409, "full");
    assert_eq!(answer(m1, false), 200);
    assert_eq!(answer(m3, true), 200, "a place was given back");
    // Nobody attends an event before its day.
    let (s, v) = server.post(
        &format!("/api/club-events/{small}/attendance"),
        &json!({"member": m3}),
        Some(&act),
    );
    assert_eq!(s, 409, "{v}");

    // Bad events and forbidden roles.
    for body in [
        json!({"title": "x", "kind": "concert", "starts_at": starts, "place": "y", "capacity": 1}),
        json!({"title": "", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1}),
        json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 0}),
        json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1, "segment": {"tiers": ["gold"]}}),
        json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1, "segment": {"statuses": ["happy"]}}),
    ] {
        let (s, v) = server.post("/api/club-events", &body, Some(&cm));
        assert_eq!(s, 400, "{body}: {v}");
    }
    let (s, _) = server.post(
        "/api/club-events",
        &json!({"title": "x", "kind": "party", "starts_at": starts, "place": "y", "capacity": 1}),
        Some(&fin),
    );
    assert_eq!(s, 403);
    let (s, v) = server.get("/api/club-events", Some(&cm));
    assert_eq!(s, 200);
    assert_eq!(v["events"].as_array().unwrap().len(), 4);

    // The member answers for themselves, and not for anybody else.
    let me = member_login(server, &care, m1, "chenjing");
    let (s, v) = server.post(
        &format!("/api/club-events/{id}/rsvp"),
        &json!({"attending": true}),
        Some(&me),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rsvp"]["attending"], true, "{v}");
    let (s, _) = server.post(
        &format!("/api/club-events/{id}/rsvp"),
        &json!({"attending": true, "member": m3}),
        Some(&me),
    );
    assert_eq!(s, 403, "a member answers only for themselves");
    let (s, v) = server.post(
        &format!("/api/club-events/{party}/rsvp"),
        &json!({"attending": true}),
        Some(&me),
    );
    assert_eq!(s, 403, "the member's own login, not invited: {v}");
    let (_, v) = server.get(&format!("/api/club-events/{party}"), Some(&cm));
    assert_eq!(v["rsvps"], json!({}), "nothing recorded: {v}");
    // Staff record an answer for an invited member, but not for one who is not invited.
    let (s, v) = server.post(
        &format!("/api/club-events/{id}/rsvp"),
        &json!({"attending": false, "member": m3}),
        Some(&care),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = server.post(
        &format!("/api/club-events/{id}/rsvp"),
        &json!({"attending": true, "member": m2}),
        Some(&care),
    );
    assert_eq!(s, 403, "not invited: {v}");
    let (_, v) = server.get(&format!("/api/club-events/{id}"), Some(&cm));
    assert_eq!(v["accepted"], 1, "{v}");
    assert_eq!(v["rsvps"].as_object().unwrap().len(), 2, "{v}");
    assert!(v["rsvps"].get(m2.as_str()).is_none());
    // The member sees the events they are invited to, with their own answer only.
    let (s, v) = server.get("/api/club-events", Some(&me));
    assert_eq!(s, 200);
    let seen = v["events"].as_array().unwrap();
    assert_eq!(seen.len(), 2, "the lecture and the test drive: {v}");
    assert!(seen.iter().any(|e| e["id"] == id.as_str()));
    assert!(seen[0]["rsvps"].is_null(), "{v}");

    // Attendance earns the program's points once.
    let points = |m: &str| {
        let (s, f) = file(server, &cm, m);
        assert_eq!(s, 200, "{f}");
        f["state"]["points"].as_u64().unwrap()
    };
    let before = points(m1);
    let (s, _) = server.post(
        &format!("/api/club-events/{id}/attendance"),
        &json!({"member": m1}),
        Some(&fin),
    );
    assert_eq!(s, 403, "finance does not record attendance");
    assert_eq!(points(m1), before);
    let (s, v) = server.post(
        &format!("/api/club-events/{id}/attendance"),
        &json!({"member": m1}),
        Some(&act),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(points(m1), before + 10);
    let (s, v) = server.post(
        &format!("/api/club-events/{id}/attendance"),
        &json!({"member": m1}),
        Some(&act),
    );
    assert_eq!(s, 409, "attending twice: {v}");
    assert_eq!(points(m1), before + 10, "earned once");
    let (_, v) = server.get(&format!("/api/club-events/{id}"), Some(&cm));
    assert_eq!(v["attended"].as_object().unwrap().len(), 1, "{v}");
    let (s, v) = server.get("/api/audit?action=event_attended", Some(&cm));
    assert_eq!(s, 200);
    assert_eq!(v["records"].as_array().unwrap().len(), 1, "{v}");
    let (s, _) = server.post(
        &format!("/api/club-events/{id}/attendance"),
        &json!({"member": "0190b7e4-0000-7000-8000-000000000000"}),
        Some(&act),
    );
    assert_eq!(s, 404);
    let _ = (&c.store, &c.admin);
}

#[test]
fn partners_and_corporate_agreements() {
    let c = club();
    let server = &c.server;
    let [m1, ..] = &c.members;
    let cm = server.login("cm", PASSWORD);
    let act = server.login("act", PASSWORD);
    let fin = server.login("fin", PASSWORD);
    let care = server.login("care", PASSWORD);
    let today = &ts(now_ms())[..10];
    let year_later = &ts(now_ms() + 365 * DAY_MS)[..10];

    // Partners: created by the activity specialist, listed, deactivated once.
    let (s, hotel) = server.post(
        "/api/partners",
        &json!({"name": "白云宾馆", "kind": "hotel", "discount": "会员房价八五折",
                "valid_from": today, "valid_until": year_later}),
        Some(&act),
    );
    assert_eq!(s, 201, "{hotel}");
    assert_eq!(hotel["active"], true);
    let (s, wash) = server.post(
        "/api/partners",
        &json!({"name": "洁车坊", "kind": "car_wash", "discount": "洗车九折",
                "valid_from": "2020-01-01", "valid_until": "2020-12-31"}),
        Some(&cm),
    );
    assert_eq!(s, 201, "{wash}");
    for body in [
        json!({"name": "x", "kind": "spa", "discount": "y", "valid_from": today, "valid_until": today}),
        json!({"name": "", "kind": "hotel", "discount": "y", "valid_from": today, "valid_until": today}),
        json!({"name": "x", "kind": "hotel", "discount": "y", "valid_from": year_later, "valid_until": today}),
        json!({"name": "x", "kind": "hotel", "discount": "y", "valid_from": "2020-02-30", "valid_until": today}),
    ] {
        let (s, v) = server.post("/api/partners", &body, Some(&cm));
        assert_eq!(s, 400, "{body}: {v}");
    }
    let (s, _) = server.post(
        "/api/partners",
        &json!({"name": "x", "kind": "hotel", "discount": "y", "valid_from": today, "valid_until": today}),
        Some(&fin),
    );
    assert_eq!(s, 403);
    let list = |token: &str, q: &str| {
        let (s, v) = server.get(&format!("/api/partners{q}"), Some(token));
        assert_eq!(s, 200, "{v}");
        v["partners"].as_array().unwrap().len()
    };
    assert_eq!(list(&cm, ""), 2);
    assert_eq!(
        list(&cm, "?current=true"),
        1,
        "the car wash's dates are past"
    );
    let me = member_login(server, &care, m1, "chenjing");
    assert_eq!(list(&me, ""), 1, "a member sees what they can use today");
    let hotel_id = hotel["id"].as_str().unwrap();
    let (s, _) = server.post(
        &format!("/api/partners/{hotel_id}/deactivate"),
        &json!({}),
        Some(&fin),
    );
    assert_eq!(s, 403);
    let (s, v) = server.post(
        &format!("/api/partners/{hotel_id}/deactivate"),
        &json!({}),
        Some(&act),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["active"], false);
    let (s, _) = server.post(
        &format!("/api/partners/{hotel_id}/deactivate"),
        &json!({}),
        Some(&act),
    );
    assert_eq!(s, 409);
    assert_eq!(list(&me, ""), 0);
    assert_eq!(list(&cm, ""), 2, "deactivated, not deleted");

    // Corporate agreements: a one-year term, a service advisor of the store, check days inside.
    let sa = create_user(server, &cm, "sa", "service_advisor", &c.store);
    let other = create_store(server, &c.admin, "南店", "A");
    let sa2 = create_user(server, &c.admin, "sa2", "service_advisor", &other);
    let agreement = |advisor: &str, days: Value| {
        json!({"company": "广州某物流有限公司", "term_start": "2026-03-01",
               "fleet_price_note": "车队价：指导价下浮5%", "contact": {"name": "李经理", "phone": "13800138000"},
               "service_advisor": advisor, "on_site_check_days": days})
    };
    let (s, a) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa, json!(["2026-07-15", "2026-12-10"])),
        Some(&cm),
    );
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["term_end"], "2027-02-28", "{a}");
    assert_eq!(a["on_site_check_days"], json!(["2026-07-15", "2026-12-10"]));
    let (s, v) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa2, json!([])),
        Some(&cm),
    );
    assert_eq!(s, 422, "an advisor of another store: {v}");
    let (s, v) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa, json!(["2027-03-01"])),
        Some(&cm),
    );
    assert_eq!(s, 400, "a check day after the term: {v}");
    let mut bad_phone = agreement(&sa, json!([]));
    bad_phone["contact"]["phone"] = json!("12345");
    let (s, v) = server.post("/api/corporate-accounts", &bad_phone, Some(&cm));
    assert_eq!(s, 400, "{v}");
    let (s, _) = server.post(
        "/api/corporate-accounts",
        &agreement(&sa, json!([])),
        Some(&act),
    );
    assert_eq!(s, 403);
    let (s, v) = server.get(
        "/api/corporate-accounts",
        Some(&server.login("sa", PASSWORD)),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["agreements"].as_array().unwrap().len(),
        1,
        "nothing else stored"
    );
    let (s, _) = server.get("/api/corporate-accounts", Some(&me));
    assert_eq!(s, 403);
    let (s, v) = server.get(
        &format!("/api/corporate-accounts/{}", a["id"].as_str().unwrap()),
        Some(&cm),
    );
    assert_eq!(s, 200);
    assert_eq!(v["company"], "广州某物流有限公司");
}
