//! The back office's screens read three things the server works out: the enrollments awaiting
//! approval with their deadlines (001: effective within 3 working days), a member's history with
//! the points each event moved as the program engine computed them, and the program a store runs.
//! Members are enrolled by a field staff member's device over sync, as in the field.

use carclub_shared::workdays::{ApprovalDeadline, approval_deadline};
use carclub_shared::{MemberId, StoreId, Timestamp};
use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, member_login, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::{DAY_MS, ago, now_ms};
use carclub_tests::{Server, TestServer};
use serde_json::{Value, json};

use crate::rule;

/// The day `days` days ago in the stores' time zone, as the API writes dates (`YYYY-MM-DD`).
fn day_ago(days: i64) -> String {
    Timestamp::from_millis(now_ms() - days * DAY_MS)
        .date()
        .to_string()
}

/// Where an enrollment of `days` days ago stands today.
fn deadline(days: i64) -> ApprovalDeadline {
    let day = |d: i64| Timestamp::from_millis(now_ms() - d * DAY_MS).date();
    approval_deadline(day(days), day(0))
}

/// Records an enrollment on `device`, `days_ago` days back, on the tier and fee of preset B's Guest
/// card; returns the member and the card.
fn enroll(
    device: &mut JournalDevice,
    days_ago: i64,
    n: u32,
    channel: Value,
    documents: &[&str],
) -> (String, String) {
    let member = MemberId::new().to_string();
    let card = device.next_card();
    device.record(
        days_ago,
        json!({
            "type": "enrolled", "member": member,
            "person": {"name": format!("会员{n}"), "phone": format!("1390000{n:04}")},
            "vehicle": {"vin": format!("LSVAU2180N41{n:05}"), "plate": format!("粤D{n:05}")},
            "tier": "guest", "channel": channel, "documents_seen": documents, "fee": 30000,
            "receipt": format!("R-OF-{n}"), "card": card
        }),
    );
    (member, card)
}

/// Signs in a new staff account `username` with `role` in `store`; its id and token.
fn staff(
    server: &Server,
    admin: &str,
    username: &str,
    role: &str,
    store: &str,
) -> (String, String) {
    let id = create_user(server, admin, username, role, store);
    (id, server.login(username, PASSWORD))
}

fn ids(list: &Value) -> Vec<String> {
    list["pending"]
        .as_array()
        .unwrap_or_else(|| panic!("a pending list: {list}"))
        .iter()
        .map(|e| e["member"].as_str().expect("a member id").to_owned())
        .collect()
}

#[test]
fn pending_enrollments_are_listed_oldest_first_with_their_deadline_for_those_who_approve() {
    let server = TestServer::start();
    let admin = server.admin();
    let west = create_store(&server, &admin, "西店", "B");
    let east = create_store(&server, &admin, "东店", "B");
    let (_, manager) = staff(&server, &admin, "mgr_w", "club_manager", &west);
    let (_, general) = staff(&server, &admin, "gm_w", "general_manager", &west);
    let (_, field) = staff(&server, &admin, "field_w", "field_staff", &west);
    let (_, finance) = staff(&server, &admin, "fin_w", "finance", &west);
    create_user(&server, &admin, "field_e", "field_staff", &east);
    let advisor = create_user(&server, &admin, "sa_w", "service_advisor", &west);
    let (s, agreement) = server.post(
        "/api/corporate-accounts",
        &json!({"company": "甲物流有限公司", "term_start": day_ago(30),
                "fleet_price_note": "车队价", "contact": {"name": "李经理", "phone": "13800138000"},
                "service_advisor": advisor, "on_site_check_days": []}),
        Some(&manager),
    );
    assert_eq!(s, 201, "the agreement: {agreement}");
    let company = agreement["id"]
        .as_str()
        .expect("the company's id")
        .to_owned();

    // West: one enrolled twelve days ago at the desk, one four days ago on site at the company,
    // one today. East: one today.
    let mut phone = JournalDevice::register(&server, "field_w", PASSWORD);
    let docs_old = ["id_card", "vehicle_licence", "application_form"];
    let (old, old_card) = enroll(&mut phone, 12, 1, json!({"kind": "desk"}), &docs_old);
    let visit = carclub_shared::VisitId::new();
    phone.record(
        4,
        json!({"type": "visit_started", "visit": visit, "site": "甲物流园区", "company": company}),
    );
    let (mid, _) = enroll(
        &mut phone,
        4,
        2,
        json!({"kind": "on_site", "visit": visit}),
        &["id_card"],
    );
    let (new, _) = enroll(&mut phone, 0, 3, json!({"kind": "desk"}), &[]);
    phone.sync(&server);
    let mut east_phone = JournalDevice::register(&server, "field_e", PASSWORD);
    let (eastern, _) = enroll(&mut east_phone, 0, 4, json!({"kind": "desk"}), &[]);
    east_phone.sync(&server);

    let (s, list) = server.get("/api/approvals", Some(&manager));
    assert_eq!(s, 200, "{list}");
    let entry = |list: &Value, member: &str| -> Value {
        list["pending"]
            .as_array()
            .and_then(|l| l.iter().find(|e| e["member"] == member))
            .cloned()
            .unwrap_or_else(|| panic!("{member} is not listed: {list}"))
    };

    rule("the store's pending enrollments, oldest first", || {
        assert_eq!(
            ids(&list),
            [old.as_str(), mid.as_str(), new.as_str()],
            "{list}"
        );
    });

    rule(
        "each says how long it waited and when it is due (3 working days)",
        || {
            assert_eq!(list["today"], day_ago(0));
            for (member, days) in [(&old, 12), (&mid, 4), (&new, 0)] {
                let e = entry(&list, member);
                let want = deadline(days);
                assert_eq!(e["working_days"], want.working_days, "{e}");
                assert_eq!(e["due"], want.due.to_string(), "{e}");
                assert_eq!(e["overdue"], want.overdue, "{e}");
                assert_eq!(e["due_soon"], want.due_soon, "{e}");
            }
            // Whatever the weekday: twelve days hold at least eight working days, so it is overdue;
            // an enrollment of today has waited none and is neither.
            let o = entry(&list, &old);
            assert_eq!(o["overdue"], true, "{o}");
            assert!(o["working_days"].as_u64().unwrap() >= 8, "{o}");
            let n = entry(&list, &new);
            assert_eq!(
                (&n["working_days"], &n["overdue"], &n["due_soon"]),
                (&json!(0), &json!(false), &json!(false)),
                "{n}"
            );
        },
    );

    rule(
        "each shows the card, tier, fee, receipt, documents seen, channel, who enrolled on which device",
        || {
            let o = entry(&list, &old);
            assert_eq!(o["name"], "会员1");
            assert_eq!(o["card"], old_card);
            assert_eq!(
                (&o["tier"], &o["tier_name"]),
                (&json!("guest"), &json!("贵宾卡 Guest"))
            );
            assert_eq!(
                (&o["fee"], &o["receipt"]),
                (&json!(30000), &json!("R-OF-1"))
            );
            assert_eq!(o["documents_seen"], json!(docs_old));
            assert_eq!(o["channel"]["kind"], "desk");
            assert_eq!(o["vehicle"]["plate"], "粤D00001");
            assert_eq!(o["enrolled_by"], phone.user.as_str());
            assert_eq!(o["enrolled_by_name"], "field_w");
            assert_eq!(o["device"], phone.device.as_str());
            assert_eq!(o["device_name"], "field_w's phone");
            assert_eq!(
                (&o["company"], &o["company_name"]),
                (&Value::Null, &Value::Null)
            );
            assert_eq!(o["store"], west.as_str());
            let m = entry(&list, &mid);
            assert_eq!(m["channel"]["kind"], "on_site");
            assert_eq!(m["company"], company.as_str());
            assert_eq!(m["company_name"], "甲物流有限公司");
        },
    );

    rule(
        "the phone is masked exactly for approvers who may not see contacts",
        || {
            let (_, matrix) = server.get("/api/permissions", None);
            for (role, token) in [
                ("club_manager", &manager),
                ("general_manager", &general),
                ("admin", &admin),
            ] {
                let ops = &matrix["operations"];
                assert_ne!(ops["decide_enrollment"][role], "—", "{role} approves");
                let (s, l) = server.get(&format!("/api/approvals?store={west}"), Some(token));
                assert_eq!(s, 200, "{role}: {l}");
                let phone = entry(&l, &old)["phone"].clone();
                if ops["see_contact"][role] == "—" {
                    assert_eq!(phone, "139****0001", "{role}");
                } else {
                    assert_eq!(phone, "13900000001", "{role}");
                }
            }
        },
    );

    rule("roles that may not approve get 403", || {
        for token in [&field, &finance] {
            let (s, v) = server.get("/api/approvals", Some(token));
            assert_eq!(s, 403, "{v}");
        }
    });

    rule(
        "group roles see every store, or the one asked for; others only theirs",
        || {
            let (s, all) = server.get("/api/approvals", Some(&admin));
            assert_eq!(s, 200, "{all}");
            assert_eq!(
                ids(&all),
                [old.as_str(), mid.as_str(), new.as_str(), eastern.as_str()]
            );
            let (s, e) = server.get(&format!("/api/approvals?store={east}"), Some(&admin));
            assert_eq!(s, 200, "{e}");
            assert_eq!(ids(&e), [eastern.as_str()]);
            let (s, v) = server.get(&format!("/api/approvals?store={east}"), Some(&manager));
            assert_eq!(s, 403, "another store: {v}");
            let (s, v) = server.get(
                &format!("/api/approvals?store={}", StoreId::new()),
                Some(&admin),
            );
            assert_eq!(s, 404, "an unknown store: {v}");
        },
    );

    rule("the list pages oldest first", || {
        let (s, first) = server.get("/api/approvals?limit=2", Some(&manager));
        assert_eq!(s, 200, "{first}");
        assert_eq!(ids(&first), [old.as_str(), mid.as_str()]);
        assert_eq!(first["next"], mid.as_str());
        let (s, rest) = server.get(
            &format!("/api/approvals?limit=2&after={mid}"),
            Some(&manager),
        );
        assert_eq!(s, 200, "{rest}");
        assert_eq!(ids(&rest), [new.as_str()]);
        assert_eq!(rest["next"], Value::Null);
    });

    rule("an approved enrollment leaves the list", || {
        let (s, v) = operate(
            &server,
            &manager,
            &old,
            json!({"type": "enrollment_approved"}),
        );
        assert_eq!(s, 200, "{v}");
        let (s, l) = server.get("/api/approvals", Some(&manager));
        assert_eq!(s, 200, "{l}");
        assert_eq!(ids(&l), [mid.as_str(), new.as_str()]);
    });
}

#[test]
fn a_members_history_shows_each_event_with_the_points_and_balance_the_engine_computed() {
    let server = TestServer::start();
    let admin = server.admin();
    let west = create_store(&server, &admin, "西店", "B");
    let east = create_store(&server, &admin, "东店", "B");
    let (manager_id, manager) = staff(&server, &admin, "mgr_w", "club_manager", &west);
    let (_, finance) = staff(&server, &admin, "fin_w", "finance", &west);
    let (_, reception) = staff(&server, &admin, "rec_w", "reception", &west);
    let (_, other_store) = staff(&server, &admin, "mgr_e", "club_manager", &east);
    create_user(&server, &admin, "field_w", "field_staff", &west);
    let mut phone = JournalDevice::register(&server, "field_w", PASSWORD);
    let (member, card) = enroll(&mut phone, 30, 1, json!({"kind": "desk"}), &["id_card"]);
    phone.sync(&server);

    // Approved, an order settled (labor 1,000 yuan at the Guest card's 5 % off, 6,000 yuan of
    // accessories), a wash, then 500 points redeemed by finance.
    let ops = [
        (
            &manager,
            json!({"type": "enrollment_approved", "at": ago(29)}),
        ),
        (
            &manager,
            json!({"type": "order_settled", "at": ago(20), "order": {"receipt": "W-OF-1",
                "card": card, "lines": [{"category": "labor", "amount": 100_000},
                                        {"category": "cash", "amount": 600_000}]}}),
        ),
        (
            &manager,
            json!({"type": "benefit_used", "at": ago(10), "benefit": "free_wash", "value": 3000}),
        ),
        (
            &finance,
            json!({"type": "points_redeemed", "points": 500, "item": "保养券"}),
        ),
    ];
    for (token, op) in ops {
        let (s, v) = operate(&server, token, &member, op);
        assert_eq!(s, 200, "{v}");
    }

    let (s, history) = server.get(&format!("/api/members/{member}/history"), Some(&manager));
    assert_eq!(s, 200, "{history}");
    let entries = history["entries"].as_array().expect("entries").clone();

    rule(
        "every event in the engine's order, with points moved and balance after",
        || {
            let got: Vec<(String, i64, u64)> = entries
                .iter()
                .map(|e| {
                    (
                        e["type"].as_str().unwrap().to_owned(),
                        e["points"].as_i64().unwrap(),
                        e["balance"].as_u64().unwrap(),
                    )
                })
                .collect();
            // B: 1 point per 10 yuan paid: 950 + 6,000 = 6,950 yuan → 695 points; 500 redeemed.
            let want = [
                ("enrolled", 0, 0),
                ("enrollment_approved", 0, 0),
                ("order_settled", 695, 695),
                ("benefit_used", 0, 695),
                ("points_redeemed", -500, 195),
            ];
            let want: Vec<(String, i64, u64)> = want
                .iter()
                .map(|(k, p, b)| ((*k).to_owned(), *p, *b))
                .collect();
            assert_eq!(got, want, "{history}");
            assert_eq!(history["omitted"], 0);
            assert_eq!(history["member"], member.as_str());
        },
    );

    rule("the last balance is the member's points on file", || {
        let (s, f) = file(&server, &manager, &member);
        assert_eq!(s, 200, "{f}");
        assert_eq!(entries.last().unwrap()["balance"], f["state"]["points"]);
    });

    rule("receipts, money, who recorded it and what it was", || {
        let (enrolled, approved, order, wash, redeemed) = (
            &entries[0],
            &entries[1],
            &entries[2],
            &entries[3],
            &entries[4],
        );
        assert_eq!(
            (&enrolled["receipt"], &enrolled["amount"]),
            (&json!("R-OF-1"), &json!(30000))
        );
        assert_eq!(enrolled["author"], phone.user.as_str());
        assert_eq!(enrolled["author_name"], "field_w");
        assert_eq!(approved["author"], manager_id.as_str());
        assert_eq!(approved["author_name"], "mgr_w");
        assert_eq!(approved["status"], "active");
        assert_eq!(order["receipt"], "W-OF-1");
        assert_eq!(
            (&order["amount"], &order["discount"]),
            (&json!(700_000), &json!(5000))
        );
        assert!(
            order["description"]
                .as_str()
                .unwrap()
                .contains("695 points"),
            "{order}"
        );
        assert_eq!(
            (&wash["amount"], &wash["receipt"]),
            (&json!(3000), &Value::Null)
        );
        assert_eq!(
            redeemed["amount"], 10_000,
            "001: 500 points are worth 100 yuan"
        );
        assert_eq!(redeemed["author_name"], "fin_w");
        for e in &entries {
            assert!(e["event"].is_string(), "{e}");
            assert!(!e["description"].as_str().unwrap().is_empty(), "{e}");
            assert!(e["at"].is_string(), "{e}");
        }
    });

    rule("every view of the history is audited", || {
        let (s, audit) = server.get(
            &format!("/api/audit?action=view_member_history&member={member}"),
            Some(&manager),
        );
        assert_eq!(s, 200, "{audit}");
        let records = audit["records"].as_array().expect("records");
        assert!(records.iter().any(|r| r["username"] == "mgr_w"), "{audit}");
    });

    rule(
        "an unknown member is 404; those who may not open the file get 403",
        || {
            let (s, v) = server.get(
                &format!("/api/members/{}/history", MemberId::new()),
                Some(&manager),
            );
            assert_eq!(s, 404, "{v}");
            for token in [&reception, &other_store] {
                let (s, v) = server.get(&format!("/api/members/{member}/history"), Some(token));
                assert_eq!(s, 403, "{v}");
            }
        },
    );

    rule(
        "a member reads their own history and their store's program",
        || {
            let own = member_login(&server, &manager, &member, "member1");
            let (s, h) = server.get(&format!("/api/members/{member}/history"), Some(&own));
            assert_eq!(s, 200, "{h}");
            assert_eq!(h["entries"].as_array().map(Vec::len), Some(5));
            let (s, p) = server.get("/api/program", Some(&own));
            assert_eq!(s, 200, "{p}");
            assert_eq!(p["store"], west.as_str());
            let (s, v) = server.get(&format!("/api/program?store={east}"), Some(&own));
            assert_eq!(s, 403, "another store's program: {v}");
        },
    );
}

#[test]
fn the_program_endpoint_serves_the_stores_preset_as_domain_md_states_it() {
    let server = TestServer::start();
    let admin = server.admin();
    let a = create_store(&server, &admin, "东店", "A");
    let b = create_store(&server, &admin, "西店", "B");
    let (_, manager_b) = staff(&server, &admin, "mgr_b", "club_manager", &b);
    let (_, field_b) = staff(&server, &admin, "field_b", "field_staff", &b);

    let (s, pa) = server.get(&format!("/api/program?store={a}"), Some(&admin));
    assert_eq!(s, 200, "{pa}");

    rule("preset A's tiers (DOMAIN.md §3 Preset A)", || {
        assert_eq!((&pa["store"], &pa["preset"]), (&json!(a), &json!("A")));
        let tiers = pa["program"]["tiers"].as_array().expect("tiers");
        let row = |t: &Value| {
            let benefit = |id: &str| {
                t["benefits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|b| b["id"] == id)
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            (
                t["id"].clone(),
                t["fee"].clone(),
                t["validity"]["months"].clone(),
                benefit("labor_discount")["percent"].clone(),
                benefit("free_wash")["per_year"].clone(),
            )
        };
        let got: Vec<_> = tiers.iter().map(row).collect();
        // Standard 180 yuan, 2 years, 5 %, 10 washes; Silver 280 yuan, 2 years, 10 %, 20;
        // Gold cannot be bought, 3 years, 20 %, 25.
        let want = vec![
            (
                json!("standard"),
                json!(18000),
                json!(24),
                json!(5),
                json!(10),
            ),
            (
                json!("silver"),
                json!(28000),
                json!(24),
                json!(10),
                json!(20),
            ),
            (json!("gold"), Value::Null, json!(36), json!(20), json!(25)),
        ];
        assert_eq!(got, want, "{pa}");
        assert!(tiers[0]["name"].as_str().unwrap().contains("一般卡"));
        assert_eq!(
            tiers[0]["gift_on_purchase"], true,
            "a car bought here: gift"
        );
    });

    rule("preset A's earning, renewal, refund and catalogue", || {
        let p = &pa["program"];
        let rate = |c: &str| {
            p["earning"]["rates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["category"] == c)
                .map(|r| r["yuan_per_point"].clone())
        };
        assert_eq!(
            rate("labor"),
            Some(json!(50)),
            "repair spend 1 point / 50 yuan"
        );
        assert_eq!(
            rate("insurance"),
            Some(json!(300)),
            "insurance 1 point / 300 yuan"
        );
        assert_eq!(p["earning"]["event_attended"], 5);
        assert_eq!(p["earning"]["referral_converted"], 50);
        assert_eq!(
            p["renewal"]["window"]["days"], 30,
            "within 30 days before expiry"
        );
        assert_eq!(p["renewal"]["clear_points_on_lapse"], true);
        assert_eq!(p["withdrawal"]["full_refund_within"]["days"], 30);
        assert_eq!(
            p["redemption"],
            json!([]),
            "000: points only drive upgrades"
        );
        assert_eq!(p["discount_stacks_with_promotion"], false);
        let silver_by_points = p["upgrades"].as_array().unwrap().iter().any(|u| {
            u["to"] == "silver"
                && u["any_of"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["kind"] == "points" && c["at_least"] == 100)
        });
        assert!(silver_by_points, "Silver by 100 points");
    });

    rule(
        "staff read their own store's program by default: preset B's catalogue and cards",
        || {
            let (s, pb) = server.get("/api/program", Some(&field_b));
            assert_eq!(s, 200, "{pb}");
            assert_eq!((&pb["store"], &pb["preset"]), (&json!(b), &json!("B")));
            let catalogue: Vec<(u64, u64)> = pb["program"]["redemption"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["points"].as_u64().unwrap(), r["value"].as_u64().unwrap()))
                .collect();
            // 500 → 100 yuan; 1,000 → 200; 1,500 → 300; 2,000 → 500.
            assert_eq!(
                catalogue,
                [
                    (500, 10_000),
                    (1000, 20_000),
                    (1500, 30_000),
                    (2000, 50_000)
                ]
            );
            assert_eq!(pb["program"]["cards"]["reissue_fee"], 2000);
            assert_eq!(pb["program"]["cards"]["temporary_validity"]["days"], 3);
            assert_eq!(pb["program"]["on_upgrade"]["points"], "reset");
        },
    );

    rule(
        "another store's program is 403 for its non-group staff; an unknown store 404",
        || {
            let (s, v) = server.get(&format!("/api/program?store={a}"), Some(&manager_b));
            assert_eq!(s, 403, "{v}");
            let (s, v) = server.get(
                &format!("/api/program?store={}", StoreId::new()),
                Some(&admin),
            );
            assert_eq!(s, 404, "{v}");
            let (s, v) = server.get("/api/program", None);
            assert_eq!(s, 401, "{v}");
        },
    );
}
