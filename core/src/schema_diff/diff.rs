//! Desired object definitions vs. the live schema -> ordered [`SchemaDiffAction`]s.

use super::{
    has_prefix_ignore_case, same_name, ColumnDef, DiffOptions, SchemaDiff, SchemaDiffAction,
    SQLITE_PREFIX,
};
use crate::error::{Error, Result};
use crate::migrate::affinity;
use crate::schema::{FieldDef, ObjectDef};
use crate::types::field_type_to_sqlite;
use crate::value::Value;

/// A table of `introspectSchema()`: its name (the key of `tables`) and its columns with
/// their declared `type`, when the introspection gave one.
#[derive(Debug, Clone, PartialEq)]
struct LiveTable {
    name: String,
    columns: Vec<(String, Option<String>)>,
}

/// Reads the `desired` array of `{ name, fields }` object definitions.
///
/// Refused (`INVALID_REQUEST`): a non-array, a bad definition (see
/// [`ObjectDef::from_value`]), two objects or two fields of one object whose names differ
/// only in case (SQLite would see one name), a field spelled like `id` in another case, and
/// object names SQLite reserves (`sqlite_*`).
pub fn parse_desired(desired: &Value) -> Result<Vec<ObjectDef>> {
    let items = desired.as_array().ok_or_else(|| {
        Error::invalid(format!(
            "diffSchema expects an array of object definitions, got {}",
            desired.type_name()
        ))
    })?;
    let defs = items
        .iter()
        .map(ObjectDef::from_value)
        .collect::<Result<Vec<_>>>()?;
    check_desired(&defs)?;
    Ok(defs)
}

fn check_desired(defs: &[ObjectDef]) -> Result<()> {
    for (i, def) in defs.iter().enumerate() {
        if has_prefix_ignore_case(&def.name, SQLITE_PREFIX) {
            return Err(Error::invalid(format!(
                "Object \"{}\": names starting with \"{SQLITE_PREFIX}\" are reserved by SQLite",
                def.name
            )));
        }
        if let Some(other) = defs[..i].iter().find(|o| same_name(&o.name, &def.name)) {
            return Err(Error::invalid(format!(
                "Object \"{}\" is defined twice (as \"{}\"; SQLite table names ignore case)",
                def.name, other.name
            )));
        }
        for (j, field) in def.fields.iter().enumerate() {
            if same_name(&field.name, "id") {
                return Err(Error::invalid(format!(
                    "Field \"{}.{}\" clashes with the primary key \"id\" (SQLite column names ignore case)",
                    def.name, field.name
                )));
            }
            if let Some(other) = def.fields[..j]
                .iter()
                .find(|f| same_name(&f.name, &field.name))
            {
                return Err(Error::invalid(format!(
                    "Fields \"{}\" and \"{}\" of object \"{}\" are one column to SQLite (names ignore case)",
                    other.name, field.name, def.name
                )));
            }
        }
    }
    Ok(())
}

/// Compares `desired` with `live` (the `introspectSchema()` result). Actions, in order:
/// per desired object, `create_table` when its table is missing, else one `add_column` per
/// missing field; then `drop_table` for each live table nothing desires, except protected
/// ones (see [`DiffOptions::is_protected`]).
pub fn diff_schema(desired: &[ObjectDef], live: &Value, opts: &DiffOptions) -> Result<SchemaDiff> {
    check_desired(desired)?;
    let live = parse_live(live)?;
    let mut actions = Vec::new();
    for def in desired {
        match live.iter().find(|t| same_name(&t.name, &def.name)) {
            None => actions.push(create_table(def)),
            Some(table) => diff_columns(def, table, opts, &mut actions),
        }
    }
    for table in &live {
        let desired = desired.iter().any(|d| same_name(&d.name, &table.name));
        if !desired && !opts.is_protected(&table.name) {
            actions.push(SchemaDiffAction::DropTable {
                table: table.name.clone(),
            });
        }
    }
    SchemaDiff::new(actions)
}

fn create_table(def: &ObjectDef) -> SchemaDiffAction {
    let mut columns = Vec::with_capacity(def.fields.len() + 1);
    columns.push(ColumnDef::primary_id());
    columns.extend(def.fields.iter().map(column_def));
    SchemaDiffAction::CreateTable {
        table: def.name.clone(),
        columns,
    }
}

/// Columns of an existing table: added ones (4.2.2), and those whose type affinity
/// changed (`change_column_type`, when the live schema says the type; `text` vs
/// `VARCHAR` is no change); with `allowDestructive`, those no field declares
/// (`drop_column`).
fn diff_columns(
    def: &ObjectDef,
    table: &LiveTable,
    opts: &DiffOptions,
    actions: &mut Vec<SchemaDiffAction>,
) {
    for field in &def.fields {
        match table
            .columns
            .iter()
            .find(|(c, _)| same_name(c, &field.name))
        {
            None => actions.push(SchemaDiffAction::AddColumn {
                table: def.name.clone(),
                column: column_def(field),
            }),
            Some((column, Some(live_type))) => {
                let wanted = field_type_to_sqlite(&field.field_type);
                if affinity(live_type) != affinity(wanted) {
                    actions.push(SchemaDiffAction::ChangeColumnType {
                        table: def.name.clone(),
                        column: column.clone(),
                        from: live_type.clone(),
                        to: wanted.to_owned(),
                        rows: None,
                        unconvertible: None,
                    });
                }
            }
            Some((_, None)) => {}
        }
    }
    if opts.allow_destructive {
        for (column, _) in &table.columns {
            let declared =
                same_name(column, "id") || def.fields.iter().any(|f| same_name(&f.name, column));
            if !declared {
                actions.push(SchemaDiffAction::DropColumn {
                    table: def.name.clone(),
                    column: column.clone(),
                    values: None,
                });
            }
        }
    }
}

fn column_def(field: &FieldDef) -> ColumnDef {
    ColumnDef {
        name: field.name.clone(),
        sql_type: field_type_to_sqlite(&field.field_type).to_owned(),
        not_null: field.required,
        default_value: field.default.clone(),
        is_primary: false,
    }
}

/// `{ tables: { [name]: { columns: [{ name, type? }], ... } } }`; other keys are ignored.
fn parse_live(live: &Value) -> Result<Vec<LiveTable>> {
    const SHAPE: &str = "the live schema must be the introspectSchema() result, { tables: { [name]: { columns: [...] } } }";
    let tables = live
        .get("tables")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::invalid(format!("diffSchema: {SHAPE}")))?;
    tables
        .iter()
        .map(|(name, table)| {
            let items = table
                .get("columns")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "diffSchema: live table \"{name}\" has no \"columns\" array ({SHAPE})"
                    ))
                })?;
            let columns = items
                .iter()
                .map(|col| match col.get("name") {
                    Some(Value::Text(col_name)) => Ok((
                        col_name.clone(),
                        col.get("type").and_then(Value::as_str).map(str::to_owned),
                    )),
                    _ => Err(Error::invalid(format!(
                        "diffSchema: every column of live table \"{name}\" needs a \"name\" string"
                    ))),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(LiveTable {
                name: name.clone(),
                columns,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::schema_diff::UP_TO_DATE;

    fn parse(json: &str) -> Value {
        Value::parse_json(json).unwrap()
    }

    /// A live schema of `(table, columns)` pairs, as introspectSchema() shapes it.
    fn live(tables: &[(&str, &[&str])]) -> Value {
        let tables = tables
            .iter()
            .map(|(name, cols)| {
                let columns = cols
                    .iter()
                    .map(|c| {
                        Value::Object(vec![
                            ("name".into(), Value::from(*c)),
                            ("type".into(), Value::from("TEXT")),
                            ("nullable".into(), Value::Bool(*c != "id")),
                            ("isPrimary".into(), Value::Bool(*c == "id")),
                        ])
                    })
                    .collect();
                (
                    (*name).to_owned(),
                    Value::Object(vec![
                        ("name".into(), Value::from(*name)),
                        ("columns".into(), Value::Array(columns)),
                        ("foreignKeys".into(), Value::Array(vec![])),
                        ("primaryKeys".into(), Value::Array(vec![Value::from("id")])),
                    ]),
                )
            })
            .collect();
        Value::Object(vec![("tables".into(), Value::Object(tables))])
    }

    fn diff(desired: &str, live: &Value) -> SchemaDiff {
        diff_with(desired, live, &DiffOptions::default())
    }

    fn diff_with(desired: &str, live: &Value, opts: &DiffOptions) -> SchemaDiff {
        diff_schema(&parse_desired(&parse(desired)).unwrap(), live, opts).unwrap()
    }

    #[test]
    fn creates_missing_tables_with_id_first() {
        let d = diff(
            r#"[{"name":"users","fields":{"email":{"type":"text"},"age":{"type":"integer"},
                "theme":{"type":"text","required":true,"defaultValue":"light"}}}]"#,
            &live(&[]),
        );
        assert_eq!(
            d.to_value().to_json(),
            r#"{"actions":[{"type":"create_table","table":"users","columns":[{"name":"id","sqlType":"TEXT","isPrimary":true},{"name":"email","sqlType":"TEXT","notNull":false},{"name":"age","sqlType":"INTEGER","notNull":false},{"name":"theme","sqlType":"TEXT","notNull":true,"defaultValue":"light"}]}],"summary":["CREATE TABLE \"users\" (4 columns)"]}"#
        );
    }

    #[test]
    fn adds_missing_columns_but_never_id() {
        let d = diff(
            r#"[{"name":"users","fields":{"id":{"type":"text"},"email":{},"age":{"type":"integer"}}}]"#,
            &live(&[("users", &["id", "email"])]),
        );
        assert_eq!(
            d.actions,
            vec![SchemaDiffAction::AddColumn {
                table: "users".into(),
                column: ColumnDef {
                    name: "age".into(),
                    sql_type: "INTEGER".into(),
                    not_null: false,
                    default_value: None,
                    is_primary: false,
                },
            }]
        );
        assert_eq!(d.summary, vec!["ADD COLUMN \"users\".\"age\" INTEGER"]);
    }

    #[test]
    fn drops_undesired_tables_last() {
        let d = diff(
            r#"[{"name":"users","fields":{"email":{},"phone":{}}},{"name":"tasks","fields":{"done":{"type":"boolean"}}}]"#,
            &live(&[("legacy", &["id", "data"]), ("users", &["id", "email"])]),
        );
        let kinds: Vec<_> = d.actions.iter().map(SchemaDiffAction::kind).collect();
        assert_eq!(kinds, ["add_column", "create_table", "drop_table"]);
        assert_eq!(
            d.summary,
            [
                "ADD COLUMN \"users\".\"phone\" TEXT",
                "CREATE TABLE \"tasks\" (2 columns)",
                "DROP TABLE \"legacy\"",
            ]
        );
    }

    #[test]
    fn in_sync_schema_has_no_actions() {
        let d = diff(
            r#"[{"name":"users","fields":{"email":{"type":"text"}}}]"#,
            &live(&[("users", &["id", "email"])]),
        );
        assert!(d.actions.is_empty());
        assert_eq!(d.summary, vec![UP_TO_DATE]);
        let d = diff("[]", &live(&[]));
        assert!(d.actions.is_empty());
        assert_eq!(d.summary, vec![UP_TO_DATE]);
    }

    #[test]
    fn names_match_case_insensitively_like_sqlite() {
        let d = diff(
            r#"[{"name":"Users","fields":{"Email":{}}}]"#,
            &live(&[("users", &["id", "email"])]),
        );
        assert!(d.actions.is_empty(), "{:?}", d.actions);
    }

    #[test]
    fn reports_type_changes_and_with_allow_destructive_removed_columns() {
        let l = live(&[("users", &["id", "email", "age", "old"])]);
        let desired =
            r#"[{"name":"users","fields":{"email":{"type":"string"},"age":{"type":"integer"}}}]"#;
        let d = diff(desired, &l);
        assert_eq!(d.summary, ["users.age: TEXT → INTEGER"]);
        let opts = DiffOptions {
            allow_destructive: true,
            ..DiffOptions::default()
        };
        let d = diff_with(desired, &l, &opts);
        assert_eq!(
            d.summary,
            ["users.age: TEXT → INTEGER", "users.old: DROP COLUMN"]
        );
    }

    #[test]
    fn never_drops_sqlite_or_system_tables() {
        let l = live(&[
            ("sqlite_sequence", &["name", "seq"]),
            ("sqlite_stat1", &["tbl"]),
            ("sys_user", &["id"]),
            ("SYS_role", &["id"]),
            ("old", &["id"]),
        ]);
        let d = diff("[]", &l);
        let dropped: Vec<_> = d.actions.iter().map(SchemaDiffAction::table).collect();
        assert_eq!(dropped, ["sys_user", "SYS_role", "old"]);
        let opts = DiffOptions {
            system_tables: vec!["sys_".into()],
            ..DiffOptions::default()
        };
        let d = diff_with("[]", &l, &opts);
        assert_eq!(
            d.actions,
            vec![SchemaDiffAction::DropTable {
                table: "old".into()
            }]
        );
    }

    #[test]
    fn refuses_bad_desired_objects() {
        for bad in [
            r#"{}"#,
            r#"[1]"#,
            r#"[{"fields":{}}]"#,
            r#"[{"name":""}]"#,
            r#"[{"name":"t","fields":[]}]"#,
            r#"[{"name":"t","fields":{"a":{"type":5}}}]"#,
            r#"[{"name":"t","fields":{"$a":{}}}]"#,
            r#"[{"name":"t"},{"name":"T"}]"#,
            r#"[{"name":"t","fields":{"a":{},"A":{}}}]"#,
            r#"[{"name":"t","fields":{"ID":{}}}]"#,
            r#"[{"name":"sqlite_master"}]"#,
        ] {
            let err = parse_desired(&parse(bad)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad}");
        }
    }

    #[test]
    fn refuses_bad_live_schemas() {
        let desired = parse_desired(&parse("[]")).unwrap();
        for bad in [
            r#"null"#,
            r#"[]"#,
            r#"{}"#,
            r#"{"tables":[]}"#,
            r#"{"tables":{"t":{}}}"#,
            r#"{"tables":{"t":{"columns":{}}}}"#,
            r#"{"tables":{"t":{"columns":[{"type":"TEXT"}]}}}"#,
        ] {
            let err = diff_schema(&desired, &parse(bad), &DiffOptions::default()).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad}");
        }
    }
}
