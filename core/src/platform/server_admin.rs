//! The admin API of a self-hosted libSQL server (`sqld --enable-namespaces
//! --admin-listen-addr ...`): one namespace (database) per tenant, created and deleted
//! the way the Turso Platform API creates databases, with the same client (timeout,
//! retries, errors without the token).
//!
//! What sqld 0.24 answers (measured): `POST /v1/namespaces/{ns}/create` with a JSON body
//! → 200 with an empty body, or 400 `{"error":"Namespace `ns` already exists"}`;
//! `DELETE /v1/namespaces/{ns}` → 200, or 404 `{"error":"Namespace `ns` doesn't exist"}`;
//! `GET /v1/namespaces/{ns}/config` → 200 with its config, or the same 404. A create
//! without `Content-Type: application/json` is refused (415), so one is always sent.

use serde_json::json;

use super::http::{ApiClient, ClientOptions, Request};
use super::names;
use crate::error::{ErrorCode, Result};

const SERVICE: &str = "libSQL admin API";

#[derive(Debug)]
pub struct ServerAdmin {
    http: ApiClient,
}

impl ServerAdmin {
    /// `admin_url` is the server's `--admin-listen-addr` as a URL (`http://127.0.0.1:9090`);
    /// `token`, when the admin API is behind an auth key (`--admin-auth-key`).
    pub fn new(admin_url: &str, token: Option<&str>, options: ClientOptions) -> Result<Self> {
        Ok(ServerAdmin {
            http: ApiClient::new(SERVICE, admin_url, token, options)?,
        })
    }

    pub fn http(&self) -> &ApiClient {
        &self.http
    }

    /// Creates an empty namespace; `ALREADY_EXISTS` when there is one of that name.
    pub async fn create_namespace(&self, namespace: &str) -> Result<()> {
        let req = Request::post(path(namespace, "/create")?, Some(json!({})));
        self.http.call(&req).await.map(|_| ())
    }

    /// Creates the namespace unless it exists; `true` when this call created it. Its
    /// create may be sent again after a 429 or 5xx: a repeat finds it made and succeeds.
    pub async fn ensure_namespace(&self, namespace: &str) -> Result<bool> {
        let req = Request::post(path(namespace, "/create")?, Some(json!({}))).idempotent();
        match self.http.call(&req).await {
            Ok(_) => Ok(true),
            Err(err) if err.code == ErrorCode::AlreadyExists => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Deletes the namespace and its database; `NOT_FOUND` when there is none.
    pub async fn delete_namespace(&self, namespace: &str) -> Result<()> {
        let req = Request::delete(path(namespace, "")?);
        self.http.call(&req).await.map(|_| ())
    }

    /// Whether the namespace exists (its config can be read).
    pub async fn has_namespace(&self, namespace: &str) -> Result<bool> {
        let req = Request::get(path(namespace, "/config")?);
        match self.http.call(&req).await {
            Ok(_) => Ok(true),
            Err(err) if err.code == ErrorCode::NotFound => Ok(false),
            Err(err) => Err(err),
        }
    }
}

fn path(namespace: &str, rest: &str) -> Result<String> {
    let namespace = names::namespace(namespace)?;
    Ok(format!("/v1/namespaces/{}{rest}", names::encode(namespace)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_hold_checked_namespaces() {
        assert_eq!(path("t_1", "/create").unwrap(), "/v1/namespaces/t_1/create");
        assert_eq!(path("a.b", "").unwrap_err().code, ErrorCode::InvalidRequest);
        let err = ServerAdmin::new("127.0.0.1:9090", None, ClientOptions::default()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Config);
    }
}
