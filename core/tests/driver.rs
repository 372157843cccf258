//! Schema, CRUD, queries and bulk operations of `Driver` against real SQLite databases
//! (files in temp dirs and `:memory:`), outside transactions.

mod common;

use common::*;
use objectql_turso_core::driver::{Driver, Updated};
use objectql_turso_core::{ErrorCode, Value};

/// A file driver and a `:memory:` one, each with the task schema; the dir outlives both.
fn both_drivers(tag: &str) -> (TempDir, Vec<Driver>) {
    let dir = TempDir::new(tag);
    let drivers = vec![file_driver(&dir, "db.sqlite"), memory_driver()];
    for d in &drivers {
        sync(d, TASK_SCHEMA);
    }
    (dir, drivers)
}

fn column_names(d: &Driver, table: &str) -> Vec<String> {
    let (rows, _) = run(d.execute(
        "SELECT name FROM pragma_table_info(?) ORDER BY cid",
        vec![table.into()],
        None,
    ))
    .expect("pragma_table_info");
    rows.rows
        .into_iter()
        .map(|r| r[0].as_str().expect("column name").to_owned())
        .collect()
}

// --- schema ------------------------------------------------------------------------------

#[test]
fn sync_schema_creates_tables_and_is_idempotent() {
    let dir = TempDir::new("sync-create");
    let d = file_driver(&dir, "db.sqlite");
    sync(&d, TASK_SCHEMA);
    assert_eq!(
        column_names(&d, "task"),
        ["id", "title", "n", "done", "meta", "status"]
    );
    create(&d, "task", r#"{"title":"a"}"#, None);
    // A second identical call changes nothing and keeps the rows.
    sync(&d, TASK_SCHEMA);
    assert_eq!(column_names(&d, "task").len(), 6);
    assert_eq!(count(&d, "task", None), 1);
    assert!(dir.file("db.sqlite").exists());
}

#[test]
fn sync_schema_adds_missing_columns() {
    let (_dir, drivers) = both_drivers("sync-add");
    for d in &drivers {
        let old = create(d, "task", r#"{"title":"old"}"#, None);
        sync(
            d,
            r#"[{"name":"task","fields":{
                "title":{"type":"text","required":true},
                "extra":{"type":"integer","defaultValue":7},
                "tags":{"type":"array"},
                "flag":{"type":"toggle","required":true}
            }},
            {"name":"other","fields":{"x":{}}}]"#,
        );
        let cols = column_names(d, "task");
        for c in [
            "id", "title", "n", "done", "meta", "status", "extra", "tags", "flag",
        ] {
            assert!(cols.iter().any(|x| x == c), "{c} missing from {cols:?}");
        }
        assert_eq!(column_names(d, "other"), ["id", "x"]);
        // Existing rows got the default of the new column.
        let old = only(run(d.find_one("task", &field(&old, "id"), None)).unwrap());
        assert_eq!(field(&old, "extra"), Value::Integer(7));
        // A required column added without a default stays nullable (existing rows).
        assert_eq!(field(&old, "flag"), Value::Null);
        // The kinds of the new fields are learnt.
        let new = create(
            d,
            "task",
            r#"{"title":"new","tags":["a","b"],"flag":1}"#,
            None,
        );
        assert_eq!(field(&new, "tags"), v(r#"["a","b"]"#));
        assert_eq!(field(&new, "flag"), Value::Bool(true));
    }
}

#[test]
fn string_defaults_are_escaped() {
    let (_dir, drivers) = both_drivers("defaults");
    for d in &drivers {
        sync(
            d,
            r#"[{"name":"defs","fields":{
                "quote":{"type":"text","defaultValue":"it's"},
                "inject":{"type":"text","defaultValue":"x'); DROP TABLE task; --"},
                "num":{"type":"number","defaultValue":3},
                "real":{"type":"float","defaultValue":2.5},
                "yes":{"type":"boolean","defaultValue":true},
                "no":{"type":"boolean","defaultValue":"false"},
                "obj":{"type":"json","defaultValue":{"a":"b'c"}},
                "other":{"type":"text"}
            }}]"#,
        );
        let row = create(d, "defs", r#"{"other":"o"}"#, None);
        assert_eq!(text(&row, "quote"), "it's");
        assert_eq!(text(&row, "inject"), "x'); DROP TABLE task; --");
        assert_eq!(field(&row, "num"), Value::Integer(3));
        assert_eq!(field(&row, "real"), Value::Real(2.5));
        assert_eq!(field(&row, "yes"), Value::Bool(true));
        assert_eq!(field(&row, "no"), Value::Bool(false));
        assert_eq!(field(&row, "obj"), v(r#"{"a":"b'c"}"#));
        // The injection attempt did not run.
        assert_eq!(count(d, "task", None), 0);
        assert!(column_names(d, "task").len() >= 6);
    }
}

#[test]
fn required_fields_are_not_null() {
    let (_dir, drivers) = both_drivers("required");
    for d in &drivers {
        let err = expect_err(
            run(d.create("task", rec(r#"{"n":1}"#), None)),
            ErrorCode::Query,
        );
        assert!(err.message.contains("NOT NULL"), "{}", err.message);
        expect_err(
            run(d.create("task", rec(r#"{"title":null}"#), None)),
            ErrorCode::Query,
        );
        assert_eq!(count(d, "task", None), 0);
        let row = create(d, "task", r#"{"title":"ok"}"#, None);
        // Updating a required field to null is refused and leaves the row as it was.
        expect_err(
            run(d.update("task", &field(&row, "id"), rec(r#"{"title":null}"#), None)),
            ErrorCode::Query,
        );
        let again = only(run(d.find_one("task", &field(&row, "id"), None)).unwrap());
        assert_eq!(text(&again, "title"), "ok");
    }
}

#[test]
fn a_composite_primary_key_is_introspected_in_its_key_order() {
    let (_dir, drivers) = both_drivers("introspect-pk");
    for d in &drivers {
        run(d.execute(
            "CREATE TABLE legs (carrier_code TEXT, shipment_id TEXT, PRIMARY KEY (shipment_id, carrier_code))",
            vec![],
            None,
        ))
        .unwrap();
        let schema = run(d.introspect()).unwrap();
        let legs = schema.get("tables").unwrap().get("legs").unwrap();
        assert_eq!(
            legs.get("primaryKeys"),
            Some(&v(r#"["shipment_id","carrier_code"]"#))
        );
    }
}

#[test]
fn introspect_shape() {
    let (_dir, drivers) = both_drivers("introspect");
    for d in &drivers {
        sync(
            d,
            r#"[{"name":"defs","fields":{"quote":{"type":"text","defaultValue":"it's"}}}]"#,
        );
        run(d.execute(
            "CREATE TABLE child (id TEXT PRIMARY KEY, task_id TEXT REFERENCES task(id))",
            vec![],
            None,
        ))
        .unwrap();
        let schema = run(d.introspect()).expect("introspect");
        let tables = schema.get("tables").expect("tables").as_object().unwrap();
        let names: Vec<&str> = tables.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["child", "defs", "task"]);
        assert!(!names.iter().any(|n| n.starts_with("sqlite_")));

        let task = schema.get("tables").unwrap().get("task").unwrap();
        assert_eq!(task.get("name"), Some(&Value::from("task")));
        assert_eq!(task.get("primaryKeys"), Some(&v(r#"["id"]"#)));
        assert_eq!(task.get("foreignKeys"), Some(&v("[]")));
        let columns = task.get("columns").unwrap().as_array().unwrap();
        let col = |name: &str| {
            columns
                .iter()
                .find(|c| c.get("name") == Some(&Value::from(name)))
                .unwrap_or_else(|| panic!("column {name} in {columns:?}"))
                .clone()
        };
        assert_eq!(
            col("id"),
            v(r#"{"name":"id","type":"TEXT","nullable":true,"isPrimary":true}"#)
        );
        assert_eq!(
            col("title"),
            v(r#"{"name":"title","type":"TEXT","nullable":false,"isPrimary":false}"#)
        );
        assert_eq!(col("n").get("type"), Some(&Value::from("INTEGER")));
        assert_eq!(col("done").get("type"), Some(&Value::from("INTEGER")));
        assert_eq!(col("meta").get("type"), Some(&Value::from("TEXT")));
        assert_eq!(col("n").get("nullable"), Some(&Value::Bool(true)));

        let defs = schema.get("tables").unwrap().get("defs").unwrap();
        let quote = defs.get("columns").unwrap().as_array().unwrap()[1].clone();
        assert_eq!(quote.get("name"), Some(&Value::from("quote")));
        assert_eq!(quote.get("defaultValue"), Some(&Value::from("'it''s'")));

        let child = schema.get("tables").unwrap().get("child").unwrap();
        assert_eq!(
            child.get("foreignKeys"),
            Some(&v(
                r#"[{"columnName":"task_id","referencedTable":"task","referencedColumn":"id"}]"#
            ))
        );
    }
}

#[test]
fn drop_table_removes_it() {
    let (_dir, drivers) = both_drivers("drop");
    for d in &drivers {
        create(d, "task", r#"{"title":"a"}"#, None);
        run(d.drop_table("task")).unwrap();
        expect_err(run(d.count("task", &Value::Null, None)), ErrorCode::Query);
        // Dropping a missing table is fine; the schema can be synced again.
        run(d.drop_table("task")).unwrap();
        sync(d, TASK_SCHEMA);
        assert_eq!(count(d, "task", None), 0);
    }
}

// --- CRUD --------------------------------------------------------------------------------

#[test]
fn crud_round_trip_with_json_and_boolean_fields() {
    let (_dir, drivers) = both_drivers("crud");
    for d in &drivers {
        let created = create(
            d,
            "task",
            r#"{"id":"t1","title":"first","n":5,"done":true,"meta":{"tags":["x","y"],"deep":{"k":null}}}"#,
            None,
        );
        assert_eq!(
            created,
            v(
                r#"{"id":"t1","title":"first","n":5,"done":true,"meta":{"tags":["x","y"],"deep":{"k":null}},"status":null}"#
            )
        );
        let found = only(run(d.find_one("task", &Value::from("t1"), None)).unwrap());
        assert_eq!(found, created);

        // false / null / arrays / JSON given as text pass through as documented.
        let second = create(
            d,
            "task",
            r#"{"id":"t2","title":"second","done":false,"meta":"[1,2]"}"#,
            None,
        );
        assert_eq!(field(&second, "done"), Value::Bool(false));
        assert_eq!(field(&second, "meta"), v("[1,2]"));
        let third = create(
            d,
            "task",
            r#"{"id":"t3","title":"third","done":null}"#,
            None,
        );
        assert_eq!(field(&third, "done"), Value::Null);
        assert_eq!(field(&third, "meta"), Value::Null);

        // Stored as JSON text and 0/1.
        let (raw, _) = run(d.execute(
            "SELECT meta, done, typeof(done) FROM task WHERE id = ?",
            vec!["t1".into()],
            None,
        ))
        .unwrap();
        assert_eq!(
            raw.rows[0],
            vec![
                Value::from(r#"{"tags":["x","y"],"deep":{"k":null}}"#),
                Value::Integer(1),
                Value::from("integer")
            ]
        );

        let Updated::Row(updated) = run(d.update(
            "task",
            &Value::from("t1"),
            rec(r#"{"done":false,"meta":{"v":2},"n":6}"#),
            None,
        ))
        .unwrap() else {
            panic!("update of an existing row")
        };
        let updated = only(updated);
        assert_eq!(field(&updated, "done"), Value::Bool(false));
        assert_eq!(field(&updated, "meta"), v(r#"{"v":2}"#));
        assert_eq!(field(&updated, "n"), Value::Integer(6));
        assert_eq!(text(&updated, "title"), "first");

        // find applies kinds too.
        let rows = all(d, "task", None);
        assert_eq!(rows.len(), 3);
        assert_eq!(field(&rows[0], "meta"), v(r#"{"v":2}"#));
        assert_eq!(field(&rows[1], "done"), Value::Bool(false));

        assert!(run(d.find_one("task", &Value::from("nope"), None))
            .unwrap()
            .rows
            .is_empty());
        // find_one by query.
        let by_query =
            only(run(d.find_one("task", &v(r#"{"where":{"title":"third"}}"#), None)).unwrap());
        assert_eq!(text(&by_query, "id"), "t3");
    }
}

#[test]
fn generated_ids_are_16_url_safe_chars() {
    let (_dir, drivers) = both_drivers("ids");
    for d in &drivers {
        let mut seen = std::collections::HashSet::new();
        for json in [
            r#"{"title":"a"}"#,
            r#"{"title":"b","id":null}"#,
            r#"{"title":"c","id":""}"#,
        ] {
            let row = create(d, "task", json, None);
            let id = text(&row, "id");
            assert_eq!(id.len(), 16, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
                "{id}"
            );
            assert!(seen.insert(id));
        }
        let given = create(d, "task", r#"{"title":"d","id":"mine"}"#, None);
        assert_eq!(text(&given, "id"), "mine");
        // Numeric ids are kept; the TEXT key column stores them as text, and a numeric
        // lookup still finds them.
        let numeric = create(d, "task", r#"{"title":"e","id":42}"#, None);
        assert_eq!(field(&numeric, "id"), Value::from("42"));
        let found = only(run(d.find_one("task", &Value::Integer(42), None)).unwrap());
        assert_eq!(text(&found, "title"), "e");
        let found = only(run(d.find_one("task", &Value::Real(42.0), None)).unwrap());
        assert_eq!(text(&found, "title"), "e");
        // Duplicate ids are a unique violation and leave the first row alone.
        expect_err(
            run(d.create("task", rec(r#"{"title":"dup","id":"mine"}"#), None)),
            ErrorCode::UniqueViolation,
        );
        let mine = only(run(d.find_one("task", &Value::from("mine"), None)).unwrap());
        assert_eq!(text(&mine, "title"), "d");
        assert_eq!(count(d, "task", None), 5);
    }
}

#[test]
fn update_of_missing_ids() {
    let (_dir, drivers) = both_drivers("update-missing");
    for d in &drivers {
        let out =
            run(d.update("task", &Value::from("ghost"), rec(r#"{"title":"x"}"#), None)).unwrap();
        assert_eq!(out, Updated::Missing);
        assert_eq!(count(d, "task", None), 0);

        let err = expect_err(
            run(d.update("task", &Value::from("ghost"), Vec::new(), None)),
            ErrorCode::NotFound,
        );
        assert!(err.message.contains("ghost"), "{}", err.message);

        // An empty update of an existing row returns it unchanged.
        create(d, "task", r#"{"id":"here","title":"t","done":true}"#, None);
        match run(d.update("task", &Value::from("here"), Vec::new(), None)).unwrap() {
            Updated::Row(rows) => {
                let row = only(rows);
                assert_eq!(text(&row, "title"), "t");
                assert_eq!(field(&row, "done"), Value::Bool(true));
            }
            Updated::Missing => panic!("existing row reported missing"),
        }
        // Ids that cannot be ids are refused.
        expect_err(
            run(d.update("task", &Value::Bool(true), rec(r#"{"title":"x"}"#), None)),
            ErrorCode::InvalidRequest,
        );
    }
}

// `create` reads its row back by rowid, `update` by id (cheaper than RETURNING); tables
// the driver did not make must come back as stored all the same.

#[test]
fn create_reads_back_from_tables_the_driver_did_not_make() {
    let (_dir, drivers) = both_drivers("read-back");
    for d in &drivers {
        let exec = |sql: &str| run(d.execute(sql, Vec::new(), None)).expect(sql);
        // Without rowids there is nothing to look up: RETURNING serves it.
        exec("CREATE TABLE keyed (id TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID");
        let row = create(d, "keyed", r#"{"id":"k1","n":"7"}"#, None);
        assert_eq!(
            field(&row, "n"),
            Value::Integer(7),
            "read back with INTEGER affinity"
        );
        let row = create(d, "keyed", r#"{"n":8}"#, None);
        assert_eq!(text(&row, "id").len(), 16);
        assert_eq!(count(d, "keyed", None), 2);

        // A column named rowid does not hide the row's own rowid.
        exec("CREATE TABLE shadow (id TEXT PRIMARY KEY, rowid INTEGER, label TEXT)");
        create(
            d,
            "shadow",
            r#"{"id":"s1","rowid":2,"label":"first"}"#,
            None,
        );
        let row = create(
            d,
            "shadow",
            r#"{"id":"s2","rowid":1,"label":"second"}"#,
            None,
        );
        assert_eq!(text(&row, "id"), "s2");
        assert_eq!(text(&row, "label"), "second");

        // A trigger that drops the row: nothing is returned (not the previous row).
        exec("CREATE TABLE guarded (id TEXT PRIMARY KEY, n INTEGER)");
        exec(
            "CREATE TRIGGER no_negatives BEFORE INSERT ON guarded WHEN NEW.n < 0 \
             BEGIN SELECT RAISE(IGNORE); END",
        );
        create(d, "guarded", r#"{"id":"g1","n":1}"#, None);
        let dropped = run(d.create("guarded", rec(r#"{"id":"g2","n":-1}"#), None)).unwrap();
        assert!(dropped.rows.is_empty(), "{dropped:?}");
        assert_eq!(count(d, "guarded", None), 1);

        // A missing table is still a query error, not a silent fallback.
        expect_err(
            run(d.create("nowhere", rec(r#"{"n":1}"#), None)),
            ErrorCode::Query,
        );
    }
}

#[test]
fn update_returns_the_row_under_its_new_id() {
    let (_dir, drivers) = both_drivers("update-id");
    for d in &drivers {
        create(d, "task", r#"{"id":"old","title":"t","done":true}"#, None);
        match run(d.update(
            "task",
            &Value::from("old"),
            rec(r#"{"id":"new","n":"3"}"#),
            None,
        ))
        .unwrap()
        {
            Updated::Row(rows) => {
                let row = only(rows);
                assert_eq!(text(&row, "id"), "new");
                assert_eq!(field(&row, "n"), Value::Integer(3));
                assert_eq!(field(&row, "done"), Value::Bool(true));
            }
            Updated::Missing => panic!("renamed row reported missing"),
        }
        assert_eq!(
            ids(run(d.find("task", &Value::Null, None)).unwrap()),
            ["new"]
        );
    }
}

#[test]
fn delete_returns_whether_a_row_went() {
    let (_dir, drivers) = both_drivers("delete");
    for d in &drivers {
        create(d, "task", r#"{"id":"a","title":"a"}"#, None);
        create(d, "task", r#"{"id":"b","title":"b"}"#, None);
        assert!(run(d.delete("task", &Value::from("a"), None)).unwrap());
        assert!(!run(d.delete("task", &Value::from("a"), None)).unwrap());
        assert!(!run(d.delete("task", &Value::from("zzz"), None)).unwrap());
        assert_eq!(ids(run(d.find("task", &Value::Null, None)).unwrap()), ["b"]);
    }
}

#[test]
fn upsert_inserts_then_updates() {
    let (_dir, drivers) = both_drivers("upsert");
    for d in &drivers {
        let first = only(
            run(d.upsert(
                "task",
                rec(r#"{"id":"u","title":"one","done":true,"meta":[1]}"#),
                &[],
                None,
            ))
            .unwrap(),
        );
        assert_eq!(field(&first, "done"), Value::Bool(true));
        assert_eq!(field(&first, "meta"), v("[1]"));
        let second = only(
            run(d.upsert("task", rec(r#"{"id":"u","title":"two","n":3}"#), &[], None)).unwrap(),
        );
        assert_eq!(text(&second, "title"), "two");
        assert_eq!(field(&second, "n"), Value::Integer(3));
        // Columns not given keep their values.
        assert_eq!(field(&second, "done"), Value::Bool(true));
        assert_eq!(field(&second, "meta"), v("[1]"));
        assert_eq!(count(d, "task", None), 1);
        // Only an id: nothing to update (DO NOTHING), the existing row comes back.
        sync(d, r#"[{"name":"loose","fields":{"x":{"type":"json"}}}]"#);
        run(d.upsert("loose", rec(r#"{"id":"u","x":{"k":1}}"#), &[], None)).unwrap();
        let third = only(run(d.upsert("loose", rec(r#"{"id":"u"}"#), &[], None)).unwrap());
        assert_eq!(field(&third, "x"), v(r#"{"k":1}"#));
        assert_eq!(count(d, "loose", None), 1);
    }
}

fn seed(d: &Driver) {
    for (id, title, n, done, status) in [
        ("a", "alpha", 1, true, "open"),
        ("b", "beta", 2, false, "open"),
        ("c", "gamma", 3, true, "closed"),
        ("d", "delta", 4, false, "closed"),
        ("e", "eps", 5, true, "open"),
    ] {
        run(d.create(
            "task",
            vec![
                ("id".into(), id.into()),
                ("title".into(), title.into()),
                ("n".into(), Value::Integer(n)),
                ("done".into(), done.into()),
                ("status".into(), status.into()),
            ],
            None,
        ))
        .expect("seed");
    }
}

#[test]
fn find_honours_filters_sort_fields_limit_offset() {
    let (_dir, drivers) = both_drivers("find");
    for d in &drivers {
        seed(d);
        let q = |json: &str| ids(run(d.find("task", &v(json), None)).expect(json));
        assert_eq!(q(r#"{"where":{"n":{"$gt":3}}}"#), ["d", "e"]);
        assert_eq!(q(r#"{"filters":{"done":true}}"#), ["a", "c", "e"]);
        assert_eq!(
            q(r#"{"filter":["n","<=",2,"or","id","=","e"]}"#),
            ["a", "b", "e"]
        );
        assert_eq!(
            q(r#"{"where":{"$or":[{"status":"closed"},{"n":{"$in":[1]}}]}}"#),
            ["a", "c", "d"]
        );
        assert_eq!(q(r#"{"where":{"n":{"$in":[]}}}"#), Vec::<String>::new());

        let ordered = records(
            run(d.find(
                "task",
                &v(r#"{"sort":[["n","desc"]],"limit":2,"skip":1,"fields":["id","n"]}"#),
                None,
            ))
            .unwrap(),
        );
        assert_eq!(
            ordered,
            [v(r#"{"id":"d","n":4}"#), v(r#"{"id":"c","n":3}"#)]
        );
        let ordered = records(
            run(d.find(
                "task",
                &v(r#"{"orderBy":[{"field":"status","order":"asc"},{"field":"n","order":"desc"}],"top":3,"fields":["id","done"]}"#),
                None,
            ))
            .unwrap(),
        );
        assert_eq!(
            ordered,
            [
                v(r#"{"id":"d","done":false}"#),
                v(r#"{"id":"c","done":true}"#),
                v(r#"{"id":"e","done":true}"#)
            ]
        );
        // Only an offset.
        assert_eq!(
            q(r#"{"sort":{"n":1},"offset":3}"#).len(),
            2,
            "offset without limit"
        );
        expect_err(
            run(d.find("task", &v(r#"{"sort":[["n","sideways"]]}"#), None)),
            ErrorCode::InvalidRequest,
        );
        expect_err(
            run(d.find("task", &v(r#"{"where":{"n":{"$regex":"x"}}}"#), None)),
            ErrorCode::InvalidFilter,
        );
    }
}

#[test]
fn count_distinct_aggregate_explain() {
    let (_dir, drivers) = both_drivers("queries");
    for d in &drivers {
        seed(d);
        assert_eq!(count(d, "task", None), 5);
        assert_eq!(
            run(d.count("task", &v(r#"{"status":"open"}"#), None)).unwrap(),
            3
        );
        assert_eq!(
            run(d.count("task", &v(r#"{"n":{"$between":[2,4]}}"#), None)).unwrap(),
            3
        );

        let mut statuses = run(d.distinct("task", "status", &Value::Null, None)).unwrap();
        statuses.sort_by_key(|s| s.to_json());
        assert_eq!(statuses, [Value::from("closed"), Value::from("open")]);
        let mut done = run(d.distinct("task", "done", &v(r#"{"n":{"$lt":3}}"#), None)).unwrap();
        done.sort_by_key(|s| s.to_json());
        // Boolean kinds apply to distinct values too.
        assert_eq!(done, [Value::Bool(false), Value::Bool(true)]);

        let grouped = records(
            run(d.aggregate(
                "task",
                &v(r#"{"groupBy":["status"],"aggregates":{"total":"SUM(\"n\")","cnt":"count(*)"},"filters":{"n":{"$gt":1}}}"#),
                None,
            ))
            .unwrap(),
        );
        let mut grouped: Vec<String> = grouped.iter().map(Value::to_json).collect();
        grouped.sort();
        assert_eq!(
            grouped,
            [
                r#"{"status":"closed","total":7,"cnt":2}"#,
                r#"{"status":"open","total":7,"cnt":2}"#
            ]
        );
        let piped = records(
            run(d.aggregate(
                "task",
                &v(r#"[{"$match":{"done":true}},{"$group":{"_id":"$status","sum":{"$sum":"$n"},"max":{"$max":"$n"}}},{"$sort":{"sum":-1}}]"#),
                None,
            ))
            .unwrap(),
        );
        assert_eq!(
            piped,
            [
                v(r#"{"_id":"open","sum":6,"max":5}"#),
                v(r#"{"_id":"closed","sum":3,"max":3}"#)
            ]
        );
        expect_err(
            run(d.aggregate(
                "task",
                &v(r#"{"aggregates":{"x":"SUM(n); DROP TABLE task"}}"#),
                None,
            )),
            ErrorCode::InvalidRequest,
        );

        let plan = run(d.explain("task", &v(r#"{"where":{"id":"a"}}"#), None)).unwrap();
        assert!(plan.columns.iter().any(|c| c == "detail"), "{plan:?}");
        assert!(!plan.rows.is_empty());
        let plan = records(plan);
        assert!(
            plan.iter()
                .any(|r| matches!(r.get("detail"), Some(Value::Text(t)) if t.contains("task"))),
            "{plan:?}"
        );
        // explain did not run the query's effects (nothing to run) and the data is intact.
        assert_eq!(count(d, "task", None), 5);
    }
}

#[test]
fn update_many_and_delete_many() {
    let (_dir, drivers) = both_drivers("many");
    for d in &drivers {
        seed(d);
        let changed = run(d.update_many(
            "task",
            &v(r#"{"status":"open"}"#),
            rec(r#"{"done":false,"meta":{"m":1}}"#),
            None,
        ))
        .unwrap();
        assert_eq!(changed, 3);
        assert_eq!(
            run(d.count("task", &v(r#"{"done":false}"#), None)).unwrap(),
            4
        );
        let a = only(run(d.find_one("task", &Value::from("a"), None)).unwrap());
        assert_eq!(field(&a, "meta"), v(r#"{"m":1}"#));
        assert_eq!(
            run(d.update_many("task", &v(r#"{"status":"open"}"#), Vec::new(), None)).unwrap(),
            0
        );
        assert_eq!(
            run(d.delete_many("task", &v(r#"{"n":{"$gte":4}}"#), None)).unwrap(),
            2
        );
        assert_eq!(
            run(d.delete_many("task", &v(r#"{"n":{"$gte":4}}"#), None)).unwrap(),
            0
        );
        assert_eq!(
            ids(run(d.find("task", &Value::Null, None)).unwrap()),
            ["a", "b", "c"]
        );
        // A stray non-object filter is refused rather than meaning "every row".
        expect_err(
            run(d.delete_many("task", &Value::from("everything"), None)),
            ErrorCode::InvalidFilter,
        );
        assert_eq!(count(d, "task", None), 3);
        // No filter at all does mean every row.
        assert_eq!(run(d.delete_many("task", &Value::Null, None)).unwrap(), 3);
    }
}

#[test]
fn filters_on_missing_columns_are_errors() {
    let (_dir, drivers) = both_drivers("missing-col");
    for d in &drivers {
        seed(d);
        for query in [
            r#"{"where":{"nosuch":1}}"#,
            r#"{"where":{"nosuch":null}}"#,
            r#"{"where":{"$or":[{"n":1},{"nosuch":{"$ne":1}}]}}"#,
            r#"{"filters":["nosuch","=","x"]}"#,
            r#"{"sort":[["nosuch","asc"]]}"#,
            r#"{"fields":["id","nosuch"]}"#,
        ] {
            let err = expect_err(run(d.find("task", &v(query), None)), ErrorCode::Query);
            assert!(err.message.contains("nosuch"), "{query}: {}", err.message);
        }
        expect_err(
            run(d.count("task", &v(r#"{"nosuch":1}"#), None)),
            ErrorCode::Query,
        );
        expect_err(
            run(d.distinct("task", "nosuch", &Value::Null, None)),
            ErrorCode::Query,
        );
        expect_err(
            run(d.find_one("task", &v(r#"{"where":{"nosuch":1}}"#), None)),
            ErrorCode::Query,
        );
        expect_err(
            run(d.aggregate(
                "task",
                &v(r#"{"groupBy":["nosuch"],"aggregates":{"c":"COUNT(*)"}}"#),
                None,
            )),
            ErrorCode::Query,
        );
        expect_err(
            run(d.find("missing_table", &Value::Null, None)),
            ErrorCode::Query,
        );
    }
}

#[test]
fn many_writes_with_missing_column_filters_change_nothing() {
    let (_dir, drivers) = both_drivers("missing-col-writes");
    for d in &drivers {
        seed(d);
        expect_err(
            run(d.delete_many("task", &v(r#"{"nosuch":1}"#), None)),
            ErrorCode::Query,
        );
        expect_err(
            run(d.delete_many("task", &v(r#"{"nosuch":{"$ne":"x"}}"#), None)),
            ErrorCode::Query,
        );
        assert_eq!(count(d, "task", None), 5);
        expect_err(
            run(d.update_many(
                "task",
                &v(r#"{"nosuch":1}"#),
                rec(r#"{"title":"changed"}"#),
                None,
            )),
            ErrorCode::Query,
        );
        assert_eq!(
            run(d.count("task", &v(r#"{"title":"changed"}"#), None)).unwrap(),
            0
        );
        // Setting a missing column fails too.
        expect_err(
            run(d.update_many("task", &Value::Null, rec(r#"{"nosuch":1}"#), None)),
            ErrorCode::Query,
        );
        expect_err(
            run(d.create("task", rec(r#"{"title":"x","nosuch":1}"#), None)),
            ErrorCode::Query,
        );
        assert_eq!(count(d, "task", None), 5);
    }
}

// --- bulk --------------------------------------------------------------------------------

#[test]
fn bulk_create_counts_and_returns_rows() {
    let (_dir, drivers) = both_drivers("bulk");
    for d in &drivers {
        let (n, rows) = run(d.bulk_create(
            "task",
            vec![
                batch(
                    &["title", "done", "meta"],
                    r#"[["a",true,{"x":1}],["b",false,null]]"#,
                ),
                batch(&["id", "title"], r#"[["given","c"]]"#),
            ],
            true,
            None,
        ))
        .unwrap();
        assert_eq!(n, 3);
        let rows = records(rows);
        assert_eq!(rows.len(), 3);
        assert_eq!(field(&rows[0], "done"), Value::Bool(true));
        assert_eq!(field(&rows[0], "meta"), v(r#"{"x":1}"#));
        assert_eq!(text(&rows[0], "id").len(), 16);
        assert_eq!(field(&rows[1], "done"), Value::Bool(false));
        assert_eq!(text(&rows[2], "id"), "given");

        let (n, rows) = run(d.bulk_create(
            "task",
            vec![batch(&["title"], r#"[["d"],["e"]]"#)],
            false,
            None,
        ))
        .unwrap();
        assert_eq!((n, rows.rows.len()), (2, 0));
        let (n, _) = run(d.bulk_create("task", vec![], true, None)).unwrap();
        assert_eq!(n, 0);
        assert_eq!(count(d, "task", None), 5);
    }
}

#[test]
fn bulk_create_is_atomic() {
    let (_dir, drivers) = both_drivers("bulk-atomic");
    for d in &drivers {
        create(d, "task", r#"{"id":"keep","title":"keep"}"#, None);
        for returning in [true, false] {
            let err = expect_err(
                run(d.bulk_create("task", vec![batch_failing_at_row_3()], returning, None)),
                ErrorCode::Query,
            );
            assert!(err.message.contains("NOT NULL"), "{}", err.message);
            assert_eq!(
                ids(run(d.find("task", &Value::Null, None)).unwrap()),
                ["keep"]
            );
        }
        // A failure in a later batch undoes the earlier batches too (duplicate id).
        expect_err(
            run(d.bulk_create(
                "task",
                vec![
                    batch(&["title"], r#"[["x1"],["x2"]]"#),
                    batch(&["id", "title"], r#"[["new","y"],["keep","dup"]]"#),
                ],
                false,
                None,
            )),
            ErrorCode::UniqueViolation,
        );
        assert_eq!(count(d, "task", None), 1);
        // The driver is still usable and not stuck in a transaction.
        let (n, _) = run(d.bulk_create(
            "task",
            vec![batch(&["title"], r#"[["ok1"],["ok2"]]"#)],
            false,
            None,
        ))
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(count(d, "task", None), 3);
    }
}

#[test]
fn bulk_update_and_bulk_delete() {
    let (_dir, drivers) = both_drivers("bulk-update");
    for d in &drivers {
        seed(d);
        let changed = run(d.bulk_update(
            "task",
            vec![
                ("a".into(), rec(r#"{"title":"A","done":false}"#)),
                ("b".into(), rec(r#"{"meta":{"b":true}}"#)),
                ("ghost".into(), rec(r#"{"title":"G"}"#)),
                ("c".into(), Vec::new()),
            ],
            false,
            None,
        ))
        .unwrap()
        .0;
        assert_eq!(changed, 2);
        let a = only(run(d.find_one("task", &Value::from("a"), None)).unwrap());
        assert_eq!(
            (text(&a, "title"), field(&a, "done")),
            ("A".into(), false.into())
        );
        let b = only(run(d.find_one("task", &Value::from("b"), None)).unwrap());
        assert_eq!(field(&b, "meta"), v(r#"{"b":true}"#));

        // Atomic: the second update violates NOT NULL, so the first is undone.
        expect_err(
            run(d.bulk_update(
                "task",
                vec![
                    ("c".into(), rec(r#"{"title":"C"}"#)),
                    ("d".into(), rec(r#"{"title":null}"#)),
                ],
                false,
                None,
            )),
            ErrorCode::Query,
        );
        let c = only(run(d.find_one("task", &Value::from("c"), None)).unwrap());
        assert_eq!(text(&c, "title"), "gamma");

        let deleted = run(d.bulk_delete(
            "task",
            vec!["a".into(), "b".into(), "a".into(), "ghost".into()],
            None,
        ))
        .unwrap();
        assert_eq!(deleted, 2);
        assert_eq!(
            ids(run(d.find("task", &Value::Null, None)).unwrap()),
            ["c", "d", "e"]
        );
        expect_err(
            run(d.bulk_delete("task", vec!["c".into(), Value::Bool(true)], None)),
            ErrorCode::InvalidRequest,
        );
        assert_eq!(count(d, "task", None), 3);
    }
}

#[test]
fn data_persists_across_disconnect_on_a_file() {
    let dir = TempDir::new("persist");
    let d = file_driver(&dir, "db.sqlite");
    sync(&d, TASK_SCHEMA);
    create(
        &d,
        "task",
        r#"{"id":"p","title":"kept","meta":{"a":1},"done":true}"#,
        None,
    );
    assert!(d.is_connected());
    d.disconnect();
    assert!(!d.is_connected());
    d.disconnect();
    // Lazily reconnects; kinds learnt before the disconnect still apply.
    let row = only(run(d.find_one("task", &Value::from("p"), None)).unwrap());
    assert_eq!(field(&row, "meta"), v(r#"{"a":1}"#));
    assert_eq!(field(&row, "done"), Value::Bool(true));
    assert!(run(d.check_health()));

    // A fresh driver on the same file sees the data too.
    drop(d);
    let d2 = file_driver(&dir, "db.sqlite");
    assert_eq!(count(&d2, "task", None), 1);
}
