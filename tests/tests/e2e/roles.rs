//! Every role through every member operation, on the HTTP API and through sync: what the
//! permission table (`GET /api/permissions`, the same table as docs/permissions.md) allows
//! succeeds; what it forbids gets 403 (or a rejected event through sync) and changes nothing.

use carclub_tests::accounts::{PASSWORD, create_store, create_user, file, member_login, operate};
use carclub_tests::journal::JournalDevice;
use carclub_tests::time::ago;
use carclub_tests::{Backend, TestServer};
use serde_json::{Value, json};

/// The member operations in an order where each is valid for the program if the earlier ones
/// were allowed or not: (operation in the table, body). `n` keeps receipts and VINs unique.
fn walk(n: usize, card: &str, pending: &str) -> Vec<(&'static str, Option<String>, Value)> {
    let p = Some(pending.to_owned());
    vec![
        (
            "decide_enrollment",
            p,
            json!({"type": "enrollment_approved"}),
        ),
        (
            "settle_order",
            None,
            json!({"type": "order_settled", "order": {"lines": [{"category": "labor", "amount": 100_000}], "card": card, "receipt": format!("W-{n}")}}),
        ),
        (
            "attendance",
            None,
            json!({"type": "event_attended", "activity": "自驾游"}),
        ),
        (
            "forum_reward",
            None,
            json!({"type": "forum_rewarded", "points": 10}),
        ),
        (
            "referral",
            None,
            json!({"type": "referral_recorded", "prospect": format!("137{n:08}")}),
        ),
        (
            "add_vehicle",
            None,
            json!({"type": "vehicle_added", "vehicle": {"vin": format!("LFV2A21K{n:09}"), "plate": format!("粤C{n:05}")}}),
        ),
        (
            "use_benefit",
            None,
            json!({"type": "benefit_used", "benefit": "free_wash", "value": 3000}),
        ),
        (
            "redeem_points",
            None,
            json!({"type": "points_redeemed", "points": 500}),
        ),
        (
            "renew",
            None,
            json!({"type": "renewed", "fee": 30000, "receipt": format!("RN-{n}")}),
        ),
        (
            "upgrade",
            None,
            json!({"type": "upgrade_approved", "tier": "silver"}),
        ),
        (
            "manual_grant",
            None,
            json!({"type": "manual_grant", "points": 10, "reason": "special contribution"}),
        ),
        (
            "report_card_lost",
            None,
            json!({"type": "card_lost", "card": card}),
        ),
        (
            "reissue_card",
            None,
            json!({"type": "temporary_card_issued", "card": format!("T{n:07}")}),
        ),
        (
            "request_withdrawal",
            None,
            json!({"type": "withdrawal_requested", "reason": "other"}),
        ),
        (
            "decide_withdrawal",
            None,
            json!({"type": "withdrawal_decided", "accepted": false}),
        ),
    ]
}

/// A store on program B with a field staff member (username `field_staff`) whose device enrolls
/// the members, and the permission table.
struct World {
    server: TestServer,
    admin: String,
    store: String,
    matrix: Value,
    phone: JournalDevice,
}

impl World {
    fn new() -> World {
        Self::on(Backend::Sled)
    }

    fn on(backend: Backend) -> World {
        let server = TestServer::start_on(backend, &[]);
        let admin = server.admin();
        let store = create_store(&server, &admin, "西店", "B");
        create_user(&server, &admin, "field_staff", "field_staff", &store);
        let (_, matrix) = server.get("/api/permissions", None);
        let phone = JournalDevice::register(&server, "field_staff", PASSWORD);
        World {
            server,
            admin,
            store,
            matrix,
            phone,
        }
    }

    /// The token of `role`: the administrator, or a new staff account of the store named after
    /// its role.
    fn login(&self, role: &str) -> String {
        match role {
            "admin" => self.admin.clone(),
            "field_staff" => self.server.login(role, PASSWORD),
            _ => {
                create_user(&self.server, &self.admin, role, role, &self.store);
                self.server.login(role, PASSWORD)
            }
        }
    }

    fn allowed(&self, op: &str, role: &str) -> bool {
        let scope = &self.matrix["operations"][op][role];
        assert!(scope.is_string(), "{op} × {role} missing from the table");
        scope == "store" || scope == "group" || scope == "own"
    }

    /// Enrolls `count` members 340 days back: (member, card).
    fn enroll(&mut self, first: u32, count: u32) -> Vec<(String, String)> {
        let out = (first..first + count)
            .map(|n| {
                let card = format!(
                    "{}{:08}",
                    self.phone.card_prefix,
                    self.phone.card_first + (n - 1) as u64
                );
                (self.phone.enroll(340, "会员", n, "guest", 30000), card)
            })
            .collect();
        self.phone.sync(&self.server);
        out
    }

    /// Approves and credits a member as the administrator, so every later operation is valid.
    fn activate(&self, member: &str, card: &str, n: usize) {
        let ops = [
            json!({"type": "enrollment_approved", "at": ago(339)}),
            json!({"type": "order_settled", "at": ago(330), "order": {"lines": [{"category": "labor", "amount": 3_000_000}], "card": card, "receipt": format!("A-{n}")}}),
        ];
        for op in ops {
            let (s, v) = operate(&self.server, &self.admin, member, op);
            assert_eq!(s, 200, "{v}");
        }
    }

    fn snapshot(&self, member: &str) -> (Value, Value) {
        let (s, f) = file(&self.server, &self.admin, member);
        assert_eq!(s, 200, "{f}");
        (f["state"].clone(), f["events"].clone())
    }
}

/// The permission table holds for each role, one test per role: on the API, every member
/// operation the table allows succeeds, and every one it forbids gets 403 naming the operation and
/// changes nothing; through sync, the role's approvals and settlements meet the same table (a
/// forbidden event is kept as rejected and changes nothing).
mod the_permission_table_holds_for {
    use super::{World, on_the_api, through_sync};
    use crate::rule;
    use carclub_tests::Backend;

    /// The role on the API and through sync, on a server on `backend`.
    fn holds_for(role: &str, backend: Backend) {
        let mut w = World::on(backend);
        let token = w.login(role);
        rule(
            "on the API, the role does exactly what the table allows",
            || on_the_api(&mut w, role, &token),
        );
        rule("through sync, the role meets the same table", || {
            through_sync(&mut w, role)
        });
    }

    /// The same for a club manager, with the server on PostgreSQL.
    #[test]
    fn club_manager_on_postgres() {
        holds_for("club_manager", Backend::Postgres);
    }

    /// A test for each staff role, on the API and through sync.
    macro_rules! staff {
        ($($role:ident),* $(,)?) => {
            $(
                #[test]
                fn $role() {
                    holds_for(stringify!($role), Backend::Sled);
                }
            )*
        };
    }

    staff!(
        general_manager,
        club_manager,
        care_specialist,
        activity_specialist,
        field_staff,
        service_advisor,
        finance,
        reception,
    );

    /// The administrator has no device of their own; on the API only.
    #[test]
    fn admin() {
        let mut w = World::new();
        let token = w.login("admin");
        on_the_api(&mut w, "admin", &token);
    }
}

/// `role` (signed in as `token`) through every member operation on the API, on two new members.
fn on_the_api(w: &mut World, role: &str, token: &str) {
    let members = w.enroll(1, 2);
    let (member, card) = &members[0];
    let (pending, _) = &members[1];
    w.activate(member, card, 0);
    for (op, target, body) in walk(0, card, pending) {
        let target = target.unwrap_or_else(|| member.clone());
        let before = w.snapshot(&target);
        let (s, v) = operate(&w.server, token, &target, body);
        if w.allowed(op, role) {
            assert_eq!(s, 200, "{role} {op}: {v}");
        } else {
            assert_eq!(s, 403, "{role} {op}: {v}");
            assert!(v["detail"].as_str().unwrap().contains(op), "{v}");
            assert_eq!(w.snapshot(&target), before, "{role} {op} changed something");
        }
    }
}

#[test]
fn a_member_does_on_their_own_file_only_what_the_table_gives_them_and_nothing_on_another() {
    let mut w = World::new();
    let members = w.enroll(1, 2);
    let (mine, card) = &members[0];
    let (theirs, _) = &members[1];
    w.activate(mine, card, 90);
    w.activate(theirs, card, 91);
    let member_token = member_login(&w.server, &w.admin, mine, "member1");
    for (op, _, body) in walk(99, card, mine) {
        let before = w.snapshot(theirs);
        let (s, v) = operate(&w.server, &member_token, theirs, body.clone());
        assert_eq!(s, 403, "member {op} on another member: {v}");
        assert_eq!(w.snapshot(theirs), before);
        let (s, v) = operate(&w.server, &member_token, mine, body);
        let expect = if w.allowed(op, "member") { 200 } else { 403 };
        assert_eq!(s, expect, "member {op} on their own file: {v}");
    }
}

#[test]
fn staff_of_another_store_neither_operate_on_nor_open_a_stores_members() {
    let mut w = World::new();
    let members = w.enroll(1, 1);
    let (pending, _) = &members[0];
    let other = create_store(&w.server, &w.admin, "南店", "A");
    create_user(&w.server, &w.admin, "cm2", "club_manager", &other);
    let cm2 = w.server.login("cm2", PASSWORD);
    let before = w.snapshot(pending);
    let (s, v) = operate(
        &w.server,
        &cm2,
        pending,
        json!({"type": "enrollment_rejected"}),
    );
    assert_eq!(s, 403, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("own store"), "{v}");
    assert_eq!(w.snapshot(pending), before);
    assert_eq!(
        w.server
            .get(&format!("/api/members/{pending}"), Some(&cm2))
            .0,
        403
    );
}

/// `role`'s device approving an enrollment and settling an order through sync, on two new
/// members.
fn through_sync(w: &mut World, role: &str) {
    let members = w.enroll(3, 2);
    let (pending, _) = &members[0];
    let (active, card) = &members[1];
    w.activate(active, card, 1);
    let mut device = JournalDevice::register(&w.server, role, PASSWORD);
    let before_pending = w.snapshot(pending);
    let before_active = w.snapshot(active);
    device.record(0, json!({"type": "enrollment_approved", "member": pending}));
    device.record(0, json!({"type": "order_settled", "member": active,
        "order": {"lines": [{"category": "labor", "amount": 100_000}], "card": card, "receipt": "SY-0"}}));
    device.sync(&w.server);
    let (state, _) = w.snapshot(pending);
    if w.allowed("decide_enrollment", role) {
        assert_eq!(state["status"], "active", "{role} approves through sync");
    } else {
        assert_eq!(
            (state, w.snapshot(pending).1),
            before_pending,
            "{role} approval through sync changed something"
        );
    }
    let (state, _) = w.snapshot(active);
    if w.allowed("settle_order", role) {
        assert!(
            state["points"].as_u64() > before_active.0["points"].as_u64(),
            "{role} settles through sync"
        );
    } else {
        assert_eq!(
            w.snapshot(active),
            before_active,
            "{role} settlement through sync changed something"
        );
    }
}
