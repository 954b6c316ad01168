//! A conflict stays listed until the back office decides; the decision is kept with who made it,
//! and the members' files and the devices stop showing the conflict.

use carclub_tests::{Device, TestServer, urlencode};
use serde_json::{Value, json};

use crate::rule;

const VIN: &str = "LFV3A23C1J3000011";

/// Two devices that enrolled the same vehicle, both synced: the conflict it raised.
struct Doubled {
    server: TestServer,
    a: Device,
    b: Device,
    token: String,
    /// The member the first device enrolled (kept by the decision), and the second device's.
    kept: String,
    other: String,
    /// `/api/conflicts/{id}`.
    path: String,
}

impl Doubled {
    fn new() -> Doubled {
        let server = TestServer::start();
        let a = Device::new(&server.path("a"));
        let b = Device::new(&server.path("b"));
        a.register(&server, "a");
        b.register(&server, "b");
        let kept = a.enroll("周杰", "13500135001", VIN, "粤B66601", "R-1");
        let other = b.enroll("周杰", "13500135001", VIN, "粤B66601", "R-2");
        a.ok(&["sync"]);
        b.ok(&["sync"]);
        a.ok(&["sync"]);
        let token = server.admin();
        let (_, body) = server.get("/api/conflicts", Some(&token));
        let id = body["conflicts"][0]["id"].as_str().unwrap().to_owned();
        Doubled {
            path: format!("/api/conflicts/{}", urlencode(&id)),
            server,
            a,
            b,
            token,
            kept,
            other,
        }
    }

    fn resolve(&self, decision: &Value) -> (u16, Value) {
        self.server.post(
            &format!("{}/resolve", self.path),
            decision,
            Some(&self.token),
        )
    }
}

const NOTE: &str = "one car, one card: kept the first enrollment, the second fee is refunded";

/// Two devices that enrolled the same vehicle and synced are slow to make: one world, its conflict
/// checked before the decision, at it, and after it.
#[test]
fn resolving_a_doubled_vehicle_clears_it_everywhere_and_keeps_the_decision() {
    let d = Doubled::new();
    rule(
        "a conflict stays listed and flagged until decided, and bad decisions change nothing",
        || {
            let (_, body) = d.server.get("/api/conflicts", Some(&d.token));
            let conflict = body["conflicts"][0].clone();
            assert_eq!(conflict["kind"], "duplicate_vin");
            assert_eq!(
                conflict["events"].as_array().unwrap().len(),
                2,
                "both enrollments are named"
            );
            assert!(
                d.a.members()
                    .iter()
                    .all(|m| m["conflicts"].as_array().unwrap().len() == 1)
            );

            assert_eq!(d.resolve(&json!({"note": ""})).0, 400);
            let stranger =
                json!({"note": "keep a stranger", "keep": "01900000-0000-7000-8000-000000000000"});
            assert_eq!(
                d.resolve(&stranger).0,
                422,
                "a member the conflict does not name is a well-formed id the rule refuses"
            );
            assert_eq!(
                d.server
                    .post(&format!("{}/resolve", d.path), &json!({"note": "x"}), None)
                    .0,
                401
            );
            assert_eq!(
                d.server
                    .post(
                        "/api/conflicts/nope/resolve",
                        &json!({"note": "x"}),
                        Some(&d.token)
                    )
                    .0,
                404
            );
            assert_eq!(
                d.server.get(&d.path, Some(&d.token)).1["conflict"]["resolved"],
                false
            );
        },
    );
    rule("a decision is kept with who made it, and made once", || {
        let (code, body) = d.resolve(&json!({"note": NOTE, "keep": d.kept}));
        assert_eq!(code, 200, "{body}");
        let (_, shown) = d.server.get(&d.path, Some(&d.token));
        assert_eq!(shown["conflict"]["resolved"], true);
        assert_eq!(shown["resolution"]["note"], NOTE);
        assert_eq!(shown["resolution"]["keep"], d.kept.as_str());
        assert!(shown["resolution"]["by"].is_string());
        assert_eq!(d.resolve(&json!({"note": NOTE})).0, 409);
    });
    rule(
        "a decided conflict leaves the member files and the devices, and both records stay",
        || {
            let listed = d.server.members(&d.token, VIN);
            assert_eq!(listed.len(), 2);
            assert!(
                listed
                    .iter()
                    .all(|m| m["conflicts"].as_array().unwrap().is_empty()),
                "{listed:?}"
            );
            for device in [&d.a, &d.b] {
                device.ok(&["sync"]);
                let view = device.members();
                assert!(view.iter().any(|m| m["id"] == d.other.as_str()));
                assert!(
                    view.iter()
                        .all(|m| m["conflicts"].as_array().unwrap().is_empty()),
                    "{view:?}"
                );
            }
        },
    );
}
