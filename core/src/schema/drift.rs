//! How a table's indexes differ from what its definition asks for, beyond an index that
//! is simply missing (sync creates those): what to report, and which differences are safe
//! to change on their own.
//!
//! Schema sync only adds (the kernel's SQL driver, #3728): it never drops or rebuilds an
//! index unasked, because an index is a constraint someone may rely on and a production
//! schema is changed deliberately, by a migration that can be read first. So each
//! difference is found here and said as a `[schema-drift]` notice naming its remedy
//! (the kernel CLI's `os migrate`, or the SQL). With `autoMigrate: 'safe'` (a development
//! setting, never in production) sync also applies the ones that can lose neither a row
//! nor a constraint; [`Drift::safe`] says which.
//!
//! The three kinds, as the kernel names them:
//! - `replace_unique_index`: a legacy unique index over a field's (or a declared index's)
//!   columns alone, from before the field was unique per tenant. Its per-tenant
//!   replacement is created by sync; dropping the legacy one then only relaxes (two rows
//!   that collide on the new key collided on the old one). Safe.
//! - `recreate_index`: an index under the wanted name with another definition. Rebuilding
//!   drops first; safe only for a unique index whose tenant column becomes NULL-safe
//!   (`COALESCE`) and only when no rows collide under the new key (probed).
//! - `drop_index`: an index with the driver's generated naming that nothing asks for any
//!   more (a field no longer unique). Dropping loses a constraint: never automatic.
//!
//! Indexes named otherwise, partial indexes, and indexes with expression keys the driver
//! does not write (another tool's runtime migration) are never reported.
//!
//! Under the kernel contract columns are compared too ([`detect_columns`]): a column no
//! field declares, and `NOT NULL` where `storage.notNull` says otherwise. Those are only
//! ever reported.

use crate::schema::index::{self, IndexSpec, Key};
use crate::schema::{ObjectDef, Uniqueness};
use crate::temporal::{is_now_token, is_runtime_token};
use crate::tenancy::GLOBAL_TENANT;
use crate::value::Value;

/// One difference between a table's indexes and its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Stable across syncs: a difference is reported once per driver.
    pub key: String,
    pub op: Op,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Drop `legacy` (the replacement, named `replacement`, stands by then).
    ReplaceUnique {
        legacy: Vec<String>,
        replacement: String,
    },
    /// Rebuild the index of `want.name` as `want`.
    Recreate {
        want: IndexSpec,
        /// Only the tenant key part changes, to its NULL-safe form: a tightening whose
        /// safety the rows decide.
        tighten_null_safe: bool,
    },
    /// Drop the index `name`.
    Orphan { name: String },
    /// A column no field declares (kept: dropping it loses data).
    OrphanColumn { column: String },
    /// A `NOT NULL` column no `storage.notNull` asks for (kept: the constraint may be
    /// someone's; ratify it, or relax it deliberately).
    RelaxNotNull { column: String },
    /// A nullable column `storage.notNull` asks to be `NOT NULL` (existing NULLs first).
    TightenNotNull { column: String },
    /// A column DEFAULT spelling a token the engine resolves per write (`current_user`),
    /// left by a build that wrote it into the DDL: every insert omitting the field stored
    /// the token itself. Dropping the DEFAULT loses nothing (rows keep their values).
    DropColumnDefault { column: String, token: String },
}

impl Drift {
    /// Whether `autoMigrate: 'safe'` may apply it without looking at the rows.
    pub fn safe(&self) -> bool {
        matches!(self.op, Op::ReplaceUnique { .. })
    }
}

/// The differences between `existing` (the table's indexes; `None`: one the driver does
/// not read) and what `def` asks for on `table`, given the table's `columns`.
pub fn detect(
    def: &ObjectDef,
    table: &str,
    tenant: Option<&str>,
    columns: &[String],
    existing: &[(String, Option<IndexSpec>)],
) -> Vec<Drift> {
    let has_column = |c: &str| columns.iter().any(|col| col == c);
    let wanted: Vec<IndexSpec> = index::expected(def, table, tenant)
        .into_iter()
        .filter(|w| w.keys.iter().filter_map(Key::column).all(has_column))
        .collect();
    let mut out = Vec::new();
    let mut explained: Vec<&str> = wanted.iter().map(|w| w.name.as_str()).collect();

    for legacy in legacy_uniques(def, table, tenant, &has_column) {
        let present: Vec<String> = legacy
            .names
            .iter()
            .filter(|name| {
                existing.iter().any(|(n, have)| {
                    n == *name
                        && have.as_ref().is_some_and(|h| {
                            h.unique
                                && h.keys.len() == legacy.columns.len()
                                && h.keys
                                    .iter()
                                    .zip(&legacy.columns)
                                    .all(|(k, c)| *k == Key::Column(c.clone()))
                        })
                })
            })
            .cloned()
            .collect();
        if present.is_empty() {
            continue;
        }
        explained.extend(
            existing
                .iter()
                .filter(|(n, _)| present.contains(n))
                .map(|(n, _)| n.as_str()),
        );
        out.push(Drift {
            key: format!("{table}:replace_unique_index:{}", legacy.replacement.name),
            message: format!(
                "{table}.{}: a legacy platform-wide UNIQUE index ({}) still enforces uniqueness \
                 across ALL tenants, but metadata scopes it per '{}' — a second tenant reusing \
                 the value is rejected on insert. Replacing it with {} is a pure relaxation: run \
                 \"os migrate apply\" (or DROP INDEX it; autoMigrate: 'safe' does it at sync \
                 outside production).",
                legacy.columns.join("+"),
                present.join(", "),
                tenant.unwrap_or_default(),
                signature(&legacy.replacement)
            ),
            op: Op::ReplaceUnique {
                legacy: present,
                replacement: legacy.replacement.name,
            },
        });
    }

    for want in &wanted {
        let Some((_, Some(have))) = existing.iter().find(|(n, _)| *n == want.name) else {
            continue;
        };
        if have.same_keys(want) {
            continue;
        }
        // Expression keys the driver never writes: another tool's index under this name.
        if runtime_managed(have) {
            continue;
        }
        let tighten_null_safe = want.unique
            && have.unique
            && want.keys.iter().any(|k| matches!(k, Key::Tenant(_)))
            && have.keys.iter().all(|k| matches!(k, Key::Column(_)))
            && have
                .keys
                .iter()
                .map(Key::column)
                .eq(want.keys.iter().map(Key::column));
        let remedy = if tighten_null_safe {
            "Rows without a tenant are constrained too once it is NULL-safe; whether it can \
             be rebuilt depends on the rows (see below)."
                .to_owned()
        } else if want.unique {
            "Sync leaves an existing name alone: rebuild it with \"os migrate apply \
             --allow-destructive\" (creating the UNIQUE index can fail on existing duplicates)."
                .to_owned()
        } else {
            "Sync leaves an existing name alone: rebuild it with \"os migrate apply\".".to_owned()
        };
        out.push(Drift {
            key: format!("{table}:recreate_index:{}", want.name),
            message: format!(
                "{table}: index '{}' is {} but metadata declares {}. {remedy}",
                want.name,
                signature(have),
                signature(want)
            ),
            op: Op::Recreate {
                want: want.clone(),
                tighten_null_safe,
            },
        });
    }

    for (name, have) in existing {
        let Some(have) = have else { continue };
        if explained.contains(&name.as_str())
            || have.keys.is_empty()
            || runtime_managed(have)
            || !index::is_generated_name(table, name, have)
            // Present under another name: the wanted index this one stands for.
            || wanted.iter().any(|w| w.same_keys(have))
        {
            continue;
        }
        out.push(Drift {
            key: format!("{table}:drop_index:{name}"),
            message: format!(
                "{table}: index '{name}' {} carries the generated naming but matches no declared \
                 index (orphaned); it still enforces what it did. Drop it with \"os migrate apply \
                 --allow-destructive\" (or DROP INDEX \"{name}\") if that is no longer wanted.",
                signature(have)
            ),
            op: Op::Orphan { name: name.clone() },
        });
    }
    out
}

/// Columns that differ from the definition (the kernel contract's, where `required` is a
/// write rule and `storage.notNull` the column constraint): columns no field declares, and
/// `NOT NULL` where the definition says otherwise. `physical` is each column's name and
/// whether it is `NOT NULL`. None of these is ever applied by sync.
pub fn detect_columns(def: &ObjectDef, table: &str, physical: &[(String, bool)]) -> Vec<Drift> {
    const BUILTIN: [&str; 3] = ["id", "created_at", "updated_at"];
    let contract = crate::config::Contract::ObjectStack;
    let mut out = Vec::new();
    for field in &def.fields {
        if BUILTIN.contains(&field.name.as_str()) || !field.has_column(contract) {
            continue;
        }
        let Some((_, not_null)) = physical.iter().find(|(c, _)| *c == field.name) else {
            continue;
        };
        let (key, message, op) = if *not_null && !field.storage_not_null && !field.required {
            (
                "relax_not_null",
                format!(
                    "{table}.{}: the column is NOT NULL but the metadata declares no storage \
                     constraint. Ratify it by declaring `storage: {{ notNull: true }}`, or relax \
                     the column deliberately via \"os migrate\".",
                    field.name
                ),
                Op::RelaxNotNull {
                    column: field.name.clone(),
                },
            )
        } else if !*not_null && field.storage_not_null {
            (
                "tighten_not_null",
                format!(
                    "{table}.{}: metadata declares `storage.notNull` but the column is nullable — \
                     existing nulls must be backfilled. Run \"os migrate apply --allow-destructive\".",
                    field.name
                ),
                Op::TightenNotNull {
                    column: field.name.clone(),
                },
            )
        } else {
            continue;
        };
        out.push(Drift {
            key: format!("{table}:{key}:{}", field.name),
            message,
            op,
        });
    }
    for (column, _) in physical {
        if BUILTIN.contains(&column.as_str())
            || def
                .fields
                .iter()
                .any(|f| f.name == *column && f.has_column(contract))
        {
            continue;
        }
        out.push(Drift {
            key: format!("{table}:drop_column:{column}"),
            message: format!(
                "{table}.{column}: column exists in the database but not in metadata (orphaned) — \
                 \"os migrate apply --allow-destructive\" to drop it."
            ),
            op: Op::OrphanColumn {
                column: column.clone(),
            },
        });
    }
    out
}

/// Columns whose DEFAULT is the literal spelling of the runtime token their field's
/// `defaultValue` names (see [`Op::DropColumnDefault`]); `defaults` is each column's
/// DEFAULT as SQLite reports it. A DEFAULT that merely resembles the token is not one.
pub fn detect_token_defaults(
    def: &ObjectDef,
    table: &str,
    defaults: &[(String, Option<String>)],
) -> Vec<Drift> {
    let mut out = Vec::new();
    for field in &def.fields {
        let Some(token) = field
            .default
            .as_ref()
            .filter(|d| is_runtime_token(d) && !is_now_token(d))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let physical = defaults
            .iter()
            .find(|(c, _)| *c == field.name)
            .and_then(|(_, d)| d.as_deref());
        if physical.map(unquoted) != Some(token) {
            continue;
        }
        out.push(Drift {
            key: format!("{table}:drop_column_default:{}", field.name),
            message: format!(
                "{table}.{}: the column carries DEFAULT '{token}', but '{token}' is a runtime token \
                 the engine resolves per write — the database has been stamping the literal token \
                 into every insert that omitted the field. Dropping the default is non-destructive: \
                 run \"os migrate apply\" (autoMigrate: 'safe' does it at sync outside production). \
                 Rows already holding '{token}' are NOT rewritten.",
                field.name
            ),
            op: Op::DropColumnDefault {
                column: field.name.clone(),
                token: token.to_owned(),
            },
        });
    }
    out
}

/// A DEFAULT as SQLite reports it, without one layer of quotes.
fn unquoted(raw: &str) -> &str {
    let s = raw.trim();
    for q in ['\'', '"'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

/// The duplicate groups under `spec`'s key (the probe before making a tenant key
/// NULL-safe): `SELECT <keys>, COUNT(*) ... GROUP BY <keys> HAVING COUNT(*) > 1`.
pub fn duplicates_sql(spec: &IndexSpec, table: &str) -> crate::error::Result<String> {
    let keys = spec.keys_sql()?;
    let mut sql = format!("SELECT {keys}, COUNT(*) FROM ");
    crate::identifier::push_identifier(&mut sql, table)?;
    sql.push_str(&format!(
        " GROUP BY {keys} HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC LIMIT 20"
    ));
    Ok(sql)
}

/// A legacy unique index that a per-tenant one replaces: its possible names, its exact
/// columns, and the replacement.
struct Legacy {
    names: Vec<String>,
    columns: Vec<String>,
    replacement: IndexSpec,
}

/// For each per-tenant unique field and each declared `'organization'` index without a
/// name of its own, the all-tenant index it used to be (knex's `<table>_<col>_unique` or
/// the generated `uniq_<table>_<columns>`), unless the definition still asks for that
/// name today.
fn legacy_uniques(
    def: &ObjectDef,
    table: &str,
    tenant: Option<&str>,
    has_column: &dyn Fn(&str) -> bool,
) -> Vec<Legacy> {
    let Some(tenant) = tenant.filter(|t| has_column(t)) else {
        return Vec::new();
    };
    let declared = index::declared(def, table, Some(tenant));
    let declared_names: Vec<&str> = declared.iter().map(|d| d.name.as_str()).collect();
    let mut out = Vec::new();
    for field in &def.fields {
        if field.unique != Uniqueness::Organization
            || field.name == tenant
            || !has_column(&field.name)
        {
            continue;
        }
        let names: Vec<String> = [
            format!("{table}_{}_unique", field.name),
            index::name_of(table, &[field.name.as_str()], true),
        ]
        .into_iter()
        .filter(|n| !declared_names.contains(&n.as_str()))
        .collect();
        if names.is_empty() {
            continue;
        }
        let keys = vec![
            Key::Tenant(tenant.to_owned()),
            Key::Column(field.name.clone()),
        ];
        out.push(Legacy {
            names,
            columns: vec![field.name.clone()],
            replacement: IndexSpec {
                name: index::index_name(table, &keys, true),
                keys,
                unique: true,
            },
        });
    }
    for (decl, spec) in def.indexes.iter().zip(&declared) {
        let named = decl.name.as_deref().is_some_and(|n| !n.trim().is_empty());
        if decl.unique != Uniqueness::Organization
            || named
            || !decl.fields.iter().all(|f| has_column(f))
        {
            continue;
        }
        let listed: Vec<&str> = decl.fields.iter().map(String::as_str).collect();
        let legacy = index::name_of(table, &listed, true);
        if legacy == spec.name || declared_names.contains(&legacy.as_str()) {
            continue;
        }
        out.push(Legacy {
            names: vec![legacy],
            columns: decl.fields.clone(),
            replacement: spec.clone(),
        });
    }
    out
}

/// An index with an expression key the driver does not write (anything but a column or
/// the tenant's `COALESCE(col, '__global__')`).
fn runtime_managed(spec: &IndexSpec) -> bool {
    spec.keys.iter().any(|k| matches!(k, Key::Other(_)))
}

/// `UNIQUE (COALESCE(organization_id, '__global__'), code)`: an index as a reader sees it.
pub fn signature(spec: &IndexSpec) -> String {
    let keys: Vec<String> = spec
        .keys
        .iter()
        .map(|k| match k {
            Key::Column(c) => c.clone(),
            Key::Tenant(c) => format!("COALESCE({c}, '{GLOBAL_TENANT}')"),
            Key::Other(expr) => expr.clone(),
        })
        .collect();
    format!(
        "{}({})",
        if spec.unique { "UNIQUE " } else { "" },
        keys.join(", ")
    )
}
