//! A `CREATE TABLE` statement as SQLite stored it, taken apart just enough to rewrite
//! one column and keep everything else verbatim: column definitions, table constraints
//! (foreign keys, checks, composite keys) and options (`WITHOUT ROWID`, `STRICT`).
//!
//! A rebuild must recreate the table as it was, not as the driver would write it today:
//! the table may carry a `REFERENCES ... ON DELETE CASCADE`, a `CHECK` or a collation that
//! no object definition mentions. So the stored SQL is split into its top-level items and
//! only the items of changed columns are rewritten.

use crate::error::{Error, Result};

/// The parts of a stored `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSql {
    /// Column definitions and table constraints, as written.
    pub items: Vec<Item>,
    /// What follows the closing parenthesis (`WITHOUT ROWID`, `STRICT`), trimmed.
    pub options: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Column { name: String, sql: String },
    Constraint(String),
}

/// What to change in one column definition. `None` leaves that part as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnRewrite {
    pub sql_type: Option<String>,
    pub not_null: Option<bool>,
    /// `Some(None)`: no default any more; `Some(Some(sql))`: this default expression.
    pub default: Option<Option<String>>,
}

impl TableSql {
    /// Splits `sql` (a table's `sqlite_master.sql`).
    pub fn parse(sql: &str) -> Result<TableSql> {
        let refuse =
            |why: &str| Error::invalid(format!("Cannot read the table definition ({why}): {sql}"));
        let tokens = tokenize(sql);
        let open = tokens
            .iter()
            .position(|t| t.text == "(")
            .ok_or_else(|| refuse("no column list"))?;
        let mut depth = 0usize;
        let mut close = None;
        let mut start = tokens[open].end;
        let mut items = Vec::new();
        for (i, token) in tokens.iter().enumerate().skip(open) {
            match token.text.as_str() {
                "(" => depth += 1,
                ")" => {
                    depth -= 1;
                    if depth == 0 {
                        items.push(item(&sql[start..token.start]));
                        close = Some(i);
                        break;
                    }
                }
                "," if depth == 1 => {
                    items.push(item(&sql[start..token.start]));
                    start = token.end;
                }
                _ => {}
            }
        }
        let close = close.ok_or_else(|| refuse("unbalanced parentheses"))?;
        Ok(TableSql {
            items,
            options: sql[tokens[close].end..].trim().to_owned(),
        })
    }

    /// The definition of `column` (matched as SQLite matches names).
    pub fn column(&self, column: &str) -> Option<&str> {
        self.items.iter().find_map(|i| match i {
            Item::Column { name, sql } if name.eq_ignore_ascii_case(column) => Some(sql.as_str()),
            _ => None,
        })
    }

    /// Table constraints that name `column` (a composite key, a check, a foreign key).
    pub fn constraints_naming(&self, column: &str) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Constraint(sql)
                    if tokenize(sql)
                        .iter()
                        .any(|t| unquote(&t.text).eq_ignore_ascii_case(column)) =>
                {
                    Some(sql.as_str())
                }
                _ => None,
            })
            .collect()
    }

    /// `CREATE TABLE <name> (<items>) <options>`.
    pub fn create_sql(&self, quoted_name: &str) -> String {
        let items: Vec<&str> = self
            .items
            .iter()
            .map(|i| match i {
                Item::Column { sql, .. } | Item::Constraint(sql) => sql.as_str(),
            })
            .collect();
        let mut sql = format!("CREATE TABLE {quoted_name} ({})", items.join(", "));
        if !self.options.is_empty() {
            sql.push(' ');
            sql.push_str(&self.options);
        }
        sql
    }
}

/// A column as its definition declares it (what `PRAGMA table_info` reports, read from
/// the text: one statement for the whole schema instead of one prepared per table).
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredColumn {
    pub name: String,
    /// As written (`""` for none).
    pub sql_type: String,
    pub not_null: bool,
    /// The DEFAULT expression, as written.
    pub default: Option<String>,
    pub primary_key: bool,
}

impl TableSql {
    /// The columns, in order. A column is part of the primary key by its own `PRIMARY
    /// KEY` or by a table constraint naming it.
    pub fn columns(&self) -> Vec<DeclaredColumn> {
        let without_rowid = tokenize(&self.options)
            .iter()
            .any(|t| t.text.eq_ignore_ascii_case("ROWID"));
        let table_key: Vec<String> = self
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Constraint(sql) => Some(tokenize(sql)),
                Item::Column { .. } => None,
            })
            .filter(|tokens| {
                let at = usize::from(
                    tokens
                        .first()
                        .is_some_and(|t| t.text.eq_ignore_ascii_case("CONSTRAINT")),
                ) * 2;
                tokens
                    .get(at)
                    .is_some_and(|t| t.text.eq_ignore_ascii_case("PRIMARY"))
            })
            .flat_map(|tokens| {
                tokens
                    .into_iter()
                    .filter(|t| !matches!(t.text.as_str(), "(" | ")" | ","))
                    .map(|t| unquote(&t.text))
                    .collect::<Vec<_>>()
            })
            .collect();
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Column { name, sql } => Some((name, sql)),
                Item::Constraint(_) => None,
            })
            .map(|(name, sql)| (name, column_parts(sql)))
            // Computed by SQLite, never stored or written: left out, as `PRAGMA table_info`
            // leaves them out (a rebuild's copy could not insert into them).
            .filter(|(_, parts)| !parts.generated)
            .map(|(name, parts)| {
                let primary_key =
                    parts.primary_key || table_key.iter().any(|k| k.eq_ignore_ascii_case(name));
                DeclaredColumn {
                    name: name.clone(),
                    primary_key,
                    sql_type: parts.sql_type,
                    // A WITHOUT ROWID table's key is NOT NULL, said or not.
                    not_null: parts.not_null || (primary_key && without_rowid),
                    default: parts.default,
                }
            })
            .collect()
    }
}

struct ColumnParts {
    sql_type: String,
    not_null: bool,
    default: Option<String>,
    primary_key: bool,
    generated: bool,
}

fn column_parts(column_sql: &str) -> ColumnParts {
    let tokens = tokenize(column_sql);
    let type_end = tokens
        .iter()
        .skip(1)
        .position(|t| is_constraint_start(&t.text))
        .map_or(tokens.len(), |p| p + 1);
    let sql_type = match (tokens.get(1), tokens.get(type_end.saturating_sub(1))) {
        (Some(first), Some(last)) if type_end > 1 => column_sql[first.start..last.end].to_owned(),
        _ => String::new(),
    };
    let mut parts = ColumnParts {
        sql_type,
        not_null: false,
        default: None,
        primary_key: false,
        generated: false,
    };
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(type_end) {
        match token.text.as_str() {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            word if word.eq_ignore_ascii_case("NOT")
                && tokens
                    .get(i + 1)
                    .is_some_and(|t| t.text.eq_ignore_ascii_case("NULL")) =>
            {
                parts.not_null = true
            }
            word if word.eq_ignore_ascii_case("PRIMARY") => parts.primary_key = true,
            word if word.eq_ignore_ascii_case("GENERATED") || word.eq_ignore_ascii_case("AS") => {
                parts.generated = true
            }
            word if word.eq_ignore_ascii_case("DEFAULT") => {
                parts.default = default_expr(column_sql, &tokens, i + 1)
            }
            _ => {}
        }
    }
    parts
}

/// The DEFAULT expression starting at `tokens[at]`, as written: a signed number, a
/// literal or name, or a parenthesised expression.
fn default_expr(sql: &str, tokens: &[Token], at: usize) -> Option<String> {
    let first = tokens.get(at)?;
    let end = match first.text.as_str() {
        "+" | "-" => at + 1,
        "(" => {
            let mut depth = 0usize;
            let mut end = at;
            for (j, t) in tokens.iter().enumerate().skip(at) {
                match t.text.as_str() {
                    "(" => depth += 1,
                    ")" => {
                        depth -= 1;
                        if depth == 0 {
                            end = j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        }
        _ => at,
    };
    let last = tokens.get(end)?;
    Some(sql[first.start..last.end].to_owned())
}

/// `column_sql` (one column definition) with the parts `rewrite` names replaced; its
/// other constraints (`PRIMARY KEY`, `UNIQUE`, `CHECK`, `REFERENCES`, `COLLATE`, ...)
/// kept as written.
pub fn rewrite_column(column_sql: &str, rewrite: &ColumnRewrite) -> String {
    let tokens = tokenize(column_sql);
    let Some(name) = tokens.first() else {
        return column_sql.to_owned();
    };
    // The type is every token between the name and the first constraint keyword.
    let type_end = tokens[1..]
        .iter()
        .position(|t| is_constraint_start(&t.text))
        .map_or(tokens.len(), |p| p + 1);
    let old_type = match (tokens.get(1), tokens.get(type_end - 1)) {
        (Some(first), Some(last)) if type_end > 1 => &column_sql[first.start..last.end],
        _ => "",
    };
    let mut kept = Vec::new();
    let mut not_null = None;
    let mut default = None;
    let mut i = type_end;
    while i < tokens.len() {
        let word = tokens[i].text.to_ascii_uppercase();
        if word == "NOT"
            && tokens
                .get(i + 1)
                .is_some_and(|t| t.text.eq_ignore_ascii_case("NULL"))
        {
            let end = conflict_clause_end(&tokens, i + 2);
            not_null = Some(&column_sql[tokens[i].start..tokens[end - 1].end]);
            i = end;
        } else if word == "NULL" {
            i = conflict_clause_end(&tokens, i + 1);
        } else if word == "DEFAULT" && i + 1 < tokens.len() {
            // A signed number is two tokens; anything else (literal, name, `(expr)`) one.
            let end = if matches!(tokens[i + 1].text.as_str(), "+" | "-") {
                (i + 3).min(tokens.len())
            } else {
                i + 2
            };
            default = Some(&column_sql[tokens[i].start..tokens[end - 1].end]);
            i = end;
        } else {
            // Everything up to the next constraint keyword belongs to this constraint.
            let start = tokens[i].start;
            let mut end = i + 1;
            while end < tokens.len() && !is_constraint_start(&tokens[end].text) {
                end += 1;
            }
            kept.push(&column_sql[start..tokens[end - 1].end]);
            i = end;
        }
    }
    let mut sql = column_sql[name.start..name.end].to_owned();
    let sql_type = rewrite.sql_type.as_deref().unwrap_or(old_type);
    if !sql_type.is_empty() {
        sql.push(' ');
        sql.push_str(sql_type);
    }
    for part in kept {
        sql.push(' ');
        sql.push_str(part);
    }
    match rewrite.not_null {
        Some(true) => sql.push_str(" NOT NULL"),
        Some(false) => {}
        None => {
            if let Some(part) = not_null {
                sql.push(' ');
                sql.push_str(part);
            }
        }
    }
    match &rewrite.default {
        Some(Some(expr)) => {
            sql.push_str(" DEFAULT ");
            sql.push_str(expr);
        }
        Some(None) => {}
        None => {
            if let Some(part) = default {
                sql.push(' ');
                sql.push_str(part);
            }
        }
    }
    sql
}

/// Where an `ON CONFLICT <resolution>` after `NOT NULL` / `NULL` ends.
fn conflict_clause_end(tokens: &[Token], at: usize) -> usize {
    let on = tokens
        .get(at)
        .is_some_and(|t| t.text.eq_ignore_ascii_case("ON"));
    let conflict = tokens
        .get(at + 1)
        .is_some_and(|t| t.text.eq_ignore_ascii_case("CONFLICT"));
    if on && conflict {
        (at + 3).min(tokens.len())
    } else {
        at
    }
}

fn is_constraint_start(word: &str) -> bool {
    const KEYWORDS: [&str; 11] = [
        "CONSTRAINT",
        "PRIMARY",
        "NOT",
        "NULL",
        "UNIQUE",
        "CHECK",
        "DEFAULT",
        "COLLATE",
        "REFERENCES",
        "GENERATED",
        "AS",
    ];
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

fn item(sql: &str) -> Item {
    let sql = sql.trim();
    let first = tokenize(sql).into_iter().next().map(|t| t.text);
    match first {
        Some(word)
            if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&word)) =>
        {
            Item::Constraint(sql.to_owned())
        }
        Some(word) => Item::Column {
            name: unquote(&word),
            sql: sql.to_owned(),
        },
        None => Item::Constraint(sql.to_owned()),
    }
}

/// A name as SQLite reads it: `"a""b"`, `` `a` `` and `[a]` unquoted.
pub fn unquote(token: &str) -> String {
    let mut chars = token.chars();
    match (chars.next(), token.chars().last()) {
        (Some('"'), Some('"')) if token.len() >= 2 => {
            token[1..token.len() - 1].replace("\"\"", "\"")
        }
        (Some('`'), Some('`')) if token.len() >= 2 => token[1..token.len() - 1].replace("``", "`"),
        (Some('['), Some(']')) if token.len() >= 2 => token[1..token.len() - 1].to_owned(),
        (Some('\''), Some('\'')) if token.len() >= 2 => {
            token[1..token.len() - 1].replace("''", "'")
        }
        _ => token.to_owned(),
    }
}

#[derive(Debug, Clone)]
struct Token {
    text: String,
    start: usize,
    end: usize,
}

/// SQL tokens: quoted names and strings whole, words, numbers, single punctuation;
/// whitespace and comments skipped. A parenthesis is its own token.
fn tokenize(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                continue;
            }
            b'"' | b'`' | b'\'' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => break,
                        Some(&q) if q == c => {
                            // A doubled quote is one quote character.
                            if bytes.get(i + 1) == Some(&c) {
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            b'[' => {
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'.'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens.push(Token {
            text: sql[start..i].to_owned(),
            start,
            end: i,
        });
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_columns_constraints_and_options() {
        let t = TableSql::parse(
            "CREATE TABLE \"a,b\" (\"id\" TEXT PRIMARY KEY, n DECIMAL(10, 2) NOT NULL DEFAULT 0, \
             [p] TEXT REFERENCES parent(id) ON DELETE CASCADE, note TEXT DEFAULT 'x, (y)', \
             CHECK (n > 0), UNIQUE (n, p)) WITHOUT ROWID",
        )
        .unwrap();
        let names: Vec<_> = t
            .items
            .iter()
            .map(|i| match i {
                Item::Column { name, .. } => name.clone(),
                Item::Constraint(sql) => format!("<{sql}>"),
            })
            .collect();
        assert_eq!(
            names,
            ["id", "n", "p", "note", "<CHECK (n > 0)>", "<UNIQUE (n, p)>"]
        );
        assert_eq!(t.options, "WITHOUT ROWID");
        assert_eq!(
            t.column("P"),
            Some("[p] TEXT REFERENCES parent(id) ON DELETE CASCADE")
        );
        assert_eq!(
            t.constraints_naming("n"),
            ["CHECK (n > 0)", "UNIQUE (n, p)"]
        );
        assert!(t
            .create_sql("\"x\"")
            .starts_with("CREATE TABLE \"x\" (\"id\" TEXT PRIMARY KEY, n DECIMAL(10, 2)"));
        assert!(t.create_sql("\"x\"").ends_with(") WITHOUT ROWID"));
    }

    #[test]
    fn rewrites_type_nullability_and_default_keeping_the_rest() {
        let col = "\"p\" TEXT NOT NULL DEFAULT 'a''b' REFERENCES parent(id) ON DELETE CASCADE COLLATE NOCASE";
        assert_eq!(
            rewrite_column(
                col,
                &ColumnRewrite {
                    sql_type: Some("INTEGER".into()),
                    ..Default::default()
                }
            ),
            "\"p\" INTEGER REFERENCES parent(id) ON DELETE CASCADE COLLATE NOCASE NOT NULL DEFAULT 'a''b'"
        );
        assert_eq!(
            rewrite_column(
                col,
                &ColumnRewrite {
                    not_null: Some(false),
                    default: Some(Some("-1".into())),
                    ..Default::default()
                }
            ),
            "\"p\" TEXT REFERENCES parent(id) ON DELETE CASCADE COLLATE NOCASE DEFAULT -1"
        );
        assert_eq!(
            rewrite_column(
                "n DECIMAL(10, 2) DEFAULT -1.5 NULL",
                &ColumnRewrite {
                    default: Some(None),
                    not_null: Some(true),
                    ..Default::default()
                }
            ),
            "n DECIMAL(10, 2) NOT NULL"
        );
        assert_eq!(
            rewrite_column(
                "x",
                &ColumnRewrite {
                    sql_type: Some("TEXT".into()),
                    ..Default::default()
                }
            ),
            "x TEXT"
        );
    }

    #[test]
    fn comments_and_quotes_do_not_split() {
        let t = TableSql::parse("CREATE TABLE t (a TEXT, -- x, y\n b \"TEXT\" /* , */)").unwrap();
        assert_eq!(t.items.len(), 2);
        assert!(TableSql::parse("CREATE TABLE t (a TEXT").is_err());
        assert_eq!(unquote("\"a\"\"b\""), "a\"b");
        assert_eq!(unquote("[a b]"), "a b");
    }
}
