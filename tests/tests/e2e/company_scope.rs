//! Field staff assigned to companies (DESIGN.md "Partial sync": "a field staff member: their store
//! or assigned companies"). A company-scoped account reaches only the members of its companies —
//! on the API, in the heads summary, in document requests and in the events it uploads — never
//! the store directory; it enrolls on site during a visit at one of its companies; a reassignment
//! widens or narrows what it gets at the next sync. Store-wide field staff keep seeing the store.

use std::collections::BTreeSet;
use std::time::Duration;

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use carclub_client::native::{self, DirStore};
use carclub_client::{Device, EnrollInput};
use carclub_protocol::DocumentId;
use carclub_protocol::docs::{self, DeviceStatus, Directory, Outcome};
use carclub_protocol::wire::Message;
use carclub_shared::{CompanyId, MemberId, StoreId};
use carclub_tests::accounts::{PASSWORD, create_user, file, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::peer::Peer;
use carclub_tests::{ADMIN_PASSWORD, Server, TestServer};
use serde_json::{Value, json};

/// A store with two companies under agreement, a member enrolled on site at each, one enrolled at
/// the desk (no company), and two field staff accounts.
struct World {
    server: TestServer,
    admin: String,
    store: StoreId,
    a: CompanyId,
    b: CompanyId,
    /// Enrolled during a visit at company A, at company B, and at the desk.
    ma: MemberId,
    mb: MemberId,
    mn: MemberId,
    scoped: String,
    wide: String,
    /// The service advisor agreements name.
    advisor: String,
}

fn agreement(server: &Server, admin: &str, advisor: &str, company: &str) -> CompanyId {
    let (s, v) = server.post(
        "/api/corporate-accounts",
        &json!({"company": company, "term_start": "2026-03-01",
                "fleet_price_note": "车队价：指导价下浮5%",
                "contact": {"name": "李经理", "phone": "13800138000"},
                "service_advisor": advisor, "on_site_check_days": []}),
        Some(admin),
    );
    assert_eq!(s, 201, "agreement: {v}");
    v["id"].as_str().unwrap().parse().unwrap()
}

/// An enrollment event on the standard tier; `channel` as in docs/events.md.
fn enrolled(device: &mut JournalDevice, member: MemberId, n: u32, channel: Value) -> Value {
    let card = device.next_card();
    json!({"type": "enrolled", "member": member,
           "person": {"name": format!("会员{n}"), "phone": format!("1370000{n:04}")},
           "vehicle": {"vin": format!("LSVAU2180N31{n:05}"), "plate": format!("粤C{n:05}")},
           "tier": "standard", "channel": channel, "fee": 18000,
           "receipt": format!("R-CS-{n}"), "card": card})
}

/// Records a visit at `company` (or none) with one enrollment during it; returns the member.
fn visit_and_enroll(device: &mut JournalDevice, company: Option<CompanyId>, n: u32) -> MemberId {
    let visit = carclub_shared::VisitId::new();
    let mut start = json!({"type": "visit_started", "visit": visit, "site": format!("园区{n}")});
    if let Some(c) = company {
        start["company"] = json!(c);
    }
    device.record(0, start);
    let member = MemberId::new();
    let event = enrolled(
        device,
        member,
        n,
        json!({"kind": "on_site", "visit": visit}),
    );
    device.record(0, event);
    device.record(0, json!({"type": "visit_ended", "visit": visit}));
    member
}

impl World {
    fn new() -> World {
        let server = TestServer::start();
        let admin = server.admin();
        let (_, me) = server.get("/api/me", Some(&admin));
        let store: StoreId = me["user"]["store"].as_str().unwrap().parse().unwrap();
        let advisor = create_user(&server, &admin, "sa", "service_advisor", &store.to_string());
        let a = agreement(&server, &admin, &advisor, "甲物流有限公司");
        let b = agreement(&server, &admin, &advisor, "乙电子有限公司");
        let scoped = create_user(&server, &admin, "scoped", "field_staff", &store.to_string());
        let wide = create_user(&server, &admin, "wide", "field_staff", &store.to_string());
        let mut phone = JournalDevice::register(&server, "admin", ADMIN_PASSWORD);
        let ma = visit_and_enroll(&mut phone, Some(a), 1);
        let mb = visit_and_enroll(&mut phone, Some(b), 2);
        let mn = MemberId::new();
        let desk = enrolled(&mut phone, mn, 3, json!({"kind": "desk"}));
        phone.record(0, desk);
        phone.sync(&server);
        let w = World {
            server,
            admin,
            store,
            a,
            b,
            ma,
            mb,
            mn,
            scoped,
            wide,
            advisor,
        };
        assert_eq!(
            w.company(ma),
            json!(a),
            "enrolled during a visit at company A"
        );
        assert_eq!(w.company(mb), json!(b));
        assert_eq!(
            w.company(mn),
            Value::Null,
            "a desk enrollment belongs to no company"
        );
        w
    }

    /// The company on a member's file, as the administrator sees it.
    fn company(&self, member: MemberId) -> Value {
        let (s, f) = file(&self.server, &self.admin, &member.to_string());
        assert_eq!(s, 200, "{f}");
        f.get("company").cloned().unwrap_or(Value::Null)
    }

    /// A member's state and events as the administrator sees them.
    fn snapshot(&self, member: MemberId) -> (Value, Value, Value) {
        let (s, f) = file(&self.server, &self.admin, &member.to_string());
        assert_eq!(s, 200, "{f}");
        (
            f["state"].clone(),
            f["events"].clone(),
            f["vehicles"].clone(),
        )
    }

    fn assign(&self, user: &str, assignment: Value) -> (u16, Value) {
        self.server.put(
            &format!("/api/users/{user}/assignment"),
            &assignment,
            Some(&self.admin),
        )
    }

    fn assign_companies(&self, companies: &[CompanyId]) {
        let (s, v) = self.assign(
            &self.scoped,
            json!({"scope": "companies", "companies": companies}),
        );
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["assignment"]["scope"], "companies", "{v}");
    }

    /// The member ids a login lists through `GET /api/members`.
    fn listed(&self, token: &str) -> BTreeSet<MemberId> {
        self.server
            .members(token, "")
            .iter()
            .map(|m| m["id"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    fn company_dir(&self, company: CompanyId) -> DocumentId {
        docs::company_directory_id(self.store, company)
    }

    /// A native field device registered for `user`, with its local store in `home`.
    fn native_device(&self, home: &str, user: &str) -> (Device, DirStore) {
        let store = DirStore::open(&self.server.path(home)).unwrap();
        let mut device = Device::open(Vec::new()).unwrap();
        native::register(
            &mut device,
            &store,
            &self.server.base,
            user,
            PASSWORD,
            "phone",
        )
        .unwrap();
        (device, store)
    }

    /// The scoped account assigned to `companies`, and its native device after a first sync.
    fn scoped_device(&self, companies: &[CompanyId]) -> (Device, DirStore) {
        self.assign_companies(companies);
        let (mut phone, store) = self.native_device("scoped", "scoped");
        sync(&mut phone, &store);
        (phone, store)
    }
}

/// The companies a native device may start a visit at, sorted.
fn visitable(device: &Device) -> Vec<CompanyId> {
    let mut companies: Vec<CompanyId> = device.companies().iter().map(|c| c.id).collect();
    companies.sort();
    companies
}

fn sorted(mut companies: Vec<CompanyId>) -> Vec<CompanyId> {
    companies.sort();
    companies
}

/// A native device visits `company` and enrolls a new member there, then syncs; the member.
fn enroll_on_site(phone: &mut Device, store: &DirStore, company: CompanyId) -> MemberId {
    phone
        .start_visit_at("甲物流", Some(company), native::now_ms())
        .unwrap();
    let new = phone
        .enroll_input(
            EnrollInput {
                name: "新会员".into(),
                phone: "13700009999".into(),
                vin: "LSVAU2180N3188888".into(),
                plate: "粤C88888".into(),
                tier: "standard".into(),
                fee_fen: 18000,
                receipt: Some("R-CS-ONSITE".into()),
                card: None,
                id_number: None,
                model: None,
                documents_seen: Vec::new(),
                channel: None,
                referrer: None,
            },
            native::now_ms(),
        )
        .unwrap();
    phone.end_visit("", native::now_ms()).unwrap();
    sync(phone, store);
    new
}

fn sync(device: &mut Device, store: &DirStore) {
    native::sync(device, store, Duration::from_secs(60)).unwrap();
    assert_eq!(device.pending_events(), 0, "every event answered");
}

/// The documents a native device holds in its local store.
fn held(store: &DirStore) -> BTreeSet<DocumentId> {
    store
        .load_all()
        .unwrap()
        .into_iter()
        .filter_map(|(k, _)| k.strip_prefix("doc/").and_then(|id| id.parse().ok()))
        .collect()
}

/// The members a native device shows.
fn shown(device: &Device) -> BTreeSet<MemberId> {
    device
        .members()
        .iter()
        .map(|m| m.id.parse().unwrap())
        .collect()
}

/// The documents the heads summary lists for `token` from the beginning.
fn summary(server: &Server, token: &str) -> BTreeSet<DocumentId> {
    Peer::connect(server, token).summary(0)
}

/// Fetches document `id` over a fresh connection as `token`: its content, or `None` when the
/// server answers `doc-unavailable`.
fn fetch(server: &Server, token: &str, id: DocumentId) -> Option<Automerge> {
    fetch_on(&mut Peer::connect(server, token), id)
}

/// Fetches document `id` over an open connection: its content, or `None` when the server answers
/// `doc-unavailable`.
fn fetch_on(peer: &mut Peer, id: DocumentId) -> Option<Automerge> {
    let mut doc = Automerge::new();
    let mut state = sync::State::new();
    peer.send(&Message::Request {
        sender_id: "test-peer".into(),
        target_id: "server".into(),
        document_id: id,
        data: doc.generate_sync_message(&mut state).unwrap().encode(),
    });
    loop {
        match peer.recv() {
            Message::DocUnavailable { document_id, .. } if document_id == id => return None,
            Message::Sync {
                document_id, data, ..
            } if document_id == id => {
                let m = sync::Message::decode(&data).unwrap();
                doc.receive_sync_message(&mut state, m).unwrap();
                if let Some(next) = doc.generate_sync_message(&mut state) {
                    peer.sync(id, next.encode());
                }
                let mut ours = doc.get_heads();
                ours.sort();
                let theirs = state.their_heads.clone().map(|mut h| {
                    h.sort();
                    h
                });
                if !ours.is_empty() && theirs.as_ref() == Some(&ours) {
                    return Some(doc);
                }
            }
            Message::Error { message, .. } => panic!("server error: {message}"),
            _ => {}
        }
    }
}

/// The outcome of event `event` uploaded by journal device `device`, from its status document.
fn outcome(server: &Server, device: &JournalDevice, event: &str) -> Outcome {
    let status = docs::status_id(device.device.parse().unwrap());
    let doc = fetch(server, &device.token, status).expect("own status is served");
    let status: DeviceStatus = docs::read_object(&doc).expect("a status document");
    status
        .events
        .get(event)
        .cloned()
        .unwrap_or_else(|| panic!("no outcome for {event}: {status:?}"))
}

fn rejected_because(o: &Outcome, words: &str) {
    match o {
        Outcome::Rejected { reason, .. } => assert!(reason.contains(words), "{reason}"),
        Outcome::Accepted { .. } => panic!("accepted, expected a rejection about {words:?}"),
    }
}

#[test]
fn field_staff_assigned_to_a_company_see_only_its_members_on_the_api() {
    let w = World::new();
    w.assign_companies(&[w.a]);
    let (s, v) = w.server.get(
        &format!("/api/users/{}/assignment", w.scoped),
        Some(&w.admin),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["assignment"]["companies"], json!([w.a]));

    // The list holds the company's member only; other files are refused, not changed.
    let scoped = w.server.login("scoped", PASSWORD);
    assert_eq!(w.listed(&scoped), BTreeSet::from([w.ma]));
    assert_eq!(file(&w.server, &scoped, &w.ma.to_string()).0, 200);
    for other in [w.mb, w.mn] {
        let before = w.snapshot(other);
        let (s, v) = file(&w.server, &scoped, &other.to_string());
        assert_eq!(s, 403, "{v}");
        assert!(
            v["detail"]
                .as_str()
                .unwrap()
                .contains("assigned to some companies"),
            "{v}"
        );
        let (s, v) = operate(
            &w.server,
            &scoped,
            &other.to_string(),
            json!({"type": "referral_recorded", "prospect": "13900000001"}),
        );
        assert_eq!(s, 403, "an operation on another company's member: {v}");
        let (s, v) = w.server.post(
            &format!("/api/members/{other}/invitations"),
            &json!({}),
            Some(&scoped),
        );
        assert_eq!(s, 403, "an invitation for another company's member: {v}");
        assert_eq!(w.snapshot(other), before, "nothing changed");
    }
    let (s, v) = operate(
        &w.server,
        &scoped,
        &w.ma.to_string(),
        json!({"type": "referral_recorded", "prospect": "13900000002"}),
    );
    assert_eq!(s, 200, "an operation on the company's own member: {v}");
}

/// The documents a company-scoped device must never see, with the scoped account on company A.
fn hidden(w: &World) -> [DocumentId; 4] {
    [
        docs::directory_id(w.store),
        w.company_dir(w.b),
        docs::member_id(w.mb),
        docs::member_id(w.mn),
    ]
}

#[test]
fn a_company_scoped_device_is_offered_only_its_companies_directory_and_members() {
    let w = World::new();
    w.assign_companies(&[w.a]);
    // The registration names the company's directory; the summary and the requests give the
    // company's member and directory, never the store directory or other members.
    let raw = JournalDevice::register(&w.server, "scoped", PASSWORD);
    let (_, reg) = w.server.post(
        "/api/devices",
        &json!({"username": "scoped", "password": PASSWORD, "name": "second phone"}),
        None,
    );
    assert_eq!(
        reg["docs"]["directories"],
        json!([w.company_dir(w.a).url()]),
        "{reg}"
    );
    assert_eq!(
        reg["companies"],
        json!([{"id": w.a, "name": "甲物流有限公司"}]),
        "the only company it may visit: {reg}"
    );
    let listed = summary(&w.server, &raw.token);
    assert!(listed.contains(&w.company_dir(w.a)), "{listed:?}");
    assert!(listed.contains(&docs::member_id(w.ma)));
    for id in hidden(&w) {
        assert!(!listed.contains(&id), "{id} listed for a scoped device");
        assert!(
            fetch(&w.server, &raw.token, id).is_none(),
            "{id} served to a scoped device"
        );
    }
    let dir = fetch(&w.server, &raw.token, w.company_dir(w.a)).expect("its company's directory");
    let dir: Directory = docs::read_object(&dir).unwrap();
    assert_eq!(
        dir.members.keys().cloned().collect::<Vec<_>>(),
        vec![w.ma.to_string()]
    );
}

#[test]
fn events_a_company_scoped_device_uploads_about_other_members_are_rejected_and_change_nothing() {
    let w = World::new();
    w.assign_companies(&[w.a]);
    let mut raw = JournalDevice::register(&w.server, "scoped", PASSWORD);
    let before = (w.snapshot(w.mb), w.listed(&w.admin));
    let about_b = raw.record(
        0,
        json!({"type": "referral_recorded", "member": w.mb, "prospect": "13900000003"}),
    );
    let about_none = raw.record(
        0,
        json!({"type": "vehicle_added", "member": w.mn,
               "vehicle": {"vin": "LSVAU2180N3199999", "plate": "粤C99999"}}),
    );
    let visit_b = carclub_shared::VisitId::new();
    let at_b = raw.record(
        0,
        json!({"type": "visit_started", "visit": visit_b, "site": "乙电子", "company": w.b}),
    );
    let enrolled_at_b = enrolled(
        &mut raw,
        MemberId::new(),
        10,
        json!({"kind": "on_site", "visit": visit_b}),
    );
    let enrolled_at_b = raw.record(0, enrolled_at_b);
    let at_desk = enrolled(&mut raw, MemberId::new(), 11, json!({"kind": "desk"}));
    let at_desk = raw.record(0, at_desk);
    let about_a = raw.record(
        0,
        json!({"type": "referral_recorded", "member": w.ma, "prospect": "13900000004"}),
    );
    raw.sync(&w.server);
    rejected_because(
        &outcome(&w.server, &raw, &about_b),
        "only for their members",
    );
    rejected_because(
        &outcome(&w.server, &raw, &about_none),
        "only for their members",
    );
    rejected_because(&outcome(&w.server, &raw, &at_b), "start visits only");
    for e in [&enrolled_at_b, &at_desk] {
        rejected_because(&outcome(&w.server, &raw, e), "enroll members only on site");
    }
    assert!(matches!(
        outcome(&w.server, &raw, &about_a),
        Outcome::Accepted { .. }
    ));
    assert_eq!(
        (w.snapshot(w.mb), w.listed(&w.admin)),
        before,
        "the rejected events changed nothing"
    );
}

#[test]
fn a_company_scoped_device_holds_only_its_companies_members_and_enrolls_on_site_there() {
    let w = World::new();
    let (mut phone, store) = w.scoped_device(&[w.a]);
    assert_eq!(shown(&phone), BTreeSet::from([w.ma]));
    let holds = held(&store);
    assert!(holds.contains(&w.company_dir(w.a)));
    for id in hidden(&w) {
        assert!(!holds.contains(&id), "the scoped device holds {id}");
    }
    let new = enroll_on_site(&mut phone, &store, w.a);
    assert!(
        phone
            .outcomes()
            .values()
            .all(|o| matches!(o, Outcome::Accepted { .. })),
        "{:?}",
        phone.outcomes()
    );
    assert_eq!(
        w.company(new),
        json!(w.a),
        "the new member belongs to company A"
    );
    let scoped = w.server.login("scoped", PASSWORD);
    assert_eq!(w.listed(&scoped), BTreeSet::from([w.ma, new]));
    sync(&mut phone, &store);
    assert_eq!(shown(&phone), BTreeSet::from([w.ma, new]));
    assert!(held(&store).contains(&docs::member_id(new)));
}

#[test]
fn store_wide_field_staff_see_and_hold_every_member_of_the_store() {
    let w = World::new();
    // A member enrolled on site by company-scoped staff is the store's member too.
    let (mut phone, store) = w.scoped_device(&[w.a]);
    let new = enroll_on_site(&mut phone, &store, w.a);
    let wide = w.server.login("wide", PASSWORD);
    assert_eq!(w.listed(&wide), BTreeSet::from([w.ma, w.mb, w.mn, new]));
    let (mut wide_phone, wide_store) = w.native_device("wide", "wide");
    sync(&mut wide_phone, &wide_store);
    assert_eq!(shown(&wide_phone), BTreeSet::from([w.ma, w.mb, w.mn, new]));
    let holds = held(&wide_store);
    assert!(holds.contains(&docs::directory_id(w.store)));
    for m in [w.ma, w.mb, w.mn, new] {
        assert!(holds.contains(&docs::member_id(m)));
    }
    let wide_reg = JournalDevice::register(&w.server, "wide", PASSWORD);
    assert!(summary(&w.server, &wide_reg.token).contains(&docs::directory_id(w.store)));
}

#[test]
fn widening_an_assignment_brings_the_new_companys_members_at_the_next_sync() {
    let w = World::new();
    let (mut phone, store) = w.scoped_device(&[w.a]);
    assert_eq!(shown(&phone), BTreeSet::from([w.ma]));
    assert_eq!(visitable(&phone), vec![w.a]);
    w.assign_companies(&[w.a, w.b]);
    sync(&mut phone, &store);
    assert_eq!(shown(&phone), BTreeSet::from([w.ma, w.mb]));
    assert_eq!(
        visitable(&phone),
        sorted(vec![w.a, w.b]),
        "the device may now visit both companies"
    );
    assert!(held(&store).contains(&w.company_dir(w.b)));
    assert!(held(&store).contains(&docs::member_id(w.mb)));
}

#[test]
fn narrowing_an_assignment_takes_a_companys_members_away_at_the_next_sync() {
    let w = World::new();
    let (mut phone, store) = w.scoped_device(&[w.a, w.b]);
    assert_eq!(shown(&phone), BTreeSet::from([w.ma, w.mb]));
    let token = JournalDevice::register(&w.server, "scoped", PASSWORD).token;
    // A's member leaves the device's view and is no longer served.
    w.assign_companies(&[w.b]);
    sync(&mut phone, &store);
    assert_eq!(shown(&phone), BTreeSet::from([w.mb]));
    assert_eq!(visitable(&phone), vec![w.b]);
    for id in [w.company_dir(w.a), docs::member_id(w.ma)] {
        assert!(!held(&store).contains(&id), "the device still keeps {id}");
        assert!(!summary(&w.server, &token).contains(&id));
        assert!(fetch(&w.server, &token, id).is_none(), "{id} still served");
    }
    let scoped = w.server.login("scoped", PASSWORD);
    assert_eq!(w.listed(&scoped), BTreeSet::from([w.mb]));
    assert_eq!(file(&w.server, &scoped, &w.ma.to_string()).0, 403);
}

#[test]
fn a_member_the_back_office_moves_into_a_company_reaches_that_companys_devices() {
    let w = World::new();
    let (mut phone, store) = w.scoped_device(&[w.b]);
    assert_eq!(shown(&phone), BTreeSet::from([w.mb]));
    let scoped = w.server.login("scoped", PASSWORD);
    let (s, v) = operate(
        &w.server,
        &scoped,
        &w.mn.to_string(),
        json!({"type": "company_changed", "company": w.b}),
    );
    assert_eq!(s, 403, "field staff do not set companies: {v}");
    let (s, v) = operate(
        &w.server,
        &w.admin,
        &w.mn.to_string(),
        json!({"type": "company_changed", "company": CompanyId::new()}),
    );
    assert_eq!(s, 422, "an unknown company: {v}");
    assert_eq!(w.company(w.mn), Value::Null);
    let (s, v) = operate(
        &w.server,
        &w.admin,
        &w.mn.to_string(),
        json!({"type": "company_changed", "company": w.b}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(w.company(w.mn), json!(w.b));
    let (_, audit) = w.server.get("/api/audit", Some(&w.admin));
    assert!(audit.to_string().contains("company_changed"), "audited");
    sync(&mut phone, &store);
    assert_eq!(shown(&phone), BTreeSet::from([w.mb, w.mn]));
    // Moved on to A: it leaves B's directory.
    let (s, v) = operate(
        &w.server,
        &w.admin,
        &w.mn.to_string(),
        json!({"type": "company_changed", "company": w.a}),
    );
    assert_eq!(s, 200, "{v}");
    sync(&mut phone, &store);
    assert_eq!(shown(&phone), BTreeSet::from([w.mb]));
}

#[test]
fn an_account_put_back_on_the_whole_store_gets_the_store_directory_and_every_member() {
    let w = World::new();
    let (mut phone, store) = w.scoped_device(&[w.a]);
    w.assign_companies(&[w.b]);
    sync(&mut phone, &store);
    assert!(!held(&store).contains(&docs::member_id(w.ma)));
    let (s, v) = w.assign(&w.scoped, json!({"scope": "store"}));
    assert_eq!(s, 200, "{v}");
    sync(&mut phone, &store);
    assert_eq!(shown(&phone), BTreeSet::from([w.ma, w.mb, w.mn]));
    assert!(held(&store).contains(&docs::directory_id(w.store)));
    assert!(
        held(&store).contains(&docs::member_id(w.ma)),
        "fetched again"
    );
}

#[test]
fn assignments_that_cannot_be_made_are_refused_and_change_nothing() {
    let w = World::new();
    w.assign_companies(&[w.a]);
    let scoped = w.server.login("scoped", PASSWORD);
    let (s, v) = w.assign(&w.scoped, json!({"scope": "companies", "companies": []}));
    assert_eq!(s, 400, "{v}");
    let (s, v) = w.assign(&w.scoped, json!({"scope": "store", "companies": [w.a]}));
    assert_eq!(s, 422, "{v}");
    let (s, v) = w.assign(
        &w.scoped,
        json!({"scope": "companies", "companies": [CompanyId::new()]}),
    );
    assert_eq!(s, 422, "{v}");
    let (_, me) = w.server.get("/api/me", Some(&w.admin));
    let (s, v) = w.assign(
        me["user"]["id"].as_str().unwrap(),
        json!({"scope": "companies", "companies": [w.a]}),
    );
    assert_eq!(s, 422, "only field staff are assigned: {v}");
    let (s, v) = w.server.put(
        &format!("/api/users/{}/assignment", w.wide),
        &json!({"scope": "companies", "companies": [w.a]}),
        Some(&scoped),
    );
    assert_eq!(s, 403, "field staff do not assign: {v}");
    assert_eq!(w.listed(&scoped), BTreeSet::from([w.ma]));
}

#[test]
fn an_open_connection_stops_receiving_a_member_once_narrowed() {
    let w = World::new();
    w.assign_companies(&[w.a, w.b]);
    let token = w.server.login("scoped", PASSWORD);
    let mut peer = Peer::connect(&w.server, &token);
    let file_a = docs::member_id(w.ma);
    let file_b = docs::member_id(w.mb);
    assert!(
        fetch_on(&mut peer, file_a).is_some(),
        "A's member is readable"
    );
    assert!(
        fetch_on(&mut peer, file_b).is_some(),
        "B's member is readable"
    );

    // Narrowed to B while the connection stays open; then both members' files change.
    w.assign_companies(&[w.b]);
    for m in [w.ma, w.mb] {
        let (s, v) = operate(
            &w.server,
            &w.admin,
            &m.to_string(),
            json!({"type": "manual_grant", "points": 10, "reason": "活动补录"}),
        );
        assert_eq!(s, 200, "{v}");
    }
    // The change to B's file arrives; A's file is withdrawn, never sent.
    let (mut got_b, mut withdrawn_a) = (false, false);
    while !(got_b && withdrawn_a) {
        match peer.recv() {
            Message::Sync { document_id, .. } => {
                assert_ne!(document_id, file_a, "a narrowed connection got A's member");
                got_b |= document_id == file_b;
            }
            Message::DocUnavailable { document_id, .. } => {
                assert_eq!(document_id, file_a);
                withdrawn_a = true;
            }
            Message::Error { message, .. } => panic!("server error: {message}"),
            _ => {}
        }
    }
}

#[test]
fn store_wide_field_staff_may_visit_a_company_signed_after_they_registered() {
    let w = World::new();
    let (mut wide, store) = w.native_device("wide", "wide");
    let (mut scoped, scoped_store) = w.native_device("scoped", "scoped");
    w.assign_companies(&[w.a]);
    sync(&mut wide, &store);
    sync(&mut scoped, &scoped_store);
    assert_eq!(visitable(&wide), sorted(vec![w.a, w.b]));
    assert_eq!(visitable(&scoped), vec![w.a]);

    let c = agreement(&w.server, &w.admin, &w.advisor, "丙机械有限公司");
    sync(&mut wide, &store);
    sync(&mut scoped, &scoped_store);
    assert_eq!(
        visitable(&wide),
        sorted(vec![w.a, w.b, c]),
        "the new company reaches store-wide staff at their next sync"
    );
    assert_eq!(
        visitable(&scoped),
        vec![w.a],
        "company-scoped staff keep their companies"
    );
}
