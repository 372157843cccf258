//! Runs compiled statements against an in-memory libSQL database, so the tests check
//! that SQLite accepts the SQL and that it means what the unit tests claim.

use super::*;

fn v(json: &str) -> Value {
    Value::parse_json(json).unwrap()
}

struct Db {
    conn: libsql::Connection,
}

impl Db {
    async fn new() -> Db {
        // SQLite as the driver starts it, whichever test starts it first.
        crate::store::database::configure_sqlite();
        let db = libsql::Builder::new_local(":memory:")
            .build()
            .await
            .unwrap();
        let conn = db.connect().unwrap();
        conn.execute_batch(
            r#"CREATE TABLE "orders" ("id" TEXT PRIMARY KEY, "status" TEXT, "customer" TEXT,
                   "amount" REAL, "note" TEXT, "we""ird" INTEGER);
               INSERT INTO "orders" VALUES
                   ('1', 'paid', 'ann', 10, NULL, 1),
                   ('2', 'paid', 'bob', 20, 'x', 2),
                   ('3', 'open', 'ann', 30, NULL, 3),
                   ('4', 'void', 'cid', 40, 'y', 4),
                   ('5', 'paid', 'ann', 50, NULL, 5);"#,
        )
        .await
        .unwrap();
        Db { conn }
    }

    /// Every row as `[col, col, ..]` JSON, for compact assertions.
    async fn rows(&self, c: Result<Compiled>) -> String {
        let c = c.unwrap_or_else(|e| panic!("compile failed: {e}"));
        let args: Vec<libsql::Value> = c.args.iter().map(Value::to_sql).collect();
        let mut rows = self
            .conn
            .query(&c.sql, args)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", c.sql));
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            let cells = (0..row.column_count())
                .map(|i| Value::from(row.get_value(i).unwrap()))
                .collect();
            out.push(Value::Array(cells));
        }
        Value::Array(out).to_json()
    }

    /// The result column names, read as the driver reads them (from the statement).
    async fn columns(&self, c: Result<Compiled>) -> Vec<String> {
        let c = c.unwrap_or_else(|e| panic!("compile failed: {e}"));
        let stmt = self
            .conn
            .prepare(&c.sql)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", c.sql));
        stmt.columns().iter().map(|c| c.name().to_owned()).collect()
    }

    /// The error SQLite gives for a statement (query or change) that must fail.
    async fn error(&self, c: Result<Compiled>) -> String {
        let c = c.unwrap_or_else(|e| panic!("compile failed: {e}"));
        let args: Vec<libsql::Value> = c.args.iter().map(Value::to_sql).collect();
        match self.conn.execute(&c.sql, args).await {
            Ok(n) => panic!("{} ran ({n} rows) instead of failing", c.sql),
            Err(e) => e.to_string(),
        }
    }

    async fn ids(&self, filter: &str) -> String {
        let q = format!(r#"{{"fields":["id"],"where":{filter},"sort":"id"}}"#);
        self.rows(compile_find("orders", &v(&q))).await
    }
}

#[tokio::test]
async fn filters_select_the_right_rows() {
    let db = Db::new().await;
    let cases = [
        (r#"{"status":"paid"}"#, r#"[["1"],["2"],["5"]]"#),
        (r#"{"note":null}"#, r#"[["1"],["3"],["5"]]"#),
        (
            r#"{"amount":{"$gte":20,"$lt":50}}"#,
            r#"[["2"],["3"],["4"]]"#,
        ),
        (r#"{"status":{"$in":["open","void"]}}"#, r#"[["3"],["4"]]"#),
        (r#"{"status":{"$in":[]}}"#, "[]"),
        (
            r#"{"status":{"$nin":[]}}"#,
            r#"[["1"],["2"],["3"],["4"],["5"]]"#,
        ),
        (r#"{"note":{"$exists":true}}"#, r#"[["2"],["4"]]"#),
        (r#"{"customer":{"$like":"a%"}}"#, r#"[["1"],["3"],["5"]]"#),
        (r#"{"amount":{"$between":[20,30]}}"#, r#"[["2"],["3"]]"#),
        (
            r#"{"$or":[{"customer":"bob"},{"amount":{"$gt":45}}]}"#,
            r#"[["2"],["5"]]"#,
        ),
        (r#"{"$not":{"status":"paid"}}"#, r#"[["3"],["4"]]"#),
        (r#"{"we\"ird":{"$ne":3}}"#, r#"[["1"],["2"],["4"],["5"]]"#),
        (
            r#"["status","=","paid","and","amount",">",15]"#,
            r#"[["2"],["5"]]"#,
        ),
        // AND binds tighter: paid AND (bob) OR void.
        (
            r#"["status","=","paid","and","customer","=","bob","or","status","=","void"]"#,
            r#"[["2"],["4"]]"#,
        ),
        (
            r#"[["status","=","open","or","status","=","void"],"and",["amount","<",35]]"#,
            r#"[["3"]]"#,
        ),
        (
            r#"{"$and":[["customer","=","cid","or","customer","=","bob"],{"note":"y"}]}"#,
            r#"[["4"]]"#,
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(db.ids(filter).await, expected, "{filter}");
    }
}

#[tokio::test]
async fn pagination_count_and_distinct() {
    let db = Db::new().await;
    let page = |q: &str| compile_find("orders", &v(q));
    assert_eq!(
        db.rows(page(
            r#"{"fields":["id"],"sort":{"id":-1},"limit":2,"skip":1}"#
        ))
        .await,
        r#"[["4"],["3"]]"#
    );
    assert_eq!(
        db.rows(page(r#"{"fields":["id"],"sort":"id","offset":3}"#))
            .await,
        r#"[["4"],["5"]]"#
    );
    assert_eq!(
        db.rows(compile_count("orders", &v(r#"{"status":"paid"}"#)))
            .await,
        "[[3]]"
    );
    assert_eq!(
        db.rows(compile_distinct(
            "orders",
            "customer",
            &v(r#"{"amount":{"$lt":45}}"#)
        ))
        .await,
        r#"[["ann"],["bob"],["cid"]]"#
    );
}

#[tokio::test]
async fn aggregations_run() {
    let db = Db::new().await;
    let agg = |q: &str| compile_aggregate("orders", &v(q));
    assert_eq!(
        db.rows(agg(
            r#"{"groupBy":["customer"],"aggregates":{"t":"sum(amount)","n":"COUNT(*)","d":"count(distinct \"status\")"},
                "filters":{"status":{"$ne":"void"}}}"#
        ))
        .await,
        r#"[["ann",90.0,3,2],["bob",20.0,1,1]]"#
    );
    assert_eq!(
        db.rows(agg(
            r#"[{"$match":{"status":{"$ne":"void"}}},
                {"$group":{"_id":"$customer","total":{"$sum":"$amount"},"n":{"$sum":1},"two":{"$sum":2}}},
                {"$match":{"n":{"$gt":1}}},{"$sort":{"total":-1}},{"$limit":5}]"#
        ))
        .await,
        r#"[["ann",90.0,3,6]]"#
    );
    assert_eq!(
        db.rows(agg(
            r#"{"pipeline":[{"$group":{"_id":null,"avg":{"$avg":"$amount"},"hi":{"$max":"$amount"},"c":{"$count":{}}}},
                {"$match":{"c":{"$gt":0}}}]}"#
        ))
        .await,
        "[[30.0,50.0,5]]"
    );
    // First four rows, then skip two of them.
    assert_eq!(
        db.rows(agg(r#"[{"$sort":{"id":1}},{"$limit":4},{"$skip":2}]"#))
            .await,
        r#"[["3","open","ann",30.0,null,3],["4","void","cid",40.0,"y",4]]"#
    );
}

/// `"t"."missing"` fails where a bare `"missing"` would be read as the string 'missing'
/// (SQLite's double-quoted string fallback, on in the libsql build).
#[tokio::test]
async fn unknown_columns_fail_instead_of_reading_as_strings() {
    let db = Db::new().await;
    let missing = |msg: String| {
        assert!(msg.contains("no such column"), "{msg}");
        assert!(msg.contains("nope"), "{msg}");
    };
    // Even the bare helper's SQL: this SQLite build (SQLite3MultipleCiphers, for
    // encryption) has no double-quoted string fallback, under which every row "matched".
    let bare = compile_filter(&v(r#"{"nope":"nope"}"#)).unwrap();
    let all = Compiled {
        sql: format!(r#"SELECT "id" FROM "orders" WHERE {}"#, bare.sql),
        args: bare.args,
    };
    missing(db.error(Ok(all)).await);
    let find = |q: &str| compile_find("orders", &v(q));
    missing(db.error(find(r#"{"where":{"nope":"nope"}}"#)).await);
    missing(db.error(find(r#"{"where":["nope","=",1]}"#)).await);
    missing(
        db.error(find(r#"{"where":{"$or":[{"id":"1"},{"nope":1}]}}"#))
            .await,
    );
    missing(db.error(find(r#"{"fields":["id","nope"]}"#)).await);
    missing(db.error(find(r#"{"sort":{"nope":-1}}"#)).await);
    missing(db.error(compile_count("orders", &v(r#"{"nope":1}"#))).await);
    missing(
        db.error(compile_distinct("orders", "nope", &Value::Null))
            .await,
    );
    let agg = |q: &str| compile_aggregate("orders", &v(q));
    missing(db.error(agg(r#"{"groupBy":["nope"]}"#)).await);
    missing(db.error(agg(r#"{"aggregates":{"t":"SUM(nope)"}}"#)).await);
    missing(db.error(agg(r#"[{"$match":{"nope":1}}]"#)).await);
    missing(db.error(agg(r#"[{"$group":{"_id":"$nope"}}]"#)).await);
    missing(
        db.error(agg(r#"[{"$group":{"_id":null,"t":{"$sum":"$nope"}}}]"#))
            .await,
    );
    missing(db.error(agg(r#"[{"$sort":{"nope":1}}]"#)).await);

    // The driver's UPDATE .. WHERE and DELETE .. WHERE on one table.
    let filter = compile_filter_in("orders", &v(r#"{"nope":"nope"}"#)).unwrap();
    let change = |sql: String| {
        Ok(Compiled {
            sql,
            args: filter.args.clone(),
        })
    };
    missing(
        db.error(change(format!(
            r#"UPDATE "orders" SET "note" = 'z' WHERE {}"#,
            filter.sql
        )))
        .await,
    );
    missing(
        db.error(change(format!(
            r#"DELETE FROM "orders" WHERE {}"#,
            filter.sql
        )))
        .await,
    );
    assert_eq!(
        db.rows(compile_count("orders", &Value::Null)).await,
        "[[5]]"
    );
}

#[tokio::test]
async fn qualified_filters_change_the_right_rows() {
    let db = Db::new().await;
    let filter =
        compile_filter_in("orders", &v(r#"{"status":"paid","amount":{"$gt":15}}"#)).unwrap();
    let args: Vec<libsql::Value> = filter.args.iter().map(Value::to_sql).collect();
    let sql = format!(r#"UPDATE "orders" SET "note" = 'big' WHERE {}"#, filter.sql);
    assert_eq!(db.conn.execute(&sql, args.clone()).await.unwrap(), 2);
    assert_eq!(db.ids(r#"{"note":"big"}"#).await, r#"[["2"],["5"]]"#);
    let sql = format!(r#"DELETE FROM "orders" WHERE {}"#, filter.sql);
    assert_eq!(db.conn.execute(&sql, args).await.unwrap(), 2);
    assert_eq!(db.ids("null").await, r#"[["1"],["3"],["4"]]"#);
}

/// Qualifying the references leaves the result keys as they were.
#[tokio::test]
async fn result_column_names_are_unchanged() {
    let db = Db::new().await;
    let find = |q: &str| compile_find("orders", &v(q));
    assert_eq!(
        db.columns(find(
            r#"{"fields":["id","we\"ird","amount"],"sort":"amount"}"#
        ))
        .await,
        ["id", "we\"ird", "amount"]
    );
    assert_eq!(
        db.columns(find("{}")).await,
        ["id", "status", "customer", "amount", "note", "we\"ird"]
    );
    let mut q =
        parse_find_query_in("orders", &v(r#"{"fields":["status"],"where":{"id":"2"}}"#)).unwrap();
    q.limit = Some(1);
    let one = compile_find_query("orders", q);
    assert_eq!(db.columns(one.clone()).await, ["status"]);
    assert_eq!(db.rows(one).await, r#"[["paid"]]"#);
    assert_eq!(
        db.columns(compile_distinct("orders", "customer", &Value::Null))
            .await,
        ["customer"]
    );
    assert_eq!(
        db.columns(compile_count("orders", &v(r#"{"id":"1"}"#)))
            .await,
        ["count"]
    );
    let agg = |q: &str| compile_aggregate("orders", &v(q));
    assert_eq!(
        db.columns(agg(
            r#"{"groupBy":["customer","status"],"aggregates":{"t":"SUM(amount)"}}"#
        ))
        .await,
        ["customer", "status", "t"]
    );
    assert_eq!(
        db.columns(agg(
            r#"[{"$group":{"_id":"$customer","total":{"$sum":"$amount"}}},{"$sort":{"_id":-1}}]"#
        ))
        .await,
        ["_id", "total"]
    );
    // A $sort on a result name sorts by that result, even one named like a column; a
    // HAVING on a result name filters groups.
    assert_eq!(
        db.rows(agg(
            r#"[{"$group":{"_id":"$customer","amount":{"$sum":"$amount"},"n":{"$sum":1}}},
                {"$match":{"n":{"$lt":3}}},{"$sort":{"amount":-1}}]"#
        ))
        .await,
        r#"[["cid",40.0,1],["bob",20.0,1]]"#
    );
    assert_eq!(
        db.rows(agg(
            r#"[{"$group":{"_id":"$customer","n":{"$sum":1}}},{"$sort":{"_id":-1}}]"#
        ))
        .await,
        r#"[["cid",1],["bob",1],["ann",3]]"#
    );
}
