//! The OpenAPI schemas (feature `openapi`) of the document layouts describe the JSON serde
//! writes: real serialized values validate against the generated schemas.
#![cfg(feature = "openapi")]

use std::collections::BTreeMap;

use carclub_protocol::docs::*;
use carclub_shared::*;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::{ComponentsBuilder, OpenApiBuilder};

/// An OpenAPI document holding `T`'s schema and every schema it refers to, as JSON.
fn openapi<T: ToSchema>() -> Value {
    let mut schemas = Vec::new();
    T::schemas(&mut schemas);
    schemas.push((T::name().into_owned(), T::schema()));
    let doc = OpenApiBuilder::new()
        .components(Some(
            ComponentsBuilder::new().schemas_from_iter(schemas).build(),
        ))
        .build();
    serde_json::to_value(doc).unwrap()
}

fn validator<T: ToSchema>() -> jsonschema::Validator {
    let doc = openapi::<T>();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{}", T::name()),
        "components": doc["components"],
    });
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema of {} does not compile: {e}", T::name()))
}

/// Validates `value` against `T`'s schema (JSON Schema 2020-12, formats checked).
fn validate<T: ToSchema>(value: &Value) {
    let errors: Vec<String> = validator::<T>()
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{value:#} does not validate against {}:\n{}\n{:#}",
        T::name(),
        errors.join("\n"),
        openapi::<T>()["components"]
    );
}

fn member_file(company: bool) -> MemberFile {
    MemberFile {
        id: MemberId::new(),
        store: StoreId::new(),
        name: "张三".into(),
        phone: Phone::parse("13800138000").unwrap(),
        tier: "standard".into(),
        status: "pending".into(),
        card: CardNo::parse("C00000001").unwrap(),
        vehicles: vec![VehicleEntry {
            vin: Vin::parse("LSVAU2180N2183294").unwrap(),
            plate: Plate::parse("粤B12345").unwrap(),
            card: CardNo::parse("C00000001").unwrap(),
        }],
        fee: Money::from_yuan(180),
        receipt: company.then(|| "R-001".into()),
        channel: "desk".into(),
        enrolled_at: Timestamp::parse("2026-03-01T10:00:00.250+08:00").unwrap(),
        enrolled_by: UserId::new(),
        enrolled_on: DeviceId::new(),
        events: vec![EventId::new().to_string()],
        conflicts: vec![ConflictRef {
            id: "c1".into(),
            kind: "duplicate_card".into(),
            summary: "card issued twice".into(),
            summary_zh: if company {
                "重复发卡".into()
            } else {
                String::new()
            },
        }],
        company: company.then(CompanyId::new),
    }
}

#[test]
fn member_files_validate_against_their_schema() {
    for company in [false, true] {
        validate::<MemberFile>(&serde_json::to_value(member_file(company)).unwrap());
    }
    let doc = openapi::<MemberFile>();
    let schemas = &doc["components"]["schemas"];
    let file = &schemas["MemberFile"];
    let required: Vec<&str> = file["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(required.contains(&"enrolled_at"), "{file:#}");
    assert!(!required.contains(&"company") && !required.contains(&"receipt"));
    assert!(!required.contains(&"events") && !required.contains(&"conflicts"));
    assert_eq!(schemas["Timestamp"]["format"], "date-time");
    assert_eq!(schemas["Money"]["type"], "integer");
    assert_eq!(schemas["Phone"]["type"], "string");

    let mut bad = serde_json::to_value(member_file(true)).unwrap();
    bad["fee"] = json!("180.00");
    assert!(!validator::<MemberFile>().is_valid(&bad));
    let mut bad = serde_json::to_value(member_file(true)).unwrap();
    bad["enrolled_at"] = json!(1_772_330_400_000_i64);
    assert!(!validator::<MemberFile>().is_valid(&bad));
}

#[test]
fn status_and_directory_documents_validate() {
    let mut status = DeviceStatus::default();
    validate::<DeviceStatus>(&serde_json::to_value(&status).unwrap());
    status.events.insert(
        EventId::new().to_string(),
        Outcome::Accepted {
            member: Some(MemberId::new()),
        },
    );
    status.events.insert(
        EventId::new().to_string(),
        Outcome::Accepted { member: None },
    );
    status.events.insert(
        EventId::new().to_string(),
        Outcome::Rejected {
            reason: "no".into(),
            reason_zh: Some("不行".into()),
        },
    );
    let block = CardBlock {
        prefix: "C".into(),
        first: 1,
        count: 100,
    };
    status.card_blocks.insert(block.key(), block);
    status.directories.push("automerge:x".into());
    status.companies.push(CompanyRef {
        id: CompanyId::new(),
        name: "华南物流".into(),
    });
    validate::<DeviceStatus>(&serde_json::to_value(&status).unwrap());

    let outcome = openapi::<Outcome>().to_string();
    assert!(outcome.contains("\"rejected\""), "{outcome}");

    let mut directory = Directory::default();
    directory.members.insert(
        MemberId::new().to_string(),
        DirectoryEntry {
            url: "automerge:x".into(),
            name: "张三".into(),
            card: CardNo::parse("C00000001").unwrap(),
            vin: Vin::parse("LSVAU2180N2183294").unwrap(),
            plate: Plate::parse("粤B12345").unwrap(),
            tier: "standard".into(),
            status: "active".into(),
            conflicts: 2,
        },
    );
    validate::<Directory>(&serde_json::to_value(&directory).unwrap());

    let kinds: BTreeMap<String, Value> = [DocKind::Journal, DocKind::DeviceStatus]
        .into_iter()
        .map(|k| (k.as_str().to_owned(), serde_json::to_value(k).unwrap()))
        .collect();
    for value in kinds.values() {
        validate::<DocKind>(value);
    }
    assert_eq!(
        openapi::<DocKind>()["components"]["schemas"]["DocKind"]["enum"],
        json!([
            "journal",
            "device-status",
            "directory",
            "member",
            "member-record",
            "club"
        ])
    );
}
