//! `NativeTursoPlatform` and `NativeServerAdmin`: the napi faces of the provisioning
//! clients in `driver_core::platform`. Options and replies are converted here; every call
//! runs on napi's runtime and answers with a Promise (see `answer::spawn`). The JS classes
//! (`lib/platform.js`) check argument types and shape the 4.2.2 call forms first.

use std::convert::identity;
use std::sync::Arc;
use std::time::Duration;

use driver_core::platform::{
    ClientOptions, CreateDatabaseOptions, Database, ListOptions, RetryPolicy, Seed, ServerAdmin,
    TokenOptions, TursoConfig, TursoPlatform,
};
use driver_core::Error;
use napi::Env;
use napi_derive::napi;

use crate::answer::{spawn, Answer};
use crate::error::{coded, Coded};

/// Timeout and retries, shared by both clients.
#[napi(object)]
pub struct HttpOptions {
    /// The whole call, retries and waits included (ms; default 30000).
    pub timeout_ms: Option<f64>,
    /// Retries of an idempotent call on 429 / 5xx (default 3).
    pub max_retries: Option<f64>,
    /// First backoff wait before jitter, doubled per retry (ms; default 250).
    pub retry_base_ms: Option<f64>,
}

#[napi(object)]
pub struct PlatformConfig {
    pub org_slug: String,
    pub api_token: String,
    pub base_url: Option<String>,
    pub http: Option<HttpOptions>,
}

#[napi(object)]
pub struct AdminConfig {
    pub admin_url: String,
    pub auth_token: Option<String>,
    pub http: Option<HttpOptions>,
}

#[napi(object)]
pub struct SeedInput {
    /// `database` or `dump`.
    pub r#type: String,
    pub name: Option<String>,
    pub url: Option<String>,
    pub timestamp: Option<String>,
}

#[napi(object)]
pub struct CreateDatabaseInput {
    pub group: Option<String>,
    pub seed: Option<SeedInput>,
    pub schema: Option<String>,
    #[napi(js_name = "is_schema")]
    pub is_schema: Option<bool>,
    #[napi(js_name = "size_limit")]
    pub size_limit: Option<String>,
}

#[napi(object)]
pub struct TokenInput {
    pub expiration: Option<String>,
    pub authorization: Option<String>,
}

#[napi(object)]
pub struct ListInput {
    pub group: Option<String>,
    pub schema: Option<String>,
}

/// A database as the API describes it; `created` is set by `ensureDatabase` only.
#[napi(object)]
pub struct DatabaseOutput {
    pub name: String,
    pub hostname: String,
    pub id: Option<String>,
    pub group: Option<String>,
    #[napi(js_name = "is_schema")]
    pub is_schema: Option<bool>,
    pub schema: Option<String>,
    pub regions: Option<Vec<String>>,
    pub primary_region: Option<String>,
    pub version: Option<String>,
    pub sleeping: Option<bool>,
    pub archived: Option<bool>,
    #[napi(js_name = "allow_attach")]
    pub allow_attach: Option<bool>,
    #[napi(js_name = "block_reads")]
    pub block_reads: Option<bool>,
    #[napi(js_name = "block_writes")]
    pub block_writes: Option<bool>,
    pub created: Option<bool>,
}

impl From<Database> for DatabaseOutput {
    fn from(db: Database) -> Self {
        DatabaseOutput {
            name: db.name,
            hostname: db.hostname,
            id: db.id,
            group: db.group,
            is_schema: db.is_schema,
            schema: db.schema,
            regions: db.regions,
            primary_region: db.primary_region,
            version: db.version,
            sleeping: db.sleeping,
            archived: db.archived,
            allow_attach: db.allow_attach,
            block_reads: db.block_reads,
            block_writes: db.block_writes,
            created: None,
        }
    }
}

impl From<CreateDatabaseInput> for CreateDatabaseOptions {
    fn from(input: CreateDatabaseInput) -> Self {
        CreateDatabaseOptions {
            group: input.group,
            seed: input.seed.map(|seed| Seed {
                kind: seed.r#type,
                name: seed.name,
                url: seed.url,
                timestamp: seed.timestamp,
            }),
            schema: input.schema,
            is_schema: input.is_schema,
            size_limit: input.size_limit,
        }
    }
}

impl From<TokenInput> for TokenOptions {
    fn from(input: TokenInput) -> Self {
        TokenOptions {
            expiration: input.expiration,
            authorization: input.authorization,
        }
    }
}

/// `timeoutMs` etc. as core options: whole, positive (or 0 retries) numbers only.
fn client_options(http: Option<HttpOptions>) -> Result<ClientOptions, Error> {
    let mut options = ClientOptions::default();
    let Some(http) = http else {
        return Ok(options);
    };
    let whole = |name: &str, value: f64, min: f64| {
        if value.fract() == 0.0 && value >= min && value <= 2_147_483_647.0 {
            Ok(value as u64)
        } else {
            Err(Error::config(format!(
                "\"{name}\" must be a whole number of at least {min}, got {value}."
            )))
        }
    };
    if let Some(ms) = http.timeout_ms {
        options.timeout = Duration::from_millis(whole("timeoutMs", ms, 1.0)?);
    }
    if let Some(retries) = http.max_retries {
        options.retry.max_retries = whole("maxRetries", retries, 0.0)? as u32;
    }
    if let Some(ms) = http.retry_base_ms {
        options.retry = RetryPolicy {
            base: Duration::from_millis(whole("retryBaseMs", ms, 0.0)?),
            ..options.retry
        };
    }
    Ok(options)
}

#[napi]
pub struct NativeTursoPlatform {
    inner: Arc<TursoPlatform>,
}

#[napi]
impl NativeTursoPlatform {
    #[napi(constructor, catch_unwind)]
    pub fn new(config: PlatformConfig) -> Result<Self, Coded> {
        let options = client_options(config.http).map_err(coded)?;
        let inner = TursoPlatform::new(TursoConfig {
            org_slug: config.org_slug,
            api_token: config.api_token,
            base_url: config.base_url,
            options,
        })
        .map_err(coded)?;
        Ok(NativeTursoPlatform {
            inner: Arc::new(inner),
        })
    }

    /// The base URL requests go to (trailing slashes trimmed).
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.http().base_url().to_owned()
    }

    #[napi(catch_unwind)]
    pub fn create_database(
        &self,
        env: &Env,
        name: String,
        options: CreateDatabaseInput,
    ) -> Result<Answer<DatabaseOutput>, Coded> {
        let api = self.inner.clone();
        let options = CreateDatabaseOptions::from(options);
        spawn(
            env,
            async move { api.create_database(&name, &options).await },
            DatabaseOutput::from,
        )
    }

    #[napi(catch_unwind)]
    pub fn ensure_database(
        &self,
        env: &Env,
        name: String,
        options: CreateDatabaseInput,
    ) -> Result<Answer<DatabaseOutput>, Coded> {
        let api = self.inner.clone();
        let options = CreateDatabaseOptions::from(options);
        spawn(
            env,
            async move { api.ensure_database(&name, &options).await },
            |ensured| DatabaseOutput {
                created: Some(ensured.created),
                ..DatabaseOutput::from(ensured.database)
            },
        )
    }

    #[napi(catch_unwind)]
    pub fn get_database(&self, env: &Env, name: String) -> Result<Answer<DatabaseOutput>, Coded> {
        let api = self.inner.clone();
        spawn(
            env,
            async move { api.get_database(&name).await },
            DatabaseOutput::from,
        )
    }

    #[napi(catch_unwind)]
    pub fn delete_database(&self, env: &Env, name: String) -> Result<Answer<()>, Coded> {
        let api = self.inner.clone();
        spawn(
            env,
            async move { api.delete_database(&name).await },
            identity,
        )
    }

    #[napi(catch_unwind)]
    pub fn list_databases(
        &self,
        env: &Env,
        options: ListInput,
    ) -> Result<Answer<Vec<DatabaseOutput>>, Coded> {
        let api = self.inner.clone();
        let options = ListOptions {
            group: options.group,
            schema: options.schema,
        };
        spawn(
            env,
            async move { api.list_databases(&options).await },
            |dbs| dbs.into_iter().map(DatabaseOutput::from).collect(),
        )
    }

    /// Resolves with the JWT.
    #[napi(catch_unwind)]
    pub fn create_token(
        &self,
        env: &Env,
        name: String,
        options: TokenInput,
    ) -> Result<Answer<String>, Coded> {
        let api = self.inner.clone();
        let options = TokenOptions::from(options);
        spawn(
            env,
            async move { api.create_token(&name, &options).await },
            identity,
        )
    }

    /// Resolves with the JWT.
    #[napi(catch_unwind)]
    pub fn create_group_token(
        &self,
        env: &Env,
        group: String,
        options: TokenInput,
    ) -> Result<Answer<String>, Coded> {
        let api = self.inner.clone();
        let options = TokenOptions::from(options);
        spawn(
            env,
            async move { api.create_group_token(&group, &options).await },
            identity,
        )
    }

    #[napi(catch_unwind)]
    pub fn rotate_group_tokens(&self, env: &Env, group: String) -> Result<Answer<()>, Coded> {
        let api = self.inner.clone();
        spawn(
            env,
            async move { api.rotate_group_tokens(&group).await },
            identity,
        )
    }

    #[napi(catch_unwind)]
    pub fn rotate_database_tokens(&self, env: &Env, name: String) -> Result<Answer<()>, Coded> {
        let api = self.inner.clone();
        spawn(
            env,
            async move { api.rotate_database_tokens(&name).await },
            identity,
        )
    }
}

#[napi]
pub struct NativeServerAdmin {
    inner: Arc<ServerAdmin>,
}

#[napi]
impl NativeServerAdmin {
    #[napi(constructor, catch_unwind)]
    pub fn new(config: AdminConfig) -> Result<Self, Coded> {
        let options = client_options(config.http).map_err(coded)?;
        let inner = ServerAdmin::new(&config.admin_url, config.auth_token.as_deref(), options)
            .map_err(coded)?;
        Ok(NativeServerAdmin {
            inner: Arc::new(inner),
        })
    }

    #[napi(getter)]
    pub fn admin_url(&self) -> String {
        self.inner.http().base_url().to_owned()
    }

    #[napi(catch_unwind)]
    pub fn create_namespace(&self, env: &Env, namespace: String) -> Result<Answer<()>, Coded> {
        let admin = self.inner.clone();
        spawn(
            env,
            async move { admin.create_namespace(&namespace).await },
            identity,
        )
    }

    /// Resolves with whether this call created it.
    #[napi(catch_unwind)]
    pub fn ensure_namespace(&self, env: &Env, namespace: String) -> Result<Answer<bool>, Coded> {
        let admin = self.inner.clone();
        spawn(
            env,
            async move { admin.ensure_namespace(&namespace).await },
            identity,
        )
    }

    #[napi(catch_unwind)]
    pub fn delete_namespace(&self, env: &Env, namespace: String) -> Result<Answer<()>, Coded> {
        let admin = self.inner.clone();
        spawn(
            env,
            async move { admin.delete_namespace(&namespace).await },
            identity,
        )
    }

    #[napi(catch_unwind)]
    pub fn has_namespace(&self, env: &Env, namespace: String) -> Result<Answer<bool>, Coded> {
        let admin = self.inner.clone();
        spawn(
            env,
            async move { admin.has_namespace(&namespace).await },
            identity,
        )
    }
}
