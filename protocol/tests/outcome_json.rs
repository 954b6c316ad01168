//! The device status document's outcomes read as serde's own internally tagged reader reads them
//! (they are read through a `serde_json` map, `carclub_shared::tagged_enum!`).

use carclub_protocol::docs::Outcome;
use carclub_shared::tagged::{reads_alike, variations};
use serde_json::json;

#[test]
fn outcomes_read_as_serde_reads_them() {
    let examples = [
        json!({"outcome": "accepted"}),
        json!({"outcome": "accepted", "member": "01900000-0000-7000-8000-000000000004"}),
        json!({"outcome": "rejected", "reason": "the VIN is already a member's"}),
        json!({"outcome": "rejected", "reason": "duplicate", "reason_zh": "重复"}),
        json!({"outcome": "lost"}),
        json!({"reason": "no tag"}),
        json!("accepted"),
    ];
    let mut read = 0;
    for example in &examples {
        for value in variations(example) {
            let ours = serde_json::from_value::<Outcome>(value.clone());
            read += usize::from(ours.is_ok());
            let text = serde_json::from_str::<Outcome>(&value.to_string());
            let alike = reads_alike(ours, Outcome::reference_from_value(value.clone()))
                .and_then(|()| reads_alike(text, Outcome::reference_from_value(value.clone())));
            assert!(alike.is_ok(), "{value}: {alike:?}");
        }
    }
    assert!(read > examples.len(), "only {read} read");
    assert_eq!(
        serde_json::from_value::<Outcome>(json!({"outcome": "accepted"})).unwrap(),
        Outcome::Accepted { member: None }
    );
}
