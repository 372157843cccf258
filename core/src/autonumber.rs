//! Autonumber fields, numbered by the driver (`supports.autonumber`): per tenant,
//! persistent, and safe with several processes on one database file.
//!
//! A format is literal text with tokens: `{0000}` the counter (zero-padded to its width),
//! `{YYYY}` `{YY}` `{MM}` `{DD}` `{YYYYMMDD}` today's date (UTC, or the caller's time
//! zone), `{field}` a value of the record; the default is `{0000}`. Counters live in
//! `_objectstack_sequences`, keyed exactly as the kernel's SQL driver keys them
//! (`key_hash` = SHA-256 of table, tenant, field and scope), so the two drivers can take
//! turns on one database. A format with date or field tokens counts per rendered prefix
//! (a new day starts at 1); a counter's first value follows the highest number the table
//! already holds.
//!
//! The counter is bumped in the transaction that inserts the record, so a failed insert
//! takes its number back and two writers (threads or processes) never get the same one.
//! A counter behind its table (rows written around the driver: a seed, an import) is
//! moved past the table's highest number when an insert collides on a number it drew,
//! and the row numbered once more (see [`Autonumber::reseed_if_collided`]).

use crate::dates::now_iso;
use crate::error::{Error, Result};
use crate::identifier::push_identifier;
use crate::schema::ObjectDef;
use crate::store::conn::Conn;
use crate::tenancy::GLOBAL_TENANT;
use crate::value::Value;

pub const SEQUENCES_TABLE: &str = "_objectstack_sequences";

/// The counters table, in the kernel's SQL driver's shape.
pub const CREATE_SEQUENCES_SQL: &str = "CREATE TABLE IF NOT EXISTS \"_objectstack_sequences\" (\
     \"key_hash\" varchar(64) NOT NULL PRIMARY KEY, \"object\" varchar(255) NOT NULL, \
     \"tenant_id\" varchar(255) NOT NULL, \"field\" varchar(255) NOT NULL, \
     \"scope\" varchar(1024) NOT NULL DEFAULT '', \"last_value\" bigint NOT NULL DEFAULT 0, \
     \"updated_at\" datetime DEFAULT CURRENT_TIMESTAMP)";

const BUMP_SQL: &str =
    "UPDATE \"_objectstack_sequences\" SET \"last_value\" = \"last_value\" + 1, \
     \"updated_at\" = ? WHERE \"key_hash\" = ? RETURNING \"last_value\"";

const RESEED_SQL: &str = "UPDATE \"_objectstack_sequences\" SET \
     \"last_value\" = MAX(\"last_value\", ?), \"updated_at\" = ? WHERE \"key_hash\" = ?";

const START_SQL: &str = "INSERT INTO \"_objectstack_sequences\" \
     (\"key_hash\", \"object\", \"tenant_id\", \"field\", \"scope\", \"last_value\", \"updated_at\") \
     VALUES (?, ?, ?, ?, ?, ?, ?)";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    /// The counter, zero-padded to this width.
    Counter(usize),
    Date(DatePart),
    Field(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DatePart {
    Year,
    ShortYear,
    Month,
    Day,
    Compact,
}

/// One autonumber field of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autonumber {
    pub field: String,
    tokens: Vec<Token>,
    /// The object's tenant field: counters are per tenant when there is one.
    tenant_field: Option<String>,
}

/// A calendar day: what the date tokens render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Day {
    /// Today in UTC.
    pub fn today_utc() -> Day {
        let iso = now_iso();
        Day::parse(&iso).unwrap_or(Day {
            year: 1970,
            month: 1,
            day: 1,
        })
    }

    /// The day of `YYYY-MM-DD...` text.
    pub fn parse(text: &str) -> Option<Day> {
        let (year, month, day) = crate::dates::parse_day(text.get(..10)?)?;
        Some(Day { year, month, day })
    }
}

/// The parts of one number: what comes before and after the counter, and the scope its
/// counter is kept under.
struct Rendered {
    prefix: String,
    suffix: String,
    width: Option<usize>,
    scope: String,
}

impl Autonumber {
    /// The autonumber fields of `def`.
    pub fn of(def: &ObjectDef, tenant_field: Option<&str>) -> Vec<Autonumber> {
        def.fields
            .iter()
            .filter_map(|f| {
                Some(Autonumber {
                    field: f.name.clone(),
                    tokens: parse_format(f.autonumber.as_deref()?),
                    tenant_field: tenant_field.map(str::to_owned),
                })
            })
            .collect()
    }

    /// Fills this field of a record about to be inserted into `table`, unless the record
    /// brings a value. `record` is the row's columns and values; `tenant` the caller's.
    pub async fn fill(
        &self,
        conn: &Conn,
        table: &str,
        record: &mut Vec<(String, Value)>,
        tenant: Option<&str>,
        today: Day,
    ) -> Result<()> {
        let given = record.iter().position(|(c, _)| *c == self.field);
        if let Some(i) = given {
            if !matches!(&record[i].1, Value::Null | Value::Text(_)) || record[i].1.is_truthy() {
                return Ok(());
            }
        }
        let rendered = self.render(record, today)?;
        let tenant_id = self.tenant_of(record, tenant);
        let seq = self.next(conn, table, &tenant_id, &rendered).await?;
        let value = match rendered.width {
            Some(width) => format!("{}{seq:0width$}{}", rendered.prefix, rendered.suffix),
            None => format!("{}{seq}", rendered.prefix),
        };
        match given {
            Some(i) => record[i].1 = Value::Text(value),
            None => record.push((self.field.clone(), Value::Text(value))),
        }
        Ok(())
    }

    /// Whether the number this field was just given (in `record`) is one the table
    /// already holds for the row's tenant: the counter was behind the table (rows came in
    /// around it: a seed, an import, SQL). If so the counter moves past the highest number
    /// the table shows, and the answer is true: number the row again. A collision on a
    /// value nobody drew from this counter is the caller's, and is left to refuse.
    pub async fn reseed_if_collided(
        &self,
        conn: &Conn,
        table: &str,
        record: &[(String, Value)],
        tenant: Option<&str>,
        today: Day,
    ) -> Result<bool> {
        let Some(Value::Text(value)) = record
            .iter()
            .find(|(c, _)| *c == self.field)
            .map(|(_, v)| v)
        else {
            return Ok(false);
        };
        let tenant_id = self.tenant_of(record, tenant);
        let mut sql = String::from("SELECT 1 FROM ");
        push_identifier(&mut sql, table)?;
        sql.push_str(" WHERE ");
        push_identifier(&mut sql, &self.field)?;
        sql.push_str(" = ?");
        let mut args = vec![Value::Text(value.clone())];
        if let Some(field) = &self.tenant_field {
            sql.push_str(" AND ");
            push_identifier(&mut sql, field)?;
            if tenant_id == GLOBAL_TENANT {
                sql.push_str(" IS NULL");
            } else {
                sql.push_str(" = ?");
                args.push(Value::Text(tenant_id.clone()));
            }
        }
        sql.push_str(" LIMIT 1");
        if conn.query(&sql, args).await?.rows.is_empty() {
            return Ok(false);
        }
        let rendered = self.render(record, today)?;
        let highest = self.highest(conn, table, &tenant_id, &rendered).await?;
        conn.execute(
            RESEED_SQL,
            vec![
                Value::Integer(highest),
                Value::Text(now_iso()),
                Value::Text(self.key(table, &tenant_id, &rendered)),
            ],
        )
        .await?;
        Ok(true)
    }

    /// The tenant a record's counter is kept under: its own tenant value, else the
    /// caller's, else the shared one (also for objects without a tenant field).
    fn tenant_of(&self, record: &[(String, Value)], tenant: Option<&str>) -> String {
        let row_tenant = self
            .tenant_field
            .as_deref()
            .and_then(|f| record.iter().find(|(c, _)| c == f))
            .map(|(_, v)| v)
            .and_then(|v| match v {
                Value::Text(s) if !s.is_empty() => Some(s.clone()),
                Value::Integer(i) => Some(i.to_string()),
                _ => None,
            });
        match (&self.tenant_field, row_tenant.or(tenant.map(str::to_owned))) {
            (Some(_), Some(t)) => t,
            _ => GLOBAL_TENANT.to_owned(),
        }
    }

    /// The counter's key, as the kernel's SQL driver derives it.
    fn key(&self, table: &str, tenant: &str, r: &Rendered) -> String {
        crate::digest::sha256_hex(format!("{table}{tenant}{}{}", self.field, r.scope).as_bytes())
    }

    fn render(&self, record: &[(String, Value)], today: Day) -> Result<Rendered> {
        let mut prefix = String::new();
        let mut suffix = String::new();
        let mut width = None;
        let mut missing = Vec::new();
        let mut dynamic = false;
        for token in &self.tokens {
            let piece = match token {
                Token::Counter(w) => {
                    width = Some(*w);
                    continue;
                }
                Token::Literal(text) => text.clone(),
                Token::Date(part) => {
                    dynamic = true;
                    match part {
                        DatePart::Year => format!("{:04}", today.year),
                        DatePart::ShortYear => format!("{:02}", today.year.rem_euclid(100)),
                        DatePart::Month => format!("{:02}", today.month),
                        DatePart::Day => format!("{:02}", today.day),
                        DatePart::Compact => {
                            format!("{:04}{:02}{:02}", today.year, today.month, today.day)
                        }
                    }
                }
                Token::Field(name) => {
                    dynamic = true;
                    match record.iter().find(|(c, _)| c == name).map(|(_, v)| v) {
                        None | Some(Value::Null) => {
                            missing.push(name.as_str());
                            String::new()
                        }
                        Some(Value::Text(s)) if s.is_empty() => {
                            missing.push(name.as_str());
                            String::new()
                        }
                        Some(Value::Text(s)) => s.clone(),
                        Some(other) => other.to_json(),
                    }
                }
            };
            if width.is_none() {
                prefix.push_str(&piece);
            } else {
                suffix.push_str(&piece);
            }
        }
        if !missing.is_empty() {
            return Err(Error::invalid(format!(
                "Cannot number autonumber field \"{}\": its format uses the field(s) {} that \
                 the record leaves empty; set them before the record is created",
                self.field,
                missing.join(", ")
            )));
        }
        Ok(Rendered {
            scope: if dynamic {
                prefix.clone()
            } else {
                String::new()
            },
            prefix,
            suffix,
            width,
        })
    }

    /// The next counter value, bumped in the caller's transaction.
    async fn next(&self, conn: &Conn, table: &str, tenant: &str, r: &Rendered) -> Result<i64> {
        let key = self.key(table, tenant, r);
        let now = Value::Text(now_iso());
        let bump = vec![now.clone(), Value::Text(key.clone())];
        let bumped = match conn.query(BUMP_SQL, bump.clone()).await {
            // Dropped since, or never made (a boot that skipped schema sync): made now, in
            // the caller's transaction.
            Err(err)
                if err
                    .message
                    .contains(&format!("no such table: {SEQUENCES_TABLE}")) =>
            {
                ensure_sequences(conn).await?;
                conn.query(BUMP_SQL, bump).await?
            }
            other => other?,
        };
        if let Some(n) = bumped
            .rows
            .first()
            .and_then(|r| r.first())
            .and_then(Value::as_i64)
        {
            return Ok(n);
        }
        let start = self.highest(conn, table, tenant, r).await? + 1;
        conn.execute(
            START_SQL,
            vec![
                Value::Text(key),
                Value::from(table),
                Value::from(tenant),
                Value::Text(self.field.clone()),
                Value::Text(r.scope.clone()),
                Value::Integer(start),
                now,
            ],
        )
        .await?;
        Ok(start)
    }

    /// The highest counter the table's values already show for this tenant and prefix
    /// (0 for none), so a new counter never repeats a number written before it existed.
    async fn highest(&self, conn: &Conn, table: &str, tenant: &str, r: &Rendered) -> Result<i64> {
        let mut sql = String::from("SELECT ");
        push_identifier(&mut sql, &self.field)?;
        sql.push_str(" FROM ");
        push_identifier(&mut sql, table)?;
        sql.push_str(" WHERE ");
        push_identifier(&mut sql, &self.field)?;
        sql.push_str(" LIKE ? ESCAPE '\\'");
        let mut args = vec![Value::Text(format!("{}%", escape_like(&r.prefix)))];
        if let (Some(field), false) = (&self.tenant_field, tenant == GLOBAL_TENANT) {
            sql.push_str(" AND ");
            push_identifier(&mut sql, field)?;
            sql.push_str(" = ?");
            args.push(Value::from(tenant));
        }
        let rows = conn.query(&sql, args).await?;
        let anchored = !r.prefix.is_empty() || !r.suffix.is_empty();
        Ok(rows
            .rows
            .iter()
            .filter_map(|row| row.first()?.as_str())
            .filter_map(|v| {
                if anchored {
                    counter_of(v, &r.prefix, &r.suffix)
                } else {
                    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
                    digits.parse().ok()
                }
            })
            .max()
            .unwrap_or(0))
    }
}

/// Makes the counters table, or brings an older one to the `key_hash` shape: the
/// kernel's first table (keyed by object, tenant and field) and its interim one (with
/// `scope`, no `key_hash`) are rebuilt with every counter kept, in the caller's
/// transaction.
pub async fn ensure_sequences(conn: &Conn) -> Result<()> {
    conn.batch(CREATE_SEQUENCES_SQL).await?;
    let columns = crate::schema::introspect::table_columns(conn, SEQUENCES_TABLE).await?;
    if columns.iter().any(|c| c == "key_hash") {
        return Ok(());
    }
    let scope = if columns.iter().any(|c| c == "scope") {
        "COALESCE(\"scope\", '')"
    } else {
        "''"
    };
    let rows = conn
        .query(
            &format!(
                "SELECT \"object\", \"tenant_id\", \"field\", {scope}, \"last_value\", \
                 \"updated_at\" FROM \"{SEQUENCES_TABLE}\""
            ),
            Vec::new(),
        )
        .await?;
    conn.batch(&format!(
        "ALTER TABLE \"{SEQUENCES_TABLE}\" RENAME TO \"{SEQUENCES_TABLE}__legacy\""
    ))
    .await?;
    conn.batch(CREATE_SEQUENCES_SQL).await?;
    for row in rows.rows {
        let text = |i: usize| match row.get(i) {
            Some(Value::Text(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_json(),
        };
        let (object, tenant, field, scope) = (text(0), text(1), text(2), text(3));
        let key = crate::digest::sha256_hex(format!("{object}{tenant}{field}{scope}").as_bytes());
        conn.execute(
            START_SQL,
            vec![
                Value::Text(key),
                Value::Text(object),
                Value::Text(tenant),
                Value::Text(field),
                Value::Text(scope),
                row.get(4).cloned().unwrap_or(Value::Integer(0)),
                row.get(5).cloned().unwrap_or(Value::Null),
            ],
        )
        .await?;
    }
    conn.batch(&format!("DROP TABLE \"{SEQUENCES_TABLE}__legacy\""))
        .await
}

/// The counter in `value` rendered with `prefix` and `suffix`.
fn counter_of(value: &str, prefix: &str, suffix: &str) -> Option<i64> {
    let core = value.strip_prefix(prefix)?;
    let core = core.strip_suffix(suffix).unwrap_or(core);
    let digits: String = core.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn parse_format(format: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = format;
    let mut counted = false;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open + 1..].find(['{', '}']) else {
            break;
        };
        let body = &rest[open + 1..open + 1 + len];
        if rest.as_bytes()[open + 1 + len] == b'{' {
            // A `{` inside: the first one is literal.
            push_literal(&mut tokens, &rest[..open + 1]);
            rest = &rest[open + 1..];
            continue;
        }
        push_literal(&mut tokens, &rest[..open]);
        let date = match body {
            "YYYY" => Some(DatePart::Year),
            "YY" => Some(DatePart::ShortYear),
            "MM" => Some(DatePart::Month),
            "DD" => Some(DatePart::Day),
            "YYYYMMDD" => Some(DatePart::Compact),
            _ => None,
        };
        let is_field = body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !body.is_empty() && body.bytes().all(|b| b == b'0') && !counted {
            tokens.push(Token::Counter(body.len()));
            counted = true;
        } else if let Some(part) = date {
            tokens.push(Token::Date(part));
        } else if is_field {
            tokens.push(Token::Field(body.to_owned()));
        } else {
            push_literal(&mut tokens, &rest[open..open + len + 2]);
        }
        rest = &rest[open + len + 2..];
    }
    push_literal(&mut tokens, rest);
    tokens
}

fn push_literal(tokens: &mut Vec<Token>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Token::Literal(last)) = tokens.last_mut() {
        last.push_str(text);
    } else {
        tokens.push(Token::Literal(text.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(format: &str, record: &[(&str, Value)], seq: i64) -> Result<(String, String)> {
        let a = Autonumber {
            field: "n".into(),
            tokens: parse_format(format),
            tenant_field: None,
        };
        let record: Vec<(String, Value)> = record
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let today = Day {
            year: 2026,
            month: 3,
            day: 7,
        };
        let r = a.render(&record, today)?;
        let value = match r.width {
            Some(w) => format!("{}{seq:0w$}{}", r.prefix, r.suffix),
            None => format!("{}{seq}", r.prefix),
        };
        Ok((value, r.scope))
    }

    #[test]
    fn renders_formats_like_the_spec() {
        assert_eq!(
            number("{0000}", &[], 7).unwrap(),
            ("0007".into(), "".into())
        );
        assert_eq!(
            number("CTR-{000}", &[], 1234).unwrap(),
            ("CTR-1234".into(), "".into())
        );
        assert_eq!(
            number("INV-{YYYY}{MM}-{0000}", &[], 3).unwrap(),
            ("INV-202603-0003".into(), "INV-202603-".into())
        );
        assert_eq!(
            number("{region}-{YY}{DD}-{00}-x", &[("region", "EU".into())], 5).unwrap(),
            ("EU-2607-05-x".into(), "EU-2607-".into())
        );
        assert_eq!(number("N", &[], 9).unwrap(), ("N9".into(), "".into()));
        assert_eq!(
            number("{{000}}", &[], 2).unwrap(),
            ("{002}".into(), "".into())
        );
        assert_eq!(
            number("{a b}{0}", &[], 2).unwrap(),
            ("{a b}2".into(), "".into())
        );
        let err = number("{region}-{000}", &[("region", "".into())], 1).unwrap_err();
        assert!(err.message.contains("region"), "{}", err.message);
    }

    #[test]
    fn reads_counters_back() {
        assert_eq!(counter_of("CTR-0042", "CTR-", ""), Some(42));
        assert_eq!(counter_of("CTR-0042-x", "CTR-", "-x"), Some(42));
        assert_eq!(counter_of("XYZ-1", "CTR-", ""), None);
        assert_eq!(escape_like("a_b%c\\"), "a\\_b\\%c\\\\");
    }
}
