//! Safe migrations on real files: a plan's actions and counts, the table rebuild keeping
//! rows, indexes, triggers and foreign keys, all-or-nothing application, refusals.

mod common;

use common::*;
use objectql_turso_core::driver::Driver;
use objectql_turso_core::migrate::execute::{execute, Guard};
use objectql_turso_core::migrate::plan::Plan;
use objectql_turso_core::migrate::MigrateOptions;
use objectql_turso_core::store::conn::Conn;
use objectql_turso_core::{ErrorCode, Value};

fn objects(json: &str) -> Vec<Value> {
    v(json).as_array().unwrap().to_vec()
}

fn plan(d: &Driver, json: &str, opts: &str) -> Plan {
    let opts = MigrateOptions::from_value(&v(opts)).unwrap();
    run(d.plan_migration(&objects(json), opts)).unwrap()
}

fn kinds(p: &Plan) -> Vec<&'static str> {
    p.actions.iter().map(|a| a.kind()).collect()
}

fn scalar(d: &Driver, statement: &str) -> Value {
    let (rows, _) = run(d.execute(statement, vec![], None)).unwrap();
    rows.rows[0][0].clone()
}

fn int(d: &Driver, statement: &str) -> i64 {
    scalar(d, statement).as_i64().unwrap()
}

const TASK_TEXT: &str =
    r#"[{"name":"task","fields":{"title":{"type":"text"},"priority":{"type":"text"}}}]"#;
const TASK_INT: &str =
    r#"[{"name":"task","fields":{"title":{"type":"text"},"priority":{"type":"integer"}}}]"#;

/// `task` with `rows` rows whose priority is the text of a number, an index on it, a
/// trigger, and a child table whose rows reference it.
fn tasks(d: &Driver, rows: usize) {
    sync(d, TASK_TEXT);
    sql(
        d,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
             INSERT INTO task (id, title, priority) SELECT 't' || i, 'task ' || i, CAST(i % 5 AS TEXT) FROM n"
        ),
    );
    sql(d, "CREATE INDEX task_by_priority ON task (priority)");
    sql(d, "CREATE TABLE task_log (n INTEGER)");
    sql(
        d,
        "CREATE TRIGGER task_logged AFTER INSERT ON task BEGIN INSERT INTO task_log VALUES (1); END",
    );
    sql(
        d,
        "CREATE TABLE note (id TEXT PRIMARY KEY, task_id TEXT REFERENCES task(id) ON DELETE CASCADE)",
    );
    sql(d, "INSERT INTO note SELECT 'n' || id, id FROM task");
    // A view and another table's trigger that name the table: renaming checks them.
    sql(d, "CREATE VIEW task_titles AS SELECT title FROM task");
    sql(
        d,
        "CREATE TRIGGER note_touches AFTER INSERT ON note BEGIN \
         UPDATE task SET title = title WHERE id = new.task_id; END",
    );
}

#[test]
fn a_type_change_on_10000_rows_keeps_every_row_index_trigger_and_foreign_key() {
    let dir = TempDir::new("migrate-type");
    let d = file_driver(&dir, "t.db");
    tasks(&d, 10_000);
    let keep = r#"{"protectedTables":["note","task_log"]}"#;
    let p = plan(&d, TASK_INT, keep);
    assert_eq!(kinds(&p), ["change_column_type"]);
    assert_eq!(
        p.summary,
        ["task.priority: TEXT → INTEGER, 10,000 rows, every value converts"]
    );
    assert!(p.blocked.is_empty(), "{:?}", p.blocked);
    let done = run(d.apply_migration_plan(&p)).unwrap();
    assert_eq!(done.applied, p.statements.len());
    assert_ne!(done.fingerprint, p.fingerprint);

    assert_eq!(int(&d, "SELECT count(*) FROM task"), 10_000);
    assert_eq!(
        int(
            &d,
            "SELECT count(*) FROM task WHERE typeof(priority) = 'integer'"
        ),
        10_000
    );
    assert_eq!(int(&d, "SELECT sum(priority) FROM task"), 20_000);
    assert_eq!(
        int(
            &d,
            "SELECT count(*) FROM sqlite_master WHERE name IN ('task_by_priority', 'task_logged')"
        ),
        2
    );
    assert_eq!(int(&d, "SELECT count(*) FROM note"), 10_000);
    assert_eq!(
        int(
            &d,
            "SELECT count(*) FROM pragma_foreign_key_list('note') WHERE \"table\" = 'task'"
        ),
        1
    );
    assert_eq!(int(&d, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    sql(
        &d,
        "INSERT INTO task (id, title, priority) VALUES ('new', 'x', 1)",
    );
    assert_eq!(
        int(&d, "SELECT count(*) FROM task_log"),
        1,
        "the trigger still fires"
    );
    // Planned again: nothing left to do.
    assert!(plan(&d, TASK_INT, keep).statements.is_empty());
}

#[test]
fn values_that_will_not_convert_are_counted_and_refused_until_the_caller_chooses() {
    let dir = TempDir::new("migrate-unconvertible");
    let d = file_driver(&dir, "t.db");
    sync(&d, TASK_TEXT);
    for (id, priority) in [
        ("a", "1"),
        ("b", "high"),
        ("c", "2.5"),
        ("d", "0x10"),
        ("e", "3"),
    ] {
        sql(
            &d,
            &format!("INSERT INTO task (id, priority) VALUES ('{id}', '{priority}')"),
        );
    }
    sql(&d, "INSERT INTO task (id, priority) VALUES ('f', NULL)");
    let p = plan(&d, TASK_INT, "null");
    assert_eq!(
        p.summary,
        ["task.priority: TEXT → INTEGER, 6 rows, 3 values will not convert"]
    );
    assert_eq!(p.blocked.len(), 1);
    let before = run(d.schema_fingerprint()).unwrap();
    let err = run(d.apply_migration_plan(&p)).unwrap_err();
    assert_eq!(err.code, ErrorCode::MigrationRefused);
    assert_eq!(run(d.schema_fingerprint()).unwrap(), before);

    let keep = plan(&d, TASK_INT, r#"{"unconvertible":"keep"}"#);
    assert!(keep.blocked.is_empty());
    run(d.apply_migration_plan(&keep)).unwrap();
    let stored: Vec<String> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|id| {
            scalar(
                &d,
                &format!("SELECT typeof(priority) || ':' || coalesce(priority, '') FROM task WHERE id = '{id}'"),
            )
            .as_str()
            .unwrap()
            .to_owned()
        })
        .collect();
    assert_eq!(
        stored,
        [
            "integer:1",
            "text:high",
            "real:2.5",
            "text:0x10",
            "integer:3",
            "null:"
        ]
    );
}

#[test]
fn unconvertible_null_stores_null_and_a_value_arriving_after_the_plan_is_refused() {
    let dir = TempDir::new("migrate-null");
    let d = file_driver(&dir, "t.db");
    sync(&d, TASK_TEXT);
    sql(
        &d,
        "INSERT INTO task (id, priority) VALUES ('a', '7'), ('b', 'x')",
    );
    let p = plan(&d, TASK_INT, r#"{"unconvertible":"null"}"#);
    run(d.apply_migration_plan(&p)).unwrap();
    assert_eq!(
        int(&d, "SELECT count(*) FROM task WHERE priority IS NULL"),
        1
    );
    assert_eq!(int(&d, "SELECT priority FROM task WHERE id = 'a'"), 7);

    // Planned clean, then a bad value is written before it is applied: refused.
    let d2 = file_driver(&dir, "u.db");
    sync(&d2, TASK_TEXT);
    sql(&d2, "INSERT INTO task (id, priority) VALUES ('a', '1')");
    let p = plan(&d2, TASK_INT, "null");
    assert!(p.blocked.is_empty());
    sql(&d2, "INSERT INTO task (id, priority) VALUES ('b', 'oops')");
    let err = run(d2.apply_migration_plan(&p)).unwrap_err();
    assert_eq!(err.code, ErrorCode::MigrationRefused, "{err}");
    assert_eq!(
        scalar(
            &d2,
            "SELECT type FROM pragma_table_info('task') WHERE name = 'priority'"
        ),
        Value::from("TEXT")
    );
}

/// A connection of the test's own with foreign keys on, as an app that enforces them has.
fn enforcing_conn(dir: &TempDir, name: &str) -> Conn {
    run(async {
        let db = libsql::Builder::new_local(dir.file(name))
            .build()
            .await
            .unwrap();
        let conn = Conn::new(db.connect().unwrap());
        conn.batch("PRAGMA foreign_keys = ON").await.unwrap();
        conn
    })
}

#[test]
fn rebuilding_a_parent_keeps_every_child_row_of_an_on_delete_cascade() {
    let dir = TempDir::new("migrate-cascade");
    let d = file_driver(&dir, "t.db");
    tasks(&d, 100);
    let p = plan(&d, TASK_INT, r#"{"protectedTables":["note","task_log"]}"#);
    assert!(p
        .statements
        .iter()
        .any(|s| s.starts_with("DROP TABLE \"task\"")));
    let conn = enforcing_conn(&dir, "t.db");
    // The connection enforces: a plain DROP would cascade.
    run(async {
        let guard = Guard {
            fingerprint: Some(p.fingerprint.clone()),
            checks: p.checks().unwrap(),
        };
        execute(&conn, &p.statements, &guard).await.unwrap();
        let rows = conn.query("PRAGMA foreign_keys", vec![]).await.unwrap();
        assert_eq!(
            rows.rows[0][0].as_i64(),
            Some(1),
            "foreign keys are on again"
        );
    });
    assert_eq!(int(&d, "SELECT count(*) FROM note"), 100);
    assert_eq!(
        int(
            &d,
            "SELECT count(*) FROM task WHERE typeof(priority) = 'integer'"
        ),
        100
    );
    // And the cascade still works on the new parent.
    run(conn.batch("DELETE FROM task WHERE id = 't1'")).unwrap();
    assert_eq!(int(&d, "SELECT count(*) FROM note"), 99);
}

#[test]
fn a_failing_statement_midway_leaves_schema_and_data_unchanged() {
    let dir = TempDir::new("migrate-fail");
    let d = file_driver(&dir, "t.db");
    sync(&d, TASK_TEXT);
    sql(&d, "INSERT INTO task (id, title) VALUES ('a', 'keep me')");
    let before = run(d.schema_fingerprint()).unwrap();
    let statements: Vec<String> = [
        "ALTER TABLE task ADD COLUMN extra TEXT",
        "UPDATE task SET title = 'changed'",
        "CREATE TABLE other (id TEXT)",
        "INSERT INTO no_such_table VALUES (1)",
        "DROP TABLE other",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let err = run(d.execute_migrations(&statements)).unwrap_err();
    assert!(
        err.message.contains("statement 4 of 5") && err.message.contains("no_such_table"),
        "{err}"
    );
    assert_eq!(run(d.schema_fingerprint()).unwrap(), before);
    assert_eq!(
        scalar(&d, "SELECT title FROM task WHERE id = 'a'"),
        Value::from("keep me")
    );
    let ok = run(d.execute_migrations(&statements[..3])).unwrap();
    assert_eq!(ok.applied, 3);
    assert_eq!(ok.logs.len(), 3);
    assert!(ok.logs[0].starts_with("[1/3] ALTER TABLE task ADD COLUMN extra TEXT ("));
}

#[test]
fn a_plan_is_refused_once_the_schema_changed_since() {
    let dir = TempDir::new("migrate-drift");
    let d = file_driver(&dir, "t.db");
    sync(&d, TASK_TEXT);
    let p = plan(&d, TASK_INT, "null");
    // Rows do not change the fingerprint; DDL does.
    sql(&d, "INSERT INTO task (id, priority) VALUES ('a', '1')");
    assert_eq!(run(d.schema_fingerprint()).unwrap(), p.fingerprint);
    sql(&d, "CREATE INDEX by_title ON task (title)");
    let err = run(d.apply_migration_plan(&p)).unwrap_err();
    assert_eq!(err.code, ErrorCode::SchemaDrift, "{err}");
    assert_eq!(
        scalar(
            &d,
            "SELECT type FROM pragma_table_info('task') WHERE name = 'priority'"
        ),
        Value::from("TEXT")
    );
}

#[test]
fn protected_and_sqlite_tables_survive_even_a_destructive_plan() {
    let dir = TempDir::new("migrate-protected");
    let d = file_driver(&dir, "t.db");
    sql(&d, "CREATE TABLE sys_user (id TEXT PRIMARY KEY, old TEXT)");
    sql(&d, "CREATE TABLE _objectstack_sequences (k TEXT)");
    sql(
        &d,
        "CREATE TABLE counted (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)",
    );
    sql(&d, "INSERT INTO counted (v) VALUES ('x')");
    sql(&d, "CREATE TABLE legacy (id TEXT PRIMARY KEY)");
    sql(&d, "INSERT INTO legacy VALUES ('a'), ('b')");
    let p = plan(
        &d,
        r#"[{"name":"sys_user","fields":{}},{"name":"counted","fields":{"v":{}}}]"#,
        r#"{"allowDestructive":true}"#,
    );
    assert_eq!(kinds(&p), ["drop_table"]);
    assert_eq!(
        p.destructive,
        [r#"DROP TABLE "legacy": the table and its 2 rows"#]
    );
    run(d.apply_migration_plan(&p)).unwrap();
    for table in [
        "sys_user",
        "_objectstack_sequences",
        "counted",
        "sqlite_sequence",
    ] {
        assert_eq!(
            int(
                &d,
                &format!("SELECT count(*) FROM sqlite_master WHERE name = '{table}'")
            ),
            1,
            "{table}"
        );
    }
    assert_eq!(
        int(
            &d,
            "SELECT count(*) FROM sqlite_master WHERE name = 'legacy'"
        ),
        0
    );
    assert_eq!(
        int(&d, "SELECT count(*) FROM pragma_table_info('sys_user')"),
        2
    );
}

#[test]
fn destructive_actions_run_only_with_allow_destructive() {
    let dir = TempDir::new("migrate-destructive");
    let d = file_driver(&dir, "t.db");
    sync(&d, TASK_TEXT);
    sql(
        &d,
        "INSERT INTO task (id, title, priority) VALUES ('a', 'x', '1'), ('b', NULL, '2')",
    );
    let only_title = r#"[{"name":"task","fields":{"title":{"type":"text"}}}]"#;
    let p = plan(&d, only_title, "null");
    assert_eq!(kinds(&p), ["drop_column"]);
    assert_eq!(p.summary, ["task.priority: DROP COLUMN, 2 values lost"]);
    assert!(p.statements.is_empty() && p.skipped.len() == 1);
    run(d.apply_migration_plan(&p)).unwrap();
    assert_eq!(int(&d, "SELECT count(*) FROM pragma_table_info('task')"), 3);

    let p = plan(&d, only_title, r#"{"allowDestructive":true}"#);
    run(d.apply_migration_plan(&p)).unwrap();
    assert_eq!(int(&d, "SELECT count(*) FROM pragma_table_info('task')"), 2);
    assert_eq!(int(&d, "SELECT count(*) FROM task"), 2);
}

#[test]
fn defaults_with_quotes_round_trip_and_not_null_follows_storage() {
    let dir = TempDir::new("migrate-defaults");
    let d = file_driver(&dir, "t.db");
    sync(&d, TASK_TEXT);
    sql(&d, "INSERT INTO task (id, title) VALUES ('a', NULL)");
    let quoted = r#"[{"name":"task","fields":{
        "title":{"type":"text","defaultValue":"it's \"quoted\"; DROP TABLE task; --","storage":{"notNull":true}},
        "priority":{"type":"text"}}}]"#;
    let p = plan(&d, quoted, "null");
    assert_eq!(kinds(&p), ["set_not_null", "change_default"]);
    assert_eq!(p.summary[0], "task.title: NOT NULL, 1 row is NULL");
    assert_eq!(
        p.summary[1],
        r#"task.title: DEFAULT none → 'it''s "quoted"; DROP TABLE task; --'"#
    );
    assert_eq!(p.blocked.len(), 1);
    assert_eq!(
        run(d.apply_migration_plan(&p)).unwrap_err().code,
        ErrorCode::MigrationRefused
    );
    sql(&d, "UPDATE task SET title = 'filled'");
    let p = plan(&d, quoted, "null");
    run(d.apply_migration_plan(&p)).unwrap();
    sql(&d, "INSERT INTO task (id) VALUES ('b')");
    assert_eq!(
        scalar(&d, "SELECT title FROM task WHERE id = 'b'"),
        Value::from("it's \"quoted\"; DROP TABLE task; --")
    );
    assert_eq!(
        int(
            &d,
            "SELECT \"notnull\" FROM pragma_table_info('task') WHERE name = 'title'"
        ),
        1
    );
    assert!(plan(&d, quoted, "null").actions.is_empty());
    // And back: nullable, no default.
    let p = plan(&d, TASK_TEXT, "null");
    assert_eq!(kinds(&p), ["set_not_null", "change_default"]);
    assert_eq!(p.summary[0], "task.title: NULL allowed");
    run(d.apply_migration_plan(&p)).unwrap();
    assert!(plan(&d, TASK_TEXT, "null").actions.is_empty());
}

#[test]
fn tables_columns_and_indexes_are_created_and_stale_indexes_dropped() {
    let dir = TempDir::new("migrate-indexes");
    let d = file_driver(&dir, "t.db");
    sync(&d, TASK_TEXT);
    let more = r#"[{"name":"task","fields":{"title":{"type":"text","unique":"global"},"priority":{"type":"text"},
        "due":{"type":"date"}},"indexes":[{"fields":["priority"]}]},
        {"name":"tag","fields":{"label":{"type":"text","unique":"global"}}}]"#;
    let p = plan(&d, more, "null");
    assert_eq!(
        kinds(&p),
        ["add_column", "create_index", "create_index", "create_table"]
    );
    run(d.apply_migration_plan(&p)).unwrap();
    assert!(plan(&d, more, "null").actions.is_empty());

    // The unique field is unique no more: its index goes, but only when asked.
    let p = plan(
        &d,
        TASK_TEXT
            .replace("]", ",{\"name\":\"tag\",\"fields\":{\"label\":{}}}]")
            .as_str(),
        "null",
    );
    assert!(kinds(&p).contains(&"drop_index"), "{:?}", p.summary);
    assert!(p
        .destructive
        .iter()
        .any(|l| l.contains("duplicates become possible")));
}

#[test]
fn rebuild_tables_applies_column_changes_given_directly() {
    use objectql_turso_core::migrate::{ColumnChange, TableChange};
    let dir = TempDir::new("migrate-rebuild-tables");
    let d = file_driver(&dir, "t.db");
    sql(
        &d,
        "CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT NOT NULL DEFAULT 'current_user', b TEXT, c TEXT)",
    );
    sql(&d, "INSERT INTO t VALUES ('1', 'x', NULL, 'gone')");
    let change = |columns: Vec<(&str, ColumnChange)>| {
        vec![TableChange {
            table: "t".into(),
            columns: columns
                .into_iter()
                .map(|(c, w)| (c.to_owned(), w))
                .collect(),
        }]
    };
    // b holds a NULL: making it NOT NULL is refused and nothing changes.
    let err = run(d.rebuild_tables(&change(vec![("b", ColumnChange::NotNull(true))]))).unwrap_err();
    assert_eq!(err.code, ErrorCode::MigrationRefused);
    run(d.rebuild_tables(&change(vec![
        ("a", ColumnChange::NotNull(false)),
        ("a", ColumnChange::Default(None)),
        ("c", ColumnChange::Drop),
    ])))
    .unwrap();
    assert_eq!(
        scalar(&d, "SELECT sql FROM sqlite_master WHERE name = 't'"),
        Value::from("CREATE TABLE \"t\" (id TEXT PRIMARY KEY, a TEXT, b TEXT)")
    );
    assert_eq!(scalar(&d, "SELECT a FROM t"), Value::from("x"));
}

#[test]
fn columns_read_from_definitions_match_what_sqlite_reports() {
    use objectql_turso_core::migrate::live::LiveSchema;
    let dir = TempDir::new("migrate-columns");
    let d = file_driver(&dir, "t.db");
    sync(
        &d,
        r#"[{"name":"task","fields":{"title":{"type":"text","required":true,"defaultValue":"it's"},
            "n":{"type":"integer","defaultValue":-3},"r":{"type":"float","defaultValue":1.5},
            "done":{"type":"boolean","defaultValue":false},"meta":{"type":"json","defaultValue":{"a":"b'c"}}}}]"#,
    );
    for table in [
        "CREATE TABLE a (\"x y\" VARCHAR(10) NOT NULL ON CONFLICT FAIL DEFAULT 'a,(b)', [z] DECIMAL(10, 2) DEFAULT (1 + 2) CHECK (z > 0), `w` BLOB)",
        "CREATE TABLE b (k1 TEXT, k2 INTEGER, v, CONSTRAINT pk PRIMARY KEY (k1, \"k2\")) WITHOUT ROWID",
        "CREATE TABLE c (id INTEGER PRIMARY KEY AUTOINCREMENT, t TEXT COLLATE NOCASE DEFAULT CURRENT_TIMESTAMP NOT NULL, u TEXT UNIQUE REFERENCES a(\"x y\"))",
        "CREATE TABLE d (-- a comment, with a comma\n e TEXT /* another */ DEFAULT +7)",
        "CREATE TABLE g (id TEXT PRIMARY KEY, n INTEGER, twice INTEGER GENERATED ALWAYS AS (n * 2) STORED, \
         half AS (n / 2))",
    ] {
        sql(&d, table);
    }
    sql(&d, "ALTER TABLE d ADD COLUMN f REAL NOT NULL DEFAULT -0.5");
    let conn = enforcing_conn(&dir, "t.db");
    run(async {
        let live = LiveSchema::read(&conn).await.unwrap();
        for table in &live.tables {
            let rows = conn
                .query(
                    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)",
                    vec![Value::from(table.name.as_str())],
                )
                .await
                .unwrap();
            let reported: Vec<String> = rows
                .rows
                .iter()
                .map(|r| {
                    format!(
                        "{}|{}|{}|{:?}|{}",
                        r[0].as_str().unwrap(),
                        r[1].as_str().unwrap(),
                        r[2].as_i64().unwrap() == 1,
                        r[3].as_str(),
                        r[4].as_i64().unwrap() > 0
                    )
                })
                .collect();
            let read: Vec<String> = table
                .columns
                .iter()
                .map(|c| {
                    format!(
                        "{}|{}|{}|{:?}|{}",
                        c.name,
                        c.sql_type,
                        c.not_null,
                        // SQLite reports a parenthesised default without its parentheses;
                        // the reading keeps them, as `CREATE TABLE` is written again.
                        c.default.as_deref().map(|d| d
                            .strip_prefix('(')
                            .and_then(|d| d.strip_suffix(')'))
                            .unwrap_or(d)),
                        c.primary_key
                    )
                })
                .collect();
            assert_eq!(read, reported, "{}", table.sql);
        }
    });
}

#[test]
fn epoch_milliseconds_a_real_left_as_text_are_read_and_converged_as_the_instant() {
    let dir = TempDir::new("migrate-epoch-text");
    let d = kernel_driver(&dir, "t.db");
    // A table an older writer filled: a JS number bound as a REAL into the TEXT column is
    // stored as '1774008000000.0'.
    sql(&d, "CREATE TABLE evt (id TEXT PRIMARY KEY, at TEXT)");
    sql(
        &d,
        "INSERT INTO evt (id, at) VALUES ('e1', 1774008000000.0)",
    );
    assert_eq!(
        scalar(&d, "SELECT at FROM evt"),
        Value::from("1774008000000.0")
    );
    d.register_objects(&[v(r#"{"name":"evt","fields":{"at":{"type":"datetime"}}}"#)])
        .unwrap();
    let read = records(run(d.find("evt", &v("{}"), None)).unwrap());
    assert_eq!(text(&read[0], "at"), "2026-03-20T12:00:00.000Z");
    // The sync's backfill converges it to the stored form.
    sync(
        &d,
        r#"[{"name":"evt","fields":{"at":{"type":"datetime"}}}]"#,
    );
    assert_eq!(
        scalar(&d, "SELECT at FROM evt"),
        Value::from("2026-03-20T12:00:00.000Z")
    );
}

#[test]
fn a_table_with_generated_columns_is_rebuilt_with_them() {
    use objectql_turso_core::migrate::{ColumnChange, TableChange};
    let dir = TempDir::new("migrate-generated");
    let d = file_driver(&dir, "t.db");
    sql(
        &d,
        "CREATE TABLE g (id TEXT PRIMARY KEY, n TEXT, twice INTEGER GENERATED ALWAYS AS (n * 2) STORED)",
    );
    sql(&d, "INSERT INTO g (id, n) VALUES ('a', '21')");
    let change = TableChange {
        table: "g".into(),
        columns: vec![("n".into(), ColumnChange::Type("INTEGER".into()))],
    };
    run(d.rebuild_tables(&[change])).unwrap();
    assert_eq!(int(&d, "SELECT twice FROM g"), 42);
    assert_eq!(
        scalar(&d, "SELECT typeof(n) FROM g"),
        Value::from("integer")
    );
}
