//! The kernel's `ManagedDriftEntry`: how a difference found by [`super::drift`] is handed
//! to `os migrate` (`detectManagedDrift`), and how an entry handed back
//! (`applyMigrationEntries`) is read as an action.
//!
//! The shape is the kernel SQL driver's (`schema-drift.ts`), field for field, because the
//! CLI renders and filters on it: `{ kind, remoteName, table, column?, expected, actual,
//! severity, category, op: { type, table, ... }, message }`. The category decides what
//! `apply` does without `--allow-destructive`: `safe` and `needs_confirm` run, `destructive`
//! is skipped. The detection itself stays in `drift.rs`; this file only translates, so a
//! new kind of drift is added there first, then given its entry here.
//!
//! Entries come back from the caller, who may have built or edited them: they are read
//! strictly (a malformed entry is refused before anything runs) but an unknown `op.type`
//! is only skipped, as the kernel does.

use crate::error::{Error, Result};
use crate::schema::drift::{signature, Drift, Op};
use crate::schema::index::{IndexSpec, Key};
use crate::value::Value;

/// How dangerous reconciling an entry is (the kernel's `DriftCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Cannot lose data nor fail: applied by a plain `os migrate apply`.
    Safe,
    /// Loses nothing but deserves a look (relaxing a constraint someone may rely on).
    NeedsConfirm,
    /// Can lose data or fail on it: only with `allowDestructive`.
    Destructive,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Safe => "safe",
            Category::NeedsConfirm => "needs_confirm",
            Category::Destructive => "destructive",
        }
    }

    /// The kernel pairs each category with a severity; a destructive one is an error.
    fn severity(self) -> &'static str {
        match self {
            Category::Destructive => "error",
            _ => "warning",
        }
    }
}

/// What the detection read of one table besides the drift itself, to fill in an entry's
/// `expected`/`actual` and the full key of an index op.
pub struct TableFacts<'a> {
    pub table: &'a str,
    /// The indexes the definition asks for (whose columns exist).
    pub expected: &'a [IndexSpec],
    /// The table's indexes (`None`: one the driver does not read).
    pub existing: &'a [(String, Option<IndexSpec>)],
    /// Each column's declared type.
    pub column_types: &'a [(String, String)],
}

impl TableFacts<'_> {
    fn existing(&self, name: &str) -> Option<&IndexSpec> {
        self.existing
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, spec)| spec.as_ref())
    }
}

/// The entry of `drift`. `blocked`: its duplicate probe found rows that the wanted index
/// would refuse (see `Driver::probe_tightenings`); the drift's message says which.
pub fn from_drift(drift: &Drift, facts: &TableFacts, blocked: bool) -> Value {
    let table = facts.table;
    let entry = Entry {
        table,
        message: &drift.message,
    };
    match &drift.op {
        Op::ReplaceUnique {
            legacy,
            replacement,
        } => {
            let legacy_spec = legacy.first().and_then(|n| facts.existing(n));
            let replacement = facts.expected.iter().find(|s| s.name == *replacement);
            // The field the legacy index was over: its (first) column.
            let column = legacy_spec.and_then(|s| s.keys.iter().find_map(Key::column));
            let mut op = vec![
                ("type", Value::from("replace_unique_index")),
                ("table", Value::from(table)),
            ];
            op.extend(column.map(|c| ("column", Value::from(c))));
            op.push(("dropIndexNames", texts(legacy)));
            if let Some(spec) = replacement {
                op.push(("createIndexName", Value::from(spec.name.as_str())));
                op.extend(key_fields(spec, "createColumns"));
            }
            entry.build(
                "index_mismatch",
                column,
                replacement.map(signature),
                legacy_spec.map(signature),
                Category::Safe,
                op,
            )
        }
        Op::Recreate {
            want,
            tighten_null_safe,
        } => {
            let category = match (blocked, tighten_null_safe, want.unique) {
                (true, _, _) => Category::Destructive,
                // The probe found no rows it would refuse: a pure tightening.
                (false, true, _) => Category::Safe,
                (false, false, true) => Category::Destructive,
                (false, false, false) => Category::NeedsConfirm,
            };
            let mut op = index_op("recreate_index", table, want);
            if *tighten_null_safe {
                op.push(("tightenNullSafeOnly", Value::Bool(true)));
            }
            entry.build(
                "index_mismatch",
                leading_column(want),
                Some(signature(want)),
                facts.existing(&want.name).map(signature),
                category,
                op,
            )
        }
        Op::Orphan { name } => {
            let have = facts.existing(name);
            let column = have.and_then(leading_column);
            let mut op = vec![
                ("type", Value::from("drop_index")),
                ("table", Value::from(table)),
            ];
            op.extend(column.map(|c| ("column", Value::from(c))));
            op.push(("indexName", Value::from(name.as_str())));
            entry.build(
                "unmapped_index",
                column,
                Some("(absent)".to_owned()),
                have.map(signature),
                Category::Destructive,
                op,
            )
        }
        Op::OrphanColumn { column } => {
            let ty = facts
                .column_types
                .iter()
                .find(|(c, _)| c == column)
                .map(|(_, t)| t.to_lowercase());
            entry.build(
                "unmapped_column",
                Some(column),
                Some("(absent)".to_owned()),
                ty,
                Category::Destructive,
                column_op("drop_column", table, column),
            )
        }
        Op::RelaxNotNull { column } => entry.build(
            "nullability_mismatch",
            Some(column),
            Some("NULL".to_owned()),
            Some("NOT NULL".to_owned()),
            Category::NeedsConfirm,
            column_op("relax_not_null", table, column),
        ),
        Op::DropColumnDefault { column, token } => entry.build(
            "default_mismatch",
            Some(column),
            Some("(no column default)".to_owned()),
            Some(format!("DEFAULT '{token}'")),
            Category::Safe,
            column_op("drop_column_default", table, column),
        ),
        Op::TightenNotNull { column } => entry.build(
            "nullability_mismatch",
            Some(column),
            Some("NOT NULL".to_owned()),
            Some("NULL".to_owned()),
            Category::Destructive,
            column_op("tighten_not_null", table, column),
        ),
    }
}

/// The entry of an index the definition asks for and the table lacks: sync creates these,
/// so it is seen only for definitions not synced yet (`detectManagedDrift(objects)`).
/// `blocked`: a unique index the rows already break.
pub fn missing_index(table: &str, spec: &IndexSpec, blocked: bool) -> Value {
    let sig = signature(spec);
    let message = if blocked {
        format!(
            "{table}: cannot create '{}' as {sig} — existing rows already hold duplicate values \
             under it. The op is BLOCKED; deduplicate the rows, then run \"os migrate plan\" again.",
            spec.name
        )
    } else {
        format!(
            "{table}: metadata declares index '{}' {sig} but the database has no such index — run \
             \"os migrate apply\" to create it.",
            spec.name
        )
    };
    Entry {
        table,
        message: &message,
    }
    .build(
        "index_mismatch",
        leading_column(spec),
        Some(sig.clone()),
        Some("(absent)".to_owned()),
        if blocked {
            Category::Destructive
        } else {
            Category::Safe
        },
        index_op("create_index", table, spec),
    )
}

/// An entry handed back to `applyMigrationEntries`, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// Its `category` is `destructive`: applied only with `allowDestructive`.
    pub destructive: bool,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create `create` (unless present), then drop the `drop` indexes it replaces.
    ReplaceUnique {
        table: String,
        create: IndexSpec,
        drop: Vec<String>,
    },
    CreateIndex {
        table: String,
        spec: IndexSpec,
    },
    DropIndex {
        table: String,
        name: String,
    },
    /// Drop the index of `spec.name` and create it as `spec`.
    RecreateIndex {
        table: String,
        spec: IndexSpec,
    },
    /// A change of one column: SQLite needs the table rebuilt for it.
    Column {
        table: String,
        column: String,
        change: ColumnOp,
    },
    /// An `op.type` this driver does not apply (skipped, never an error).
    Unsupported(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnOp {
    RelaxNotNull,
    TightenNotNull,
    Drop,
    DropDefault,
    /// `widen_varchar` / `narrow_varchar`: SQLite keeps no declared length, so nothing to do.
    Length,
}

/// Reads the entry at `position` of the list (the position names it in an error).
pub fn parse(entry: &Value, position: usize) -> Result<Parsed> {
    let bad = |what: &str| {
        Error::invalid(format!(
            "applyMigrationEntries: entry {position} {what}; pass the entries detectManagedDrift() \
             returned"
        ))
    };
    if entry.as_object().is_none() {
        return Err(bad(&format!("is {}, not an object", entry.type_name())));
    }
    let op = entry
        .get("op")
        .filter(|op| op.as_object().is_some())
        .ok_or_else(|| bad("has no \"op\" object"))?;
    let kind = op
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("has no \"op.type\""))?;
    let table = op
        .get("table")
        .or_else(|| entry.get("table"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("names no table (\"op.table\")"))?
        .to_owned();
    let destructive = entry.get("category").and_then(Value::as_str) == Some("destructive");
    let text = |key: &str| -> Result<String> {
        op.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| bad(&format!("({kind}) has no \"op.{key}\"")))
    };
    let names = |key: &str| -> Result<Vec<String>> {
        match op.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad(&format!("({kind}) lists a non-name in \"op.{key}\"")))
                })
                .collect(),
            Some(_) => Err(bad(&format!(
                "({kind}) has an \"op.{key}\" that is not a list"
            ))),
        }
    };
    let spec = |name_key: &str, columns_key: &str, unique: bool| -> Result<IndexSpec> {
        let columns = names(columns_key)?;
        if columns.is_empty() {
            return Err(bad(&format!("({kind}) has no \"op.{columns_key}\"")));
        }
        let null_safe = names("nullSafeColumns")?;
        Ok(IndexSpec {
            name: text(name_key)?,
            keys: columns
                .into_iter()
                .map(|c| {
                    if null_safe.contains(&c) {
                        Key::Tenant(c)
                    } else {
                        Key::Column(c)
                    }
                })
                .collect(),
            unique,
        })
    };
    let unique = op.get("unique").is_some_and(Value::is_truthy);
    let column = |change| -> Result<Action> {
        Ok(Action::Column {
            table: table.clone(),
            column: text("column")?,
            change,
        })
    };
    let action = match kind {
        "replace_unique_index" => Action::ReplaceUnique {
            create: spec("createIndexName", "createColumns", true)?,
            drop: names("dropIndexNames")?,
            table: table.clone(),
        },
        "create_index" => Action::CreateIndex {
            spec: spec("indexName", "columns", unique)?,
            table: table.clone(),
        },
        "recreate_index" => Action::RecreateIndex {
            spec: spec("indexName", "columns", unique)?,
            table: table.clone(),
        },
        "drop_index" => Action::DropIndex {
            name: text("indexName")?,
            table: table.clone(),
        },
        "relax_not_null" => column(ColumnOp::RelaxNotNull)?,
        "tighten_not_null" => column(ColumnOp::TightenNotNull)?,
        "drop_column" => column(ColumnOp::Drop)?,
        "drop_column_default" => column(ColumnOp::DropDefault)?,
        "widen_varchar" | "narrow_varchar" => column(ColumnOp::Length)?,
        other => Action::Unsupported(other.to_owned()),
    };
    Ok(Parsed {
        destructive,
        action,
    })
}

/// The fields every entry has, in the kernel's order.
struct Entry<'a> {
    table: &'a str,
    message: &'a str,
}

impl Entry<'_> {
    fn build(
        &self,
        kind: &str,
        column: Option<&str>,
        expected: Option<String>,
        actual: Option<String>,
        category: Category,
        op: Vec<(&str, Value)>,
    ) -> Value {
        let mut out = vec![
            ("kind".to_owned(), Value::from(kind)),
            ("remoteName".to_owned(), Value::from(self.table)),
            ("table".to_owned(), Value::from(self.table)),
        ];
        out.extend(column.map(|c| ("column".to_owned(), Value::from(c))));
        out.extend(expected.map(|e| ("expected".to_owned(), Value::Text(e))));
        out.extend(actual.map(|a| ("actual".to_owned(), Value::Text(a))));
        out.push(("severity".to_owned(), Value::from(category.severity())));
        out.push(("category".to_owned(), Value::from(category.as_str())));
        out.push((
            "op".to_owned(),
            Value::Object(op.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
        ));
        out.push(("message".to_owned(), Value::from(self.message)));
        Value::Object(out)
    }
}

fn column_op(kind: &str, table: &str, column: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("type", Value::from(kind)),
        ("table", Value::from(table)),
        ("column", Value::from(column)),
    ]
}

/// `{ type, table, column, indexName, columns, unique, nullSafeColumns? }`.
fn index_op(kind: &str, table: &str, spec: &IndexSpec) -> Vec<(&'static str, Value)> {
    let mut op = vec![("type", Value::from(kind)), ("table", Value::from(table))];
    op.extend(leading_column(spec).map(|c| ("column", Value::from(c))));
    op.push(("indexName", Value::from(spec.name.as_str())));
    op.extend(key_fields(spec, "columns"));
    op.push(("unique", Value::Bool(spec.unique)));
    op
}

/// An index's columns under `columns_key`, and the NULL-safe (tenant) ones among them.
fn key_fields(spec: &IndexSpec, columns_key: &'static str) -> Vec<(&'static str, Value)> {
    let columns: Vec<&str> = spec.keys.iter().filter_map(Key::column).collect();
    let null_safe: Vec<&str> = spec
        .keys
        .iter()
        .filter_map(|k| match k {
            Key::Tenant(c) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    let mut out = vec![(columns_key, texts(&columns))];
    if !null_safe.is_empty() {
        out.push(("nullSafeColumns", texts(&null_safe)));
    }
    out
}

fn leading_column(spec: &IndexSpec) -> Option<&str> {
    spec.keys.iter().find_map(Key::column)
}

fn texts<S: AsRef<str>>(items: &[S]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(s.as_ref())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant_code() -> IndexSpec {
        IndexSpec {
            name: "uniq_product_organization_id_code".into(),
            keys: vec![
                Key::Tenant("organization_id".into()),
                Key::Column("code".into()),
            ],
            unique: true,
        }
    }

    fn legacy() -> (String, Option<IndexSpec>) {
        (
            "product_code_unique".into(),
            Some(IndexSpec {
                name: "product_code_unique".into(),
                keys: vec![Key::Column("code".into())],
                unique: true,
            }),
        )
    }

    fn facts<'a>(
        expected: &'a [IndexSpec],
        existing: &'a [(String, Option<IndexSpec>)],
    ) -> TableFacts<'a> {
        TableFacts {
            table: "product",
            expected,
            existing,
            column_types: &[],
        }
    }

    fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
        path.iter().try_fold(v, |v, k| v.get(k))
    }

    #[test]
    fn a_legacy_unique_is_a_safe_replacement_with_its_full_new_key() {
        let expected = [tenant_code()];
        let existing = [legacy()];
        let drift = Drift {
            key: "k".into(),
            op: Op::ReplaceUnique {
                legacy: vec!["product_code_unique".into()],
                replacement: "uniq_product_organization_id_code".into(),
            },
            message: "m".into(),
        };
        let e = from_drift(&drift, &facts(&expected, &existing), false);
        assert_eq!(get(&e, &["category"]).and_then(Value::as_str), Some("safe"));
        assert_eq!(get(&e, &["column"]).and_then(Value::as_str), Some("code"));
        assert_eq!(
            get(&e, &["op", "createColumns"])
                .map(Value::to_json)
                .as_deref(),
            Some(r#"["organization_id","code"]"#)
        );
        assert_eq!(
            get(&e, &["op", "nullSafeColumns"])
                .map(Value::to_json)
                .as_deref(),
            Some(r#"["organization_id"]"#)
        );
        assert_eq!(
            get(&e, &["expected"]).and_then(Value::as_str),
            Some("UNIQUE (COALESCE(organization_id, '__global__'), code)")
        );
        assert_eq!(
            get(&e, &["actual"]).and_then(Value::as_str),
            Some("UNIQUE (code)")
        );
        // What apply reads back is what detection wrote.
        let parsed = parse(&e, 0).unwrap();
        assert_eq!(
            parsed.action,
            Action::ReplaceUnique {
                table: "product".into(),
                create: tenant_code(),
                drop: vec!["product_code_unique".into()],
            }
        );
        assert!(!parsed.destructive);
    }

    #[test]
    fn a_recreate_is_rated_by_uniqueness_and_by_its_probe() {
        let want = |unique| IndexSpec {
            name: "domain_host_idx".into(),
            keys: vec![
                Key::Column("organization_id".into()),
                Key::Column("host".into()),
            ],
            unique,
        };
        let rate = |unique, tighten, blocked| {
            let drift = Drift {
                key: "k".into(),
                op: Op::Recreate {
                    want: want(unique),
                    tighten_null_safe: tighten,
                },
                message: "m".into(),
            };
            let e = from_drift(&drift, &facts(&[], &[]), blocked);
            (
                get(&e, &["category"])
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                get(&e, &["severity"])
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
        };
        let pair = |c: &str, s: &str| (Some(c.to_owned()), Some(s.to_owned()));
        assert_eq!(rate(false, false, false), pair("needs_confirm", "warning"));
        assert_eq!(rate(true, false, false), pair("destructive", "error"));
        assert_eq!(rate(true, true, false), pair("safe", "warning"));
        assert_eq!(rate(true, true, true), pair("destructive", "error"));
    }

    #[test]
    fn column_drift_keeps_the_kernel_categories() {
        let entry = |op| {
            from_drift(
                &Drift {
                    key: "k".into(),
                    op,
                    message: "m".into(),
                },
                &facts(&[], &[]),
                false,
            )
        };
        let relax = entry(Op::RelaxNotNull {
            column: "org".into(),
        });
        assert_eq!(
            get(&relax, &["category"]).and_then(Value::as_str),
            Some("needs_confirm")
        );
        assert_eq!(
            get(&relax, &["kind"]).and_then(Value::as_str),
            Some("nullability_mismatch")
        );
        let drop = entry(Op::OrphanColumn {
            column: "legacy".into(),
        });
        assert_eq!(
            get(&drop, &["category"]).and_then(Value::as_str),
            Some("destructive")
        );
        assert_eq!(
            get(&drop, &["op", "type"]).and_then(Value::as_str),
            Some("drop_column")
        );
        assert_eq!(
            parse(&drop, 0).unwrap(),
            Parsed {
                destructive: true,
                action: Action::Column {
                    table: "product".into(),
                    column: "legacy".into(),
                    change: ColumnOp::Drop,
                },
            }
        );
    }

    #[test]
    fn a_token_default_is_safe_to_drop_and_a_lookalike_is_no_drift() {
        let def = crate::schema::ObjectDef::from_value(
            &Value::parse_json(
                r#"{"name":"zoo","fields":{"owner":{"type":"user","defaultValue":"current_user"},
                    "seen":{"type":"datetime","defaultValue":"NOW()"},"status":{"type":"text","defaultValue":"open"}}}"#,
            )
            .unwrap(),
        )
        .unwrap();
        let physical = |owner: &str| {
            vec![
                ("owner".to_owned(), Some(owner.to_owned())),
                (
                    "seen".to_owned(),
                    Some("(strftime('%Y', 'now'))".to_owned()),
                ),
                ("status".to_owned(), Some("'open'".to_owned())),
            ]
        };
        let found =
            crate::schema::drift::detect_token_defaults(&def, "zoo", &physical("'current_user'"));
        assert_eq!(found.len(), 1);
        let e = from_drift(&found[0], &facts(&[], &[]), false);
        assert_eq!(
            get(&e, &["kind"]).and_then(Value::as_str),
            Some("default_mismatch")
        );
        assert_eq!(get(&e, &["category"]).and_then(Value::as_str), Some("safe"));
        assert_eq!(
            parse(&e, 0).unwrap().action,
            Action::Column {
                table: "product".into(),
                column: "owner".into(),
                change: ColumnOp::DropDefault,
            }
        );
        let house =
            crate::schema::drift::detect_token_defaults(&def, "zoo", &physical("'usr_house'"));
        assert!(house.is_empty());
    }

    #[test]
    fn a_missing_index_is_a_safe_create_unless_rows_block_it() {
        let e = missing_index("product", &tenant_code(), false);
        assert_eq!(
            get(&e, &["op", "type"]).and_then(Value::as_str),
            Some("create_index")
        );
        assert_eq!(get(&e, &["category"]).and_then(Value::as_str), Some("safe"));
        assert_eq!(
            get(&e, &["actual"]).and_then(Value::as_str),
            Some("(absent)")
        );
        let blocked = missing_index("product", &tenant_code(), true);
        assert_eq!(
            get(&blocked, &["category"]).and_then(Value::as_str),
            Some("destructive")
        );
        assert_eq!(
            parse(&e, 0).unwrap().action,
            Action::CreateIndex {
                table: "product".into(),
                spec: tenant_code(),
            }
        );
    }

    #[test]
    fn malformed_entries_are_refused_and_unknown_ops_skipped() {
        let err = parse(&Value::from("x"), 3).unwrap_err();
        assert!(err.message.contains("entry 3"), "{}", err.message);
        let no_op = Value::Object(vec![("table".into(), Value::from("t"))]);
        assert!(parse(&no_op, 0).is_err());
        let unknown =
            Value::parse_json(r#"{"table":"t","op":{"type":"rename_table","table":"t"}}"#).unwrap();
        assert_eq!(
            parse(&unknown, 0).unwrap().action,
            Action::Unsupported("rename_table".into())
        );
        let no_columns = Value::parse_json(
            r#"{"table":"t","op":{"type":"create_index","table":"t","indexName":"i","columns":[]}}"#,
        )
        .unwrap();
        assert!(parse(&no_columns, 0).is_err());
    }
}
