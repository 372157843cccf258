//! napi binding of the native ObjectQL libSQL/Turso driver. All logic lives in the
//! `driver-core` crate; this crate converts values and errors and forwards calls.

mod answer;
mod columns;
mod convert;
pub mod driver;
mod error;
pub mod helpers;
pub mod limits;
pub mod migrations;
pub mod platform;
pub mod router;
pub mod schema_diff;
pub mod tenant_schema;
