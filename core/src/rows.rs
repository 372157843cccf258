//! Records between JavaScript and SQLite: JSON fields are stored as JSON text and parsed
//! on the way out, boolean fields are stored as 0/1 and read back as booleans.

use std::sync::Arc;

use crate::config::Contract;
use crate::fast_hash::FastMap;
use crate::temporal::{clock_of_instant, Temporal};
use crate::types::{field_kind, FieldKind};
use crate::value::Value;

/// How each declared field of one object is stored, compared and read back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldKinds {
    fields: FastMap<String, Field>,
    /// The kernel contract's value rules: every value of a JSON field is stored as JSON,
    /// strings too, so that `"123"` and `123` stay apart (the 4.2.2 API passes strings
    /// through as JSON), and `'NOW()'` written to any field is the time of the write.
    pub kernel: bool,
}

/// One declared field: its kind, and the declaration the kernel's filter rules read.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub kind: Kind,
    /// The declared type, lower case (`text`, `lookup`, `date`, `formula`, ...).
    pub field_type: String,
    /// `multiple: true`: a list of values, stored as JSON.
    pub multiple: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plain,
    /// JSON field; strings are taken as JSON text already (the 4.2.2 API).
    Json,
    /// JSON field; every value is JSON-encoded, strings included (the kernel contract).
    JsonStrict,
    Boolean,
    /// Time-of-day field of the 4.2.2 API: a JS `Date` (ISO text by then) is stored as
    /// `HH:MM:SS[.fff]`, other text as given.
    Time,
    /// A date, date-time or time of day in the kernel's stored forms.
    Temporal(Temporal),
    /// Numeric field: text that spells a number reads back as the number.
    Number,
}

impl FieldKinds {
    pub fn kind(&self, field: &str) -> Kind {
        self.fields.get(field).map_or(Kind::Plain, |f| f.kind)
    }

    /// The declaration of `field`, if the object declared it.
    pub fn field(&self, field: &str) -> Option<&Field> {
        self.fields.get(field)
    }

    /// The temporal kind of `field`, if it is a kernel date, date-time or time.
    pub fn temporal(&self, field: &str) -> Option<Temporal> {
        match self.kind(field) {
            Kind::Temporal(t) => Some(t),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.values().all(|f| f.kind == Kind::Plain)
    }

    /// `'NOW()'` as the time of the write under the kernel contract (the engine's
    /// convention for "the clock at insert time"); any other value as it is.
    pub fn resolve_now(&self, value: Value, clock: &Clock) -> Value {
        if self.kernel && crate::temporal::is_now_token(&value) {
            clock.now()
        } else {
            value
        }
    }

    /// Gives `field` a kind (what the exported helpers and aggregate groups need).
    pub fn set(&mut self, field: impl Into<String>, kind: Kind) {
        self.fields.insert(
            field.into(),
            Field {
                kind,
                field_type: String::new(),
                multiple: false,
            },
        );
    }

    /// Takes the kind of every field `def` declares (a field may change kind); fields a
    /// later definition leaves out keep theirs.
    pub fn merge(&mut self, def: &crate::schema::ObjectDef, contract: Contract) {
        self.kernel = contract.strict_json();
        if contract.audit_columns() {
            // The audit columns the driver adds are instants: read back as the kernel reads
            // them (a zone-less `2026-01-15 08:30:00` an older writer left is UTC), unless
            // the definition declares them otherwise below.
            for audit in crate::schema::AUDIT_COLUMNS {
                self.fields.entry(audit.to_owned()).or_insert(Field {
                    kind: Kind::Temporal(Temporal::DateTime),
                    field_type: "datetime".to_owned(),
                    multiple: false,
                });
            }
        }
        for f in &def.fields {
            let kind = match field_kind(&f.field_type, f.multiple, contract) {
                FieldKind::Json if self.kernel => Kind::JsonStrict,
                FieldKind::Json => Kind::Json,
                FieldKind::Boolean => Kind::Boolean,
                FieldKind::Time => Kind::Time,
                FieldKind::Temporal(t) => Kind::Temporal(t),
                FieldKind::Number => Kind::Number,
                FieldKind::Plain => Kind::Plain,
            };
            self.fields.insert(
                f.name.clone(),
                Field {
                    kind,
                    field_type: f.field_type.to_ascii_lowercase(),
                    multiple: f.multiple,
                },
            );
        }
    }
}

/// Rows as read from SQLite: column names once, then one vector of cells per row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowSet {
    pub columns: Arc<[String]>,
    pub rows: Vec<Vec<Value>>,
    /// Columns whose text cells hold JSON not parsed yet. Whoever turns the rows into
    /// values parses them: [`RowSet::parse_json`] in Rust, V8's `JSON.parse` in the
    /// binding, which then builds the JS value straight from the text instead of from a
    /// Rust tree it would first have to serialise again.
    pub json: Vec<usize>,
}

impl RowSet {
    /// Applies the object's field kinds to every cell, deciding per column once: booleans
    /// are decoded, JSON columns are marked in [`RowSet::json`].
    pub fn map_kinds(mut self, kinds: &FieldKinds) -> RowSet {
        if kinds.is_empty() {
            return self;
        }
        let per_column: Vec<Kind> = self.columns.iter().map(|c| kinds.kind(c)).collect();
        self.json = (0..per_column.len())
            .filter(|&i| matches!(per_column[i], Kind::Json | Kind::JsonStrict))
            .collect();
        let decoded = |k: &Kind| matches!(k, Kind::Boolean | Kind::Number | Kind::Temporal(_));
        if per_column.iter().any(decoded) {
            for row in &mut self.rows {
                for (cell, kind) in row.iter_mut().zip(&per_column) {
                    if decoded(kind) {
                        *cell = read_cell(std::mem::take(cell), *kind);
                    }
                }
            }
        }
        self
    }

    /// Parses the JSON cells that [`RowSet::map_kinds`] marked.
    pub fn parse_json(mut self) -> RowSet {
        for row in &mut self.rows {
            for &i in &self.json {
                if let Some(cell) = row.get_mut(i) {
                    *cell = read_cell(std::mem::take(cell), Kind::Json);
                }
            }
        }
        self.json.clear();
        self
    }

    /// The value of `column` in the first row.
    pub fn first_value(&self, column: &str) -> Option<&Value> {
        let idx = self.columns.iter().position(|c| c == column)?;
        self.rows.first()?.get(idx)
    }

    /// Each row as an object, for callers that want records rather than cells.
    pub fn into_records(self) -> Vec<Value> {
        let parsed = self.parse_json();
        let columns = parsed.columns;
        parsed
            .rows
            .into_iter()
            .map(|row| Value::Object(columns.iter().cloned().zip(row).collect()))
            .collect()
    }
}

/// A stored value as the caller sees it. JSON text that does not parse is kept as text.
pub fn read_cell(value: Value, kind: Kind) -> Value {
    match (kind, value) {
        (Kind::Json | Kind::JsonStrict, Value::Text(text)) => {
            Value::parse_json(&text).unwrap_or(Value::Text(text))
        }
        (Kind::Boolean, Value::Null) => Value::Null,
        (Kind::Boolean, v) => Value::Bool(
            matches!(v, Value::Bool(true) | Value::Integer(1))
                || matches!(v, Value::Real(f) if f == 1.0),
        ),
        (Kind::Number, Value::Text(text)) => number_from_text(&text).unwrap_or(Value::Text(text)),
        (Kind::Temporal(_), Value::Null) => Value::Null,
        (Kind::Temporal(t), v) => t.present(v),
        (_, v) => v,
    }
}

/// A caller's value as it is stored: NULL for null, JSON text for JSON fields (strings
/// pass through as already-serialised JSON), 0/1 for boolean fields.
pub fn write_cell(value: Value, kind: Kind) -> Value {
    match (kind, value) {
        (_, Value::Null) => Value::Null,
        (Kind::Json, Value::Text(text)) => Value::Text(text),
        // JavaScript's own JSON text of a structure: stored as it is, in any column (the
        // kernel's driver stringifies structures whatever the field), but a boolean's.
        (Kind::Boolean, Value::Json(_)) => Value::Integer(1),
        (_, Value::Json(text)) => Value::Text(text),
        (Kind::Json | Kind::JsonStrict, v) => Value::Text(v.to_json()),
        (Kind::Boolean, v) => Value::Integer(i64::from(v.is_truthy())),
        // A JS `Date` (ISO text by now) becomes its UTC time of day; other text stays.
        (Kind::Time, Value::Text(text)) => match clock_of_instant(&text) {
            Some(clock) => Value::Text(clock.to_owned()),
            None => Value::Text(text),
        },
        (Kind::Temporal(t), v) => t.canonical(&v).unwrap_or(v),
        (Kind::Time | Kind::Plain | Kind::Number, v) => v,
    }
}

/// A number spelt as text (`"4"`, `" 2.5 "`), as JavaScript's `Number()` reads it; `None`
/// for anything else (empty text included).
fn number_from_text(text: &str) -> Option<Value> {
    let t = text.trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Integer(i));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::Real)
}

/// `mapRow` for records that are already objects (the exported helper).
pub fn map_record(record: Value, kinds: &FieldKinds) -> Value {
    match record {
        Value::Object(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let kind = kinds.kind(&k);
                    // The TypeScript mapper only parses strings, and treats `true` as true.
                    let v = match (kind, v) {
                        (Kind::Boolean, Value::Null) => Value::Bool(false),
                        (kind, v) => read_cell(v, kind),
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// Refuses binary data for a JSON field: JSON has no bytes, so it would come back as
/// something else (an array of numbers) than the Buffer written.
pub fn check_json_cell(field: &str, value: &Value, kind: Kind) -> crate::Result<()> {
    if matches!(kind, Kind::Json | Kind::JsonStrict) && matches!(value, Value::Blob(_)) {
        return Err(crate::Error::invalid(format!(
            "Field \"{field}\": binary data cannot be stored in a JSON field (JSON has no bytes; it would come \
             back as an array of numbers); store it in a binary field, or as base64 text"
        )));
    }
    Ok(())
}

/// [`serialize_record`] for a write: refused if a cell would not come back as written.
pub fn storable_record(
    record: Vec<(String, Value)>,
    kinds: &FieldKinds,
) -> crate::Result<Vec<(String, Value)>> {
    for (field, value) in &record {
        check_json_cell(field, value, kinds.kind(field))?;
    }
    Ok(serialize_record(record, kinds))
}

/// `serializeRecord`: every entry through [`write_cell`], keys in the caller's order.
pub fn serialize_record(record: Vec<(String, Value)>, kinds: &FieldKinds) -> Vec<(String, Value)> {
    let now = Clock::default();
    record
        .into_iter()
        .map(|(k, v)| {
            let kind = kinds.kind(&k);
            let v = kinds.resolve_now(v, &now);
            (k, write_cell(v, kind))
        })
        .collect()
}

/// The time of one write, read once however many `'NOW()'` values it has.
#[derive(Default)]
pub struct Clock(std::cell::OnceCell<String>);

impl Clock {
    fn now(&self) -> Value {
        Value::Text(self.0.get_or_init(crate::dates::now_iso).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bytes_for_json_fields_only() {
        let record = |v: Value| vec![("meta".to_string(), v)];
        let err = storable_record(record(Value::Blob(vec![1, 2])), &kinds()).unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidRequest);
        assert!(err.message.contains("Field \"meta\""), "{}", err.message);
        let bytes = vec![("data".to_string(), Value::Blob(vec![1, 2]))];
        assert_eq!(storable_record(bytes.clone(), &kinds()).unwrap(), bytes);
    }

    fn kinds() -> FieldKinds {
        let mut kinds = FieldKinds::default();
        kinds.set("meta", Kind::Json);
        kinds.set("done", Kind::Boolean);
        kinds
    }

    #[test]
    fn reads_json_and_booleans_per_column() {
        let rows = RowSet {
            columns: vec!["id".into(), "meta".into(), "done".into()].into(),
            rows: vec![
                vec!["a".into(), "{\"x\":1}".into(), Value::Integer(1)],
                vec!["b".into(), "not json".into(), Value::Integer(0)],
                vec!["c".into(), Value::Null, Value::Null],
            ],
            ..RowSet::default()
        }
        .map_kinds(&kinds());
        // JSON waits for whoever converts the rows; booleans are decoded at once.
        assert_eq!(rows.json, vec![1]);
        assert_eq!(rows.rows[0][1], Value::from("{\"x\":1}"));
        let rows = rows.parse_json();
        assert_eq!(
            rows.rows[0][1],
            Value::Object(vec![("x".into(), Value::Integer(1))])
        );
        assert_eq!(rows.rows[0][2], Value::Bool(true));
        assert_eq!(rows.rows[1][1], Value::from("not json"));
        assert_eq!(rows.rows[1][2], Value::Bool(false));
        assert_eq!(rows.rows[2], vec!["c".into(), Value::Null, Value::Null]);
    }

    #[test]
    fn writes_json_text_and_zero_one() {
        let out = serialize_record(
            vec![
                ("meta".into(), Value::Array(vec![Value::Integer(1)])),
                ("done".into(), Value::Bool(true)),
                ("title".into(), Value::Null),
                ("raw".into(), Value::from("[1]")),
            ],
            &kinds(),
        );
        assert_eq!(out[0].1, Value::from("[1]"));
        assert_eq!(out[1].1, Value::Integer(1));
        assert_eq!(out[2].1, Value::Null);
        assert_eq!(out[3].1, Value::from("[1]"));
    }

    #[test]
    fn strict_json_encodes_strings_and_times_keep_the_time_of_day() {
        let mut kinds = kinds();
        kinds.set("meta", Kind::JsonStrict);
        kinds.set("at", Kind::Time);
        let out = serialize_record(
            vec![
                ("meta".into(), "123".into()),
                ("at".into(), "1970-01-01T14:30:00.500Z".into()),
            ],
            &kinds,
        );
        assert_eq!(out[0].1, Value::from("\"123\""));
        assert_eq!(out[1].1, Value::from("14:30:00.500"));
        assert_eq!(
            clock_of_instant("1970-01-01T09:00:00.000Z").unwrap(),
            "09:00:00"
        );
        assert!(clock_of_instant("09:00").is_none());
    }

    #[test]
    fn map_record_matches_the_typescript_mapper() {
        let rec = Value::Object(vec![
            ("meta".into(), "[1,2]".into()),
            ("done".into(), Value::Null),
        ]);
        let mapped = map_record(rec, &kinds());
        assert_eq!(mapped.get("done"), Some(&Value::Bool(false)));
        assert_eq!(
            mapped.get("meta"),
            Some(&Value::Array(vec![Value::Integer(1), Value::Integer(2)]))
        );
    }
}
