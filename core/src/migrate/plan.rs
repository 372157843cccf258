//! Object definitions vs. the live schema -> the actions that bring the database to
//! them, and the statements that do it.
//!
//! Pure: the counts that make a plan actionable (rows to convert, values that will not,
//! NULLs in a column made NOT NULL, what a drop destroys) are probed by the caller with
//! the [`Probe`]s this returns, then written into the actions with [`Draft::finish`].
//!
//! Statement order: per desired object, in the order given, a new table with its
//! indexes, or, for an existing one, its added columns, then one rebuild for everything
//! `ALTER TABLE` cannot do, then its index changes; tables nothing desires are dropped
//! last.

use super::execute::Check;
use super::live::{LiveSchema, LiveTable};
use super::rebuild::{rebuild_statements, ColumnPlan};
use super::table_sql::ColumnRewrite;
use super::{affinity, Affinity, MigrateOptions, Unconvertible};
use crate::config::Contract;
use crate::error::{Error, Result};
use crate::identifier::quote_identifier;
use crate::schema::index::{self, IndexSpec, Key};
use crate::schema::ObjectDef;
use crate::schema_diff::{ColumnDef, SchemaDiffAction};
use crate::types::column_type;
use crate::value::Value;

/// A count the plan needs from the data, and where its answer goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub action: usize,
    pub sql: String,
    pub what: ProbeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// `[rows, unconvertible]` of a type change.
    Conversion,
    /// Rows whose value is NULL, in a column made NOT NULL.
    Nulls,
    /// What a drop destroys: rows of a table, values of a column.
    Destroyed,
}

/// A plan before its probes are answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub actions: Vec<SchemaDiffAction>,
    pub statements: Vec<String>,
    pub probes: Vec<Probe>,
    /// Actions left out, and why (protected tables; destructive ones not allowed).
    pub skipped: Vec<String>,
    /// Tables the statements rebuild (their foreign-key children must survive it).
    pub rebuilt: Vec<String>,
    /// Rows of each table a `drop_table` would destroy, once probed.
    pub dropped_rows: Vec<(String, i64)>,
}

/// What the plan wants of one column.
struct Want {
    name: String,
    sql_type: String,
    not_null: bool,
    default: Option<String>,
}

/// Plans `defs` (with the tenant field of each) against `live`.
pub fn plan(
    defs: &[(ObjectDef, Option<String>)],
    contract: Contract,
    live: &LiveSchema,
    opts: &MigrateOptions,
) -> Result<Draft> {
    let mut draft = Draft {
        actions: Vec::new(),
        statements: Vec::new(),
        probes: Vec::new(),
        skipped: Vec::new(),
        rebuilt: Vec::new(),
        dropped_rows: Vec::new(),
    };
    for (def, tenant) in defs {
        if def.remote_name.is_some() {
            // Another system's table: never the driver's to change.
            continue;
        }
        match live.table(&def.name) {
            None => create(&mut draft, def, tenant.as_deref(), contract)?,
            Some(table) if opts.is_protected(&table.name) => {
                if !wanted_columns(def, contract)
                    .iter()
                    .all(|w| table.column(&w.name).is_some())
                {
                    draft.skipped.push(format!(
                        "{}: a protected table, never altered by a migration",
                        table.name
                    ));
                }
            }
            Some(table) => alter(
                &mut draft,
                def,
                tenant.as_deref(),
                live,
                table,
                contract,
                opts,
            )?,
        }
    }
    let unnamed = live.tables.iter().filter(|_| opts.whole_database);
    for table in unnamed {
        let desired = defs
            .iter()
            .any(|(d, _)| d.name.eq_ignore_ascii_case(&table.name));
        if desired || opts.is_protected(&table.name) {
            continue;
        }
        let at = draft.actions.len();
        let quoted = quote_identifier(&table.name)?;
        draft.actions.push(SchemaDiffAction::DropTable {
            table: table.name.clone(),
        });
        draft.probes.push(Probe {
            action: at,
            sql: format!("SELECT count(*) FROM {quoted}"),
            what: ProbeKind::Destroyed,
        });
        if opts.allow_destructive {
            draft.statements.push(format!("DROP TABLE {quoted}"));
        } else {
            draft.skipped.push(format!(
                "DROP TABLE {quoted}: destructive, applied only with allowDestructive"
            ));
        }
    }
    Ok(draft)
}

fn create(
    draft: &mut Draft,
    def: &ObjectDef,
    tenant: Option<&str>,
    contract: Contract,
) -> Result<()> {
    let mut columns = vec![ColumnDef::primary_id()];
    columns.extend(
        wanted_columns(def, contract)
            .into_iter()
            .map(|w| ColumnDef {
                name: w.name,
                sql_type: w.sql_type,
                not_null: w.not_null,
                default_value: None,
                is_primary: false,
            }),
    );
    draft.actions.push(SchemaDiffAction::CreateTable {
        table: def.name.clone(),
        columns,
    });
    draft.statements.extend(additions(def, contract, None)?);
    let present: Vec<String> = std::iter::once("id".to_owned())
        .chain(wanted_columns(def, contract).into_iter().map(|w| w.name))
        .collect();
    for spec in index::expected(def, &def.name, tenant) {
        if indexable(&spec, &present) {
            draft.statements.push(spec.create_sql(&def.name)?);
        }
    }
    Ok(())
}

fn alter(
    draft: &mut Draft,
    def: &ObjectDef,
    tenant: Option<&str>,
    live: &LiveSchema,
    table: &LiveTable,
    contract: Contract,
    opts: &MigrateOptions,
) -> Result<()> {
    let quoted = quote_identifier(&table.name)?;
    let wanted = wanted_columns(def, contract);
    let mut rewrites: Vec<(String, ColumnRewrite)> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    let mut conversions: Vec<(String, Affinity)> = Vec::new();
    // `ALTER TABLE ... ADD COLUMN` statements, folded into the rebuild if there is one.
    let added = additions(def, contract, Some(table))?;

    for want in &wanted {
        let Some(have) = table.column(&want.name) else {
            draft.actions.push(SchemaDiffAction::AddColumn {
                table: table.name.clone(),
                column: ColumnDef {
                    name: want.name.clone(),
                    sql_type: want.sql_type.clone(),
                    not_null: want.not_null,
                    default_value: None,
                    is_primary: false,
                },
            });
            continue;
        };
        if have.primary_key {
            continue;
        }
        let column = quote_identifier(&have.name)?;
        let mut rewrite = ColumnRewrite::default();
        let (from, to) = (affinity(&have.sql_type), affinity(&want.sql_type));
        if from != to {
            let at = draft.actions.len();
            draft.actions.push(SchemaDiffAction::ChangeColumnType {
                table: table.name.clone(),
                column: have.name.clone(),
                from: have.sql_type.clone(),
                to: want.sql_type.clone(),
                rows: None,
                unconvertible: None,
            });
            draft.probes.push(Probe {
                action: at,
                sql: format!(
                    "SELECT count(*), count(*) FILTER (WHERE NOT {}) FROM {quoted}",
                    to.converts(&column)
                ),
                what: ProbeKind::Conversion,
            });
            rewrite.sql_type = Some(want.sql_type.clone());
            conversions.push((have.name.clone(), to));
        }
        // NOT NULL is only ever added where the definition asks for it explicitly
        // (`storage.notNull`, or a required field with a default): a required field added
        // to a table with rows is nullable, by design of `ADD COLUMN`.
        let tighten = want.not_null && !have.not_null && explicit_not_null(def, &want.name);
        let relax = !want.not_null && have.not_null;
        if tighten || relax {
            let at = draft.actions.len();
            draft.actions.push(SchemaDiffAction::SetNotNull {
                table: table.name.clone(),
                column: have.name.clone(),
                not_null: tighten,
                nulls: None,
            });
            if tighten {
                draft.probes.push(Probe {
                    action: at,
                    sql: format!("SELECT count(*) FROM {quoted} WHERE {column} IS NULL"),
                    what: ProbeKind::Nulls,
                });
            }
            rewrite.not_null = Some(tighten);
        }
        if want.default != have.default {
            draft.actions.push(SchemaDiffAction::ChangeDefault {
                table: table.name.clone(),
                column: have.name.clone(),
                from: have.default.clone(),
                to: want.default.clone(),
            });
            rewrite.default = Some(want.default.clone());
        }
        if rewrite != ColumnRewrite::default() {
            rewrites.push((have.name.clone(), rewrite));
        }
    }

    for have in &table.columns {
        let kept = have.primary_key
            || have.name.eq_ignore_ascii_case("id")
            || wanted
                .iter()
                .any(|w| w.name.eq_ignore_ascii_case(&have.name));
        if kept {
            continue;
        }
        let at = draft.actions.len();
        let column = quote_identifier(&have.name)?;
        draft.actions.push(SchemaDiffAction::DropColumn {
            table: table.name.clone(),
            column: have.name.clone(),
            values: None,
        });
        draft.probes.push(Probe {
            action: at,
            sql: format!("SELECT count({column}) FROM {quoted}"),
            what: ProbeKind::Destroyed,
        });
        if opts.allow_destructive {
            dropped.push(have.name.clone());
        } else {
            draft.skipped.push(format!(
                "DROP COLUMN {quoted}.{column}: destructive, applied only with allowDestructive"
            ));
        }
    }

    // Indexes: the ones the definition asks for that are missing, and the driver's own
    // ones it no longer asks for (or asks for with other keys).
    let present: Vec<String> = table
        .columns
        .iter()
        .map(|c| c.name.clone())
        .chain(wanted.iter().map(|w| w.name.clone()))
        .filter(|c| !dropped.iter().any(|d| d.eq_ignore_ascii_case(c)))
        .collect();
    let expected: Vec<IndexSpec> = index::expected(def, &table.name, tenant)
        .into_iter()
        .filter(|spec| indexable(spec, &present))
        .collect();
    let indexes: Vec<(String, Option<IndexSpec>)> = table
        .indexes
        .iter()
        .map(|(name, sql)| (name.clone(), index::parse(name, sql)))
        .collect();
    let mut index_statements = Vec::new();
    for (name, have) in &indexes {
        let Some(have) = have else { continue };
        let on_dropped = have
            .keys
            .iter()
            .filter_map(Key::column)
            .any(|c| dropped.iter().any(|d| d.eq_ignore_ascii_case(c)));
        let wanted = expected.iter().find(|s| s.name == *name);
        let stale = match wanted {
            Some(want) => !want.same_keys(have),
            None => index::is_generated_name(&table.name, name, have),
        };
        if on_dropped || !stale {
            // An index on a dropped column goes with its column, in the rebuild.
            continue;
        }
        draft.actions.push(SchemaDiffAction::DropIndex {
            table: table.name.clone(),
            name: name.clone(),
            unique: have.unique,
        });
        if have.unique && wanted.is_none() && !opts.allow_destructive {
            draft.skipped.push(format!(
                "DROP INDEX \"{name}\": drops a unique constraint, applied only with allowDestructive"
            ));
            continue;
        }
        index_statements.push(index::drop_sql(name)?);
    }
    for spec in &expected {
        let present = indexes.iter().any(|(name, have)| {
            (*name == spec.name && have.as_ref().is_some_and(|h| h.same_keys(spec)))
                || have.as_ref().is_some_and(|h| h.same_keys(spec))
        });
        if !present {
            draft.actions.push(SchemaDiffAction::CreateIndex {
                table: table.name.clone(),
                name: spec.name.clone(),
                unique: spec.unique,
            });
            index_statements.push(spec.create_sql(&table.name)?);
        }
    }

    if !rewrites.is_empty() || !dropped.is_empty() {
        let prefix = format!("ALTER TABLE {quoted} ADD COLUMN ");
        let columns = ColumnPlan {
            rewrites,
            dropped,
            added: added
                .iter()
                .map(|a| a.strip_prefix(&prefix).unwrap_or(a).to_owned())
                .collect(),
            conversions,
            unconvertible: opts.unconvertible,
        };
        draft
            .statements
            .extend(rebuild_statements(live, table, &columns)?);
        draft.rebuilt.push(table.name.clone());
    } else {
        draft.statements.extend(added);
    }
    draft.statements.extend(index_statements);
    Ok(())
}

impl Draft {
    /// Writes the probes' answers (`answers[i]` for `probes[i]`: the row of counts) into
    /// the actions.
    pub fn finish(&mut self, answers: &[Vec<i64>]) {
        for (probe, answer) in self.probes.iter().zip(answers) {
            let first = answer.first().copied();
            match (&mut self.actions[probe.action], probe.what) {
                (
                    SchemaDiffAction::ChangeColumnType {
                        rows,
                        unconvertible,
                        ..
                    },
                    ProbeKind::Conversion,
                ) => {
                    *rows = first;
                    *unconvertible = answer.get(1).copied();
                }
                (SchemaDiffAction::SetNotNull { nulls, .. }, ProbeKind::Nulls) => *nulls = first,
                (SchemaDiffAction::DropColumn { values, .. }, ProbeKind::Destroyed) => {
                    *values = first
                }
                (SchemaDiffAction::DropTable { table }, ProbeKind::Destroyed) => {
                    self.dropped_rows.push((table.clone(), first.unwrap_or(0)))
                }
                _ => {}
            }
        }
    }
}

/// The statements that give `def` its table and columns, given the table the database has
/// (`None`: none): `CREATE TABLE`, or one `ADD COLUMN` per missing column. What schema sync
/// runs, and what a plan's `create_table` / `add_column` actions run.
pub fn additions(
    def: &ObjectDef,
    contract: Contract,
    table: Option<&LiveTable>,
) -> Result<Vec<String>> {
    let Some(table) = table else {
        return Ok(vec![def.create_table_sql(contract)?]);
    };
    let quoted = quote_identifier(&table.name)?;
    let mut out = Vec::new();
    for want in wanted_columns(def, contract) {
        if table.column(&want.name).is_some() {
            continue;
        }
        out.push(match def.field(&want.name) {
            Some(field) => def.add_column_sql(field, contract)?,
            None => format!(
                "ALTER TABLE {quoted} ADD COLUMN {} {}",
                quote_identifier(&want.name)?,
                want.sql_type
            ),
        });
    }
    Ok(out)
}

/// The columns `def` asks for, in order: the audit columns the contract adds, then every
/// field stored in a column.
fn wanted_columns(def: &ObjectDef, contract: Contract) -> Vec<Want> {
    let mut out: Vec<Want> = def
        .missing_audit_columns(contract)
        .into_iter()
        .map(|audit| Want {
            name: audit.to_owned(),
            sql_type: "TEXT".to_owned(),
            not_null: false,
            default: None,
        })
        .collect();
    out.extend(
        def.fields
            .iter()
            .filter(|f| f.has_column(contract))
            .map(|f| Want {
                name: f.name.clone(),
                sql_type: column_type(&f.field_type, f.multiple, contract).to_owned(),
                not_null: f.not_null(contract),
                default: f.default_sql(contract),
            }),
    );
    out
}

fn explicit_not_null(def: &ObjectDef, column: &str) -> bool {
    def.field(column)
        .is_some_and(|f| f.storage_not_null || f.default.is_some())
}

/// Whether every column `spec` names is in `columns` (a field without a column, such as
/// a formula, has nothing to index).
fn indexable(spec: &IndexSpec, columns: &[String]) -> bool {
    spec.keys
        .iter()
        .filter_map(Key::column)
        .all(|k| columns.iter().any(|c| c.eq_ignore_ascii_case(k)))
}

/// A plan as the caller sees it, and hands back to apply it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The schema the plan was made against (see `live.rs`).
    pub fingerprint: String,
    pub options: MigrateOptions,
    pub actions: Vec<SchemaDiffAction>,
    pub summary: Vec<String>,
    pub statements: Vec<String>,
    /// What each destructive action destroys.
    pub destructive: Vec<String>,
    /// Why applying it as is would be refused (empty: it can be applied).
    pub blocked: Vec<String>,
    /// Actions left out of the statements, and why.
    pub skipped: Vec<String>,
}

impl Plan {
    /// The plan of `draft` once its probes are answered.
    pub fn new(draft: Draft, fingerprint: String, options: MigrateOptions) -> Result<Plan> {
        let mut destructive = Vec::new();
        let mut blocked = Vec::new();
        for action in &draft.actions {
            let line = action.summary_line()?;
            match action {
                SchemaDiffAction::DropTable { table } => {
                    let rows = draft
                        .dropped_rows
                        .iter()
                        .find(|(t, _)| t == table)
                        .map_or(0, |(_, n)| *n);
                    destructive.push(format!(
                        "{line}: the table and its {}",
                        crate::schema_diff::counted(rows, "row", "rows")
                    ))
                }
                SchemaDiffAction::DropColumn { .. } => destructive.push(line.clone()),
                SchemaDiffAction::DropIndex { unique: true, .. } => {
                    destructive.push(format!("{line}: duplicates become possible"))
                }
                SchemaDiffAction::ChangeColumnType {
                    unconvertible: Some(n),
                    ..
                } if *n > 0 && options.unconvertible == Unconvertible::Abort => {
                    blocked.push(format!(
                        "{line}: choose what happens to them (unconvertible: 'null' stores NULL, \
                         'keep' keeps each as it is), or fix the rows first"
                    ))
                }
                SchemaDiffAction::SetNotNull {
                    not_null: true,
                    nulls: Some(n),
                    ..
                } if *n > 0 => blocked.push(format!(
                    "{line}: give those rows a value first (or keep the column nullable)"
                )),
                _ => {}
            }
        }
        let summary = if draft.actions.is_empty() {
            vec![crate::schema_diff::UP_TO_DATE.to_owned()]
        } else {
            draft
                .actions
                .iter()
                .map(SchemaDiffAction::summary_line)
                .collect::<Result<_>>()?
        };
        Ok(Plan {
            fingerprint,
            options,
            actions: draft.actions,
            summary,
            statements: draft.statements,
            destructive,
            blocked,
            skipped: draft.skipped,
        })
    }

    /// The counts that must still be zero when the plan is applied (rows may have
    /// changed since it was made; the schema, checked by fingerprint, may not).
    pub fn checks(&self) -> Result<Vec<Check>> {
        let mut checks = Vec::new();
        for action in &self.actions {
            match action {
                SchemaDiffAction::ChangeColumnType {
                    table, column, to, ..
                } if self.options.unconvertible == Unconvertible::Abort
                    && !self.options.is_protected(table) =>
                {
                    checks.push(Check::unconvertible(
                        table,
                        column,
                        to,
                        "Plan again and choose what happens to them (unconvertible: 'null' or 'keep').",
                    )?)
                }
                SchemaDiffAction::SetNotNull {
                    table,
                    column,
                    not_null: true,
                    ..
                } => checks.push(Check::nulls(table, column)?),
                _ => {}
            }
        }
        Ok(checks)
    }

    pub fn to_value(&self) -> Value {
        let texts = crate::schema_diff::text_array;
        Value::Object(vec![
            (
                "fingerprint".to_owned(),
                Value::Text(self.fingerprint.clone()),
            ),
            ("options".to_owned(), self.options.to_value()),
            (
                "actions".to_owned(),
                SchemaDiffAction::list_to_value(&self.actions),
            ),
            ("summary".to_owned(), texts(&self.summary)),
            ("statements".to_owned(), texts(&self.statements)),
            ("destructive".to_owned(), texts(&self.destructive)),
            ("conversions".to_owned(), self.conversions()),
            ("blocked".to_owned(), texts(&self.blocked)),
            ("skipped".to_owned(), texts(&self.skipped)),
        ])
    }

    /// `[{ table, column, from, to, rows, unconvertible }]` of the type changes.
    fn conversions(&self) -> Value {
        Value::Array(
            self.actions
                .iter()
                .filter(|a| matches!(a, SchemaDiffAction::ChangeColumnType { .. }))
                .map(SchemaDiffAction::to_value)
                .map(|v| match v {
                    Value::Object(entries) => {
                        Value::Object(entries.into_iter().filter(|(k, _)| k != "type").collect())
                    }
                    other => other,
                })
                .collect(),
        )
    }

    /// Reads a plan handed back by the caller.
    pub fn from_value(value: &Value) -> Result<Plan> {
        const SHAPE: &str = "applyMigrationPlan expects the object planMigration returned";
        let text = |key: &str| match value.get(key) {
            Some(Value::Text(s)) => Ok(s.clone()),
            _ => Err(Error::invalid(format!(
                "{SHAPE} (its \"{key}\" string is missing)"
            ))),
        };
        let texts = |key: &str| -> Result<Vec<String>> {
            match value.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            Error::invalid(format!("{SHAPE} (\"{key}\" must hold strings)"))
                        })
                    })
                    .collect(),
                Some(_) => Err(Error::invalid(format!(
                    "{SHAPE} (\"{key}\" must be an array)"
                ))),
            }
        };
        if value.as_object().is_none() {
            return Err(Error::invalid(format!(
                "{SHAPE}, got {}",
                value.type_name()
            )));
        }
        let actions = SchemaDiffAction::list_from(value)?
            .ok_or_else(|| Error::invalid(format!("{SHAPE} (its \"actions\" array is missing)")))?;
        Ok(Plan {
            fingerprint: text("fingerprint")?,
            options: MigrateOptions::from_value(value.get("options").unwrap_or(&Value::Null))?,
            actions,
            summary: texts("summary")?,
            statements: texts("statements")?,
            destructive: texts("destructive")?,
            blocked: texts("blocked")?,
            skipped: texts("skipped")?,
        })
    }
}
