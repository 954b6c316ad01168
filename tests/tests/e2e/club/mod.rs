//! The club's life through the API (DOMAIN.md §6): complaints with their levels, owners and
//! deadlines; club events with invitations, answers and attendance; partner merchants and
//! corporate agreements. Each test starts from the same store, made by [`club`].

mod complaints;
mod events;
mod partners;

use std::cell::RefCell;
use std::collections::BTreeMap;

use carclub_tests::TestServer;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, operate};
use carclub_tests::journal::JournalDevice;
use serde_json::{Value, json};

/// A store on preset B with staff, two active members and a pending one.
struct Club {
    server: TestServer,
    admin: String,
    store: String,
    /// Active, pending, active; all guests.
    members: [String; 3],
    /// Tokens by username, of the accounts signed in so far.
    tokens: RefCell<BTreeMap<String, String>>,
}

/// The store's staff besides the club manager and the field staff member, each made when a test
/// first signs in as them (hashing passwords is what a store's setup costs): username, role, and
/// whether the administrator makes the account (else the club manager does).
const STAFF: [(&str, &str, bool); 5] = [
    ("gm", "general_manager", true),
    ("fin", "finance", false),
    ("care", "care_specialist", false),
    ("rec", "reception", false),
    ("act", "activity_specialist", false),
];

impl Club {
    /// The token of an account of the store: `gm`, `cm`, `field`, `fin`, `care`, `rec`, `act`,
    /// or one a test made.
    fn login(&self, username: &str) -> String {
        if let Some(token) = self.tokens.borrow().get(username) {
            return token.clone();
        }
        if let Some((_, role, by_admin)) = STAFF.iter().find(|(name, ..)| *name == username) {
            let by = if *by_admin {
                self.admin.clone()
            } else {
                self.login("cm")
            };
            create_user(&self.server, &by, username, role, &self.store);
        }
        let token = self.server.login(username, PASSWORD);
        self.tokens
            .borrow_mut()
            .insert(username.to_owned(), token.clone());
        token
    }
}

fn club() -> Club {
    let server = TestServer::start();
    let admin = server.admin();
    let store = create_store(&server, &admin, "北店", "B");
    create_user(&server, &admin, "cm", "club_manager", &store);
    let cm = server.login("cm", PASSWORD);
    create_user(&server, &cm, "field", "field_staff", &store);
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
        admin,
        store,
        members: [m1, m2, m3],
        tokens: RefCell::new(BTreeMap::from([("cm".to_owned(), cm)])),
    }
}

/// The ids in a list, sorted.
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
