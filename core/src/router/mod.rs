//! One database per tenant: the rules a router applies before any file or URL exists.
//! The tenant id rule and the URL templates live here, in one place; the cache policy
//! (which tenant stays open, who waits for whose creation) lives in the JS router
//! (`lib/router.js`), beside the drivers, promises and callbacks it juggles.

pub mod template;
pub mod tenant_id;

pub use template::UrlTemplate;
pub use tenant_id::check_tenant_id;
