//! Internally tagged enums (`{"type": "enrolled", ...}`) read through `serde_json` values.
//!
//! serde's derived reader for an internally tagged enum buffers the input into its private
//! content type and compiles every variant's reader again for it. In the device's wasm that was
//! the largest single part of serde (events, benefits, conditions, enrollment channels). The
//! enums defined with [`tagged_enum!`] keep their derived `Serialize` and their JSON, but read
//! through a `serde_json` map: the tag is taken out, the rest handed to an externally tagged
//! twin of the enum (serde's remote derive, built from the same variants), which reads it from
//! a `serde_json::Value` like every document the device reads.

use serde_json::{Map, Value};

/// Defines an internally tagged enum whose `Deserialize` reads through a `serde_json` map.
///
/// ```ignore
/// tagged_enum! {
///     tag = "kind",
///     twin = [#[serde(remote = "Benefit", rename_all = "snake_case", deny_unknown_fields)]],
///     /// docs…
///     #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
///     #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
///     pub enum Benefit { … }
/// }
/// ```
///
/// `twin` names the enum again (`remote`) with its serde attributes except `tag`. Tests compare
/// the result with serde's own internally tagged reader (`reference_from_value`). Other crates
/// use it as `carclub_shared::tagged_enum!` (they need `serde` and `serde_json`).
#[macro_export]
macro_rules! tagged_enum {
    (
        tag = $tag:literal,
        twin = [$(#[$twin:meta])*],
        $(#[$attr:meta])*
        pub enum $name:ident { $($variants:tt)* }
    ) => {
        $(#[$attr])*
        pub enum $name { $($variants)* }

        impl $name {
            /// Reads the enum from its JSON object with the tag (see `crate::tagged`).
            #[allow(dead_code)]
            pub(crate) fn from_tagged_map(
                map: serde_json::Map<String, serde_json::Value>,
            ) -> Result<Self, serde_json::Error> {
                #[derive(serde::Deserialize)]
                $(#[$twin])*
                enum Twin { $($variants)* }

                let (first, second) = $crate::tagged::externally_tagged(map, $tag)?;
                // A unit variant is read whatever else the object holds, as serde does.
                Twin::deserialize(first).or_else(|error| Twin::deserialize(second).map_err(|_| error))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let map = <serde_json::Map<String, serde_json::Value>>::deserialize(d)?;
                Self::from_tagged_map(map).map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            /// serde's own internally tagged reader of the same enum, for the tests to compare
            /// with (nothing else calls it, so the wasm does not hold it).
            #[doc(hidden)]
            pub fn reference_from_value(
                value: serde_json::Value,
            ) -> Result<Self, serde_json::Error> {
                #[derive(serde::Deserialize)]
                $(#[$twin])*
                #[serde(tag = $tag)]
                enum Reference { $($variants)* }

                Reference::deserialize(value)
            }
        }
    };
}

/// Takes the tag `tag` out of `map` and writes the rest in serde's externally tagged form:
/// `{"<tag value>": {rest}}`, and `"<tag value>"`, the form of a unit variant, to try second.
pub fn externally_tagged(
    mut map: Map<String, Value>,
    tag: &'static str,
) -> Result<(Value, Value), serde_json::Error> {
    let name = match map.remove(tag) {
        Some(Value::String(name)) => name,
        Some(other) => {
            return Err(serde::de::Error::invalid_type(
                crate::tagged::unexpected(&other),
                &"a variant name",
            ));
        }
        None => return Err(serde::de::Error::missing_field(tag)),
    };
    let unit = Value::String(name.clone());
    let mut tagged = Map::new();
    tagged.insert(name, Value::Object(map));
    Ok((Value::Object(tagged), unit))
}

/// What a JSON value is, for an error message.
pub fn unexpected(value: &Value) -> serde::de::Unexpected<'_> {
    use serde::de::Unexpected;
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, Some(f)) => Unexpected::Float(f),
            _ => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// For the tests: `value` (a tagged JSON object) and variations of it — each field removed, each
/// field `null`, a string, a fraction, a list or an object, an unknown field added, the tag
/// unknown or not a string — to read through both readers.
#[doc(hidden)]
pub fn variations(value: &Value) -> Vec<Value> {
    let mut out = vec![value.clone()];
    let Some(map) = value.as_object() else {
        return out;
    };
    let odd = [
        Value::Null,
        Value::from("x"),
        Value::from(1.5),
        Value::from(7),
        Value::Array(vec![]),
        Value::Object(Map::new()),
    ];
    for key in map.keys() {
        let mut without = map.clone();
        without.remove(key);
        out.push(Value::Object(without));
        for replacement in &odd {
            let mut changed = map.clone();
            changed.insert(key.clone(), replacement.clone());
            out.push(Value::Object(changed));
        }
    }
    let mut extra = map.clone();
    extra.insert("zz_unknown".into(), Value::from(1));
    out.push(Value::Object(extra));
    out
}

/// For the tests: both readers' results alike (the same value, or both an error)?
#[doc(hidden)]
pub fn reads_alike<T: PartialEq + std::fmt::Debug>(
    ours: Result<T, serde_json::Error>,
    reference: Result<T, serde_json::Error>,
) -> Result<(), String> {
    match (ours, reference) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        (a, b) => Err(format!("ours: {a:?}, serde's: {b:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Channel, EventBody};
    use crate::program::{Benefit, Condition};
    use serde_json::json;

    fn check<T: PartialEq + std::fmt::Debug + serde::de::DeserializeOwned>(
        examples: &[Value],
        reference: impl Fn(Value) -> Result<T, serde_json::Error>,
    ) -> usize {
        let mut read = 0;
        for example in examples {
            for value in variations(example) {
                let ours = serde_json::from_value::<T>(value.clone());
                read += usize::from(ours.is_ok());
                let text = serde_json::from_str::<T>(&value.to_string());
                if let Err(e) = reads_alike(ours, reference(value.clone()))
                    .and_then(|()| reads_alike(text, reference(value.clone())))
                {
                    panic!("{value}: {e}");
                }
            }
        }
        read
    }

    #[test]
    fn benefits_and_conditions_read_as_serde_reads_them() {
        let mut benefits = Vec::new();
        let mut conditions = Vec::new();
        for name in ["A", "B", "C"] {
            let program =
                serde_json::to_value(crate::program::Program::preset(name).unwrap()).unwrap();
            for tier in program["tiers"].as_array().unwrap() {
                benefits.extend(tier["benefits"].as_array().unwrap().iter().cloned());
            }
            for upgrade in program["upgrades"].as_array().unwrap() {
                conditions.extend(upgrade["any_of"].as_array().unwrap().iter().cloned());
            }
        }
        assert!(benefits.len() > 10 && conditions.len() > 5);
        assert!(check(&benefits, Benefit::reference_from_value) > benefits.len());
        assert!(check(&conditions, Condition::reference_from_value) > conditions.len());
    }

    #[test]
    fn channels_and_event_bodies_read_as_serde_reads_them() {
        let member = "01900000-0000-7000-8000-000000000004";
        let channels = [
            json!({"kind": "purchase"}),
            json!({"kind": "desk"}),
            json!({"kind": "campaign"}),
            json!({"kind": "referral", "referrer": member}),
            json!({"kind": "on_site", "visit": member}),
            json!({"kind": 3}),
            json!({"referrer": member}),
            json!("desk"),
            json!(null),
        ];
        check(&channels, Channel::reference_from_value);
        let bodies = [
            json!({"type": "enrollment_approved", "member": member}),
            json!({"type": "visit_started", "visit": member, "site": "华南物流园"}),
            json!({"type": "mileage_recorded", "member": member, "vin": "LSVAU2180N2183294",
                   "on": "2026-03-01", "km": 12000.0}),
            json!({"type": "card_lost", "member": member, "card": "C00000001"}),
            json!({"type": "contact_change_requested", "member": member, "sms_consent": true}),
        ];
        assert!(check(&bodies, EventBody::reference_from_value) > bodies.len());
    }
}
