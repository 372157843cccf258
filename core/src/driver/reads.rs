//! Reads: `find`, `findOne`, `count`, `distinct`, `aggregate`, `explain`.

use super::{Call, Driver};
use crate::catalog::ObjectMeta;
use crate::config::Contract;
use crate::error::Result;
use crate::query::{self, write, Compiled, FindQuery, Scope};
use crate::record_id::record_id;
use crate::rows::{FieldKinds, RowSet};
use crate::value::Value;

/// The SQL dialect the kernel reads off a driver: knex's name for SQLite.
const SQLITE_CLIENT: &str = "better-sqlite3";

impl Driver {
    pub async fn find(&self, object: &str, query: &Value, call: impl Into<Call>) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog().get(object);
        let scope = self.scope(&meta, &call);
        let q = query::parse_find_query_in(scope, query)?;
        self.select(&meta, scope, q, call.tx).await
    }

    /// One record by id, or by query (the kernel passes `{ where, ... }` instead of an id).
    pub async fn find_one(
        &self,
        object: &str,
        id: &Value,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog().get(object);
        let scope = self.scope(&meta, &call);
        match id {
            Value::Object(_) => {
                let mut q = query::parse_find_query_in(scope, id)?;
                q.limit = Some(1);
                q.single_row = true;
                self.select(&meta, scope, q, call.tx).await
            }
            id => {
                let by_id =
                    write::select_one(&meta.table, &write::where_id(scope, record_id(id)?)?)?;
                self.read(&meta, by_id, call.tx).await
            }
        }
    }

    /// Runs a `find` query. Under the kernel contract a projection or sort naming a
    /// column the table lacks (an audit column of an object that never had one, a field
    /// not synced yet) is retried without it, and a filter on a missing column is refused
    /// with `INVALID_FILTER`.
    async fn select(
        &self,
        meta: &ObjectMeta,
        scope: Scope<'_>,
        mut q: FindQuery,
        tx: Option<u32>,
    ) -> Result<RowSet> {
        let conn = self.conn(tx).await?;
        loop {
            let compiled = query::compile_find_query(scope, q.clone())?;
            match conn.query(&compiled.sql, compiled.args).await {
                Ok(rows) => return Ok(meta.present(rows)),
                Err(err) => {
                    let missing = err.missing_column().map(str::to_owned);
                    let kernel = self.contract() == Contract::ObjectStack;
                    match missing {
                        Some(column) if kernel && q.fields.contains(&column) => {
                            q.fields.retain(|f| *f != column);
                        }
                        // Rows matter more than their order: the kernel's driver drops a
                        // sort key the table lacks (never a filter, which would widen).
                        Some(column) if kernel && q.sort.iter().any(|k| k.field == column) => {
                            q.sort.retain(|k| k.field != column);
                        }
                        _ => {
                            let sorted = q
                                .sort
                                .iter()
                                .any(|k| Some(k.field.as_str()) == err.missing_column());
                            return Err(self.refine(meta, err, !sorted));
                        }
                    }
                }
            }
        }
    }

    pub async fn count(&self, object: &str, filter: &Value, call: impl Into<Call>) -> Result<i64> {
        let call = call.into();
        let meta = self.catalog().get(object);
        let compiled = query::compile_count(self.scope(&meta, &call), filter)?;
        let rows = self.query(&meta, compiled, call.tx).await?;
        Ok(rows
            .first_value("count")
            .and_then(Value::as_i64)
            .unwrap_or(0))
    }

    pub async fn distinct(
        &self,
        object: &str,
        field: &str,
        filter: &Value,
        call: impl Into<Call>,
    ) -> Result<Vec<Value>> {
        let call = call.into();
        let meta = self.catalog().get(object);
        let compiled = query::compile_distinct(self.scope(&meta, &call), field, filter)?;
        let rows = self.read(&meta, compiled, call.tx).await?.parse_json();
        Ok(rows
            .rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect())
    }

    pub async fn aggregate(
        &self,
        object: &str,
        query: &Value,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog().get(object);
        let scope = self.scope(&meta, &call);
        if !query::is_kernel_aggregate(query) {
            let compiled = query::compile_aggregate(scope, query)?;
            return self.read(&meta, compiled, call.tx).await;
        }
        let agg = query::compile_kernel_aggregate(scope, query)?;
        let rows = self.query(&meta, agg.compiled, call.tx).await?;
        // A group value reads like its field (a boolean group is true/false); the
        // aggregation results stay numbers, even under a field's name.
        let mut groups = FieldKinds::default();
        for (field, name) in agg.group_columns {
            groups.set(name, meta.kinds.kind(&field));
        }
        Ok(rows.map_kinds(&groups))
    }

    pub async fn explain(
        &self,
        object: &str,
        query: &Value,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let (_, plan) = self.query_plan(object, query, call.into()).await?;
        plan
    }

    /// The statement `find` would run for `query`, and SQLite's plan for it (the plan's
    /// failure apart: `analyze_query` reports it rather than failing).
    async fn query_plan(
        &self,
        object: &str,
        query: &Value,
        call: Call,
    ) -> Result<(Compiled, Result<RowSet>)> {
        let meta = self.catalog().get(object);
        let compiled = query::compile_find(self.scope(&meta, &call), query)?;
        let conn = self.conn(call.tx).await?;
        let plan = conn
            .query(
                &format!("EXPLAIN QUERY PLAN {}", compiled.sql),
                compiled.args.clone(),
            )
            .await;
        Ok((compiled, plan))
    }

    /// `find` with ranking window functions as extra columns (see `query::window`).
    pub async fn find_with_window_functions(
        &self,
        object: &str,
        query: &Value,
        call: impl Into<Call>,
    ) -> Result<RowSet> {
        let call = call.into();
        let meta = self.catalog().get(object);
        let compiled = query::compile_window_find(self.scope(&meta, &call), query)?;
        self.read(&meta, compiled, call.tx).await
    }

    /// The kernel's `analyzeQuery` / `explain`: the statement `find` would run for
    /// `query`, its arguments, the SQL dialect, and SQLite's plan for it (or, when SQLite
    /// cannot plan it, the error: the caller asked how a query runs, not for its rows).
    pub async fn analyze_query(
        &self,
        object: &str,
        query: &Value,
        call: impl Into<Call>,
    ) -> Result<Value> {
        let (compiled, plan) = self.query_plan(object, query, call.into()).await?;
        let mut out = vec![
            ("sql".to_owned(), Value::Text(compiled.sql)),
            ("bindings".to_owned(), Value::Array(compiled.args)),
            ("client".to_owned(), Value::from(SQLITE_CLIENT)),
        ];
        match plan {
            Ok(rows) => out.push(("plan".to_owned(), Value::Array(rows.into_records()))),
            Err(err) => {
                out.push(("error".to_owned(), Value::Text(err.message)));
                out.push(("note".to_owned(), Value::from("Failed to execute EXPLAIN.")));
            }
        }
        Ok(Value::Object(out))
    }

    /// Runs a read of `meta`'s object and gives its cells their fields' kinds.
    async fn read(&self, meta: &ObjectMeta, compiled: Compiled, tx: Option<u32>) -> Result<RowSet> {
        Ok(meta.present(self.query(meta, compiled, tx).await?))
    }

    /// Runs a read of `meta`'s object, its failures in the kernel's reading.
    async fn query(
        &self,
        meta: &ObjectMeta,
        compiled: Compiled,
        tx: Option<u32>,
    ) -> Result<RowSet> {
        let conn = self.conn(tx).await?;
        conn.query(&compiled.sql, compiled.args)
            .await
            .map_err(|e| self.refine(meta, e, true))
    }
}
