//! The OpenAPI schemas (feature `openapi`) describe the JSON serde writes: generated schemas are
//! checked for a few facts, and real serialized values validate against them.
#![cfg(feature = "openapi")]

use carclub_shared::events::Event;
use carclub_shared::program::Program;
use carclub_shared::projection::{MemberState, Quote, Violation, project, quote};
use carclub_shared::*;
use serde_json::{Value, json};
use utoipa::openapi::{ComponentsBuilder, OpenApiBuilder};
use utoipa::{PartialSchema, ToSchema};

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

fn component<T: ToSchema>(doc: &Value) -> &Value {
    let name = T::name();
    doc.pointer(&format!("/components/schemas/{name}"))
        .unwrap_or_else(|| panic!("no schema {name}"))
}

/// Validates `value` against `T`'s schema (JSON Schema 2020-12, formats checked).
fn validate<T: ToSchema>(value: &Value) {
    let doc = openapi::<T>();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{}", T::name()),
        "components": doc["components"],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema of {} does not compile: {e}", T::name()));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not validate against the schema of {}:\n{}\nvalue: {value:#}\nschema: {:#}",
        errors.len(),
        T::name(),
        errors.join("\n"),
        doc["components"]
    );
}

/// Checks that `value` does not validate, to be sure the schema constrains something.
fn rejects<T: ToSchema>(value: &Value) {
    let doc = openapi::<T>();
    let schema = json!({
        "$ref": format!("#/components/schemas/{}", T::name()),
        "components": doc["components"],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    assert!(
        !validator.is_valid(value),
        "{value} validates against {}",
        T::name()
    );
}

const MEMBER: &str = "01900000-0000-7000-8000-000000000004";

fn envelope(seq: u64, at: &str, body: Value) -> Value {
    let mut e = json!({
        "id": format!("01900000-0000-7000-8000-{seq:012}"),
        "at": at,
        "device": "01900000-0000-7000-8000-000000000002",
        "seq": seq,
        "author": "01900000-0000-7000-8000-000000000003",
    });
    e.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    e
}

/// A member's life in events, covering most event types and both enrollment channel shapes.
fn events() -> Vec<Event> {
    let bodies = [
        json!({"type": "visit_started", "visit": "01900000-0000-7000-8000-000000000005",
               "site": "华南物流园", "company": "01900000-0000-7000-8000-0000000000c0"}),
        json!({"type": "enrolled", "member": MEMBER,
               "person": {"name": "张三", "phone": "13800138000", "id_number": "11010519491231002X"},
               "vehicle": {"vin": "LSVAU2180N2183294", "plate": "粤B12345", "model": "帕萨特"},
               "tier": "standard",
               "channel": {"kind": "on_site", "visit": "01900000-0000-7000-8000-000000000005"},
               "documents_seen": ["id_card", "vehicle_licence"],
               "fee": 18000, "receipt": "R-001", "card": "C00000001"}),
        json!({"type": "visit_ended", "visit": "01900000-0000-7000-8000-000000000005",
               "notes": "顺利\n两位意向客户"}),
        json!({"type": "enrollment_approved", "member": MEMBER}),
        json!({"type": "order_settled", "member": MEMBER,
               "order": {"receipt": "S-1", "lines": [{"category": "labor", "amount": 50000},
                                                      {"category": "accident_repair", "amount": 120000}],
                         "card": "C00000001", "maintenance": true, "mileage_km": 12000}}),
        json!({"type": "event_attended", "member": MEMBER, "activity": "自驾游"}),
        json!({"type": "forum_rewarded", "member": MEMBER, "points": 5}),
        json!({"type": "referral_recorded", "member": MEMBER, "prospect": "13900139000", "name": "李四"}),
        json!({"type": "referral_converted", "member": MEMBER, "prospect": "13900139000"}),
        json!({"type": "vehicle_added", "member": MEMBER,
               "vehicle": {"vin": "LSVAU2180N2183295", "plate": "粤BD12345"}, "card": "C00000002"}),
        json!({"type": "benefit_used", "member": MEMBER, "benefit": "free_wash", "value": 3000}),
        json!({"type": "points_redeemed", "member": MEMBER, "points": 100000}),
        json!({"type": "manual_grant", "member": MEMBER, "points": 10, "reason": "特别贡献"}),
        json!({"type": "card_lost", "member": MEMBER, "card": "C00000001"}),
        json!({"type": "temporary_card_issued", "member": MEMBER, "card": "T00000001"}),
        json!({"type": "card_reissued", "member": MEMBER, "card": "C00000003",
               "replaces": "C00000001", "fee": 2000, "receipt": "R-002"}),
        json!({"type": "company_changed", "member": MEMBER}),
        json!({"type": "person_facts_set", "member": MEMBER,
               "facts": {"birthday": "1990-02-28", "region": "non_local", "call_slots": ["evening"],
                         "sms_consent": true}}),
        json!({"type": "vehicle_facts_set", "member": MEMBER, "vin": "LSVAU2180N2183294",
               "facts": {"model": "帕萨特", "delivered": "2026-01-10", "warranty_end": "2029-01-09",
                         "insurer": "平安保险"}}),
        json!({"type": "mileage_recorded", "member": MEMBER, "vin": "LSVAU2180N2183294",
               "on": "2026-03-19", "km": 12500}),
        json!({"type": "service_visit_recorded", "member": MEMBER, "vin": "LSVAU2180N2183294",
               "on": "2026-03-20", "km": 12600, "kind": "first_service", "amount": 0,
               "elsewhere": {"store": "城东4S店", "place": "城东路 8 号", "cost": 35000}}),
        json!({"type": "withdrawal_requested", "member": MEMBER, "reason": "first_service_disappointing"}),
        json!({"type": "withdrawal_decided", "member": MEMBER, "accepted": true}),
    ];
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let at = format!("2026-03-{:02}T10:00:00+08:00", i + 1);
            serde_json::from_value(envelope(i as u64 + 10, &at, body)).unwrap()
        })
        .collect()
}

#[test]
fn value_types_are_described_as_they_are_written() {
    let doc = openapi::<Event>();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Timestamp"]["type"], "string");
    assert_eq!(schemas["Timestamp"]["format"], "date-time");
    assert_eq!(schemas["Money"]["type"], "integer");
    assert_eq!(schemas["Points"]["type"], "integer");
    assert_eq!(schemas["Points"]["minimum"], 0);
    assert_eq!(schemas["MemberId"]["type"], "string");
    assert_eq!(schemas["MemberId"]["format"], "uuid");
    assert_eq!(schemas["Phone"]["pattern"], "^1[3-9][0-9]{9}$");
    assert_eq!(schemas["ShortText"]["maxLength"], 100);
    assert_eq!(schemas["LongText"]["maxLength"], 2000);
    assert_eq!(schemas["PersonName"]["maxLength"], 50);
    let kinds = &schemas["DocumentKind"]["enum"];
    assert!(
        kinds.as_array().unwrap().contains(&json!("driver_licence")),
        "{kinds}"
    );

    let role = serde_json::to_value(Role::schema()).unwrap();
    assert!(
        role["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("general_manager")),
        "{role}"
    );
    let level = openapi::<complaints::Level>();
    assert_eq!(complaints::Level::name(), "ComplaintLevel");
    assert!(
        level
            .pointer("/components/schemas/ComplaintLevel/enum")
            .is_some()
    );
    assert_eq!(complaints::Channel::name(), "ComplaintChannel");
    assert_eq!(events::Channel::name(), "EnrollmentChannel");
    let loan = serde_json::to_value(LoanKind::schema()).unwrap();
    assert_eq!(loan["enum"], json!(["sample", "borrowed"]));
}

#[test]
fn text_schemas_match_what_text_accepts() {
    let ok = [
        json!("张三"),
        json!(" a "),
        json!("a\tb\nc"),
        json!("字".repeat(100)),
    ];
    for v in &ok {
        validate::<ShortText>(v);
        assert!(serde_json::from_value::<ShortText>(v.clone()).is_ok());
    }
    let bad = [
        json!(""),
        json!("  "),
        json!("a\u{7}b"),
        json!("字".repeat(101)),
        json!(3),
    ];
    for v in &bad {
        rejects::<ShortText>(v);
        assert!(serde_json::from_value::<ShortText>(v.clone()).is_err());
    }
    for v in [
        "13800138000",
        "LSVAU2180N2183294",
        "粤B12345",
        "C-0001",
        "R-1",
    ] {
        let parsed = [
            serde_json::from_value::<Phone>(json!(v)).is_ok(),
            serde_json::from_value::<Vin>(json!(v)).is_ok(),
            serde_json::from_value::<Plate>(json!(v)).is_ok(),
            serde_json::from_value::<CardNo>(json!(v)).is_ok(),
            serde_json::from_value::<ReceiptNo>(json!(v)).is_ok(),
        ];
        let valid = [
            is_valid::<Phone>(v),
            is_valid::<Vin>(v),
            is_valid::<Plate>(v),
            is_valid::<CardNo>(v),
            is_valid::<ReceiptNo>(v),
        ];
        assert_eq!(parsed, valid, "{v}");
    }
}

fn is_valid<T: ToSchema>(v: &str) -> bool {
    let doc = openapi::<T>();
    let schema = component::<T>(&doc);
    jsonschema::is_valid(schema, &json!(v))
}

#[test]
fn events_validate_against_the_event_schema() {
    let doc = openapi::<Event>();
    let body = component::<events::EventBody>(&doc).to_string();
    for kind in ["\"visit_started\"", "\"enrolled\"", "\"company_changed\""] {
        assert!(body.contains(kind), "{kind} missing from {body}");
    }
    for event in events() {
        validate::<Event>(&serde_json::to_value(&event).unwrap());
    }
    let mut bad = serde_json::to_value(&events()[1]).unwrap();
    bad["type"] = json!("no_such_event");
    rejects::<Event>(&bad);
    let mut bad = serde_json::to_value(&events()[1]).unwrap();
    bad.as_object_mut().unwrap().remove("at");
    rejects::<Event>(&bad);
}

#[test]
fn member_states_validate_against_their_schema() {
    for preset in ["A", "B", "C"] {
        let program = Program::preset(preset).unwrap();
        validate::<Program>(&serde_json::to_value(&program).unwrap());
        let events = events();
        for day in [1, 4, 12, 16, 31] {
            let at = time::Date::from_calendar_date(2026, time::Month::March, day).unwrap();
            let state = project(&program, &events, at);
            validate::<MemberState>(&serde_json::to_value(&state).unwrap());
            let order = events::Order {
                lines: vec![events::OrderLine {
                    category: events::Category::Labor,
                    amount: Money::from_yuan(100),
                }],
                ..Default::default()
            };
            let q = quote(&program, &state, &order, at);
            validate::<Quote>(&serde_json::to_value(&q).unwrap());
        }
        let state = project(&program, &[], time::macros::date!(2026 - 03 - 01));
        validate::<MemberState>(&serde_json::to_value(&state).unwrap());
    }
    let doc = openapi::<MemberState>();
    let state = component::<MemberState>(&doc);
    assert_eq!(state["properties"]["at"]["format"], "date", "{state:#}");
    let violation = json!({"type": "fee_mismatch", "event": MEMBER, "expected": 1, "paid": 2});
    validate::<Violation>(&violation);
    assert!(serde_json::from_value::<Violation>(violation).is_ok());
}

#[test]
fn care_values_validate_against_their_schemas() {
    use carclub_shared::care::*;
    let program = Program::preset("A").unwrap();
    let at = time::macros::date!(2026 - 03 - 31);
    let state = project(&program, &events()[..21], at);
    assert_eq!(state.care.vehicles[0].visits.len(), 2, "{:?}", state.care);
    validate::<MemberState>(&serde_json::to_value(&state).unwrap());
    let rules = CareRules::default();
    validate::<CareRules>(&serde_json::to_value(rules).unwrap());
    let mut seen = 0;
    for offset in 0..400 {
        let day = at + time::Duration::days(offset);
        for r in reminders(&state, day, &rules) {
            validate::<Reminder>(&serde_json::to_value(&r).unwrap());
            seen += 1;
        }
    }
    assert!(seen > 0);
    let now = Timestamp::parse("2026-03-10T09:30:00+08:00").unwrap();
    let attempt = Attempt {
        at: now,
        slot: CallSlot::Morning,
        outcome: CallOutcome::NoAnswer,
    };
    validate::<Attempt>(&serde_json::to_value(attempt).unwrap());
    for step in [
        next_step(time::macros::date!(2026 - 03 - 10), &[attempt], now),
        NextStep::Done(CallOutcome::Appointment),
        NextStep::SendSmsAndFail,
        NextStep::CorrectNumber,
    ] {
        validate::<NextStep>(&serde_json::to_value(&step).unwrap());
    }
}

mod patterns {
    use super::*;
    use proptest::prelude::*;

    /// The pattern without its anchors, which the generator does not take, and the maximum length.
    fn pattern<T: ToSchema>() -> (String, usize) {
        let schema = serde_json::to_value(T::schema()).unwrap();
        let pattern = schema["pattern"].as_str().unwrap();
        let pattern = pattern
            .strip_prefix('^')
            .unwrap()
            .strip_suffix('$')
            .unwrap();
        (
            pattern.to_owned(),
            schema["maxLength"].as_u64().unwrap() as usize,
        )
    }

    /// Every string the schema's pattern allows parses; schemathesis sends such strings.
    fn generated_values_parse<T: ToSchema + serde::de::DeserializeOwned>() {
        let (pattern, max) = pattern::<T>();
        let strategy = proptest::string::string_regex(&pattern).unwrap();
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&strategy, |s| {
                if s.chars().count() > max {
                    return Ok(());
                }
                prop_assert!(
                    serde_json::from_value::<T>(json!(s)).is_ok(),
                    "{} allows {s:?}, which does not parse",
                    T::name()
                );
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn every_string_a_pattern_allows_parses() {
        generated_values_parse::<Phone>();
        generated_values_parse::<Vin>();
        generated_values_parse::<Plate>();
        generated_values_parse::<CardNo>();
        generated_values_parse::<ReceiptNo>();
        generated_values_parse::<TierId>();
        generated_values_parse::<BenefitId>();
        generated_values_parse::<ShortText>();
        generated_values_parse::<PersonName>();
    }

    proptest! {
        /// Whatever parses is written in a form its schema allows.
        #[test]
        fn written_values_match_their_schema(s in "[ +0-9A-Za-z京粤学·-]{0,24}") {
            let v = json!(s);
            if let Ok(p) = serde_json::from_value::<Phone>(v.clone()) {
                prop_assert!(is_valid::<Phone>(p.as_str()));
            }
            if let Ok(p) = serde_json::from_value::<Vin>(v.clone()) {
                prop_assert!(is_valid::<Vin>(p.as_str()));
            }
            if let Ok(p) = serde_json::from_value::<Plate>(v.clone()) {
                prop_assert!(is_valid::<Plate>(p.as_str()));
            }
            if let Ok(p) = serde_json::from_value::<CardNo>(v.clone()) {
                prop_assert!(is_valid::<CardNo>(p.as_str()));
            }
            if let Ok(p) = serde_json::from_value::<ReceiptNo>(v.clone()) {
                prop_assert!(is_valid::<ReceiptNo>(p.as_str()));
            }
            if let Ok(p) = serde_json::from_value::<ShortText>(v) {
                prop_assert!(is_valid::<ShortText>(p.as_str()));
            }
        }
    }

    #[test]
    fn date_times_in_rfc_3339_parse() {
        for t in [
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00.123456789-05:30",
            "2026-03-01T10:00:00+08:00",
        ] {
            assert!(serde_json::from_value::<Timestamp>(json!(t)).is_ok(), "{t}");
        }
    }
}
