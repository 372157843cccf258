//! The driver's DML: INSERT (one row, many rows, upsert), UPDATE and DELETE, and the
//! one-row lookups that read a write back. Every row condition comes from the scope, so a
//! tenant's statement about one id still cannot reach another tenant's row.

use super::filter::compile_filter_with;
use super::{join, push_where, Columns, Compiled, Conj, Part, Scope};
use crate::error::Result;
use crate::identifier::push_identifier;
use crate::value::Value;

/// The condition of a statement about the row `id` in `scope`:
/// `"t"."id" = ?`, and the tenant's condition when the scope has one.
pub fn where_id(scope: Scope, id: Value) -> Result<Compiled> {
    let cols = Columns::scoped(scope)?;
    let by_id = Part::atom(format!("{} = ?", cols.column("id")?), vec![id]);
    let parts = std::iter::once(by_id)
        .chain(cols.tenant_condition()?)
        .collect();
    Ok(join(parts, Conj::And)
        .map(Part::into_compiled)
        .unwrap_or_default())
}

/// The filter of a statement about many rows in `scope` (the tenant's condition
/// included): what `updateMany` and `deleteMany` run with.
pub fn where_filter(scope: Scope, filter: &Value) -> Result<Compiled> {
    compile_filter_with(&Columns::scoped(scope)?, filter)
}

/// `SELECT * FROM "t" WHERE <condition> LIMIT 1`.
pub fn select_one(table: &str, condition: &Compiled) -> Result<Compiled> {
    let mut sql = String::from("SELECT * FROM ");
    push_identifier(&mut sql, table)?;
    let mut args = Vec::new();
    push_where(&mut sql, &mut args, condition);
    sql.push_str(" LIMIT 1");
    Ok(Compiled { sql, args })
}

/// The row of one rowid, to read an INSERT back. `_rowid_` is the spelling a column is
/// least likely to shadow (`rowid` is a plausible field name).
pub fn select_by_rowid(table: &str) -> Result<String> {
    let mut sql = String::from("SELECT * FROM ");
    push_identifier(&mut sql, table)?;
    sql.push_str(" WHERE _rowid_ = ?");
    Ok(sql)
}

/// `INSERT INTO "t" (...) VALUES (?, ...)` with `rows` value lists, then `tail`.
pub fn insert(table: &str, columns: &[String], rows: usize, tail: &str) -> Result<String> {
    let rows = rows.max(1);
    let names: usize = columns.iter().map(|c| c.len() + 4).sum();
    let mut sql = String::with_capacity(32 + table.len() + names + rows * (columns.len() * 3 + 2));
    sql.push_str("INSERT INTO ");
    push_identifier(&mut sql, table)?;
    sql.push_str(" (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_identifier(&mut sql, column)?;
    }
    sql.push_str(") VALUES ");
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for i in 0..columns.len() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
        }
        sql.push(')');
    }
    if !tail.is_empty() {
        sql.push(' ');
        sql.push_str(tail);
    }
    Ok(sql)
}

/// `UPDATE "t" SET "a" = ?, ... [WHERE <condition>]`.
pub fn update(table: &str, record: Vec<(String, Value)>, condition: &Compiled) -> Result<Compiled> {
    let mut sql = String::with_capacity(64 + table.len() + record.len() * 16);
    let mut args = Vec::with_capacity(record.len() + condition.args.len());
    sql.push_str("UPDATE ");
    push_identifier(&mut sql, table)?;
    sql.push_str(" SET ");
    for (i, (column, value)) in record.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_identifier(&mut sql, &column)?;
        sql.push_str(" = ?");
        args.push(value);
    }
    push_where(&mut sql, &mut args, condition);
    Ok(Compiled { sql, args })
}

/// `DELETE FROM "t" [WHERE <condition>]`.
pub fn delete(table: &str, condition: &Compiled) -> Result<Compiled> {
    let mut sql = String::from("DELETE FROM ");
    push_identifier(&mut sql, table)?;
    let mut args = Vec::new();
    push_where(&mut sql, &mut args, condition);
    Ok(Compiled { sql, args })
}

/// The conflict clause of an upsert:
/// `ON CONFLICT(<target>) DO UPDATE SET "a" = excluded."a", ... [WHERE <tenant>]
/// RETURNING *`, or `DO NOTHING` when nothing is to be merged. `target` is the SQL of the
/// conflict target's key parts; the scope's tenant condition keeps a conflict with
/// another tenant's row from changing it.
pub fn upsert_tail(scope: Scope, target: &[String], merge: &[String]) -> Result<Compiled> {
    let mut sql = format!("ON CONFLICT({}) ", target.join(", "));
    if merge.is_empty() {
        sql.push_str("DO NOTHING RETURNING *");
        return Ok(Compiled {
            sql,
            args: Vec::new(),
        });
    }
    sql.push_str("DO UPDATE SET ");
    for (i, column) in merge.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_identifier(&mut sql, column)?;
        sql.push_str(" = excluded.");
        push_identifier(&mut sql, column)?;
    }
    let mut args = Vec::new();
    if let Some(tenant) = Columns::scoped(scope)?.tenant_condition()? {
        sql.push_str(" WHERE ");
        sql.push_str(&tenant.sql);
        args = tenant.args;
    }
    sql.push_str(" RETURNING *");
    Ok(Compiled { sql, args })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Contract;
    use crate::query::TenantScope;
    use crate::tenancy::Tenant;

    #[test]
    fn statements_about_one_row_carry_the_tenant() {
        let tenant = Tenant {
            id: "A".into(),
            group: vec![],
        };
        let scope = Scope {
            object: "task",
            contract: Contract::ObjectStack,
            tenant: Some(TenantScope {
                field: "org",
                tenant: &tenant,
            }),
            ..Scope::default()
        };
        let by_id = where_id(scope, Value::from("x")).unwrap();
        assert_eq!(
            by_id.sql,
            r#""task"."id" = ? AND ("task"."org" = ? OR "task"."org" IS NULL)"#
        );
        assert_eq!(by_id.args, vec![Value::from("x"), Value::from("A")]);
        let up = update("task", vec![("n".into(), Value::Integer(1))], &by_id).unwrap();
        assert_eq!(
            up.sql,
            r#"UPDATE "task" SET "n" = ? WHERE "task"."id" = ? AND ("task"."org" = ? OR "task"."org" IS NULL)"#
        );
        assert_eq!(up.args.len(), 3);
        assert_eq!(
            delete("task", &by_id).unwrap().sql,
            r#"DELETE FROM "task" WHERE "task"."id" = ? AND ("task"."org" = ? OR "task"."org" IS NULL)"#
        );
        let tail = upsert_tail(scope, &[r#""id""#.into()], &["n".into()]).unwrap();
        assert_eq!(
            tail.sql,
            r#"ON CONFLICT("id") DO UPDATE SET "n" = excluded."n" WHERE ("task"."org" = ? OR "task"."org" IS NULL) RETURNING *"#
        );
        let none = where_filter(scope, &Value::parse_json(r#"{"$or":[]}"#).unwrap()).unwrap();
        assert_eq!(
            none.sql,
            r#"1=0 AND ("task"."org" = ? OR "task"."org" IS NULL)"#
        );
    }

    #[test]
    fn without_a_tenant_statements_are_plain() {
        let by_id = where_id("task".into(), Value::from("x")).unwrap();
        assert_eq!(by_id.sql, r#""task"."id" = ?"#);
        assert_eq!(
            select_one("task", &by_id).unwrap().sql,
            r#"SELECT * FROM "task" WHERE "task"."id" = ? LIMIT 1"#
        );
        assert_eq!(
            insert("t", &["a".into(), "b".into()], 2, "RETURNING *").unwrap(),
            r#"INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?) RETURNING *"#
        );
    }
}
