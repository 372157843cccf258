//! Indexes: the ones an object definition asks for, the ones the database has, and the
//! changes that take one to the other.
//!
//! A field's `unique: true` (or `'organization'`) is a unique index per tenant when the
//! object has a tenant field: `(COALESCE(tenant, '__global__'), field)`, so rows without
//! a tenant count as one shared tenant; `'global'` is unique across tenants. Declared
//! `indexes` keep their fields; `unique: 'organization'` puts the tenant in front, or makes
//! a listed tenant column NULL-safe where it stands. Names follow the kernel's SQL driver
//! (`uniq_<table>_<columns>`, `idx_<table>_<columns>`, shortened past 60 characters with
//! 8 hex digits of a SHA-1) so a database it created is recognised. What sync does about
//! indexes that differ from these is in [`super::drift`].

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
    /// The same index, whatever its name.
    pub fn same_keys(&self, other: &IndexSpec) -> bool {
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

/// The indexes `def` asks for on `table`, given the object's tenant field: its unique
/// fields', then its declared ones.
pub fn expected(def: &ObjectDef, table: &str, tenant: Option<&str>) -> Vec<IndexSpec> {
    let mut out = of_fields(def, table, tenant);
    out.extend(declared(def, table, tenant));
    out
}

/// The unique indexes of `def`'s unique fields.
pub fn of_fields(def: &ObjectDef, table: &str, tenant: Option<&str>) -> Vec<IndexSpec> {
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
    out
}

/// The indexes `def` declares (`indexes`), in its order.
pub fn declared(def: &ObjectDef, table: &str, tenant: Option<&str>) -> Vec<IndexSpec> {
    let mut out = Vec::new();
    for index in &def.indexes {
        let keys = match (index.unique, tenant) {
            // A listed tenant column becomes NULL-safe where it stands (the hand-written
            // `(organization_id, name)` spelling); otherwise the tenant goes first.
            (Uniqueness::Organization, Some(t)) if index.fields.iter().any(|f| f == t) => index
                .fields
                .iter()
                .map(|f| {
                    if f == t {
                        Key::Tenant(f.clone())
                    } else {
                        Key::Column(f.clone())
                    }
                })
                .collect(),
            (Uniqueness::Organization, Some(t)) => keyed(Some(t), &index.fields),
            _ => keyed(None, &index.fields),
        };
        let unique = index.unique != Uniqueness::None;
        out.push(IndexSpec {
            name: index
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map_or_else(|| index_name(table, &keys, unique), str::to_owned),
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
/// `<prefix>_<table>` and 8 hex digits of the SHA-1 of the whole name (the kernel's
/// `buildIndexName`, byte for byte: a database either driver made is the other's).
pub fn index_name(table: &str, keys: &[Key], unique: bool) -> String {
    let columns: Vec<&str> = keys.iter().filter_map(Key::column).collect();
    name_of(table, &columns, unique)
}

/// [`index_name`] of plain columns.
pub fn name_of(table: &str, columns: &[&str], unique: bool) -> String {
    let prefix = if unique { "uniq" } else { "idx" };
    let name = format!("{prefix}_{table}_{}", columns.join("_"));
    if name.len() <= MAX_NAME {
        return name;
    }
    let head: String = format!("{prefix}_{table}")
        .chars()
        .take(MAX_NAME - 9)
        .collect();
    let hash = crate::digest::sha1_hex(name.as_bytes());
    format!("{head}_{}", &hash[..8])
}

/// Whether `name` is one the driver (or the kernel's SQL driver, or knex's `col.unique()`)
/// generates for an index of `table`: the only indexes sync may call orphaned.
pub fn is_generated_name(table: &str, name: &str, index: &IndexSpec) -> bool {
    for prefix in ["uniq", "idx"] {
        if name.starts_with(&format!("{prefix}_{table}_")) {
            return true;
        }
        let head: String = format!("{prefix}_{table}")
            .chars()
            .take(MAX_NAME - 9)
            .collect();
        if let Some(hash) = name
            .strip_prefix(head.as_str())
            .and_then(|r| r.strip_prefix('_'))
        {
            if hash.len() == 8 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return true;
            }
        }
    }
    index.unique
        && matches!(index.keys.as_slice(), [Key::Column(c)] if name == format!("{table}_{c}_unique"))
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
    fn a_listed_tenant_column_is_made_null_safe_where_it_stands() {
        let d = def(r#"{"name":"team","fields":{"organization_id":{},"name":{}},
               "indexes":[{"fields":["organization_id","name"],"unique":"organization"}]}"#);
        assert_eq!(
            sql(&expected(&d, "team", Some("organization_id"))),
            [
                "CREATE UNIQUE INDEX \"uniq_team_organization_id_name\" ON \"task\" \
              (COALESCE(\"organization_id\", '__global__'), \"name\")"
            ]
        );
    }

    #[test]
    fn long_names_end_in_the_kernels_sha1_digits() {
        let keys =
            ["organization_id", "user_id", "topic", "channel"].map(|c| Key::Column(c.to_owned()));
        assert_eq!(
            index_name("sys_notification_preference", &keys, true),
            "uniq_sys_notification_preference_a22d7d27"
        );
        let spec = IndexSpec {
            name: String::new(),
            keys: keys.to_vec(),
            unique: true,
        };
        assert!(is_generated_name(
            "sys_notification_preference",
            "uniq_sys_notification_preference_a22d7d27",
            &spec
        ));
        assert!(!is_generated_name(
            "sys_notification_preference",
            "by_topic",
            &spec
        ));
    }
}
