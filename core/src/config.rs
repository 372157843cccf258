//! `TursoDriverConfig`, validated once at construction.

use crate::error::{Error, Result};
use crate::value::Value;

/// How long a local write waits for another connection's transaction by default.
pub const DEFAULT_BUSY_TIMEOUT_MS: u64 = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A private in-memory database (each driver has its own).
    Memory,
    /// A local SQLite file.
    File(String),
    /// A libSQL server or Turso Cloud (`libsql://`, `https://`, `http://`, `ws://`, `wss://`).
    Remote(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    pub interval_seconds: f64,
    pub on_connect: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DriverConfig {
    pub url: String,
    pub location: Location,
    pub auth_token: Option<String>,
    pub encryption_key: Option<String>,
    pub concurrency: u32,
    pub sync_url: Option<String>,
    pub sync: SyncConfig,
    pub timeout_ms: Option<u64>,
    /// Serving the ObjectStack kernel (`contract: 'objectstack'`) rather than 4.2.2 callers.
    pub kernel: bool,
}

impl DriverConfig {
    pub fn from_value(config: &Value) -> Result<DriverConfig> {
        let url = match config.get("url") {
            Some(Value::Text(url)) if !url.is_empty() => url.clone(),
            Some(other) if !matches!(other, Value::Text(_)) => {
                return Err(Error::config(format!(
                    "Turso driver requires a \"url\" string in configuration, got {}.",
                    other.type_name()
                )))
            }
            _ => {
                return Err(Error::config(
                    "Turso driver requires a \"url\" in configuration.",
                ))
            }
        };
        let location = parse_location(&url)?;
        let sync = config.get("sync");
        Ok(DriverConfig {
            location,
            auth_token: optional_string(config, "authToken")?,
            encryption_key: optional_string(config, "encryptionKey")?,
            concurrency: optional_number(config, "concurrency")?.map_or(20, |n| n.max(1.0) as u32),
            sync_url: optional_string(config, "syncUrl")?,
            sync: SyncConfig {
                interval_seconds: match sync {
                    Some(s) => optional_number(s, "intervalSeconds")?.unwrap_or(60.0),
                    None => 60.0,
                },
                on_connect: sync
                    .and_then(|s| s.get("onConnect"))
                    .is_none_or(|v| !matches!(v, Value::Bool(false))),
            },
            timeout_ms: optional_number(config, "timeout")?.map(|ms| ms as u64),
            kernel: match config.get("contract") {
                None => false,
                Some(Value::Text(c)) if c == "objectstack" => true,
                Some(Value::Text(c)) if c == "objectql" => false,
                Some(other) => {
                    return Err(Error::config(format!(
                        "Turso driver option \"contract\" must be \"objectql\" or \"objectstack\", got {}.",
                        other.to_json()
                    )))
                }
            },
            url,
        })
    }

    pub fn busy_timeout_ms(&self) -> u64 {
        self.timeout_ms.unwrap_or(DEFAULT_BUSY_TIMEOUT_MS)
    }
}

fn parse_location(url: &str) -> Result<Location> {
    if url == ":memory:" {
        return Ok(Location::Memory);
    }
    if let Some(rest) = url.strip_prefix("file:") {
        // `file:///abs`, `file://localhost/abs` and `file:rel` all name a path.
        let path = rest
            .strip_prefix("//localhost")
            .or_else(|| rest.strip_prefix("//"))
            .unwrap_or(rest);
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            return Ok(Location::Memory);
        }
        if path.contains('\0') {
            return Err(Error::config(
                "The database path must not contain NUL characters.",
            ));
        }
        return Ok(Location::File(path.to_owned()));
    }
    let remote = ["libsql://", "https://", "http://", "ws://", "wss://"];
    if remote.iter().any(|scheme| url.starts_with(scheme)) {
        return Ok(Location::Remote(url.to_owned()));
    }
    Err(Error::config(format!(
        "Unsupported Turso driver url \"{url}\": use \":memory:\", \"file:<path>\", or a libsql://, https://, http://, ws:// or wss:// URL."
    )))
}

fn optional_string(config: &Value, key: &str) -> Result<Option<String>> {
    match config.get(key) {
        None => Ok(None),
        Some(Value::Text(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Error::config(format!(
            "Turso driver option \"{key}\" must be a string, got {}.",
            other.type_name()
        ))),
    }
}

fn optional_number(config: &Value, key: &str) -> Result<Option<f64>> {
    match config.get(key) {
        None => Ok(None),
        Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as f64)),
        Some(Value::Real(f)) if f.is_finite() && *f >= 0.0 => Ok(Some(*f)),
        Some(other) => Err(Error::config(format!(
            "Turso driver option \"{key}\" must be a non-negative number, got {}.",
            other.to_json()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn config(pairs: Vec<(&str, Value)>) -> Result<DriverConfig> {
        DriverConfig::from_value(&Value::Object(
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ))
    }

    #[test]
    fn requires_a_url() {
        for cfg in [vec![], vec![("url", Value::from(""))]] {
            let err = config(cfg).unwrap_err();
            assert_eq!(err.code, ErrorCode::Config);
            assert!(err.message.contains("requires a \"url\""));
        }
    }

    #[test]
    fn classifies_urls() {
        let loc = |u: &str| config(vec![("url", u.into())]).map(|c| c.location);
        assert_eq!(loc(":memory:").unwrap(), Location::Memory);
        assert_eq!(loc("file:./a.db").unwrap(), Location::File("./a.db".into()));
        assert_eq!(
            loc("file:///tmp/a.db").unwrap(),
            Location::File("/tmp/a.db".into())
        );
        assert!(matches!(
            loc("libsql://x.turso.io").unwrap(),
            Location::Remote(_)
        ));
        assert_eq!(loc("ftp://x").unwrap_err().code, ErrorCode::Config);
    }

    #[test]
    fn reads_sync_defaults() {
        let c = config(vec![("url", ":memory:".into())]).unwrap();
        assert_eq!(c.sync.interval_seconds, 60.0);
        assert!(c.sync.on_connect);
        assert_eq!(c.concurrency, 20);
        assert_eq!(c.busy_timeout_ms(), DEFAULT_BUSY_TIMEOUT_MS);
    }
}
