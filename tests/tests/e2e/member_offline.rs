//! The member's phone as a device (issue 14): a member signs in on their phone, which registers
//! as their own device and syncs their file, record and store's club document into IndexedDB;
//! offline, after a reload, the card — with its QR code and barcode —, points and their history,
//! benefits, reminders, invitations, partner merchants and the catalogue still show, projected on
//! the phone. The server's side: a member's device reads only the member's own documents and
//! their store's club document.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use std::time::Duration;

use carclub_client::Device;
use carclub_client::native::{self, DirStore};
use carclub_protocol::DocumentId;
use carclub_protocol::docs;
use carclub_protocol::wire::Message;
use carclub_tests::TestServer;
use carclub_tests::peer::Peer;
use carclub_tests::time::{DAY_MS, now_ms, ts};
use serde_json::{Value, json};

/// A member enrolled on site, approved, with points from a settled order, insurance expiring
/// within the month, invited to a club event, in a store with a partner merchant; and their
/// invitation code.
struct World {
    server: TestServer,
    member: String,
    other: String,
    card: String,
    points: u64,
    code: String,
    event: String,
}

fn world() -> World {
    let server = TestServer::start();
    let admin = server.admin();
    let device = carclub_tests::Device::new(&server.path("device"));
    device.register(&server, "展厅平板");
    let member = device.enroll(
        "陈静",
        "13900000001",
        "LSVAB1234567890XY",
        "粤A12345",
        "R-001",
    );
    let other = device.enroll(
        "李雷",
        "13900000002",
        "LSVAB1234567890XZ",
        "粤A54321",
        "R-002",
    );
    device.ok(&["sync"]);
    let op = |who: &str, body: Value| {
        let (s, v) = server.post(
            &format!("/api/members/{who}/operations"),
            &body,
            Some(&admin),
        );
        assert_eq!(s, 200, "{body}: {v}");
        v["state"].clone()
    };
    op(&other, json!({"type": "enrollment_approved"}));
    op(&member, json!({"type": "enrollment_approved"}));
    let st = op(
        &member,
        json!({"type": "order_settled", "order": {"receipt": "S-1",
            "lines": [{"category": "labor", "amount": 100_000}], "promotion": false}}),
    );
    let points = st["points"].as_u64().expect("points");
    assert!(points > 0, "{st}");
    let (s, file) = server.get(&format!("/api/members/{member}"), Some(&admin));
    assert_eq!(s, 200, "{file}");
    let card = file["card"].as_str().expect("card").to_owned();
    let day = |offset: i64| ts(now_ms() + offset * DAY_MS)[..10].to_owned();
    let (s, v) = server.put(
        &format!("/api/members/{member}/vehicles/LSVAB1234567890XY/facts"),
        &json!({"delivered": day(-70), "insurance_expiry": day(30), "insurer": "平安财险"}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");
    let (s, ev) = server.post(
        "/api/club-events",
        &json!({"title": "车主讲堂：冬季保养", "kind": "lecture",
                "starts_at": ts(now_ms() + 7 * DAY_MS), "place": "本店二楼", "capacity": 20}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{ev}");
    let event = ev["id"].as_str().expect("event id").to_owned();
    let (s, v) = server.post(
        "/api/partners",
        &json!({"name": "蓝天洗车", "kind": "car_wash", "discount": "会员洗车 8 折",
                "valid_from": day(-1), "valid_until": day(300)}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{v}");
    let (s, inv) = server.post(
        &format!("/api/members/{member}/invitations"),
        &json!({}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{inv}");
    let code = inv["code"].as_str().expect("code").to_owned();
    World {
        server,
        member,
        other,
        card,
        points,
        code,
        event,
    }
}

/// The member's phone, registered with their login and synced once.
fn phone(w: &World) -> (Device, DirStore) {
    let (s, v) = w.server.post(
        "/api/member-signup",
        &json!({"code": w.code, "username": "chenjing", "password": "member-pw-2026"}),
        None,
    );
    assert_eq!(s, 201, "{v}");
    let store = DirStore::open(&w.server.path("phone")).expect("the phone's store");
    let mut device = Device::open(Vec::new()).expect("a new device");
    native::register(
        &mut device,
        &store,
        &w.server.base,
        "chenjing",
        "member-pw-2026",
        "member phone",
    )
    .expect("the member's phone registers");
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    (device, store)
}

/// Whether `token`'s device may read document `url`: the server sends it, or says it is
/// unavailable.
fn readable(w: &World, token: &str, url: &str) -> bool {
    let doc: DocumentId = url.parse().expect("a document URL");
    matches!(
        Peer::connect(&w.server, token).request(doc),
        Message::Sync { .. }
    )
}

#[test]
fn a_members_phone_reads_only_their_own_documents_and_their_stores_club() {
    let w = world();
    let (device, _store) = phone(&w);
    assert!(device.is_member_device());
    assert!(
        device.card_blocks().is_empty(),
        "a member's phone issues no cards"
    );
    let reg = device.registered().expect("registered");
    let token = reg.token.as_str();
    for (kind, url) in [
        ("member", &reg.docs.member),
        ("record", &reg.docs.record),
        ("club", &reg.docs.club),
    ] {
        let url = url.as_deref().expect(kind);
        assert!(
            readable(&w, token, url),
            "the phone reads its {kind} document"
        );
    }
    let other: carclub_shared::MemberId = w.other.parse().expect("a member id");
    let store: carclub_shared::StoreId = reg.store.id.parse().expect("the store id");
    for (what, url) in [
        ("the store directory", docs::directory_id(store).url()),
        ("another member's file", docs::member_id(other).url()),
        (
            "another member's record",
            docs::member_record_id(other).url(),
        ),
    ] {
        assert!(
            !readable(&w, token, &url),
            "{what} is not readable by the member's phone"
        );
    }
}

#[test]
fn the_phone_projects_points_history_invitations_and_partners_and_keeps_up() {
    let w = world();
    let (mut device, store) = phone(&w);
    let card = device
        .member_card(now_ms())
        .expect("the card after the first sync");
    assert_eq!(card.file.card.as_str(), w.card);
    assert_eq!(
        card.state.points.get(),
        w.points,
        "the points the server counted"
    );
    assert_eq!(
        card.server_state.as_ref().map(|s| s.points.get()),
        Some(w.points),
        "the server's own state agrees"
    );
    assert!(
        card.ledger
            .iter()
            .any(|l| l.entry.kind == "order_settled" && l.entry.points > 0),
        "the points history holds the order"
    );
    assert!(!card.state.benefits.is_empty(), "the tier's benefits");
    assert_eq!(card.invitations.len(), 1, "the invitation");
    assert_eq!(card.invitations[0].id, w.event);
    assert!(
        card.partners.iter().any(|p| p.name == "蓝天洗车"),
        "the partner merchant"
    );
    assert!(
        card.reminders
            .iter()
            .any(|r| format!("{:?}", r.kind).contains("Insurance")),
        "the insurance reminder: {:?}",
        card.reminders
    );

    // What happens later reaches the phone at its next sync: another order, an answer.
    let admin = w.server.admin();
    let (s, v) = w.server.post(
        &format!("/api/members/{}/operations", w.member),
        &json!({"type": "order_settled", "order": {"receipt": "S-2",
            "lines": [{"category": "labor", "amount": 50_000}], "promotion": false}}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");
    let points = v["state"]["points"].as_u64().expect("points");
    let (s, v) = w.server.post(
        &format!("/api/club-events/{}/rsvp", w.event),
        &json!({"attending": true, "member": w.member}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = w.server.post(
        "/api/partners",
        &json!({"name": "中石化加油站", "kind": "fuel", "discount": "每升优惠 0.3 元",
                "valid_from": ts(now_ms())[..10].to_owned(), "valid_until": ts(now_ms() + 100 * DAY_MS)[..10].to_owned()}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{v}");
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let card = device.member_card(now_ms()).expect("the card");
    assert_eq!(card.state.points.get(), points, "the new points");
    assert_eq!(
        card.invitations[0].entry.attending,
        Some(true),
        "the answer"
    );
    assert_eq!(card.partners.len(), 2, "the new partner");

    // Reopened from its store with no server, the phone shows the same.
    let reopened = Device::open(store.load_all().expect("stored")).expect("reopens");
    let again = reopened.member_card(now_ms()).expect("the card offline");
    assert_eq!(again.state.points.get(), points);
    assert_eq!(again.ledger.len(), card.ledger.len());
}

#[test]
fn the_members_card_shows_offline_after_a_reload_in_the_browser() {
    carclub_tests::browser::require_web_app();
    let w = world();
    carclub_tests::browser::drive(
        "member-offline.mjs",
        &w.server,
        &[
            ("--code", w.code.clone()),
            ("--card", w.card.clone()),
            ("--points", w.points.to_string()),
            ("--event", w.event.clone()),
            ("--partner", "蓝天洗车".to_owned()),
            ("--admin-password", carclub_tests::ADMIN_PASSWORD.to_owned()),
        ],
    );
    // The contact change asked offline reached the server, which applied it when confirmed.
    let (s, file) = w.server.get(
        &format!("/api/members/{}", w.member),
        Some(&w.server.admin()),
    );
    assert_eq!(s, 200, "{file}");
    assert_eq!(file["phone"], "13911112222", "{file}");
    // The lost card reported offline reached the server, which blocked the card.
    let (s, file) = w.server.get(
        &format!("/api/members/{}", w.member),
        Some(&w.server.admin()),
    );
    assert_eq!(s, 200, "{file}");
    let lost = file["state"]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .any(|c| c["number"] == w.card.as_str() && c["status"] == "lost");
    assert!(lost, "the card is blocked: {file}");
    // So did the answer to the invitation, which the club event now holds.
    let (s, ev) = w.server.get(
        &format!("/api/club-events/{}", w.event),
        Some(&w.server.admin()),
    );
    assert_eq!(s, 200, "{ev}");
    assert_eq!(ev["rsvps"][&w.member]["attending"], true, "{ev}");
}

#[test]
fn a_lost_card_reported_offline_blocks_the_card_when_it_reaches_the_server() {
    let w = world();
    let (mut device, store) = phone(&w);
    let id = device
        .report_card_lost(now_ms())
        .expect("reported on the phone");
    let pending = device.requests();
    assert_eq!(pending[0].id, id);
    assert_eq!(
        pending[0].state, "pending",
        "pending until the server answers"
    );
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let answered = device.requests();
    assert_eq!(answered[0].state, "accepted", "{:?}", answered[0].reason);
    let admin = w.server.admin();
    let (s, file) = w
        .server
        .get(&format!("/api/members/{}", w.member), Some(&admin));
    assert_eq!(s, 200, "{file}");
    let cards = file["state"]["cards"].as_array().expect("cards");
    let card = cards
        .iter()
        .find(|c| c["number"] == w.card.as_str())
        .expect("the card");
    assert_eq!(card["status"], "lost", "the card is blocked: {file}");
}

#[test]
fn the_server_refuses_a_members_event_about_another_member_or_of_a_staff_type_and_the_phone_says_why()
 {
    let w = world();
    let (mut device, store) = phone(&w);
    let other: carclub_shared::MemberId = w.other.parse().expect("a member id");
    let mine: carclub_shared::MemberId = w.member.parse().expect("a member id");
    let (s, file) = w.server.get(
        &format!("/api/members/{}", w.other),
        Some(&w.server.admin()),
    );
    assert_eq!(s, 200, "{file}");
    let other_card =
        carclub_shared::CardNo::parse(file["card"].as_str().expect("card")).expect("a card number");
    let about_other = device
        .record_event(
            carclub_shared::EventBody::CardLost {
                member: other,
                card: other_card,
            },
            now_ms(),
        )
        .expect("recorded");
    let staff_type = device
        .record_event(
            carclub_shared::EventBody::ManualGrant {
                member: mine,
                tier: None,
                points: Some(carclub_shared::Points::new(1_000)),
                reason: carclub_shared::ShortText::parse("self-service").expect("text"),
            },
            now_ms(),
        )
        .expect("recorded");
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let requests = device.requests();
    let reason = |id: carclub_shared::EventId| {
        let r = requests
            .iter()
            .find(|r| r.id == id.to_string())
            .expect("the request");
        assert_eq!(r.state, "refused", "{r:?}");
        r.reason.clone().expect("a reason")
    };
    let why = reason(about_other.id);
    assert!(why.contains("your own membership"), "{why}");
    let why = reason(staff_type.id);
    assert!(why.contains("does not allow"), "{why}");
    // And in Chinese, as the phone shows it in zh-CN.
    let reason_zh = |id: carclub_shared::EventId| {
        requests
            .iter()
            .find(|r| r.id == id.to_string())
            .and_then(|r| r.reason_zh.clone())
            .expect("a reason in Chinese")
    };
    let why = reason_zh(about_other.id);
    assert!(why.contains("只能针对您本人的会籍"), "{why}");
    let why = reason_zh(staff_type.id);
    assert!(why.contains("会员") && why.contains("无权"), "{why}");
    // Nothing changed on the server: the other member's card is still active, no points granted.
    let card = device.member_card(now_ms()).expect("the card");
    assert_eq!(
        card.state.points.get(),
        w.points,
        "no points from the refused grant"
    );
    assert_eq!(
        card.requests
            .iter()
            .filter(|r| r.state == "refused")
            .count(),
        2
    );
    let (_, file) = w.server.get(
        &format!("/api/members/{}", w.other),
        Some(&w.server.admin()),
    );
    assert_eq!(file["status"], "active", "{file}");
    assert!(
        file["state"]["cards"]
            .as_array()
            .expect("cards")
            .iter()
            .all(|c| c["status"] != "lost"),
        "{file}"
    );
}

#[test]
fn an_answer_to_an_invitation_given_offline_reaches_the_club_event_and_a_full_one_is_refused_with_the_reason()
 {
    let w = world();
    let admin = w.server.admin();
    // A second event with one place, taken by the other member through the API.
    let (s, ev) = w.server.post(
        "/api/club-events",
        &json!({"title": "自驾游：山区一日", "kind": "self_drive",
                "starts_at": ts(now_ms() + 9 * DAY_MS), "place": "本店门口", "capacity": 1}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{ev}");
    let full = ev["id"].as_str().expect("event id").to_owned();
    let (mut device, store) = phone(&w);
    let (s, v) = w.server.post(
        &format!("/api/club-events/{full}/rsvp"),
        &json!({"attending": true, "member": w.other}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");

    // Offline (no sync): both answered on the phone, shown pending at once.
    let yes = device
        .answer_invitation(&w.event, true, now_ms())
        .expect("answered on the phone");
    let too_late = device
        .answer_invitation(&full, true, now_ms())
        .expect("answered on the phone");
    let card = device.member_card(now_ms()).expect("the card");
    let invitation = |card: &carclub_client::MemberCard, id: &str| {
        card.invitations
            .iter()
            .find(|i| i.id == id)
            .cloned()
            .expect("the invitation")
    };
    let lecture = invitation(&card, &w.event);
    assert_eq!(lecture.pending, Some(true), "pending on the phone");
    assert_eq!(
        lecture.entry.attending, None,
        "the server has no answer yet"
    );
    assert!(
        card.requests
            .iter()
            .any(|r| r.id == yes && r.kind == "invitation_answered" && r.state == "pending"),
        "{:?}",
        card.requests
    );
    assert!(
        card.ledger
            .iter()
            .all(|l| l.entry.kind != "invitation_answered"),
        "an answer moves no points and is not in the history"
    );

    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let card = device.member_card(now_ms()).expect("the card");
    let lecture = invitation(&card, &w.event);
    assert_eq!(lecture.pending, None, "answered by the server");
    assert_eq!(lecture.entry.attending, Some(true), "the server's answer");
    let trip = invitation(&card, &full);
    assert_eq!(trip.pending, None);
    assert_eq!(trip.entry.attending, None, "the server's answer stands");
    let why = trip.refused.expect("the refusal's reason");
    assert!(why.contains("full"), "{why}");
    let state = |id: &str| {
        card.requests
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.state)
            .expect("the request")
    };
    assert_eq!((state(&yes), state(&too_late)), ("accepted", "refused"));

    // The back office's club event holds the answer, dated when it was given on the phone.
    let (s, ev) = w
        .server
        .get(&format!("/api/club-events/{}", w.event), Some(&admin));
    assert_eq!(s, 200, "{ev}");
    assert_eq!(ev["rsvps"][&w.member]["attending"], true, "{ev}");
    assert_eq!(ev["accepted"], 1, "{ev}");
    let (_, ev) = w
        .server
        .get(&format!("/api/club-events/{full}"), Some(&admin));
    assert_eq!(ev["accepted"], 1, "still the other member alone: {ev}");
    assert!(ev["rsvps"].get(&w.member).is_none(), "{ev}");

    // A second sync changes nothing: the answer counts once.
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let (_, ev) = w
        .server
        .get(&format!("/api/club-events/{}", w.event), Some(&admin));
    assert_eq!(ev["accepted"], 1, "{ev}");
}

#[test]
fn a_complaint_written_offline_reaches_the_complaints_register_exactly_once() {
    let w = world();
    let (mut device, store) = phone(&w);
    let text = "保养后发动机异响，希望尽快回电";
    let id = device
        .file_complaint("phone", text, now_ms())
        .expect("written on the phone");
    let mine = |device: &Device| {
        device
            .requests()
            .into_iter()
            .find(|r| r.id == id)
            .expect("the complaint among the phone's requests")
    };
    assert_eq!(mine(&device).state, "pending");
    assert_eq!(mine(&device).text.as_deref(), Some(text));
    let card = device.member_card(now_ms()).expect("the card");
    assert!(
        card.ledger
            .iter()
            .all(|l| l.entry.kind != "complaint_filed"),
        "a complaint is not in the points history"
    );

    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    assert_eq!(
        mine(&device).state,
        "accepted",
        "{:?}",
        mine(&device).reason
    );
    // Synced again, and again from a copy of the phone reopened from its store: still one
    // complaint, filed under the event's id.
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let mut copy = Device::open(store.load_all().expect("stored")).expect("reopens");
    native::sync(&mut copy, &store, Duration::from_secs(60)).expect("the copy syncs");

    let admin = w.server.admin();
    let (s, v) = w.server.get("/api/complaints?limit=200", Some(&admin));
    assert_eq!(s, 200, "{v}");
    let filed: Vec<&Value> = v["complaints"]
        .as_array()
        .expect("complaints")
        .iter()
        .filter(|c| c["text"] == text)
        .collect();
    assert_eq!(filed.len(), 1, "filed once: {v}");
    let c = filed[0];
    assert_eq!(c["id"], id.as_str(), "filed under the event's id");
    assert_eq!(c["member"], w.member.as_str());
    assert_eq!(c["channel"], "phone");
    assert_eq!(c["level"], "complaint");
    assert_eq!(c["owner"], "club_manager", "{c}");
    // The member reads it through the API like any complaint about them.
    let reg = device.registered().expect("registered");
    let (s, v) = w.server.get("/api/complaints?limit=200", Some(&reg.token));
    assert_eq!(s, 200, "{v}");
    assert!(
        v["complaints"]
            .as_array()
            .expect("complaints")
            .iter()
            .any(|c| c["id"] == id.as_str()),
        "{v}"
    );
}

#[test]
fn a_contact_change_asked_offline_waits_for_the_store_which_confirms_one_and_declines_another_with_its_reason()
 {
    let w = world();
    let admin = w.server.admin();
    let (mut device, store) = phone(&w);
    // Asked on the phone with no network: kept in its journal, pending.
    let first = device
        .request_contact_change(
            Some("13911112222"),
            Some(&["evening".to_owned()]),
            Some(true),
            now_ms(),
        )
        .expect("asked on the phone");
    assert!(
        device
            .request_contact_change(Some("12345"), None, None, now_ms())
            .is_err(),
        "a number that is not a mobile number is refused on the phone"
    );
    assert!(
        device
            .request_contact_change(None, None, None, now_ms())
            .is_err(),
        "a request naming nothing is refused on the phone"
    );
    assert_eq!(device.requests()[0].state, "pending");
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let r = device.requests()[0].clone();
    assert_eq!(
        (r.id.as_str(), r.state),
        (first.as_str(), "awaiting"),
        "{r:?}"
    );

    // The back office's list holds it, with what it asks; nothing has changed yet.
    let (s, list) = w.server.get("/api/contact-changes", Some(&admin));
    assert_eq!(s, 200, "{list}");
    let rows = list["pending"].as_array().expect("pending");
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["request"], first.as_str(), "{list}");
    assert_eq!(rows[0]["new_phone"], "13911112222", "{list}");
    assert_eq!(rows[0]["phone"], "13900000001", "{list}");
    assert_eq!(rows[0]["by_member"], true, "{list}");
    assert_eq!(rows[0]["call_slots"], json!(["evening"]), "{list}");
    let (_, file) = w
        .server
        .get(&format!("/api/members/{}", w.member), Some(&admin));
    assert_eq!(
        file["phone"], "13900000001",
        "nothing applies before the store confirms"
    );

    // Roles that may not answer neither see the list nor answer; the member may not answer their own.
    let home = carclub_tests::accounts::home_store(&w.server, &admin);
    carclub_tests::accounts::create_user(&w.server, &admin, "cashier", "finance", &home);
    let finance = w.server.login("cashier", carclub_tests::accounts::PASSWORD);
    let (s, v) = w.server.get("/api/contact-changes", Some(&finance));
    assert_eq!(s, 403, "{v}");
    let confirm = json!({"type": "contact_change_decided", "request": first, "confirmed": true});
    let (s, v) = w.server.post(
        &format!("/api/members/{}/operations", w.member),
        &confirm,
        Some(&finance),
    );
    assert_eq!(s, 403, "{v}");

    // Confirmed: the new number is on the file and found by search; the call times and SMS
    // consent are in the service file; the list is empty; a second answer is refused.
    let (s, v) = w.server.post(
        &format!("/api/members/{}/operations", w.member),
        &confirm,
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = w.server.post(
        &format!("/api/members/{}/operations", w.member),
        &json!({"type": "contact_change_decided", "request": first, "confirmed": false}),
        Some(&admin),
    );
    assert_eq!(s, 409, "answered once: {v}");
    assert_eq!(v["code"], "no_contact_change_request", "{v}");
    let (_, file) = w
        .server
        .get(&format!("/api/members/{}", w.member), Some(&admin));
    assert_eq!(file["phone"], "13911112222", "{file}");
    assert_eq!(
        file["state"]["care"]["person"]["call_slots"],
        json!(["evening"]),
        "{file}"
    );
    assert_eq!(
        file["state"]["care"]["person"]["sms_consent"], true,
        "{file}"
    );
    let found = w.server.members(&admin, "13911112222");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(w.server.members(&admin, "13900000001").is_empty());
    let (_, list) = w.server.get("/api/contact-changes", Some(&admin));
    assert_eq!(list["pending"], json!([]), "{list}");

    // A second request, declined with a reason the member reads on their phone.
    let second = device
        .request_contact_change(None, None, Some(false), now_ms())
        .expect("asked on the phone");
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let (s, v) = w.server.post(
        &format!("/api/members/{}/operations", w.member),
        &json!({"type": "contact_change_decided", "request": second, "confirmed": false,
                "reason": "请本人到店核验"}),
        Some(&admin),
    );
    assert_eq!(s, 200, "{v}");
    native::sync(&mut device, &store, Duration::from_secs(60)).expect("the phone syncs");
    let card = device.member_card(now_ms()).expect("the card");
    assert_eq!(
        card.file.phone.as_str(),
        "13911112222",
        "the phone shows the new number"
    );
    let of = |id: &str| {
        card.requests
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .expect("the request")
    };
    let declined = of(&second);
    assert_eq!(declined.state, "declined", "{declined:?}");
    assert_eq!(declined.reason.as_deref(), Some("请本人到店核验"));
    assert_eq!(of(&first).state, "confirmed");
    assert!(
        card.state.care.person.sms_consent,
        "a declined change applies nothing"
    );
}
