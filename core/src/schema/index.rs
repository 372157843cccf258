//! Indexes: the ones an object definition asks for, the ones the database has, and the
//! changes that take one to the other.
//!
//! A field's `unique: true` (or `'organization'`) is a unique index per tenant when the
//! object has a tenant field: `(COALESCE(tenant, '__global__'), field)`, so rows without
//! a tenant count as one shared tenant; `'global'` is unique across tenants. Declared
//! `indexes` keep their fields, with the tenant in front for `unique: 'organization'`.
//! Names follow the kernel's SQL driver (`uniq_<table>_<columns>`, `idx_<table>_<columns>`)
//! so a database it created is recognised; any index with the same keys counts as the
//! same index, whatever its name.
//!
//! Drift is migrated, not ignored: an index whose name is wanted with other keys (a field
//! that became unique, a declared index that changed) is dropped and created again, and a
//! unique index the driver made for a field that is no longer unique is dropped. Partial
//! indexes (`... WHERE`) and indexes named otherwise are the application's own and are
//! left alone.

use crate::error::Result;
use crate::identifier::{push_identifier, quote_identifier};
use crate::schema::{ObjectDef, Uniqueness};
use crate::tenancy::GLOBAL_TENANT;

/// An index's name, keys and uniqueness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub keys: Vec<Key>,
    pub unique: bool,
}

/// One key part of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Column(String),
    /// `COALESCE("column", '__global__')`: a tenant column where NULL is one tenant.
    Tenant(String),
    /// Any other expression (never one the driver makes).
    Other(String),
}

impl Key {
    /// The column the key is about, if it names one.
    pub fn column(&self) -> Option<&str> {
        match self {
            Key::Column(c) | Key::Tenant(c) => Some(c),
            Key::Other(_) => None,
        }
    }
}

impl IndexSpec {
    fn same_keys(&self, other: &IndexSpec) -> bool {
        self.unique == other.unique && self.keys == other.keys
    }

    /// `CREATE [UNIQUE] INDEX "name" ON "table" (...)`.
    pub fn create_sql(&self, table: &str) -> Result<String> {
        let mut sql = String::from(if self.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        push_identifier(&mut sql, &self.name)?;
        sql.push_str(" ON ");
        push_identifier(&mut sql, table)?;
        sql.push_str(" (");
        sql.push_str(&self.keys_sql()?);
        sql.push(')');
        Ok(sql)
    }

    /// The key parts as SQL: `COALESCE("org", '__global__'), "email"`. Also what an
    /// upsert's conflict target must say to match the index.
    pub fn keys_sql(&self) -> Result<String> {
        let mut sql = String::new();
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            match key {
                Key::Column(c) => push_identifier(&mut sql, c)?,
                Key::Tenant(c) => {
                    sql.push_str("COALESCE(");
                    push_identifier(&mut sql, c)?;
                    sql.push_str(&format!(", '{GLOBAL_TENANT}')"));
                }
                Key::Other(expr) => sql.push_str(expr),
            }
        }
        Ok(sql)
    }

    /// The fields a violation of this index is about: its columns but the tenant's.
    pub fn fields(&self) -> Vec<&str> {
        self.keys
            .iter()
            .filter_map(|k| match k {
                Key::Column(c) => Some(c.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// The indexes `def` asks for on `table`, given the object's tenant field.
pub fn expected(def: &ObjectDef, table: &str, tenant: Option<&str>) -> Vec<IndexSpec> {
    let mut out = Vec::new();
    for field in &def.fields {
        let per_tenant = match field.unique {
            Uniqueness::None => continue,
            Uniqueness::Global => None,
            Uniqueness::Organization => tenant.filter(|t| *t != field.name),
        };
        let keys = keyed(per_tenant, std::slice::from_ref(&field.name));
        out.push(IndexSpec {
            name: index_name(table, &keys, true),
            keys,
            unique: true,
        });
    }
    for index in &def.indexes {
        let per_tenant = match index.unique {
            Uniqueness::Organization => tenant.filter(|t| !index.fields.iter().any(|f| f == t)),
            _ => None,
        };
        let keys = keyed(per_tenant, &index.fields);
        let unique = index.unique != Uniqueness::None;
        out.push(IndexSpec {
            name: index
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| index_name(table, &keys, unique)),
            keys,
            unique,
        });
    }
    out
}

fn keyed(tenant: Option<&str>, fields: &[String]) -> Vec<Key> {
    tenant
        .map(|t| Key::Tenant(t.to_owned()))
        .into_iter()
        .chain(fields.iter().map(|f| Key::Column(f.clone())))
        .collect()
}

/// Longest index name before it is shortened with a hash (as the kernel's SQL driver).
const MAX_NAME: usize = 60;

/// `uniq_<table>_<columns>` / `idx_<table>_<columns>`; past 60 characters the head of
/// `<prefix>_<table>` and 8 hex digits of a hash of the whole name.
pub fn index_name(table: &str, keys: &[Key], unique: bool) -> String {
    let prefix = if unique { "uniq" } else { "idx" };
    let columns: Vec<&str> = keys.iter().filter_map(Key::column).collect();
    let name = format!("{prefix}_{table}_{}", columns.join("_"));
    if name.len() <= MAX_NAME {
        return name;
    }
    let head: String = format!("{prefix}_{table}")
        .chars()
        .take(MAX_NAME - 9)
        .collect();
    let hash = crate::sha256::hex(name.as_bytes());
    format!("{head}_{}", &hash[..8])
}

/// An index as the database holds it: `None` for a partial index (`... WHERE`) and for
/// SQL this reader does not follow, which are then not the driver's to touch.
pub fn parse(name: &str, sql: &str) -> Option<IndexSpec> {
    let upper = sql.to_ascii_uppercase();
    let unique = upper.trim_start().starts_with("CREATE UNIQUE");
    let open = sql.find('(')?;
    let close = matching_paren(sql, open)?;
    let tail = sql[close + 1..].trim();
    if !tail.is_empty() {
        return None;
    }
    let keys = split_top_level(&sql[open + 1..close])
        .into_iter()
        .map(parse_key)
        .collect();
    Some(IndexSpec {
        name: name.to_owned(),
        keys,
        unique,
    })
}

fn matching_paren(sql: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in sql.char_indices().skip_while(|(i, _)| *i < open) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '[') => quote = Some(']'),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn split_top_level(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut quote) = (0usize, 0usize, None::<char>);
    for (i, c) in list.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '[') => quote = Some(']'),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(list[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(list[start..].trim());
    parts
}

fn parse_key(part: &str) -> Key {
    let bare = strip_order(part);
    if let Some(column) = unquote(bare) {
        return Key::Column(column);
    }
    let upper = bare.to_ascii_uppercase();
    if upper.starts_with("COALESCE") {
        if let (Some(open), true) = (bare.find('('), bare.ends_with(')')) {
            let args = split_top_level(&bare[open + 1..bare.len() - 1]);
            if let [column, fallback] = args.as_slice() {
                let global = format!("'{GLOBAL_TENANT}'");
                if let (Some(column), true) = (unquote(column), *fallback == global) {
                    return Key::Tenant(column);
                }
            }
        }
    }
    Key::Other(bare.to_owned())
}

/// `"a" DESC` -> `"a"` (collations and orders do not change what is unique).
fn strip_order(part: &str) -> &str {
    let t = part.trim();
    for suffix in [" ASC", " DESC", " asc", " desc"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            return rest.trim_end();
        }
    }
    t
}

/// A single identifier in any of SQLite's quotings, unquoted.
fn unquote(s: &str) -> Option<String> {
    let s = s.trim();
    let inner = |open: char, close: char| {
        s.strip_prefix(open)
            .and_then(|r| r.strip_suffix(close))
            .filter(|r| !r.contains(close) || open == close)
    };
    if let Some(r) = inner('"', '"') {
        return (!r.replace("\"\"", "").contains('"')).then(|| r.replace("\"\"", "\""));
    }
    if let Some(r) = inner('`', '`') {
        return (!r.replace("``", "").contains('`')).then(|| r.replace("``", "`"));
    }
    if let Some(r) = inner('[', ']') {
        return Some(r.to_owned());
    }
    let plain = !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    plain.then(|| s.to_owned())
}

/// One step from the indexes a table has to the ones it should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Create(IndexSpec),
    /// Drop the index of this name (stale, or about to be created with other keys).
    Drop(String),
}

/// The changes that give `table` the `expected` indexes, given the `existing` ones
/// (`None` entries: indexes the driver does not manage; only their names count) and the
/// fields of the object, whose driver-made unique indexes it may drop.
pub fn plan(
    table: &str,
    expected: &[IndexSpec],
    existing: &[(String, Option<IndexSpec>)],
    fields: &[&str],
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for want in expected {
        let same_name = existing.iter().find(|(n, _)| *n == want.name);
        match same_name {
            Some((_, Some(have))) if have.same_keys(want) => kept.push(&want.name),
            // An index of that name the driver cannot read: leave it be.
            Some((_, None)) => kept.push(&want.name),
            Some((name, Some(_))) => {
                changes.push(Change::Drop(name.clone()));
                changes.push(Change::Create(want.clone()));
                kept.push(&want.name);
            }
            None => match existing
                .iter()
                .find(|(_, have)| have.as_ref().is_some_and(|h| h.same_keys(want)))
            {
                Some((name, _)) => kept.push(name),
                None => changes.push(Change::Create(want.clone())),
            },
        }
    }
    for (name, have) in existing {
        let Some(have) = have else { continue };
        let stale = have.unique
            && !kept.contains(&name.as_str())
            && managed_unique_name(table, name, have)
            && have
                .keys
                .iter()
                .any(|k| k.column().is_some_and(|c| fields.contains(&c)));
        if stale {
            changes.push(Change::Drop(name.clone()));
        }
    }
    changes
}

/// Names the driver (or the kernel's SQL driver, or knex) gives a field's unique index.
fn managed_unique_name(table: &str, name: &str, index: &IndexSpec) -> bool {
    name == index_name(table, &index.keys, true)
        || matches!(index.keys.as_slice(), [Key::Column(c)] if name == format!("{table}_{c}_unique"))
}

/// `DROP INDEX IF EXISTS "name"`.
pub fn drop_sql(name: &str) -> Result<String> {
    Ok(format!("DROP INDEX IF EXISTS {}", quote_identifier(name)?))
}

/// The indexes of a table: name and SQL (`NULL` SQL for the automatic ones).
pub const LIST_SQL: &str =
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn def(json: &str) -> ObjectDef {
        ObjectDef::from_value(&Value::parse_json(json).unwrap()).unwrap()
    }

    fn sql(specs: &[IndexSpec]) -> Vec<String> {
        specs
            .iter()
            .map(|s| s.create_sql("task").unwrap())
            .collect()
    }

    #[test]
    fn unique_fields_are_per_tenant_and_indexes_keep_their_fields() {
        let d = def(
            r#"{"name":"task","fields":{"organization_id":{},"email":{"unique":true},
               "code":{"unique":"global"},"a":{},"b":{}},
               "indexes":[{"fields":["a"]},{"fields":["a","b"],"unique":true,"name":"ab"},
               {"fields":["b"],"unique":"organization"}]}"#,
        );
        assert_eq!(
            sql(&expected(&d, "task", Some("organization_id"))),
            [
                "CREATE UNIQUE INDEX \"uniq_task_organization_id_email\" ON \"task\" \
                 (COALESCE(\"organization_id\", '__global__'), \"email\")",
                "CREATE UNIQUE INDEX \"uniq_task_code\" ON \"task\" (\"code\")",
                "CREATE INDEX \"idx_task_a\" ON \"task\" (\"a\")",
                "CREATE UNIQUE INDEX \"ab\" ON \"task\" (\"a\", \"b\")",
                "CREATE UNIQUE INDEX \"uniq_task_organization_id_b\" ON \"task\" \
                 (COALESCE(\"organization_id\", '__global__'), \"b\")",
            ]
        );
        // Without a tenant field, per-tenant uniqueness is plain uniqueness.
        assert_eq!(
            sql(&expected(&d, "task", None))[0],
            "CREATE UNIQUE INDEX \"uniq_task_email\" ON \"task\" (\"email\")"
        );
    }

    #[test]
    fn long_names_are_shortened_with_a_hash() {
        let long = "f".repeat(80);
        let name = index_name("task", &[Key::Column(long.clone())], true);
        // As the kernel's SQL driver: `<prefix>_<table>` (cut at 51) and 8 hex digits.
        assert_eq!(name.len(), "uniq_task_".len() + 8);
        assert!(name.starts_with("uniq_task_"));
        assert_ne!(name, index_name("task", &[Key::Column(long + "x")], true));
    }

    #[test]
    fn reads_back_what_it_and_other_tools_create() {
        let d = def(
            r#"{"name":"task","fields":{"org":{},"e":{"unique":true}},"tenancy":{"tenantField":"org"}}"#,
        );
        let want = &expected(&d, "task", Some("org"))[0];
        assert_eq!(
            parse(&want.name, &want.create_sql("task").unwrap()).as_ref(),
            Some(want)
        );
        let knex = parse(
            "uniq_t_a",
            "CREATE UNIQUE INDEX `uniq_t_a` on `t` (`a`, [b] DESC, c)",
        )
        .unwrap();
        assert!(knex.unique);
        assert_eq!(
            knex.keys,
            [
                Key::Column("a".into()),
                Key::Column("b".into()),
                Key::Column("c".into())
            ]
        );
        assert_eq!(
            parse("p", "CREATE UNIQUE INDEX p ON t (a) WHERE a IS NOT NULL"),
            None
        );
        let expr = parse("x", "CREATE INDEX x ON t (lower(a), \"we\"\"ird\")").unwrap();
        assert_eq!(
            expr.keys,
            [Key::Other("lower(a)".into()), Key::Column("we\"ird".into())]
        );
    }

    #[test]
    fn plans_creations_replacements_and_drops() {
        let unique = def(
            r#"{"name":"task","fields":{"email":{"unique":true},"n":{}},"indexes":[{"fields":["n"],"name":"by_n","unique":true}]}"#,
        );
        let plain = def(
            r#"{"name":"task","fields":{"email":{},"n":{}},"indexes":[{"fields":["n"],"name":"by_n"}]}"#,
        );
        let have = |d: &ObjectDef| -> Vec<(String, Option<IndexSpec>)> {
            expected(d, "task", None)
                .into_iter()
                .map(|s| (s.name.clone(), Some(s)))
                .collect()
        };
        let fields = ["email", "n"];
        // Nothing yet: create both.
        assert_eq!(
            plan("task", &expected(&unique, "task", None), &[], &fields).len(),
            2
        );
        // Up to date: nothing.
        assert!(plan(
            "task",
            &expected(&unique, "task", None),
            &have(&unique),
            &fields
        )
        .is_empty());
        // The field became unique and the named index too: create one, replace the other.
        let changes = plan(
            "task",
            &expected(&unique, "task", None),
            &have(&plain),
            &fields,
        );
        assert_eq!(
            changes,
            [
                Change::Create(expected(&unique, "task", None)[0].clone()),
                Change::Drop("by_n".into()),
                Change::Create(expected(&unique, "task", None)[1].clone()),
            ]
        );
        // No longer unique: the driver's unique index goes, the renamed one is replaced.
        let changes = plan(
            "task",
            &expected(&plain, "task", None),
            &have(&unique),
            &fields,
        );
        assert!(
            changes.contains(&Change::Drop("uniq_task_email".into())),
            "{changes:?}"
        );
        // The same keys under another name count as present; foreign and partial stay.
        let mut other = have(&unique);
        other[0].0 = "legacy_email".into();
        other.push(("uniq_task_x".into(), None));
        assert!(plan("task", &expected(&unique, "task", None), &other, &fields).is_empty());
    }
}
