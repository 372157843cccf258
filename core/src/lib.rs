//! Pure-Rust core of the native ObjectQL libSQL/Turso driver. No napi here: `cargo test`
//! covers it without Node, and the binding crate only converts values and errors.

pub mod autonumber;
pub mod catalog;
pub mod column_map;
pub mod config;
pub mod dates;
pub mod digest;
pub mod driver;
pub mod error;
pub mod fast_hash;
pub mod identifier;
pub mod migrate;
pub mod notice;
pub mod platform;
pub mod query;
pub mod raw_sql;
pub mod record;
pub mod record_id;
pub mod router;
pub mod rows;
pub mod schema;
pub mod schema_diff;
pub mod shared_schema;
pub mod store;
pub mod temporal;
pub mod tenancy;
pub mod types;
pub mod value;

pub use error::{Error, ErrorCode, Result};
pub use value::Value;
