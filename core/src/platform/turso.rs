//! The Turso Platform API (`/v1/organizations/{org}/...`): databases, their tokens and
//! their groups' tokens, as 4.2.2's `TursoPlatformAPI` called them, the official client
//! (`@tursodatabase/api`) names them, plus [`TursoPlatform::ensure_database`], the
//! provisioning call that several app replicas may make at once.
//!
//! Replies are read field by field: what a caller relies on (`Name`, `Hostname`, `jwt`)
//! must be there with its type, or the call fails with a `DRIVER_ERROR` naming the shape
//! it expected; everything optional is taken when present with its type and skipped
//! otherwise, so a field the API adds or drops later never breaks a call.

use serde_json::{json, Map, Value as Json};

use super::http::{ApiClient, ClientOptions, Reply, Request};
use super::names;
use crate::error::{Error, ErrorCode, Result};

pub const DEFAULT_BASE_URL: &str = "https://api.turso.tech";
const SERVICE: &str = "Turso Platform API";

/// `new TursoPlatformAPI({ orgSlug, apiToken, baseUrl?, timeoutMs?, maxRetries? })`.
#[derive(Debug, Clone, Default)]
pub struct TursoConfig {
    pub org_slug: String,
    pub api_token: String,
    pub base_url: Option<String>,
    pub options: ClientOptions,
}

/// A database as the list and get endpoints describe it (`Name`, `Hostname`, `DbId`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Database {
    pub name: String,
    pub hostname: String,
    pub id: Option<String>,
    pub group: Option<String>,
    pub is_schema: Option<bool>,
    /// The parent schema database of a child database.
    pub schema: Option<String>,
    pub regions: Option<Vec<String>>,
    pub primary_region: Option<String>,
    pub version: Option<String>,
    pub sleeping: Option<bool>,
    pub archived: Option<bool>,
    pub allow_attach: Option<bool>,
    pub block_reads: Option<bool>,
    pub block_writes: Option<bool>,
}

/// The optional part of `createDatabase`: 4.2.2's `group`, and the API's other fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateDatabaseOptions {
    pub group: Option<String>,
    pub seed: Option<Seed>,
    /// The parent schema database this one follows (Multi-DB Schemas).
    pub schema: Option<String>,
    /// This database is a parent schema database.
    pub is_schema: Option<bool>,
    /// `"1gb"`, `"256mb"`, or bytes.
    pub size_limit: Option<String>,
}

/// A new database's first content: a copy of another database, or a dump at a URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seed {
    /// `"database"` or `"dump"`.
    pub kind: String,
    pub name: Option<String>,
    pub url: Option<String>,
    /// A point in time of the seed database (RFC 3339).
    pub timestamp: Option<String>,
}

/// `createToken` / `createGroupToken` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenOptions {
    /// `"2w"`, `"1d"`, `"never"`...
    pub expiration: Option<String>,
    /// `"full-access"` or `"read-only"`.
    pub authorization: Option<String>,
}

/// `listDatabases` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub group: Option<String>,
    /// Only the children of this parent schema database.
    pub schema: Option<String>,
}

/// `ensureDatabase`'s answer: the database, and whether this call created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured {
    pub database: Database,
    pub created: bool,
}

#[derive(Debug)]
pub struct TursoPlatform {
    http: ApiClient,
    /// `/v1/organizations/{org}`, the slug encoded.
    org_path: String,
}

impl TursoPlatform {
    pub fn new(config: TursoConfig) -> Result<Self> {
        if config.org_slug.is_empty() {
            return Err(Error::config("TursoPlatformAPI requires an \"orgSlug\"."));
        }
        if config.api_token.is_empty() {
            return Err(Error::config("TursoPlatformAPI requires an \"apiToken\"."));
        }
        let org = names::other("organization slug (orgSlug)", &config.org_slug)
            .map_err(|err| Error::config(err.message))?;
        let base_url = config.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
        let http = ApiClient::new(SERVICE, base_url, Some(&config.api_token), config.options)?;
        Ok(TursoPlatform {
            http,
            org_path: format!("/v1/organizations/{}", names::encode(org)),
        })
    }

    pub fn http(&self) -> &ApiClient {
        &self.http
    }

    // --- databases ----------------------------------------------------------------------

    /// `POST /databases`: the new database's `{ name, hostname, id }`.
    pub async fn create_database(
        &self,
        name: &str,
        options: &CreateDatabaseOptions,
    ) -> Result<Database> {
        let req = self.create_request(name, options)?;
        let reply = self.http.call(&req).await?;
        self.created(&req, &reply, options)
    }

    /// Creates the database, or returns the existing one when the API answers that it
    /// exists (409): never fails because another caller created it first. Its create may
    /// be sent again after a 429 or 5xx (a repeat that finds the database made by the
    /// first attempt gets the 409 and returns it).
    pub async fn ensure_database(
        &self,
        name: &str,
        options: &CreateDatabaseOptions,
    ) -> Result<Ensured> {
        let req = self.create_request(name, options)?.idempotent();
        match self.http.call(&req).await {
            Ok(reply) => Ok(Ensured {
                database: self.created(&req, &reply, options)?,
                created: true,
            }),
            Err(err) if err.code == ErrorCode::AlreadyExists => Ok(Ensured {
                database: self.existing(name).await?,
                created: false,
            }),
            Err(err) => Err(err),
        }
    }

    /// `GET /databases/{name}`.
    pub async fn get_database(&self, name: &str) -> Result<Database> {
        let req = Request::get(self.database_path(name, "")?);
        let reply = self.http.call(&req).await?;
        let body = self.http.json(&req, &reply)?;
        body.get("database")
            .and_then(database)
            .ok_or_else(|| self.http.shape_error(&req, DATABASE_SHAPE))
    }

    /// `DELETE /databases/{name}`.
    pub async fn delete_database(&self, name: &str) -> Result<()> {
        let req = Request::delete(self.database_path(name, "")?);
        self.http.call(&req).await.map(|_| ())
    }

    /// `GET /databases[?group=..&schema=..]`.
    pub async fn list_databases(&self, options: &ListOptions) -> Result<Vec<Database>> {
        let mut query = Vec::new();
        if let Some(group) = nonempty(&options.group) {
            query.push(("group", names::other("group", group)?));
        }
        if let Some(schema) = nonempty(&options.schema) {
            query.push(("schema", names::database_name(schema)?));
        }
        let req = Request::get(format!(
            "{}/databases{}",
            self.org_path,
            query_string(&query)
        ));
        let reply = self.http.call(&req).await?;
        let body = self.http.json(&req, &reply)?;
        let shape = || {
            self.http.shape_error(
                &req,
                &format!("{{ \"databases\": [{DATABASE_SHAPE}, ...] }}"),
            )
        };
        let listed = body
            .get("databases")
            .and_then(Json::as_array)
            .ok_or_else(shape)?;
        listed
            .iter()
            .map(|db| database(db).ok_or_else(shape))
            .collect()
    }

    // --- tokens -------------------------------------------------------------------------

    /// `POST /databases/{name}/auth/tokens?expiration=..&authorization=..`: a JWT.
    pub async fn create_token(&self, name: &str, options: &TokenOptions) -> Result<String> {
        let path = self.database_path(name, "/auth/tokens")?;
        self.jwt(path, options).await
    }

    /// `POST /groups/{group}/auth/tokens?...`: a JWT valid for every database of the group
    /// (what a multi-tenant router's `groupAuthToken` usually is).
    pub async fn create_group_token(&self, group: &str, options: &TokenOptions) -> Result<String> {
        let path = self.group_path(group, "/auth/tokens")?;
        self.jwt(path, options).await
    }

    /// `POST /groups/{group}/auth/rotate`: every token of the group stops working.
    pub async fn rotate_group_tokens(&self, group: &str) -> Result<()> {
        let req = Request::post(self.group_path(group, "/auth/rotate")?, None);
        self.http.call(&req).await.map(|_| ())
    }

    /// `POST /databases/{name}/auth/rotate`: every token of the database stops working.
    pub async fn rotate_database_tokens(&self, name: &str) -> Result<()> {
        let req = Request::post(self.database_path(name, "/auth/rotate")?, None);
        self.http.call(&req).await.map(|_| ())
    }

    // --- the parts ----------------------------------------------------------------------

    fn database_path(&self, name: &str, rest: &str) -> Result<String> {
        let name = names::database_name(name)?;
        Ok(format!(
            "{}/databases/{}{rest}",
            self.org_path,
            names::encode(name)
        ))
    }

    fn group_path(&self, group: &str, rest: &str) -> Result<String> {
        let group = names::other("group", group)?;
        Ok(format!(
            "{}/groups/{}{rest}",
            self.org_path,
            names::encode(group)
        ))
    }

    fn create_request(&self, name: &str, options: &CreateDatabaseOptions) -> Result<Request> {
        let name = names::database_name(name)?;
        let mut body = Map::new();
        body.insert("name".into(), name.into());
        if let Some(group) = nonempty(&options.group) {
            body.insert("group".into(), names::other("group", group)?.into());
        }
        if let Some(seed) = &options.seed {
            body.insert("seed".into(), seed_json(seed)?);
        }
        if options.is_schema.is_some() && nonempty(&options.schema).is_some() {
            return Err(Error::invalid(
                "createDatabase: give either \"is_schema\" (this database is a parent schema) \
                 or \"schema\" (the parent it follows), not both.",
            ));
        }
        if let Some(schema) = nonempty(&options.schema) {
            body.insert("schema".into(), names::database_name(schema)?.into());
        }
        if let Some(is_schema) = options.is_schema {
            body.insert("is_schema".into(), is_schema.into());
        }
        if let Some(limit) = nonempty(&options.size_limit) {
            body.insert(
                "size_limit".into(),
                names::other("size_limit", limit)?.into(),
            );
        }
        Ok(Request::post(
            format!("{}/databases", self.org_path),
            Some(Json::Object(body)),
        ))
    }

    /// A create's reply (`{ database: { DbId, Hostname, Name } }`) as a [`Database`].
    fn created(
        &self,
        req: &Request,
        reply: &Reply,
        options: &CreateDatabaseOptions,
    ) -> Result<Database> {
        let body = self.http.json(req, reply)?;
        let mut made = body.get("database").and_then(database).ok_or_else(|| {
            self.http.shape_error(
                req,
                "{ \"database\": { \"Name\": string, \"Hostname\": string, \"DbId\"?: string } }",
            )
        })?;
        if made.group.is_none() {
            made.group = nonempty(&options.group).map(str::to_owned);
        }
        Ok(made)
    }

    /// The database another caller created (its create answered 409). It may not be
    /// readable yet while that creation finishes, so a 404 is retried, within the policy.
    async fn existing(&self, name: &str) -> Result<Database> {
        let policy = self.http.options().retry;
        let mut retry = 0;
        loop {
            match self.get_database(name).await {
                Err(err) if err.code == ErrorCode::NotFound && retry < policy.max_retries => {
                    tokio::time::sleep(policy.backoff(retry, super::retry::jitter())).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    async fn jwt(&self, path: String, options: &TokenOptions) -> Result<String> {
        let mut query = Vec::new();
        if let Some(expiration) = nonempty(&options.expiration) {
            query.push(("expiration", names::other("expiration", expiration)?));
        }
        if let Some(authorization) = nonempty(&options.authorization) {
            if !matches!(authorization, "full-access" | "read-only") {
                return Err(Error::invalid(format!(
                    "Token \"authorization\" must be \"full-access\" or \"read-only\", got {authorization:?}."
                )));
            }
            query.push(("authorization", authorization));
        }
        let req = Request::post(format!("{path}{}", query_string(&query)), None);
        let reply = self.http.call(&req).await?;
        let body = self.http.json(&req, &reply)?;
        match body.get("jwt") {
            Some(Json::String(jwt)) if !jwt.is_empty() => Ok(jwt.clone()),
            _ => Err(self.http.shape_error(&req, "{ \"jwt\": string }")),
        }
    }
}

const DATABASE_SHAPE: &str = "{ \"Name\": string, \"Hostname\": string, ... }";

/// A database object of a reply, or `None` without a string `Name` and `Hostname`.
fn database(value: &Json) -> Option<Database> {
    let obj = value.as_object()?;
    let text = |key: &str| obj.get(key).and_then(Json::as_str).map(str::to_owned);
    let flag = |key: &str| obj.get(key).and_then(Json::as_bool);
    Some(Database {
        name: text("Name")?,
        hostname: text("Hostname")?,
        id: text("DbId"),
        group: text("group"),
        is_schema: flag("is_schema"),
        schema: text("schema"),
        regions: obj.get("regions").and_then(Json::as_array).map(|regions| {
            regions
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect()
        }),
        primary_region: text("primaryRegion"),
        version: text("version"),
        sleeping: flag("sleeping"),
        archived: flag("archived"),
        allow_attach: flag("allow_attach"),
        block_reads: flag("block_reads"),
        block_writes: flag("block_writes"),
    })
}

fn seed_json(seed: &Seed) -> Result<Json> {
    let mut out = Map::new();
    match seed.kind.as_str() {
        "database" => {
            let Some(name) = nonempty(&seed.name) else {
                return Err(Error::invalid(
                    "A seed of type \"database\" needs the \"name\" of the database to copy.",
                ));
            };
            out.insert("type".into(), "database".into());
            out.insert("name".into(), names::database_name(name)?.into());
        }
        "dump" => {
            let Some(url) = nonempty(&seed.url) else {
                return Err(Error::invalid(
                    "A seed of type \"dump\" needs the \"url\" of the dump to load.",
                ));
            };
            out.insert("type".into(), "dump".into());
            out.insert("url".into(), names::other("seed url", url)?.into());
        }
        other => {
            return Err(Error::invalid(format!(
                "A seed's \"type\" must be \"database\" or \"dump\", got {other:?}."
            )))
        }
    }
    if let Some(timestamp) = nonempty(&seed.timestamp) {
        out.insert(
            "timestamp".into(),
            names::other("seed timestamp", timestamp)?.into(),
        );
    }
    Ok(json!(out))
}

/// An option that is set and not empty (4.2.2 skipped empty strings the same way).
fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let joined: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", names::encode(value)))
        .collect();
    format!("?{}", joined.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(org: &str) -> TursoPlatform {
        TursoPlatform::new(TursoConfig {
            org_slug: org.into(),
            api_token: "tok".into(),
            base_url: Some("http://127.0.0.1:9//".into()),
            options: ClientOptions::default(),
        })
        .unwrap()
    }

    #[test]
    fn config_names_the_missing_field() {
        let missing = |org: &str, token: &str| {
            TursoPlatform::new(TursoConfig {
                org_slug: org.into(),
                api_token: token.into(),
                ..TursoConfig::default()
            })
            .unwrap_err()
        };
        let err = missing("", "t");
        assert_eq!(err.code, ErrorCode::Config);
        assert!(err.message.contains("orgSlug"));
        assert!(missing("o", "").message.contains("apiToken"));
        assert_eq!(api("o").http().base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn paths_encode_what_they_carry() {
        let api = api("team a/b");
        assert_eq!(api.org_path, "/v1/organizations/team%20a%2Fb");
        assert_eq!(
            api.group_path("eu west", "/auth/tokens").unwrap(),
            "/v1/organizations/team%20a%2Fb/groups/eu%20west/auth/tokens"
        );
        assert_eq!(
            api.database_path("db-1", "").unwrap(),
            "/v1/organizations/team%20a%2Fb/databases/db-1"
        );
        assert_eq!(
            api.database_path("Bad_Name", "").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            query_string(&[("expiration", "2 w"), ("authorization", "read-only")]),
            "?expiration=2%20w&authorization=read-only"
        );
    }

    #[test]
    fn create_bodies_follow_the_api() {
        let api = api("o");
        let req = api
            .create_request(
                "db",
                &CreateDatabaseOptions {
                    group: Some("default".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            req.body.unwrap().to_string(),
            r#"{"name":"db","group":"default"}"#
        );
        let full = CreateDatabaseOptions {
            group: Some("g".into()),
            seed: Some(Seed {
                kind: "database".into(),
                name: Some("src".into()),
                timestamp: Some("2024-01-01T00:00:00Z".into()),
                ..Default::default()
            }),
            schema: Some("parent".into()),
            is_schema: None,
            size_limit: Some("1gb".into()),
        };
        let body = api.create_request("db", &full).unwrap().body.unwrap();
        assert_eq!(body["seed"]["type"], "database");
        assert_eq!(body["seed"]["name"], "src");
        assert_eq!(body["schema"], "parent");
        assert_eq!(body["size_limit"], "1gb");
        let both = CreateDatabaseOptions {
            is_schema: Some(true),
            schema: Some("p".into()),
            ..Default::default()
        };
        assert_eq!(
            api.create_request("db", &both).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        for seed in [
            Seed {
                kind: "database".into(),
                ..Default::default()
            },
            Seed {
                kind: "dump".into(),
                ..Default::default()
            },
            Seed {
                kind: "other".into(),
                ..Default::default()
            },
        ] {
            let options = CreateDatabaseOptions {
                seed: Some(seed),
                ..Default::default()
            };
            assert_eq!(
                api.create_request("db", &options).unwrap_err().code,
                ErrorCode::InvalidRequest
            );
        }
    }

    #[test]
    fn reads_databases_field_by_field() {
        let full = json!({
            "Name": "a", "Hostname": "a-o.turso.io", "DbId": "id1", "group": "default",
            "is_schema": false, "regions": ["ams", 3], "primaryRegion": "ams",
            "sleeping": false, "block_reads": "nope"
        });
        let db = database(&full).unwrap();
        assert_eq!(db.name, "a");
        assert_eq!(db.id.as_deref(), Some("id1"));
        assert_eq!(db.regions, Some(vec!["ams".to_owned()]));
        assert_eq!(db.block_reads, None);
        assert_eq!(database(&json!({ "Name": "a" })), None);
        assert_eq!(database(&json!({ "Name": 1, "Hostname": "h" })), None);
        assert_eq!(database(&json!("a")), None);
    }
}
