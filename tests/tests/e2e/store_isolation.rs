//! Partial sync across stores: a device receives only what its person may see. Another store's
//! directory and member files never leave the server for it — not through sync (not listed in the
//! change summary, unavailable when asked for by id) and not through the API.

use carclub_protocol::DocumentId;
use carclub_protocol::docs;
use carclub_protocol::wire::Message;
use carclub_tests::accounts::{PASSWORD, create_store, create_user, home_store};
use carclub_tests::peer::Peer;
use carclub_tests::{Device, TestServer};

use crate::rule;

/// Two stores, each with a field device that enrolled one member and synced (the home device
/// twice), and a club manager for the second store.
struct TwoStores {
    server: TestServer,
    home: String,
    home_device: Device,
    other_device: Device,
    home_member: String,
    other_member: String,
}

impl TwoStores {
    fn new() -> TwoStores {
        let server = TestServer::start();
        let admin = server.admin();
        let home = home_store(&server, &admin);
        let other = create_store(&server, &admin, "二店", "A");
        create_user(&server, &admin, "field-home", "field_staff", &home);
        create_user(&server, &admin, "field-other", "field_staff", &other);
        create_user(&server, &admin, "manager-other", "club_manager", &other);

        let register = |dir: &str, user: &str| {
            let d = Device::new(&server.path(dir));
            d.register_as(&server, user, PASSWORD, dir);
            d
        };
        let home_device = register("home", "field-home");
        let other_device = register("other", "field-other");
        let home_member = home_device.enroll(
            "本店会员",
            "13800000001",
            "LSVAU2180N2000001",
            "粤B00001",
            "R-H-1",
        );
        let other_member = other_device.enroll(
            "二店会员",
            "13800000002",
            "LSVAU2180N2000002",
            "粤B00002",
            "R-O-1",
        );
        home_device.ok(&["sync"]);
        other_device.ok(&["sync"]);
        home_device.ok(&["sync"]);
        TwoStores {
            server,
            home,
            home_device,
            other_device,
            home_member,
            other_member,
        }
    }
}

/// Two stores with devices that enrolled and synced are slow to make: one world, a rule at a time.
#[test]
fn a_device_of_one_store_never_receives_another_stores_members() {
    let w = TwoStores::new();
    rule("each device shows its own store's members only", || {
        let ids = |d: &Device| {
            d.members()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&w.home_device), vec![w.home_member.clone()]);
        assert_eq!(ids(&w.other_device), vec![w.other_member.clone()]);
    });
    rule(
        "another store's manager lists and opens only their own store's members",
        || {
            let manager = w.server.login("manager-other", PASSWORD);
            let listed = w.server.members(&manager, "");
            assert_eq!(listed.len(), 1);
            assert_eq!(listed[0]["id"], w.other_member.as_str());
            let (code, _) = w
                .server
                .get(&format!("/api/members/{}", w.home_member), Some(&manager));
            assert!(
                code == 403 || code == 404,
                "another store's file is refused, got {code}"
            );
        },
    );
    rule(
        "another store's documents are neither listed nor served through sync",
        || {
            // Spoken raw with the other store's device token: the change summary lists nothing of the
            // home store, and asking for its documents by id gets doc-unavailable.
            let (_, reg) = w.server.post(
            "/api/devices",
            &serde_json::json!({"username": "field-other", "password": PASSWORD, "name": "raw"}),
            None,
        );
            let mut peer = Peer::connect(&w.server, reg["token"].as_str().unwrap());
            peer.send(&Message::HeadsSummary {
                sender_id: "test-peer".into(),
                target_id: "s".into(),
                cursor: 0,
                entries: vec![],
                more: false,
            });
            let Message::HeadsSummary { entries, .. } = peer.recv() else {
                panic!("a summary answers a summary")
            };
            let home_member_doc = docs::member_id(w.home_member.parse().unwrap());
            let other_member_doc = docs::member_id(w.other_member.parse().unwrap());
            let home_directory = docs::directory_id(w.home.parse().unwrap());
            let listed: Vec<DocumentId> = entries.iter().map(|(id, _)| *id).collect();
            assert!(
                listed.contains(&other_member_doc),
                "its own store's member is listed"
            );
            assert!(
                !listed.contains(&home_member_doc),
                "another store's member is not listed"
            );
            assert!(
                !listed.contains(&home_directory),
                "another store's directory is not listed"
            );
            for doc in [home_member_doc, home_directory] {
                peer.send(&Message::Request {
                    sender_id: "test-peer".into(),
                    target_id: "s".into(),
                    document_id: doc,
                    data: vec![],
                });
                assert!(
                    matches!(peer.recv(), Message::DocUnavailable { document_id, .. } if document_id == doc)
                );
            }
        },
    );
}
