//! `urlTemplate` (and a replica's `syncUrl`): where a tenant's database is, with
//! `{tenant}` standing for its id wherever it appears.

use crate::error::{Error, Result};

use super::tenant_id::check_tenant_id;

const PLACEHOLDER: &str = "{tenant}";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    /// The text between the placeholders: `parts.len()` is one more than their count.
    parts: Vec<String>,
}

impl UrlTemplate {
    /// The router's `urlTemplate`: required, with at least one `{tenant}`.
    pub fn parse(template: &str) -> Result<UrlTemplate> {
        if template.is_empty() {
            return Err(Error::config(
                "MultiTenantConfig requires a \"urlTemplate\" (e.g. 'file:./data/{tenant}.db').",
            ));
        }
        if !template.contains(PLACEHOLDER) {
            return Err(Error::config(format!(
                "urlTemplate must contain a \"{PLACEHOLDER}\" placeholder; got '{template}'."
            )));
        }
        Ok(UrlTemplate::any(template))
    }

    /// Another option that may name the tenant (`syncUrl`): placeholders optional.
    pub fn any(template: &str) -> UrlTemplate {
        UrlTemplate {
            parts: template.split(PLACEHOLDER).map(str::to_owned).collect(),
        }
    }

    /// The template for `tenant`, whose id is checked first: no URL or path is ever built
    /// from an id outside the rule.
    pub fn expand(&self, tenant: &str) -> Result<String> {
        check_tenant_id(tenant)?;
        let mut out = String::with_capacity(
            self.parts.iter().map(String::len).sum::<usize>() + tenant.len() * self.parts.len(),
        );
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push_str(tenant);
            }
            out.push_str(part);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn replaces_every_placeholder() {
        let t = UrlTemplate::parse("file:/data/{tenant}/{tenant}.db").unwrap();
        assert_eq!(t.expand("acme").unwrap(), "file:/data/acme/acme.db");
        let sync = UrlTemplate::any("http://primary:8080");
        assert_eq!(sync.expand("acme").unwrap(), "http://primary:8080");
    }

    #[test]
    fn refuses_templates_and_ids_with_their_codes() {
        let missing = UrlTemplate::parse("").unwrap_err();
        assert_eq!(missing.code, ErrorCode::Config);
        assert!(missing.message.contains("requires a \"urlTemplate\""));
        let fixed = UrlTemplate::parse("libsql://fixed.turso.io").unwrap_err();
        assert!(fixed.message.contains("{tenant}"));
        let t = UrlTemplate::parse("file:{tenant}.db").unwrap();
        assert_eq!(
            t.expand("../x").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }
}
