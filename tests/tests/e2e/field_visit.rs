//! The whole field visit (DOMAIN.md §2, §4, §6), recorded offline on real devices and synced to
//! the real server: enrollment with the documents seen, the channel and the referrer found in the
//! device's directory; the pre-inspection day at a company under agreement, whose fault becomes a
//! care lead; and benefits used on site on two devices beyond the allowance, a conflict.

use std::time::Duration;

use carclub_client::native::{self, DirStore};
use carclub_client::{BenefitInput, ClientError, Device, EnrollInput};
use carclub_shared::{CompanyId, MemberId};
use carclub_tests::TestServer;
use carclub_tests::accounts::{PASSWORD, create_user, file, operate};
use serde_json::{Value, json};

/// The home store (preset A) with a corporate agreement and two field staff accounts.
struct World {
    server: TestServer,
    admin: String,
    company: CompanyId,
}

impl World {
    fn new() -> World {
        let server = TestServer::start();
        let admin = server.admin();
        let (_, me) = server.get("/api/me", Some(&admin));
        let store = me["user"]["store"].as_str().unwrap().to_owned();
        let advisor = create_user(&server, &admin, "sa", "service_advisor", &store);
        let (s, v) = server.post(
            "/api/corporate-accounts",
            &json!({"company": "华南物流有限公司", "term_start": "2026-03-01",
                    "fleet_price_note": "车队价：指导价下浮5%",
                    "contact": {"name": "李经理", "phone": "13800138000"},
                    "service_advisor": advisor, "on_site_check_days": []}),
            Some(&admin),
        );
        assert_eq!(s, 201, "agreement: {v}");
        let company = v["id"].as_str().unwrap().parse().unwrap();
        create_user(&server, &admin, "field1", "field_staff", &store);
        create_user(&server, &admin, "field2", "field_staff", &store);
        World {
            server,
            admin,
            company,
        }
    }

    /// A field device registered for `user`, synced once.
    fn device(&self, user: &str) -> (Device, DirStore) {
        let store = DirStore::open(&self.server.path(user)).unwrap();
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
        sync(&mut device, &store);
        (device, store)
    }

    fn file(&self, member: MemberId) -> Value {
        let (s, f) = file(&self.server, &self.admin, &member.to_string());
        assert_eq!(s, 200, "{f}");
        f
    }

    fn approve(&self, member: MemberId) {
        let (s, v) = operate(
            &self.server,
            &self.admin,
            &member.to_string(),
            json!({"type": "enrollment_approved"}),
        );
        assert_eq!(s, 200, "{v}");
    }

    /// The inspection follow-ups the store's care list holds for `member`.
    fn leads(&self, member: MemberId) -> Vec<Value> {
        let (s, v) = self.server.get(
            &format!("/api/care/tasks?kind=inspection_follow_up&member={member}"),
            Some(&self.admin),
        );
        assert_eq!(s, 200, "{v}");
        v["tasks"].as_array().unwrap().clone()
    }
}

fn sync(device: &mut Device, store: &DirStore) {
    native::sync(device, store, Duration::from_secs(60)).unwrap();
    assert_eq!(device.pending_events(), 0, "every event answered");
}

fn person(n: u32, tier: &str, fee_fen: i64) -> EnrollInput {
    EnrollInput {
        name: format!("车主{n}"),
        phone: format!("1390000{n:04}"),
        vin: format!("LSVAU2180N40{n:05}"),
        plate: format!("粤B4{n:04}"),
        tier: tier.into(),
        fee_fen,
        receipt: (fee_fen > 0).then(|| format!("R-FV-{n}")),
        card: None,
        id_number: None,
        model: None,
        documents_seen: Vec::new(),
        channel: None,
        referrer: None,
    }
}

fn documents(names: &[&str]) -> Vec<carclub_shared::events::DocumentKind> {
    names
        .iter()
        .map(|n| serde_json::from_value(json!(n)).unwrap())
        .collect()
}

fn checks(fault: Option<&str>) -> Vec<Value> {
    [
        "ac_belt",
        "engine_belt",
        "chassis",
        "suspension",
        "engine_running",
        "tires",
    ]
    .iter()
    .map(|item| match fault {
        Some(f) if f == *item => json!({"item": item, "state": "fault", "note": "胎纹磨平"}),
        _ if *item == "engine_belt" => {
            json!({"item": item, "state": "attention", "note": "轻微裂纹"})
        }
        _ => json!({"item": item, "state": "ok"}),
    })
    .collect()
}

fn now() -> i64 {
    native::now_ms()
}

#[test]
fn an_on_site_enrollment_keeps_its_documents_channel_and_referrer() {
    let w = World::new();
    let (mut phone, store) = w.device("field1");
    // The referrer joined at the desk and is in the directory.
    let referrer = phone
        .enroll_input(person(1, "standard", 18000), now())
        .unwrap();
    sync(&mut phone, &store);
    w.approve(referrer);
    sync(&mut phone, &store);

    // Offline at the company: the referrer is found by phone, card or name.
    phone
        .start_visit_at("华南物流园", Some(w.company), now())
        .unwrap();
    let found = phone.find_members("1390000 0001", 10);
    assert_eq!(found.len(), 1, "by phone: {found:?}");
    assert_eq!(found[0].id, referrer.to_string());
    let card = found[0].card.clone();
    assert_eq!(
        phone.find_members(&card, 10)[0].id,
        referrer.to_string(),
        "by card"
    );
    assert_eq!(
        phone.find_members("车主1", 10)[0].id,
        referrer.to_string(),
        "by name"
    );

    let mut referred = person(2, "standard", 18000);
    referred.channel = Some("referral".into());
    referred.referrer = Some(MemberId::new().to_string());
    let err = phone.enroll_input(referred.clone(), now()).unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Invalid {
                field: "referrer",
                ..
            }
        ),
        "a referrer the device does not know is refused: {err}"
    );
    referred.referrer = Some(referrer.to_string());
    referred.documents_seen = documents(&[
        "id_card",
        "driver_licence",
        "vehicle_licence",
        "application_form",
    ]);
    let referred = phone.enroll_input(referred, now()).unwrap();

    let mut bought = person(3, "standard", 0);
    bought.channel = Some("purchase".into());
    bought.documents_seen = documents(&["id_card", "vehicle_licence"]);
    let err = phone.enroll_input(bought.clone(), now()).unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Invalid {
                field: "documents",
                ..
            }
        ),
        "a car bought here is enrolled on its invoice: {err}"
    );
    bought.documents_seen = documents(&["id_card", "vehicle_licence", "purchase_invoice"]);
    let bought = phone.enroll_input(bought, now()).unwrap();
    phone.end_visit("", now()).unwrap();
    sync(&mut phone, &store);

    let f = w.file(referred);
    assert_eq!(f["channel"], "referral", "{f}");
    assert_eq!(
        f["documents"],
        json!([
            "id_card",
            "driver_licence",
            "vehicle_licence",
            "application_form"
        ])
    );
    assert_eq!(f["referrer"]["id"], json!(referrer), "{f}");
    assert_eq!(f["referrer"]["name"], "车主1");
    assert_eq!(
        f["company"],
        json!(w.company),
        "a referral during the visit belongs to its company"
    );
    let r = w.file(referrer);
    assert_eq!(
        r["state"]["measures"]["referrals_since_joined"], 1,
        "{}",
        r["state"]["measures"]
    );

    let f = w.file(bought);
    assert_eq!(f["channel"], "purchase");
    assert_eq!(f["fee"], 0, "the card is a gift with a car bought here");
    assert_eq!(
        f["documents"],
        json!(["id_card", "vehicle_licence", "purchase_invoice"])
    );
    assert_eq!(f["company"], json!(w.company));
    assert!(f.get("referrer").is_none());
}

#[test]
fn a_pre_inspection_day_puts_each_check_on_file_and_a_fault_becomes_one_care_lead() {
    let w = World::new();
    let (mut phone, store) = w.device("field1");
    phone
        .start_visit_at("华南物流园", Some(w.company), now())
        .unwrap();
    let fine = phone
        .enroll_input(person(11, "standard", 18000), now())
        .unwrap();
    let worn = phone
        .enroll_input(person(12, "standard", 18000), now())
        .unwrap();
    phone.end_visit("", now()).unwrap();
    sync(&mut phone, &store);

    // The pre-inspection day, offline: two vehicles, one with a fault.
    phone
        .start_visit_at("华南物流园 冬季检查", Some(w.company), now())
        .unwrap();
    let incomplete = json!({"member": fine, "vin": "LSVAU2180N4000011",
        "checks": checks(None)[..5].to_vec()});
    let err = phone
        .pre_inspect_json(&incomplete.to_string(), now())
        .unwrap_err();
    assert!(
        err.to_string().contains("tires"),
        "the whole checklist: {err}"
    );
    let other_car = json!({"member": fine, "vin": "LSVAU2180N4000012", "checks": checks(None)});
    let err = phone
        .pre_inspect_json(&other_car.to_string(), now())
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Invalid { field: "vin", .. }),
        "{err}"
    );
    let ok = json!({"member": fine, "vin": "LSVAU2180N4000011", "checks": checks(None)});
    phone.pre_inspect_json(&ok.to_string(), now()).unwrap();
    let fault = json!({"member": worn, "vin": "LSVAU2180N4000012", "checks": checks(Some("tires")),
        "recommended": "更换前轮轮胎"});
    phone.pre_inspect_json(&fault.to_string(), now()).unwrap();
    phone.end_visit("冬季检查两辆车", now()).unwrap();
    assert!(
        w.leads(worn).is_empty(),
        "nothing reaches the store before the sync"
    );
    sync(&mut phone, &store);

    let f = w.file(worn);
    let inspections = &f["state"]["care"]["vehicles"][0]["inspections"];
    assert_eq!(inspections.as_array().unwrap().len(), 1, "{f}");
    let tires = inspections[0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["item"] == "tires")
        .unwrap();
    assert_eq!(tires["state"], "fault");
    assert_eq!(tires["note"], "胎纹磨平");
    assert_eq!(inspections[0]["recommended"], "更换前轮轮胎");
    let f = w.file(fine);
    assert_eq!(
        f["state"]["care"]["vehicles"][0]["inspections"][0]["checks"][1]["state"], "attention",
        "every check is on file, in the checklist's order"
    );

    let leads = w.leads(worn);
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["state"], "open");
    assert_eq!(leads[0]["vin"], "LSVAU2180N4000012");
    assert!(
        w.leads(fine).is_empty(),
        "nothing at fault, nothing recommended: no lead"
    );
    // The care run of the day finds the lead made and keeps it open: one task, not two.
    let (s, v) = w.server.post("/api/care/run", &json!({}), Some(&w.admin));
    assert_eq!(s, 200, "{v}");
    let again = w.leads(worn);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["id"], leads[0]["id"]);
    assert_eq!(again[0]["state"], "open");
}

#[test]
fn benefits_used_on_two_devices_beyond_the_allowance_are_a_conflict() {
    let w = World::new();
    let (mut one, store1) = w.device("field1");
    // Silver: one 4-wheel alignment a year.
    let member = one
        .enroll_input(person(21, "silver", 28000), now())
        .unwrap();
    sync(&mut one, &store1);
    w.approve(member);
    sync(&mut one, &store1);
    let (mut two, store2) = w.device("field2");

    let left = |d: &Device| {
        d.member_detail(&member.to_string())
            .unwrap()
            .benefits
            .into_iter()
            .find(|b| b.id == "wheel_alignment")
            .unwrap()
            .remaining
    };
    assert_eq!(left(&one), Some(1));
    assert_eq!(left(&two), Some(1));
    let use_one = || BenefitInput {
        member: member.to_string(),
        benefit: "wheel_alignment".into(),
        count: 1,
        value_fen: 20000,
    };
    // Both offline: each uses what it knows is left.
    one.use_benefit(use_one(), now()).unwrap();
    assert_eq!(left(&one), Some(0), "counted on the device at once");
    let err = one.use_benefit(use_one(), now()).unwrap_err();
    assert!(
        matches!(err, ClientError::Invalid { field: "count", .. }),
        "{err}"
    );
    two.use_benefit(use_one(), now()).unwrap();
    sync(&mut one, &store1);
    sync(&mut two, &store2);

    let (s, v) = w.server.get("/api/conflicts", Some(&w.admin));
    assert_eq!(s, 200, "{v}");
    let overused: Vec<&Value> = v["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "benefit_overused" && c["members"] == json!([member]))
        .collect();
    assert_eq!(overused.len(), 1, "{v}");
    let f = w.file(member);
    let alignment = f["state"]["benefits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == "wheel_alignment")
        .unwrap()
        .clone();
    assert_eq!(alignment["used"], 2, "both uses are kept: {alignment}");
    assert_eq!(alignment["value_used"], 40000);
    sync(&mut one, &store1);
    assert_eq!(
        left(&one),
        Some(0),
        "the device shows the server's count once synced"
    );
}

#[test]
fn a_pre_inspection_day_offline_in_the_browser_reaches_the_member_file_and_the_care_list() {
    carclub_tests::browser::require_web_app();
    let w = World::new();
    let (mut phone, store) = w.device("field1");
    phone
        .start_visit_at("华南物流园", Some(w.company), now())
        .unwrap();
    let _fine = phone
        .enroll_input(person(31, "standard", 18000), now())
        .unwrap();
    let worn = phone
        .enroll_input(person(32, "standard", 18000), now())
        .unwrap();
    phone.end_visit("", now()).unwrap();
    sync(&mut phone, &store);

    carclub_tests::browser::drive(
        "field-visit.mjs",
        &w.server,
        &[
            ("--user", "field2".to_owned()),
            ("--password", PASSWORD.to_owned()),
            ("--company", "华南物流有限公司".to_owned()),
            ("--fine", "车主31".to_owned()),
            ("--worn", "车主32".to_owned()),
            ("--worn-id", worn.to_string()),
            ("--admin", "admin".to_owned()),
            ("--admin-password", carclub_tests::ADMIN_PASSWORD.to_owned()),
        ],
    );

    let f = w.file(worn);
    let inspections = f["state"]["care"]["vehicles"][0]["inspections"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(inspections.len(), 1, "{f}");
    let leads = w.leads(worn);
    assert_eq!(leads.len(), 1, "the fault is one care lead: {leads:?}");
}
