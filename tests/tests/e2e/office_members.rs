//! The back office's members screens in a real browser against the real server: two field devices
//! enrolled the same vehicle offline (a duplicate_vin conflict); the first member is approved,
//! settles an order, uses a benefit, refers a prospect, attends a club event and is complained
//! about, so every part of the file has rows. In the browser the administrator
//! searches by plate and by name, opens the file and reads the order in the ledger, hands out a
//! member-app invitation code, resolves the conflict keeping the first member and assigns a field
//! staff account to a company; a service advisor and reception see only what their roles may use.
//! The service advisor finds the orders settled at the till (a repair, a maintenance with its
//! odometer reading) among the visits of the member's lifelong service file and records the
//! owner's birthday, home region, call slots and SMS consent, the vehicle's delivery, insurer and
//! insurance expiry, a mileage reading and a regular service done at another store (a reading that
//! would turn the odometer back is refused).
//! The server then holds the decision, the assignment, the service file as recorded, and a code
//! that opens a member login.
//!
//! Needs, and does not build: the web app (`scripts/build-web` → `web/dist`), the browser driver
//! (`npm install --prefix tests/js`), Node.js and Chromium (`/usr/bin/chromium`, or `CHROMIUM`).

use carclub_tests::accounts::{PASSWORD, create_user, home_store};
use carclub_tests::time::{now_ms, ts};
use carclub_tests::{ADMIN_PASSWORD, Device, TestServer, urlencode};
use serde_json::{Value, json};

const NAME: &str = "李明";
const TWIN: &str = "李明的同事";
const PLATE: &str = "粤B62718";
const VIN: &str = "LSVAM4187N2062718";
const RECEIPT: &str = "S-2026-118";
const COMPANY: &str = "丁物流有限公司";
const NOTE: &str = "一车一卡：保留李明的卡，另一份入会退会并退还会费";
const MAINTENANCE_RECEIPT: &str = "S-2026-119";
const ORDER_KM: u64 = 11_000;
const BIRTHDAY: &str = "1985-06-12";
const DELIVERED: &str = "2026-03-18";
const INSURANCE: &str = "2027-03-17";
/// An annual inspection day already passed (the file marks it so).
const INSPECTION: &str = "2026-01-31";
const INSURER: &str = "平安财险";
const KM: u64 = 12_345;
const VISIT_ON: &str = "2026-09-20";
const VISIT_KM: u64 = 9_800;
const ELSEWHERE_STORE: &str = "佛山禅城某4S店";
const ELSEWHERE_PLACE: &str = "佛山市禅城区";
/// What the visit at the other store cost, in yuan as typed, and in fen as the server holds it.
const ELSEWHERE_COST: (&str, i64) = ("680.50", 68_050);

#[test]
fn the_back_office_finds_a_member_reads_the_ledger_resolves_and_assigns_in_the_browser() {
    carclub_tests::browser::require_web_app();
    let server = TestServer::start();
    let admin = server.admin();
    let store = home_store(&server, &admin);

    // Two devices enroll the same vehicle offline, then sync: both kept, one conflict.
    let d1 = Device::new(&server.path("d1"));
    let d2 = Device::new(&server.path("d2"));
    d1.register(&server, "展厅平板一");
    d2.register(&server, "外拓平板二");
    let member = d1.enroll(NAME, "13900001234", VIN, PLATE, "R-301");
    let twin = d2.enroll(TWIN, "13900005678", VIN, PLATE, "R-302");
    d1.ok(&["sync"]);
    d2.ok(&["sync"]);
    let (s, list) = server.get("/api/conflicts", Some(&admin));
    assert_eq!(s, 200, "{list}");
    let conflict = list["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "duplicate_vin")
        .unwrap_or_else(|| panic!("a duplicate_vin conflict: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The first member approved, an order settled and a wash used: the ledger has rows.
    let op = |body: Value| {
        let (s, v) = server.post(
            &format!("/api/members/{member}/operations"),
            &body,
            Some(&admin),
        );
        assert_eq!(s, 200, "{body}: {v}");
        v["state"].clone()
    };
    op(json!({"type": "enrollment_approved"}));
    let st = op(
        json!({"type": "order_settled", "order": {"receipt": RECEIPT,
        "lines": [{"category": "labor", "amount": 100_000}], "promotion": false}}),
    );
    let points = st["points"].as_u64().expect("points");
    assert!(points > 0, "the order earned points: {st}");
    op(json!({"type": "benefit_used", "benefit": "free_wash", "value": 3000}));
    // A maintenance settled at the till with the odometer read: a regular service in the service
    // file, and a mileage reading.
    op(
        json!({"type": "order_settled", "order": {"receipt": MAINTENANCE_RECEIPT,
        "lines": [{"category": "labor", "amount": 30_000}], "promotion": false,
        "maintenance": true, "mileage_km": ORDER_KM}}),
    );
    // A referral, a club event attended and a complaint, so every part of the file has something.
    op(json!({"type": "referral_recorded", "prospect": "13700001111", "name": "王小明"}));
    let (s, ev) = server.post(
        "/api/club-events",
        &json!({"title": "车主讲堂：冬季保养", "kind": "lecture", "starts_at": ts(now_ms() + 60_000),
                "place": "本店二楼", "capacity": 20}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{ev}");
    let event = ev["id"].as_str().unwrap().to_owned();
    let (s, v) = server.post(
        &format!("/api/club-events/{event}/attendance"),
        &json!({"member": member}),
        Some(&admin),
    );
    assert!(s == 200 || s == 201, "attendance: {s} {v}");
    let (s, v) = server.post(
        "/api/complaints",
        &json!({"channel": "phone", "level": "complaint", "member": member,
                "text": "保养等候时间太长，希望能提前预约"}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{v}");
    let (s, file) = server.get(&format!("/api/members/{member}"), Some(&admin));
    assert_eq!(s, 200, "{file}");
    let balance = file["state"]["points"].as_u64().expect("points");

    // Staff: a field staff account, a corporate agreement, and two roles with fewer permissions.
    let advisor = create_user(&server, &admin, "advisor1", "service_advisor", &store);
    let staff = create_user(&server, &admin, "field1", "field_staff", &store);
    create_user(&server, &admin, "reception1", "reception", &store);
    let (s, a) = server.post(
        "/api/corporate-accounts",
        &json!({"company": COMPANY, "term_start": "2026-03-01",
                "fleet_price_note": "车队价", "service_advisor": advisor,
                "contact": {"name": "赵经理", "phone": "13800138001"},
                "on_site_check_days": []}),
        Some(&admin),
    );
    assert_eq!(s, 201, "{a}");
    let company = a["id"].as_str().unwrap().to_owned();

    let output = carclub_tests::browser::drive(
        "office-members.mjs",
        &server,
        &[
            ("--user", "admin".to_owned()),
            ("--password", ADMIN_PASSWORD.to_owned()),
            ("--name", NAME.to_owned()),
            ("--plate", PLATE.to_owned()),
            ("--receipt", RECEIPT.to_owned()),
            ("--points", points.to_string()),
            ("--balance", balance.to_string()),
            ("--note", NOTE.to_owned()),
            ("--field-staff", "field1".to_owned()),
            ("--company", COMPANY.to_owned()),
            ("--advisor", "advisor1".to_owned()),
            ("--reception", "reception1".to_owned()),
            ("--staff-password", PASSWORD.to_owned()),
            ("--vin", VIN.to_owned()),
            ("--birthday", BIRTHDAY.to_owned()),
            ("--delivered", DELIVERED.to_owned()),
            ("--insurance", INSURANCE.to_owned()),
            ("--inspection", INSPECTION.to_owned()),
            ("--insurer", INSURER.to_owned()),
            ("--km", KM.to_string()),
            ("--order-km", ORDER_KM.to_string()),
            ("--visit-on", VISIT_ON.to_owned()),
            ("--visit-km", VISIT_KM.to_string()),
            ("--elsewhere-store", ELSEWHERE_STORE.to_owned()),
            ("--elsewhere-place", ELSEWHERE_PLACE.to_owned()),
            ("--elsewhere-cost", ELSEWHERE_COST.0.to_owned()),
            ("--bad-on", "2026-10-01".to_owned()),
            ("--bad-km", "20000".to_owned()),
        ],
    );

    // The service file holds what the advisor recorded in the browser, and the order as a visit.
    let (s, file) = server.get(&format!("/api/members/{member}"), Some(&admin));
    assert_eq!(s, 200, "{file}");
    assert_eq!(
        file["state"]["care"]["person"],
        json!({"birthday": BIRTHDAY, "region": "non_local",
               "call_slots": ["morning", "evening"], "sms_consent": true}),
        "{file}"
    );
    let vehicle = file["state"]["care"]["vehicles"]
        .as_array()
        .unwrap_or_else(|| panic!("a service file: {file}"))
        .iter()
        .find(|v| v["vin"] == VIN)
        .unwrap_or_else(|| panic!("the vehicle in the service file: {file}"))
        .clone();
    assert_eq!(vehicle["facts"]["delivered"], DELIVERED, "{vehicle}");
    assert_eq!(vehicle["facts"]["insurance_expiry"], INSURANCE, "{vehicle}");
    assert_eq!(vehicle["facts"]["insurer"], INSURER, "{vehicle}");
    assert_eq!(vehicle["facts"]["inspection_due"], INSPECTION, "{vehicle}");
    let readings = vehicle["readings"].as_array().unwrap();
    assert!(
        readings.iter().any(|r| r["km"] == KM),
        "the reading of {KM} km: {vehicle}"
    );
    assert!(
        !readings.iter().any(|r| r["km"] == 20_000),
        "the refused reading is not held: {vehicle}"
    );
    let visits = vehicle["visits"].as_array().unwrap();
    let elsewhere: Vec<&Value> = visits
        .iter()
        .filter(|v| !v["elsewhere"].is_null())
        .collect();
    assert_eq!(elsewhere.len(), 1, "one visit at another store: {vehicle}");
    let visit = elsewhere[0];
    assert_eq!(visit["on"], VISIT_ON, "{visit}");
    assert_eq!(visit["km"], VISIT_KM, "{visit}");
    assert_eq!(visit["kind"], "regular_service", "{visit}");
    assert_eq!(visit["advisor"], advisor.as_str(), "{visit}");
    assert_eq!(
        visit["elsewhere"],
        json!({"store": ELSEWHERE_STORE, "place": ELSEWHERE_PLACE, "cost": ELSEWHERE_COST.1}),
        "{visit}"
    );
    assert!(
        visits
            .iter()
            .any(|v| v["elsewhere"].is_null() && v["kind"] == "repair"),
        "the order settled at the till is a repair visit: {vehicle}"
    );
    assert!(
        visits.iter().any(|v| v["elsewhere"].is_null()
            && v["kind"] == "regular_service"
            && v["km"] == ORDER_KM),
        "the maintenance settled at the till is a regular service at {ORDER_KM} km: {vehicle}"
    );
    assert!(
        readings.iter().any(|r| r["km"] == ORDER_KM),
        "the till's odometer reading: {vehicle}"
    );

    // The conflict is resolved with the decision taken in the browser: the first member kept.
    let (s, shown) = server.get(
        &format!("/api/conflicts/{}", urlencode(&conflict)),
        Some(&admin),
    );
    assert_eq!(s, 200, "{shown}");
    assert_eq!(shown["conflict"]["resolved"], true, "{shown}");
    assert_eq!(shown["resolution"]["note"], NOTE, "{shown}");
    assert_eq!(shown["resolution"]["keep"], member.as_str(), "{shown}");
    assert!(
        shown["conflict"]["members"]
            .as_array()
            .unwrap()
            .contains(&json!(twin)),
        "the conflict named the second device's member: {shown}"
    );

    // The field staff account works with the company only.
    let (s, body) = server.get(&format!("/api/users/{staff}/assignment"), Some(&admin));
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body["assignment"],
        json!({"scope": "companies", "companies": [company]}),
        "{body}"
    );

    // The invitation code shown in the browser opens the member's own login.
    let code = output
        .lines()
        .find_map(|l| l.strip_prefix("INVITE_CODE "))
        .unwrap_or_else(|| panic!("the script printed the invitation code:\n{output}"))
        .trim()
        .to_owned();
    let (s, signed) = server.post(
        "/api/member-signup",
        &json!({"code": code, "username": "liming", "password": "member-pw-2026"}),
        None,
    );
    assert_eq!(s, 201, "{signed}");
    assert_eq!(signed["member"], member.as_str(), "{signed}");
}
