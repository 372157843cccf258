//! `DriverConfig::from_value` errors and what `connect` does with each kind of url.

mod common;

use common::*;
use objectql_turso_core::config::{DriverConfig, Location};
use objectql_turso_core::driver::Driver;
use objectql_turso_core::{ErrorCode, Value};

fn from_json(json: &str) -> objectql_turso_core::Result<DriverConfig> {
    DriverConfig::from_value(&v(json))
}

#[test]
fn a_missing_or_empty_url_is_a_config_error() {
    for json in [
        r#"{"url":""}"#,
        r#"{}"#,
        r#"{"url":null}"#,
        r#"{"authToken":"t"}"#,
    ] {
        let err = expect_err(from_json(json), ErrorCode::Config);
        assert!(
            err.message.contains(r#"requires a "url""#),
            "{json}: {}",
            err.message
        );
        assert!(err.message.contains("Turso driver"), "{}", err.message);
    }
    // Not a string at all.
    let err = expect_err(from_json(r#"{"url":42}"#), ErrorCode::Config);
    assert!(
        err.message.contains(r#"requires a "url""#),
        "{}",
        err.message
    );
    expect_err(DriverConfig::from_value(&Value::Null), ErrorCode::Config);
}

#[test]
fn bad_urls_and_options_are_config_errors() {
    for json in [
        r#"{"url":"ftp://host/db"}"#,
        r#"{"url":"postgres://x"}"#,
        r#"{"url":"just-a-path.db"}"#,
        r#"{"url":":memory:","authToken":5}"#,
        r#"{"url":":memory:","concurrency":-1}"#,
        r#"{"url":":memory:","timeout":"soon"}"#,
        r#"{"url":":memory:","sync":{"intervalSeconds":-5}}"#,
    ] {
        expect_err(from_json(json), ErrorCode::Config);
    }
}

#[test]
fn urls_are_classified() {
    let loc = |url: &str| config(url).expect(url).location;
    assert_eq!(loc(":memory:"), Location::Memory);
    assert_eq!(loc("file::memory:"), Location::Memory);
    assert_eq!(loc("file:/tmp/x.db"), Location::File("/tmp/x.db".into()));
    assert_eq!(loc("file:///tmp/x.db"), Location::File("/tmp/x.db".into()));
    assert_eq!(loc("file:rel.db?mode=rwc"), Location::File("rel.db".into()));
    for url in [
        "libsql://db-org.turso.io",
        "https://db.example.com",
        "http://127.0.0.1:8080",
        "ws://127.0.0.1:8080",
        "wss://db.example.com",
    ] {
        assert!(matches!(loc(url), Location::Remote(_)), "{url}");
    }
    let c =
        from_json(r#"{"url":":memory:","timeout":250,"concurrency":4,"sync":{"onConnect":false}}"#)
            .unwrap();
    assert_eq!(c.busy_timeout_ms(), 250);
    assert_eq!(c.concurrency, 4);
    assert!(!c.sync.on_connect);
}

#[test]
fn configs_this_build_cannot_serve_are_refused_before_any_driver_exists() {
    for (json, names) in [
        (
            r#"{"url":":memory:","syncUrl":"libsql://x.turso.io"}"#,
            "syncUrl",
        ),
        (
            r#"{"url":"file:/tmp/r.db","syncUrl":"file:/tmp/primary.db"}"#,
            "syncUrl",
        ),
        (
            r#"{"url":":memory:","encryptionKey":"secret"}"#,
            "encryptionKey",
        ),
    ] {
        let err = from_json(json).unwrap().check_servable().unwrap_err();
        assert_eq!(err.code, ErrorCode::Config, "{json}");
        assert!(err.message.contains(names), "{json}: {}", err.message);
    }
    for ok in [
        r#"{"url":":memory:"}"#,
        r#"{"url":"file:/tmp/x.db","timeout":10}"#,
        r#"{"url":"libsql://db-org.turso.io","authToken":"t"}"#,
        r#"{"url":"https://db.example.com"}"#,
        r#"{"url":"file:/tmp/r.db","syncUrl":"libsql://x.turso.io"}"#,
    ] {
        from_json(ok).unwrap().check_servable().unwrap();
    }
}

#[test]
fn an_encryption_key_is_refused_at_connect() {
    let cfg = from_json(r#"{"url":":memory:","encryptionKey":"secret"}"#).unwrap();
    let d = Driver::new(cfg);
    let err = expect_err(run(d.connect()).map(|_| ()), ErrorCode::Config);
    assert!(err.message.contains("encryptionKey"), "{}", err.message);
}

#[test]
fn a_file_in_a_missing_directory_gets_its_directories_unless_they_cannot_be_made() {
    let dir = TempDir::new("missing-dir");
    let d = driver(&dir.url("no/such/dir/db.sqlite"));
    assert!(run(d.check_health()));
    assert!(dir.path().join("no/such/dir/db.sqlite").exists());
    // A directory cannot be made under a file.
    std::fs::write(dir.path().join("plain"), b"not a directory").unwrap();
    let d = driver(&dir.url("plain/db.sqlite"));
    let err = expect_err(run(d.connect()).map(|_| ()), ErrorCode::ConnectionFailed);
    assert!(err.message.contains("directory"), "{}", err.message);
    assert!(!run(d.check_health()));
}

#[test]
fn local_drivers_connect_and_report_health() {
    let dir = TempDir::new("health");
    for d in [memory_driver(), file_driver(&dir, "db.sqlite")] {
        assert!(!d.is_connected());
        assert!(run(d.check_health()));
        assert!(d.is_connected());
        // connect is idempotent: the same session.
        let a = run(d.connect()).unwrap();
        let b = run(d.connect()).unwrap();
        assert!(std::sync::Arc::ptr_eq(&a, &b));
        drop((a, b));
        d.disconnect();
        assert!(!d.is_connected());
        assert!(run(d.check_health()));
    }
    assert!(dir.file("db.sqlite").exists());
}
