//! Where a tenant's database is: the router's URL templates, expanded in the core (which
//! checks the tenant id first). Called once per tenant creation, never on a cache hit.

use driver_core::router::UrlTemplate;
use napi_derive::napi;

use crate::error::{coded, Coded};

#[napi]
pub struct TenantUrls {
    url: UrlTemplate,
    sync_url: Option<UrlTemplate>,
}

#[napi]
impl TenantUrls {
    /// `urlTemplate` must hold `{tenant}`; a `syncUrl` may.
    #[napi(constructor, catch_unwind)]
    pub fn new(url_template: String, sync_url: Option<String>) -> Result<Self, Coded> {
        Ok(TenantUrls {
            url: UrlTemplate::parse(&url_template).map_err(coded)?,
            sync_url: sync_url.as_deref().map(UrlTemplate::any),
        })
    }

    /// `[url, syncUrl?]` of `tenant`; `INVALID_REQUEST` for an id outside the rule.
    #[napi(catch_unwind)]
    pub fn expand(&self, tenant: String) -> Result<Vec<String>, Coded> {
        let mut urls = vec![self.url.expand(&tenant).map_err(coded)?];
        if let Some(sync) = &self.sync_url {
            urls.push(sync.expand(&tenant).map_err(coded)?);
        }
        Ok(urls)
    }
}
