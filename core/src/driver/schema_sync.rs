//! Schema work: tables, columns and indexes from definitions (in one transaction), what
//! the driver learns without DDL, and what the database holds.

use super::{atomically, Driver, SyncStats};
use crate::autonumber::CREATE_SEQUENCES_SQL;
use crate::catalog::Audit;
use crate::config::SchemaMode;
use crate::conn::Conn;
use crate::error::{Error, ErrorCode, Result};
use crate::identifier::{push_identifier, quote_identifier};
use crate::schema::index::{self, Change, Key};
use crate::schema::introspect::{self, table_columns, table_exists};
use crate::schema::ObjectDef;
use crate::value::Value;

impl Driver {
    /// Creates missing tables, adds missing columns (and, for the kernel, the audit
    /// columns) and brings the indexes in line with the definitions, all in one
    /// transaction; then the driver knows the objects.
    pub async fn sync_schema(&self, objects: &[Value]) -> Result<()> {
        self.schema_mutable("initObjects")?;
        let defs = parse_defs(objects)?;
        let contract = self.contract();
        let database = self.connect().await?;
        let conn = database.main();
        let created = atomically(&conn, async |conn: &Conn| {
            let mut created = Vec::new();
            for def in &defs {
                if !table_exists(conn, &def.name).await? {
                    created.push(def.name.clone());
                }
                conn.batch(&def.create_table_sql(contract)?).await?;
                let existing = table_columns(conn, &def.name).await?;
                for audit in def.missing_audit_columns(contract) {
                    if !existing.iter().any(|c| c == audit) {
                        let mut sql = String::from("ALTER TABLE ");
                        push_identifier(&mut sql, &def.name)?;
                        sql.push_str(&format!(" ADD COLUMN \"{audit}\" TEXT"));
                        conn.batch(&sql).await?;
                    }
                }
                for field in def.fields.iter().filter(|f| f.has_column(contract)) {
                    if !existing.iter().any(|c| c == &field.name) {
                        conn.batch(&def.add_column_sql(field, contract)?).await?;
                    }
                }
                self.sync_indexes(conn, def).await?;
                if def.fields.iter().any(|f| f.autonumber.is_some()) && contract.spec_field_types()
                {
                    conn.batch(CREATE_SEQUENCES_SQL).await?;
                }
            }
            Ok(created)
        })
        .await?;
        for def in &defs {
            self.catalog.register(def, Audit::Present);
        }
        let mut stats = self.lock_stats();
        for def in &defs {
            if created.contains(&def.name) {
                stats.created.insert(def.name.clone());
            } else if !stats.created.contains(&def.name) {
                stats.existing.insert(def.name.clone());
            }
        }
        Ok(())
    }

    /// Creates, replaces and drops indexes so the table has the ones `def` asks for.
    async fn sync_indexes(&self, conn: &Conn, def: &ObjectDef) -> Result<()> {
        let tenant = self.catalog.tenant_field_for(def);
        let expected = index::expected(def, &def.name, tenant.as_deref());
        // SQLite reads an unknown "name" in CREATE INDEX as a string constant: an index
        // on a misspelt field would index one value, and a unique one hold one row.
        let columns = table_columns(conn, &def.name).await?;
        for spec in &expected {
            if let Some(missing) = spec
                .keys
                .iter()
                .filter_map(Key::column)
                .find(|k| !columns.iter().any(|c| c == k))
            {
                return Err(Error::invalid(format!(
                    "Index \"{}\" of \"{}\" names \"{missing}\", which is not a field of the \
                     object (its columns: {}); nothing of this sync was applied",
                    spec.name,
                    def.name,
                    columns.join(", ")
                )));
            }
        }
        let existing = introspect::table_indexes(conn, &def.name).await?;
        let fields: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        for change in index::plan(&def.name, &expected, &existing, &fields) {
            match change {
                Change::Drop(name) => conn.batch(&index::drop_sql(&name)?).await?,
                Change::Create(spec) => {
                    let created = conn.batch(&spec.create_sql(&def.name)?).await;
                    if let Err(err) = created {
                        if err.code != ErrorCode::UniqueViolation {
                            return Err(err);
                        }
                        // Refused rather than dropped silently: the rows must be fixed.
                        return Err(Error::query(format!(
                            "Cannot make {} of \"{}\" unique: rows already hold duplicate values \
                             ({}). Remove the duplicates, then sync the schema again; nothing of \
                             this sync was applied.",
                            spec.fields()
                                .iter()
                                .map(|f| format!("\"{f}\""))
                                .collect::<Vec<_>>()
                                .join(", "),
                            def.name,
                            err.message
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Learns object definitions without touching the database (a boot that skips
    /// schema sync): their kinds, tenant fields, autonumbers, and that their tables are
    /// presumed to have the audit columns.
    pub fn register_objects(&self, objects: &[Value]) -> Result<()> {
        for def in parse_defs(objects)? {
            self.catalog.register(&def, Audit::Presumed);
        }
        Ok(())
    }

    /// Learns an object whose table the driver does not manage (`external.remoteName`
    /// names the table when it differs).
    pub fn register_external(&self, object: &Value) -> Result<()> {
        let def = ObjectDef::from_value(object)?;
        self.catalog.register(&def, Audit::Absent);
        Ok(())
    }

    /// Refuses schema DDL on a database the driver does not own (`schemaMode` other than
    /// `managed`): the one place every DDL entry point asks.
    fn schema_mutable(&self, operation: &str) -> Result<()> {
        let mode = self.config.schema_mode;
        if mode == SchemaMode::Managed {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::SchemaModeViolation,
            format!(
                "DDL operation '{operation}' is forbidden: datasource schemaMode='{}'. \
                 ObjectStack never mutates the schema of an external database.",
                mode.as_str()
            ),
        ))
    }

    pub fn sync_stats(&self) -> SyncStats {
        self.lock_stats().clone()
    }

    pub async fn drop_table(&self, object: &str) -> Result<()> {
        self.schema_mutable("dropTable")?;
        let sql = format!("DROP TABLE IF EXISTS {}", quote_identifier(object)?);
        let database = self.connect().await?;
        database.main().batch(&sql).await?;
        Ok(())
    }

    /// Every table, in the contract's shape (see `schema::introspect`).
    pub async fn introspect(&self) -> Result<Value> {
        let conn = self.conn(None).await?;
        introspect::introspect(&conn, self.contract()).await
    }

    /// `PRAGMA optimize` and, where the file has free pages, an incremental vacuum.
    pub async fn reclaim_space(&self) -> Result<()> {
        let conn = self.conn(None).await?;
        conn.batch("PRAGMA incremental_vacuum").await?;
        conn.batch("PRAGMA optimize").await
    }
}

fn parse_defs(objects: &[Value]) -> Result<Vec<ObjectDef>> {
    objects.iter().map(ObjectDef::from_value).collect()
}
