//! JSON values in Automerge documents.
//!
//! Every carclub document is a JSON-shaped tree: maps, lists and scalars (strings are plain string
//! scalars, not collaborative text, because nothing here is edited character by character). Events
//! are written once and never changed; server-owned files are *reconciled*: only the fields that
//! differ are written, so an unchanged file produces no change and a changed one produces a small one.

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value as AmValue, hydrate};
use serde_json::{Map, Number, Value};

/// The deepest nesting read or written; deeper input is cut off (documents we write are shallow).
const MAX_DEPTH: usize = 16;

fn scalar(value: &Value) -> Option<ScalarValue> {
    Some(match value {
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => ScalarValue::Int(i),
            (None, Some(u), _) => ScalarValue::Uint(u),
            (_, _, Some(f)) => ScalarValue::F64(f),
            _ => ScalarValue::Null,
        },
        Value::String(s) => ScalarValue::Str(s.as_str().into()),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

fn scalar_to_json(s: &ScalarValue) -> Value {
    match s {
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Value::Number((*i).into()),
        ScalarValue::Uint(u) => Value::Number((*u).into()),
        ScalarValue::F64(f) => Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ScalarValue::Counter(c) => Value::Number(i64::from(c).into()),
        ScalarValue::Boolean(b) => Value::Bool(*b),
        ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } | ScalarValue::Null => Value::Null,
    }
}

/// Writes `value` at `prop` of `obj` (a new value: maps and lists are created fresh).
pub fn put<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    prop: Prop,
    value: &Value,
) -> Result<(), automerge::AutomergeError> {
    put_depth(tx, obj, prop, value, 0)
}

fn put_depth<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    prop: Prop,
    value: &Value,
    depth: usize,
) -> Result<(), automerge::AutomergeError> {
    if let Some(s) = scalar(value) {
        return tx.put(obj, prop, s);
    }
    tx.batch_create_object(obj, prop, &hydrate(value, depth + 1), false)
        .map(|_| ())
}

/// Inserts `value` at `index` of the list `obj`.
pub fn insert<T: Transactable>(
    tx: &mut T,
    list: &ObjId,
    index: usize,
    value: &Value,
) -> Result<(), automerge::AutomergeError> {
    if let Some(s) = scalar(value) {
        return tx.insert(list, index, s);
    }
    tx.batch_create_object(list, Prop::Seq(index), &hydrate(value, 1), true)
        .map(|_| ())
}

/// `value` as Automerge's tree of values, which a transaction writes as a new object in one go
/// (two splices of its operations, not one per node); nesting beyond [`MAX_DEPTH`] is cut off.
fn hydrate(value: &Value, depth: usize) -> hydrate::Value {
    match value {
        Value::Object(map) => hydrate_map(map, depth).into(),
        Value::Array(items) => {
            let items: Vec<hydrate::Value> = if depth > MAX_DEPTH {
                Vec::new()
            } else {
                items.iter().map(|v| hydrate(v, depth + 1)).collect()
            };
            items.into()
        }
        scalar_value => scalar(scalar_value).unwrap_or(ScalarValue::Null).into(),
    }
}

/// A JSON object as Automerge's map of values (see [`hydrate`]).
fn hydrate_map(map: &Map<String, Value>, depth: usize) -> hydrate::Map {
    let entries: HashMap<String, hydrate::Value> = if depth > MAX_DEPTH {
        HashMap::new()
    } else {
        map.iter()
            .map(|(k, v)| (k.clone(), hydrate(v, depth + 1)))
            .collect()
    };
    entries.into()
}

/// Makes the map `obj` hold exactly `target`, writing only what differs.
pub fn reconcile_map<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    target: &Map<String, Value>,
) -> Result<(), automerge::AutomergeError> {
    reconcile_depth(tx, obj, target, 0)
}

fn reconcile_depth<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    target: &Map<String, Value>,
    depth: usize,
) -> Result<(), automerge::AutomergeError> {
    let existing: Vec<String> = tx.keys(obj).collect();
    if existing.is_empty() && *obj == automerge::ROOT && depth == 0 {
        // A new document: its whole tree in one go.
        return tx.init_root_from_hydrate(&hydrate_map(target, 1));
    }
    for key in existing {
        if !target.contains_key(&key) {
            tx.delete(obj, key.as_str())?;
        }
    }
    for (key, want) in target {
        let current = tx.get(obj, key.as_str())?;
        match (current, want) {
            (Some((AmValue::Object(ObjType::Map), child)), Value::Object(m))
                if depth < MAX_DEPTH =>
            {
                reconcile_depth(tx, &child, m, depth + 1)?;
            }
            (Some((AmValue::Object(_), child)), want) => {
                if read_depth(tx, &child, depth + 1) != *want {
                    put_depth(tx, obj, Prop::Map(key.clone()), want, depth)?;
                }
            }
            (Some((AmValue::Scalar(s), _)), want) => {
                if scalar_to_json(&s) != *want {
                    put_depth(tx, obj, Prop::Map(key.clone()), want, depth)?;
                }
            }
            (None, want) => put_depth(tx, obj, Prop::Map(key.clone()), want, depth)?,
        }
    }
    Ok(())
}

/// Reads the object `obj` (or the whole document from `automerge::ROOT`) as JSON.
pub fn read<D: ReadDoc>(doc: &D, obj: &ObjId) -> Value {
    read_depth(doc, obj, 0)
}

/// Reads the value at `prop` of `obj` as JSON; `None` if there is none.
pub fn read_prop<D: ReadDoc>(doc: &D, obj: &ObjId, prop: impl Into<Prop>) -> Option<Value> {
    match doc.get(obj, prop).ok()?? {
        (AmValue::Scalar(s), _) => Some(scalar_to_json(&s)),
        (AmValue::Object(_), child) => Some(read_depth(doc, &child, 1)),
    }
}

fn read_depth<D: ReadDoc>(doc: &D, obj: &ObjId, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let value_at = |prop: Prop| -> Value {
        match doc.get(obj, prop) {
            Ok(Some((AmValue::Scalar(s), _))) => scalar_to_json(&s),
            Ok(Some((AmValue::Object(_), child))) => read_depth(doc, &child, depth + 1),
            _ => Value::Null,
        }
    };
    match doc.object_type(obj) {
        Ok(ObjType::Map) | Ok(ObjType::Table) => {
            let mut map = Map::new();
            for key in doc.keys(obj) {
                let v = value_at(Prop::Map(key.clone()));
                map.insert(key, v);
            }
            Value::Object(map)
        }
        Ok(ObjType::List) => Value::Array(
            (0..doc.length(obj))
                .map(|i| value_at(Prop::Seq(i)))
                .collect(),
        ),
        Ok(ObjType::Text) => Value::String(doc.text(obj).unwrap_or_default()),
        Err(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{Automerge, ROOT};
    use serde_json::json;

    #[test]
    fn write_read_and_reconcile() {
        let mut doc = Automerge::new();
        let v = json!({"name": "张三", "n": 3, "neg": -2, "ok": true, "list": [1, {"a": "b"}], "m": {"x": null}});
        let mut tx = doc.transaction();
        reconcile_map(&mut tx, &ROOT, v.as_object().unwrap()).unwrap();
        tx.commit();
        assert_eq!(read(&doc, &ROOT), v);

        // Reconciling the same value makes no change.
        let heads = doc.get_heads();
        let mut tx = doc.transaction();
        reconcile_map(&mut tx, &ROOT, v.as_object().unwrap()).unwrap();
        assert_eq!(tx.pending_ops(), 0);
        tx.commit();
        assert_eq!(doc.get_heads(), heads);

        // A changed field and a removed one.
        let v2 = json!({"name": "李四", "n": 3, "neg": -2, "ok": true, "list": [1, {"a": "c"}], "m": {"x": 1}});
        let mut tx = doc.transaction();
        reconcile_map(&mut tx, &ROOT, v2.as_object().unwrap()).unwrap();
        tx.commit();
        assert_eq!(read(&doc, &ROOT), v2);
    }
}
