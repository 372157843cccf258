//! Encryption at rest (`encryptionKey`, libSQL's AES-256 cipher): a file written with a
//! key is unreadable without it, or with another, and readable with it; the bytes on disk
//! do not hold the data. Replicas too.

mod common;

use common::sqld::Sqld;
use common::*;
use objectql_turso_core::config::DriverConfig;
use objectql_turso_core::driver::{Call, Driver};
use objectql_turso_core::{ErrorCode, Value};

const SECRET: &str = "a-very-recognisable-secret-value";

fn keyed(url: &str, key: Option<&str>, sync_url: Option<&str>) -> Driver {
    let mut pairs = vec![("url".to_owned(), Value::from(url))];
    if let Some(key) = key {
        pairs.push(("encryptionKey".into(), key.into()));
    }
    if let Some(sync_url) = sync_url {
        pairs.push(("syncUrl".into(), sync_url.into()));
    }
    Driver::new(DriverConfig::from_value(&Value::Object(pairs)).unwrap())
}

fn notes() -> Vec<Value> {
    match v(r#"[{"name":"note","fields":{"body":{"type":"text"}}}]"#) {
        Value::Array(items) => items,
        _ => unreachable!(),
    }
}

fn secret_record() -> objectql_turso_core::record::Record {
    rec(&format!(r#"{{"body":"{SECRET}"}}"#))
}

#[test]
fn a_file_written_with_a_key_is_read_only_with_it() {
    let dir = TempDir::new("encrypted");
    let url = dir.url("secret.db");
    {
        let d = keyed(&url, Some("key-one"), None);
        run(d.sync_schema(&notes())).unwrap();
        run(d.create("note", secret_record(), Call::default())).unwrap();
        d.disconnect();
    }
    for file in ["secret.db", "secret.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.file(file)) {
            let plain = bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes());
            assert!(!plain, "{file} holds the data in plain text");
        }
    }
    for (key, says) in [
        (None, "pass its encryptionKey"),
        (Some("key-two"), "not the one"),
    ] {
        let err = run(keyed(&url, key, None).connect())
            .map(|_| ())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::ConnectionFailed, "{err:?}");
        assert!(err.message.contains(says), "{}", err.message);
    }
    let d = keyed(&url, Some("key-one"), None);
    let rows = run(d.find("note", &v("{}"), Call::default())).unwrap();
    assert_eq!(rows.first_value("body"), Some(&Value::from(SECRET)));
}

#[test]
fn an_encryption_key_needs_a_file() {
    // A memory database has no file to encrypt. (A server url with a key is served as the
    // server, with a warning, as 4.2.2 served it: see `__test__/drop-in-fixes.test.ts`.)
    let cfg = DriverConfig::from_value(&v(r#"{"url":":memory:","encryptionKey":"k"}"#)).unwrap();
    let err = cfg.check_servable().unwrap_err();
    assert_eq!(err.code, ErrorCode::Config);
    assert!(err.message.contains("encryptionKey"), "{}", err.message);
}

#[test]
fn a_replica_file_is_encrypted_too() {
    let primary = Sqld::start("encrypted-primary");
    let dir = TempDir::new("encrypted-replica");
    let url = dir.url("replica.db");
    rt().block_on(async {
        let d = keyed(&url, Some("replica-key"), Some(&primary.url()));
        d.sync_schema(&notes()).await.unwrap();
        d.create("note", secret_record(), Call::default())
            .await
            .unwrap();
        let rows = d.find("note", &v("{}"), Call::default()).await.unwrap();
        assert_eq!(rows.first_value("body"), Some(&Value::from(SECRET)));
        d.disconnect();
    });
    let bytes = std::fs::read(dir.file("replica.db")).unwrap();
    assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
}
