//! Unit tests of `compile_aggregate` (kept apart only for file length).

use super::*;
use crate::query::refusal;

fn v(json: &str) -> Value {
    Value::parse_json(json).unwrap()
}

fn agg(json: &str) -> (String, String) {
    let c = compile_aggregate("orders", &v(json)).unwrap_or_else(|e| panic!("{json}: {e}"));
    (c.sql, Value::Array(c.args).to_json())
}

fn refused(json: &str) -> String {
    let err = compile_aggregate("orders", &v(json)).unwrap_err();
    assert!(refusal(err.code), "{json}");
    err.message
}

#[test]
fn grouped_form() {
    assert_eq!(
        agg(
            r#"{"groupBy":["status"],"aggregates":{"total":"SUM(\"amount\")","n":"count(*)"},
                "filters":{"amount":{"$gt":0}}}"#
        ),
        (
            r#"SELECT "orders"."status" AS "status", SUM("orders"."amount") AS "total", COUNT(*) AS "n" FROM "orders" WHERE "orders"."amount" > ? GROUP BY "orders"."status""#
                .into(),
            "[0]".into()
        )
    );
    assert_eq!(
        agg(r#"{"groupBy":["a","b"],"aggregates":{"u":"COUNT(DISTINCT c)"},"where":["x","=",1]}"#),
        (
            r#"SELECT "orders"."a" AS "a", "orders"."b" AS "b", COUNT(DISTINCT "orders"."c") AS "u" FROM "orders" WHERE "orders"."x" = ? GROUP BY "orders"."a", "orders"."b""#
                .into(),
            "[1]".into()
        )
    );
    assert_eq!(
        agg(r#"{"aggregates":{"avg":"avg(price)"}}"#).0,
        r#"SELECT AVG("orders"."price") AS "avg" FROM "orders""#
    );
    assert_eq!(
        agg(r#"{"groupBy":"s"}"#).0,
        r#"SELECT "orders"."s" AS "s" FROM "orders" GROUP BY "orders"."s""#
    );
}

#[test]
fn no_group_and_no_aggregates_selects_everything() {
    assert_eq!(agg("{}").0, r#"SELECT * FROM "orders""#);
    assert_eq!(agg("null").0, r#"SELECT * FROM "orders""#);
    assert_eq!(
        agg(r#"{"where":{"a":1}}"#),
        (
            r#"SELECT * FROM "orders" WHERE "orders"."a" = ?"#.into(),
            "[1]".into()
        )
    );
}

#[test]
fn grouped_form_refusals() {
    for json in [
        r#"{"aggregates":{"t":"SUM(amount); DROP TABLE orders"}}"#,
        r#"{"aggregates":{"t":"LOWER(name)"}}"#,
        r#"{"aggregates":{"t":"SUM(a+b)"}}"#,
        r#"{"aggregates":{"t":5}}"#,
        r#"{"aggregates":["SUM(a)"]}"#,
        r#"{"aggregates":{"$t":"SUM(a)"}}"#,
        r#"{"groupBy":[1]}"#,
        r#"{"groupBy":{"a":1}}"#,
        r#"{"groupBy":["a\"; DROP"],"aggregates":{"t":"SUM(\"x\")"},"filters":{"$bad":1}}"#,
        r#"{"pipeline":{"$match":{}}}"#,
        r#""SELECT 1""#,
    ] {
        refused(json);
    }
}

#[test]
fn pipeline_forms_are_equivalent() {
    let stages = r#"[{"$match":{"status":"paid"}},
        {"$group":{"_id":"$customer","total":{"$sum":"$amount"},"n":{"$sum":1}}},
        {"$sort":{"total":-1}},{"$limit":10}]"#;
    let expected = (
        r#"SELECT "orders"."customer" AS "_id", SUM("orders"."amount") AS "total", COUNT(*) AS "n" FROM "orders" WHERE "orders"."status" = ? GROUP BY "orders"."customer" ORDER BY "total" DESC LIMIT 10"#
            .to_string(),
        r#"["paid"]"#.to_string(),
    );
    assert_eq!(agg(stages), expected);
    assert_eq!(agg(&format!(r#"{{"pipeline":{stages}}}"#)), expected);
}

#[test]
fn every_accumulator() {
    assert_eq!(
        agg(
            r#"[{"$group":{"_id":null,"s":{"$sum":"$a"},"v":{"$avg":"$a"},"lo":{"$min":"$a"},
                "hi":{"$max":"a"},"c":{"$count":{}},"cf":{"$count":"$a"},"one":{"$sum":1.0},
                "two":{"$sum":2}}}]"#
        ),
        (
            r#"SELECT SUM("orders"."a") AS "s", AVG("orders"."a") AS "v", MIN("orders"."a") AS "lo", MAX("orders"."a") AS "hi", COUNT(*) AS "c", COUNT("orders"."a") AS "cf", COUNT(*) AS "one", SUM(?) AS "two" FROM "orders""#
                .into(),
            "[2]".into()
        )
    );
}

#[test]
fn match_after_group_filters_groups() {
    assert_eq!(
        agg(
            r#"[{"$match":{"a":1}},{"$group":{"_id":"$g","t":{"$sum":2}}},{"$match":{"t":{"$gt":5}}},
                {"$match":{}},{"$match":{"a":2}}]"#
        ),
        (
            r#"SELECT "orders"."g" AS "_id", SUM(?) AS "t" FROM "orders" WHERE "orders"."a" = ? GROUP BY "orders"."g" HAVING "t" > ? AND "a" = ?"#
                .into(),
            "[2,1,5,2]".into()
        )
    );
    // Several $match stages before $group are AND-ed, OR chains grouped.
    assert_eq!(
        agg(r#"[{"$match":["a","=",1,"or","b","=",2]},{"$match":{"c":3}}]"#),
        (
            r#"SELECT * FROM "orders" WHERE ("orders"."a" = ? OR "orders"."b" = ?) AND "orders"."c" = ?"#.into(),
            "[1,2,3]".into()
        )
    );
}

#[test]
fn limit_and_skip_follow_pipeline_order() {
    let q = |stages: &str| agg(stages);
    assert_eq!(
        q(r#"[{"$skip":5},{"$limit":10}]"#),
        (
            r#"SELECT * FROM "orders" LIMIT 10 OFFSET ?"#.into(),
            "[5]".into()
        )
    );
    // First 10, then drop 5 of them: 5 rows from offset 5.
    assert_eq!(
        q(r#"[{"$limit":10},{"$skip":5}]"#),
        (
            r#"SELECT * FROM "orders" LIMIT 5 OFFSET ?"#.into(),
            "[5]".into()
        )
    );
    assert_eq!(
        q(r#"[{"$skip":3}]"#),
        (
            r#"SELECT * FROM "orders" LIMIT -1 OFFSET ?"#.into(),
            "[3]".into()
        )
    );
    assert_eq!(
        q(r#"[{"$limit":10},{"$limit":"4"},{"$skip":6}]"#),
        (
            r#"SELECT * FROM "orders" LIMIT 0 OFFSET ?"#.into(),
            "[6]".into()
        )
    );
}

#[test]
fn sort_stage_spellings() {
    assert_eq!(
        agg(r#"[{"$sort":{"a":1,"b":"desc"}}]"#).0,
        r#"SELECT * FROM "orders" ORDER BY "orders"."a" ASC, "orders"."b" DESC"#
    );
}

#[test]
fn sort_keys_naming_group_results_stay_bare() {
    // `_id` and the accumulators are result names; `amount` is a table column here, but
    // `N` names the result "n" (SQLite matches names case-insensitively).
    assert_eq!(
        agg(r#"[{"$sort":{"_id":1,"N":-1,"amount":1}},
                {"$group":{"_id":"$customer","n":{"$sum":1}}}]"#)
        .0,
        r#"SELECT "orders"."customer" AS "_id", COUNT(*) AS "n" FROM "orders" GROUP BY "orders"."customer" ORDER BY "_id" ASC, "N" DESC, "orders"."amount" ASC"#
    );
    // A result named like a column still wins, as it does in SQLite.
    assert_eq!(
        agg(r#"[{"$group":{"_id":null,"amount":{"$max":"$amount"}}},{"$sort":{"amount":-1}}]"#).0,
        r#"SELECT MAX("orders"."amount") AS "amount" FROM "orders" ORDER BY "amount" DESC"#
    );
}

#[test]
fn pipeline_refusals() {
    assert!(refused(r#"[{"$lookup":{}}]"#).contains("$lookup"));
    assert!(refused(r#"[{"$group":{"_id":"$a","x":{"$push":"$b"}}}]"#).contains("$push"));
    refused(r#"[{"$group":{"_id":"$a","x":{"$sum":"$b","$avg":"$b"}}}]"#);
    refused(r#"[{"$group":{"_id":"$a","x":"$b"}}]"#);
    refused(r#"[{"$group":{"_id":"$a","x":{}}}]"#);
    refused(r#"[{"$group":{"_id":"$a","x":{"$avg":1}}}]"#);
    refused(r#"[{"$group":{"_id":"$a","x":{"$sum":true}}}]"#);
    refused(r#"[{"$group":{"_id":{"a":"$a","b":"$b"}}}]"#);
    refused(r#"[{"$group":{"_id":"$$ROOT"}}]"#);
    refused(r#"[{"$group":{"_id":"$"}}]"#);
    refused(r#"[{"$group":{"_id":null}}]"#);
    refused(r#"[{"$group":"x"}]"#);
    assert!(refused(r#"[{"$group":{"_id":"$a"}},{"$group":{"_id":"$b"}}]"#).contains("one $group"));
    refused(r#"[{"$group":{"_id":"$a","$x":{"$sum":1}}}]"#);
    refused(r#"[{"$match":{"a":{"$regex":"x"}}}]"#);
    refused(r#"[{"$match":"a = 1"}]"#);
    refused(r#"[{"$sort":{"a":"sideways"}}]"#);
    refused(r#"[{"$limit":-1}]"#);
    refused(r#"[{"$limit":"5; DROP TABLE orders"}]"#);
    refused(r#"[{"$skip":1.5}]"#);
    refused(r#"["$match"]"#);
    refused(r#"[null]"#);
    let err = compile_aggregate("", &v("[]")).unwrap_err();
    assert!(refusal(err.code));
}
