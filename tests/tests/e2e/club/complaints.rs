//! Complaints (DOMAIN.md §6): each level lands with its owner and a 3-day deadline, escalation
//! moves the owner, a late answer is flagged, closing needs an answer, a member sees only their
//! own complaints.

use std::collections::BTreeMap;

use carclub_tests::accounts::member_login;
use carclub_tests::time::{DAY_MS, ms, now_ms, ts};
use serde_json::{Value, json};

use super::{Club, club, ids, sorted};

/// Each level, the role that owns it, and a channel it may come in by.
const LEVELS: [(&str, &str, &str); 5] = [
    ("grumble", "reception", "counter"),
    ("complaint", "club_manager", "phone"),
    ("claim", "general_manager", "letter"),
    ("major", "general_manager", "hotline"),
    ("crisis", "general_manager", "comments_book"),
];

fn complaints(c: &Club, token: &str, query: &str) -> Vec<Value> {
    let (s, v) = c
        .server
        .get(&format!("/api/complaints{query}"), Some(token));
    assert_eq!(s, 200, "{v}");
    v["complaints"].as_array().unwrap().clone()
}

/// Files a complaint at `level` about `member` as `token`; the complaint.
fn file(c: &Club, token: &str, level: &str, channel: &str, member: &str) -> Value {
    let (s, v) = c.server.post(
        "/api/complaints",
        &json!({"channel": channel, "level": level, "text": format!("{level}: 等候时间太长"), "member": member}),
        Some(token),
    );
    assert_eq!(s, 201, "{level}: {v}");
    v
}

/// POSTs `body` to `/api/complaints/{id}/{action}` as `token`.
fn act(c: &Club, token: &str, id: &str, action: &str, body: Value) -> (u16, Value) {
    c.server.post(
        &format!("/api/complaints/{id}/{action}"),
        &body,
        Some(token),
    )
}

/// A grumble about the first member, escalated by the reception to a complaint: the club
/// manager's now. Its id.
fn escalated_grumble(c: &Club) -> String {
    let rec = c.login("rec");
    let grumble = file(c, &rec, "grumble", "counter", &c.members[0]);
    let id = grumble["id"].as_str().unwrap().to_owned();
    let (s, v) = act(
        c,
        &rec,
        &id,
        "escalate",
        json!({"level": "complaint", "reason": "客户不满意答复"}),
    );
    assert_eq!(s, 200, "{v}");
    id
}

/// A claim about the second member, filed by letter ten days after it was written; its id.
fn late_letter(c: &Club) -> String {
    let (s, old) = c.server.post(
        "/api/complaints",
        &json!({"channel": "letter", "level": "claim", "text": "维修后漏油，要求赔偿", "member": c.members[1],
                "filed_at": ts(now_ms() - 10 * DAY_MS)}),
        Some(&c.login("rec")),
    );
    assert_eq!(s, 201, "{old}");
    old["id"].as_str().unwrap().to_owned()
}

/// What the first days bring: one complaint of each level about the first member; the grumble
/// escalated, answered and closed by the club manager; the late letter answered by the general
/// manager. The complaints by level, and the letter's id.
fn first_days(c: &Club) -> (BTreeMap<&'static str, String>, String) {
    let rec = c.login("rec");
    let cm = c.login("cm");
    let mut by_level = BTreeMap::new();
    for (level, _, channel) in LEVELS {
        let v = file(c, &rec, level, channel, &c.members[0]);
        by_level.insert(level, v["id"].as_str().unwrap().to_owned());
    }
    let grumble = &by_level["grumble"];
    let (s, v) = act(
        c,
        &rec,
        grumble,
        "escalate",
        json!({"level": "complaint", "reason": "客户不满意答复"}),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = act(
        c,
        &cm,
        grumble,
        "answer",
        json!({"text": "已向客户道歉并改进排队"}),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = act(c, &cm, grumble, "close", json!({}));
    assert_eq!(s, 200, "{v}");
    let old = late_letter(c);
    let (s, v) = act(
        c,
        &c.login("gm"),
        &old,
        "answer",
        json!({"text": "同意赔偿维修费用", "at": ts(now_ms() - 2 * DAY_MS)}),
    );
    assert_eq!(s, 200, "{v}");
    (by_level, old)
}

#[test]
fn each_level_lands_with_its_owner_and_a_deadline_three_days_after_filing() {
    let c = club();
    let rec = c.login("rec");
    let m1 = &c.members[0];
    for (level, owner, channel) in LEVELS {
        let before = now_ms();
        let (s, v) = c.server.post(
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
    }
}

#[test]
fn escalation_moves_a_complaint_up_to_the_new_levels_owner_and_never_down() {
    let c = club();
    let rec = c.login("rec");
    let cm = c.login("cm");
    let grumble = file(&c, &rec, "grumble", "counter", &c.members[0]);
    let grumble = grumble["id"].as_str().unwrap();
    let (s, v) = act(
        &c,
        &rec,
        grumble,
        "escalate",
        json!({"level": "complaint", "reason": "客户不满意答复"}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["owner"], "club_manager");
    assert_eq!(v["escalations"].as_array().unwrap().len(), 1);
    let (s, v) = act(
        &c,
        &cm,
        grumble,
        "escalate",
        json!({"level": "grumble", "reason": "降级"}),
    );
    assert_eq!(s, 409, "{v}");
}

#[test]
fn only_the_owner_of_a_complaint_answers_it() {
    let c = club();
    let cm = c.login("cm");
    // The reception cannot answer what the club manager now owns; nothing changes.
    let grumble = escalated_grumble(&c);
    let (s, v) = act(
        &c,
        &c.login("rec"),
        &grumble,
        "answer",
        json!({"text": "已处理"}),
    );
    assert_eq!(s, 403, "{v}");
    let (_, v) = c
        .server
        .get(&format!("/api/complaints/{grumble}"), Some(&cm));
    assert!(v["answer"].is_null(), "{v}");
    // The club manager cannot answer a claim (the general manager's).
    let claim = late_letter(&c);
    let (s, _) = act(&c, &cm, &claim, "answer", json!({"text": "x"}));
    assert_eq!(s, 403);
}

#[test]
fn a_complaint_is_closed_once_and_only_after_its_answer() {
    let c = club();
    let cm = c.login("cm");
    let grumble = escalated_grumble(&c);
    // Closing needs an answer first; an answer in time is not late; closing twice is refused.
    let (s, v) = act(&c, &cm, &grumble, "close", json!({}));
    assert_eq!(s, 409, "{v}");
    let (s, v) = act(
        &c,
        &cm,
        &grumble,
        "answer",
        json!({"text": "已向客户道歉并改进排队"}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["answer"]["late"], false, "{v}");
    let (s, v) = act(&c, &cm, &grumble, "answer", json!({"text": "再答一次"}));
    assert_eq!(s, 409, "answering twice: {v}");
    let (s, v) = act(&c, &cm, &grumble, "close", json!({}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["open"], false);
    let (s, _) = act(&c, &cm, &grumble, "close", json!({}));
    assert_eq!(s, 409);
}

#[test]
fn a_letter_keyed_in_late_is_overdue_until_answered_and_its_answer_is_flagged_late() {
    let c = club();
    let cm = c.login("cm");
    // A complaint filed today, not overdue, beside the letter.
    file(&c, &c.login("rec"), "grumble", "counter", &c.members[0]);
    let (s, old) = c.server.post(
        "/api/complaints",
        &json!({"channel": "letter", "level": "claim", "text": "维修后漏油，要求赔偿", "member": c.members[1],
                "filed_at": ts(now_ms() - 10 * DAY_MS)}),
        Some(&c.login("rec")),
    );
    assert_eq!(s, 201, "{old}");
    assert_eq!(old["overdue"], true, "{old}");
    let old_id = old["id"].as_str().unwrap().to_owned();
    let overdue = complaints(&c, &cm, "?overdue=true");
    assert_eq!(
        ids(&overdue),
        vec![old_id.clone()],
        "only the old letter is overdue"
    );
    let (s, v) = act(
        &c,
        &c.login("gm"),
        &old_id,
        "answer",
        json!({"text": "同意赔偿维修费用", "at": ts(now_ms() - 2 * DAY_MS)}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["answer"]["late"], true, "{v}");
    assert_eq!(v["overdue"], false, "answered: no longer overdue");
    assert!(complaints(&c, &cm, "?overdue=true").is_empty());
}

#[test]
fn complaints_are_listed_by_open_or_closed_and_by_owner() {
    let c = club();
    let cm = c.login("cm");
    let (by_level, _) = first_days(&c);
    let grumble = &by_level["grumble"];
    let open = complaints(&c, &cm, "?open=true");
    assert_eq!(open.len(), 5, "four levels left open plus the letter");
    assert!(!ids(&open).contains(grumble));
    let closed = complaints(&c, &cm, "?open=false");
    assert_eq!(ids(&closed), vec![grumble.clone()]);
    let gm_owned = complaints(&c, &cm, "?owner=general_manager");
    assert_eq!(gm_owned.len(), 4);
    assert_eq!(complaints(&c, &cm, "").len(), 6);
}

#[test]
fn a_member_files_complaints_only_about_themselves_and_sees_only_their_own() {
    let c = club();
    let [m1, m2, _] = &c.members;
    let another = file(&c, &c.login("rec"), "grumble", "counter", m1);
    let another = another["id"].as_str().unwrap();
    let old_id = late_letter(&c);
    let me = member_login(&c.server, &c.login("care"), m2, "liuyang");
    let (s, mine) = c.server.post(
        "/api/complaints",
        &json!({"channel": "hotline", "level": "grumble", "text": "洗车券没有收到"}),
        Some(&me),
    );
    assert_eq!(s, 201, "{mine}");
    assert_eq!(mine["member"], m2.as_str(), "filed about themselves");
    let (s, v) = c.server.post(
        "/api/complaints",
        &json!({"channel": "hotline", "level": "grumble", "text": "冒名投诉", "member": m1}),
        Some(&me),
    );
    assert_eq!(s, 403, "about somebody else: {v}");
    let seen = complaints(&c, &me, "");
    assert_eq!(
        ids(&seen),
        sorted(vec![
            old_id.clone(),
            mine["id"].as_str().unwrap().to_owned()
        ])
    );
    let (s, _) = c
        .server
        .get(&format!("/api/complaints/{another}"), Some(&me));
    assert_eq!(s, 403, "another member's complaint");
    let (s, _) = act(&c, &me, &old_id, "close", json!({}));
    assert_eq!(s, 403, "members do not close complaints");
}

#[test]
fn roles_without_the_permission_are_refused_and_change_nothing() {
    let c = club();
    let cm = c.login("cm");
    let fin = c.login("fin");
    let crisis = file(
        &c,
        &c.login("rec"),
        "crisis",
        "comments_book",
        &c.members[0],
    );
    let crisis = crisis["id"].as_str().unwrap();
    let total = complaints(&c, &cm, "").len();
    let (s, _) = c.server.get("/api/complaints", Some(&fin));
    assert_eq!(s, 403);
    let (s, _) = act(
        &c,
        &fin,
        crisis,
        "escalate",
        json!({"level": "crisis", "reason": "x"}),
    );
    assert_eq!(s, 403);
    let (s, _) = act(&c, &fin, crisis, "answer", json!({"text": "x"}));
    assert_eq!(s, 403);
    let (_, v) = c
        .server
        .get(&format!("/api/complaints/{crisis}"), Some(&cm));
    assert!(v["answer"].is_null() && v["open"] == true, "{v}");
    assert_eq!(complaints(&c, &cm, "").len(), total, "nothing was stored");
}

#[test]
fn bad_complaints_are_refused_and_nothing_is_stored() {
    let c = club();
    let server = &c.server;
    let rec = c.login("rec");
    let cm = c.login("cm");
    let crisis = file(&c, &rec, "crisis", "comments_book", &c.members[0]);
    let crisis = crisis["id"].as_str().unwrap();
    let total = complaints(&c, &cm, "").len();
    for body in [
        json!({"channel": "counter", "level": "catastrophe", "text": "x"}),
        json!({"channel": "fax", "level": "grumble", "text": "x"}),
        json!({"channel": "counter", "level": "grumble", "text": "   "}),
        json!({"channel": "counter", "level": "grumble"}),
        json!({"channel": "counter", "level": "grumble", "text": "x", "member": "not-a-uuid"}),
        json!({"channel": "counter", "level": "grumble", "text": "x", "extra": 1}),
    ] {
        let (s, v) = server.post("/api/complaints", &body, Some(&rec));
        assert_eq!(s, 400, "{body}: {v}");
    }
    // Well-formed, but dated in the future or too far back: 422.
    for body in [
        json!({"channel": "counter", "level": "grumble", "text": "x", "filed_at": ts(now_ms() + 2 * DAY_MS)}),
        json!({"channel": "counter", "level": "grumble", "text": "x", "filed_at": ts(now_ms() - 1200 * DAY_MS)}),
    ] {
        let (s, v) = server.post("/api/complaints", &body, Some(&rec));
        assert_eq!(s, 422, "{body}: {v}");
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
    let (s, _) = act(&c, &cm, unknown, "answer", json!({"text": "x"}));
    assert_eq!(s, 404);
    let (s, _) = server.get("/api/complaints/nope", Some(&cm));
    assert_eq!(s, 400);
    let (s, v) = act(
        &c,
        &c.login("gm"),
        crisis,
        "escalate",
        json!({"level": "apocalypse", "reason": "x"}),
    );
    assert_eq!(s, 400, "{v}");
    assert_eq!(complaints(&c, &cm, "").len(), total, "nothing was stored");
    let (s, _) = server.get("/api/complaints", None);
    assert_eq!(s, 401);
}

#[test]
fn every_answer_given_is_in_the_audit_log_and_no_refused_one() {
    let c = club();
    let cm = c.login("cm");
    let (by_level, old) = first_days(&c);
    // Refused: a second answer, an answer by somebody who does not own the complaint.
    let (s, _) = act(
        &c,
        &cm,
        &by_level["grumble"],
        "answer",
        json!({"text": "再答一次"}),
    );
    assert_eq!(s, 409);
    let (s, _) = act(&c, &cm, &old, "answer", json!({"text": "x"}));
    assert_eq!(s, 403);
    let (s, _) = act(
        &c,
        &c.login("fin"),
        &by_level["crisis"],
        "answer",
        json!({"text": "x"}),
    );
    assert_eq!(s, 403);
    let (s, v) = c
        .server
        .get("/api/audit?action=complaint_answered", Some(&c.admin));
    assert_eq!(s, 200);
    assert_eq!(v["records"].as_array().unwrap().len(), 2, "{v}");
}
