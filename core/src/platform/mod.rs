//! Provisioning: the HTTP APIs that create the databases a multi-tenant app serves, the
//! Turso Platform API (`turso.rs`) and a self-hosted libSQL server's admin API
//! (`server_admin.rs`), over one client (`http.rs`: pool, deadline, retries, errors
//! without the token), with names checked and encoded before any request (`names.rs`)
//! and the retry rules in one place (`retry.rs`).
//!
//! What differs from 4.2.2's `TursoPlatformAPI` (which called `fetch` once per call):
//! names are validated and path segments encoded; every call has a deadline; idempotent
//! calls are retried on 429 and transient 5xx with backoff and `Retry-After`; replies are
//! checked for the shape the caller relies on; 404 and 409 have codes of their own
//! (`NOT_FOUND`, `ALREADY_EXISTS`) where 4.2.2 said `DRIVER_ERROR` for every status; and
//! `ensureDatabase` / `ensureNamespace` make creation safe to race.
//!
//! To add an endpoint: build its path with `names` (check, then encode), pick its
//! [`Request`] constructor (GET and DELETE are retried, a POST only when marked
//! `idempotent()` because its caller handles "already exists"), call it through
//! [`ApiClient::call`], and read the reply field by field, failing with
//! [`ApiClient::shape_error`] when what the caller relies on is missing.

mod failure;
pub mod http;
#[cfg(test)]
mod http_tests;
pub mod names;
pub mod retry;
pub mod server_admin;
pub mod turso;

pub use http::{ApiClient, ClientOptions, Request};
pub use retry::RetryPolicy;
pub use server_admin::ServerAdmin;
pub use turso::{
    CreateDatabaseOptions, Database, Ensured, ListOptions, Seed, TokenOptions, TursoConfig,
    TursoPlatform,
};
