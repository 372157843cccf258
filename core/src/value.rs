//! The one dynamic value type of the core. Everything a caller sends (records, filters,
//! queries) arrives as a [`Value`] tree, and every row cell leaves as one, so the binding
//! converts to and from JavaScript in exactly one place.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    Array(Vec<Value>),
    /// Keys keep the caller's order: it decides the column order of inserts.
    Object(Vec<(String, Value)>),
    /// An array or object of a record, serialised by JavaScript's `JSON.stringify` before
    /// it crossed (the kernel contract's write path): stored as this text, which is
    /// exactly what the kernel's own driver would store.
    Json(String),
    /// A JavaScript value with no SQL meaning, read only inside a filter under the kernel
    /// contract, where the filter compiler refuses it by position (elsewhere `undefined`
    /// reads as null and an instance as its own fields). Never bound or stored.
    Foreign(Foreign),
}

/// See [`Value::Foreign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Foreign {
    /// `undefined`: in JavaScript indistinguishable from a missing key, which means the
    /// opposite of a null comparand.
    Undefined,
    /// An instance of a class (`Map`, a user's class) named by its constructor: not a
    /// filter node, and no comparand SQL can bind.
    Instance(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// A whole number, whether it arrived as an integer or as a float without fraction
    /// (JavaScript has only doubles).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(i) => Some(i),
            Value::Real(f) if is_safe_whole(f) => Some(f as i64),
            _ => None,
        }
    }

    /// The entry `key` of an object; `None` for other values, missing keys and nulls.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// JavaScript truthiness, for options the TypeScript driver tested with `if (x)`.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Integer(i) => *i != 0,
            Value::Real(f) => *f != 0.0 && !f.is_nan(),
            Value::Text(s) => !s.is_empty(),
            _ => true,
        }
    }

    /// The value for a message: JSON for most, `NaN`/`Infinity` for the numbers JSON lacks.
    pub fn describe(&self) -> String {
        match self {
            Value::Real(f) if f.is_nan() => "NaN".to_owned(),
            Value::Real(f) if f.is_infinite() => {
                if *f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
            }
            Value::Blob(b) => format!("a Buffer of {} bytes", b.len()),
            Value::Text(t) if t.len() > 64 => format!("a string of {} bytes", t.len()),
            other => other.to_json(),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Integer(_) | Value::Real(_) => "number",
            Value::Text(_) => "string",
            Value::Blob(_) => "Buffer",
            Value::Array(_) => "array",
            Value::Object(_) | Value::Json(_) => "object",
            Value::Foreign(Foreign::Undefined) => "undefined",
            Value::Foreign(Foreign::Instance(_)) => "object",
        }
    }

    /// The SQLite value to bind. Booleans become 0/1; arrays and objects become JSON text.
    pub fn to_sql(&self) -> libsql::Value {
        match self {
            Value::Null | Value::Foreign(_) => libsql::Value::Null,
            Value::Bool(b) => libsql::Value::Integer(i64::from(*b)),
            Value::Integer(i) => libsql::Value::Integer(*i),
            Value::Real(f) => libsql::Value::Real(*f),
            Value::Text(s) | Value::Json(s) => libsql::Value::Text(s.clone()),
            Value::Blob(b) => libsql::Value::Blob(b.clone()),
            Value::Array(_) | Value::Object(_) => libsql::Value::Text(self.to_json()),
        }
    }

    /// Like [`Value::to_sql`], without copying text and blobs.
    pub fn into_sql(self) -> libsql::Value {
        match self {
            Value::Text(s) | Value::Json(s) => libsql::Value::Text(s),
            Value::Blob(b) => libsql::Value::Blob(b),
            other => other.to_sql(),
        }
    }

    pub fn to_json(&self) -> String {
        // Serializing our own tree into a String cannot fail: keys are strings.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn parse_json(text: &str) -> Result<Value> {
        serde_json::from_str(text).map_err(|e| Error::invalid(format!("invalid JSON: {e}")))
    }
}

/// `Number.MAX_SAFE_INTEGER`: beyond it a JavaScript number no longer holds every integer.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Whether a JavaScript number holds exactly this integer.
pub fn is_safe_integer(i: i64) -> bool {
    i.unsigned_abs() <= MAX_SAFE_INTEGER as u64
}

/// Whether a double is a whole number a JavaScript number holds exactly.
pub fn is_safe_whole(f: f64) -> bool {
    f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64
}

impl From<libsql::Value> for Value {
    fn from(v: libsql::Value) -> Self {
        match v {
            libsql::Value::Null => Value::Null,
            libsql::Value::Integer(i) => Value::Integer(i),
            libsql::Value::Real(f) => Value::Real(f),
            libsql::Value::Text(s) => Value::Text(s),
            libsql::Value::Blob(b) => Value::Blob(b),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Real(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            // As JSON.stringify has them inside an array (an instance loses its class).
            Value::Null | Value::Foreign(Foreign::Undefined) => s.serialize_unit(),
            Value::Foreign(Foreign::Instance(_)) => s.serialize_map(Some(0))?.end(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Real(f) => s.serialize_f64(*f),
            Value::Text(t) => s.serialize_str(t),
            // Only ever JavaScript's JSON; text that would not parse serialises as null.
            Value::Json(t) => serde_json::from_str::<serde_json::Value>(t)
                .unwrap_or_default()
                .serialize(s),
            Value::Blob(bytes) => {
                let mut seq = s.serialize_seq(Some(bytes.len()))?;
                for b in bytes {
                    seq.serialize_element(b)?;
                }
                seq.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> std::result::Result<Value, E> {
        Ok(Value::Integer(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> std::result::Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Real(u as f64), Value::Integer))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> std::result::Result<Value, E> {
        Ok(Value::Real(f))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Value, E> {
        Ok(Value::Text(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> std::result::Result<Value, E> {
        Ok(Value::Text(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            // JSON.parse keeps the last of duplicate keys, in the first one's place.
            match entries.iter_mut().find(|(existing, _)| *existing == k) {
                Some(slot) => slot.1 = v,
                None => entries.push((k, v)),
            }
        }
        Ok(Value::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_key_order() {
        let text = r#"{"b":1,"a":[true,null,2.5,"x"],"c":{"d":-3}}"#;
        let v = Value::parse_json(text).unwrap();
        assert_eq!(v.to_json(), text);
    }

    #[test]
    fn binds_booleans_and_containers() {
        assert_eq!(Value::Bool(true).to_sql(), libsql::Value::Integer(1));
        let arr = Value::Array(vec![Value::Integer(1), Value::from("a")]);
        assert_eq!(arr.to_sql(), libsql::Value::Text("[1,\"a\"]".into()));
    }

    #[test]
    fn whole_floats_are_integers() {
        assert_eq!(Value::Real(3.0).as_i64(), Some(3));
        assert_eq!(Value::Real(3.5).as_i64(), None);
        assert_eq!(Value::Real(1e300).as_i64(), None);
    }

    #[test]
    fn get_skips_nulls() {
        let v = Value::Object(vec![
            ("a".into(), Value::Null),
            ("b".into(), Value::Integer(1)),
        ]);
        assert!(v.get("a").is_none());
        assert_eq!(v.get("b"), Some(&Value::Integer(1)));
    }
}
