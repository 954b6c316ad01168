//! A conflict stays listed until the back office decides; the decision is kept with who made it,
//! and the members' files and the devices stop showing the conflict.

use carclub_tests::{ADMIN_PASSWORD, Device, Server, urlencode};
use serde_json::json;

#[test]
fn resolving_a_doubled_vehicle_clears_it_everywhere_and_keeps_the_decision() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), "127.0.0.1:0");
    let a = Device::new(&tmp.path().join("a"));
    let b = Device::new(&tmp.path().join("b"));
    a.register(&server, "a");
    b.register(&server, "b");
    let vin = "LFV3A23C1J3000011";
    let kept = a.enroll("周杰", "13500135001", vin, "粤B66601", "R-1");
    let other = b.enroll("周杰", "13500135001", vin, "粤B66601", "R-2");
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);

    let token = server.login("admin", ADMIN_PASSWORD);
    let (_, body) = server.get("/api/conflicts", Some(&token));
    let conflict = body["conflicts"][0].clone();
    assert_eq!(conflict["kind"], "duplicate_vin");
    assert_eq!(
        conflict["events"].as_array().unwrap().len(),
        2,
        "both enrollments are named"
    );
    let id = conflict["id"].as_str().unwrap().to_owned();
    let path = format!("/api/conflicts/{}", urlencode(&id));
    assert!(
        a.members()
            .iter()
            .all(|m| m["conflicts"].as_array().unwrap().len() == 1)
    );

    // Bad decisions change nothing.
    assert_eq!(
        server
            .post(
                &format!("{path}/resolve"),
                &json!({"note": ""}),
                Some(&token)
            )
            .0,
        400
    );
    let stranger =
        json!({"note": "keep a stranger", "keep": "01900000-0000-7000-8000-000000000000"});
    assert_eq!(
        server
            .post(&format!("{path}/resolve"), &stranger, Some(&token))
            .0,
        400
    );
    assert_eq!(
        server
            .post(&format!("{path}/resolve"), &json!({"note": "x"}), None)
            .0,
        401
    );
    assert_eq!(
        server
            .post(
                "/api/conflicts/nope/resolve",
                &json!({"note": "x"}),
                Some(&token)
            )
            .0,
        404
    );
    assert_eq!(
        server.get(&path, Some(&token)).1["conflict"]["resolved"],
        false
    );

    let note = "one car, one card: kept the first enrollment, the second fee is refunded";
    let (code, body) = server.post(
        &format!("{path}/resolve"),
        &json!({"note": note, "keep": kept}),
        Some(&token),
    );
    assert_eq!(code, 200, "{body}");
    let (_, shown) = server.get(&path, Some(&token));
    assert_eq!(shown["conflict"]["resolved"], true);
    assert_eq!(shown["resolution"]["note"], note);
    assert_eq!(shown["resolution"]["keep"], kept.as_str());
    assert!(shown["resolution"]["by"].is_string());
    assert_eq!(
        server
            .post(
                &format!("{path}/resolve"),
                &json!({"note": note}),
                Some(&token)
            )
            .0,
        409
    );

    // Member files and devices no longer flag it; both records are still there.
    let listed = server.members(&token, vin);
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|m| m["conflicts"].as_array().unwrap().is_empty()),
        "{listed:?}"
    );
    for device in [&a, &b] {
        device.ok(&["sync"]);
        let view = device.members();
        assert!(view.iter().any(|m| m["id"] == other.as_str()));
        assert!(
            view.iter()
                .all(|m| m["conflicts"].as_array().unwrap().is_empty()),
            "{view:?}"
        );
    }
}
