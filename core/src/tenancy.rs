//! Row-level tenancy, as the ObjectStack engine leaves it to its driver.
//!
//! An object's tenant field is `tenancy.tenantField` when declared (and the object has
//! that field), else `organization_id` when it has one; `tenancy.enabled: false` turns it
//! off, and that opt-out sticks across later registrations that leave `tenancy` out.
//! A call made for a tenant ([`Tenant`], from `options.tenantId` / `tenantIds`) sees and
//! touches only rows whose tenant field is that tenant (any of the group's, in the
//! `group` posture) or NULL (shared rows), and its inserts are stamped with the tenant.
//! A call without a tenant (system, seed and admin paths) is not scoped.
//!
//! The condition is compiled into the statement itself (see `query::Scope`), with the
//! ids bound as parameters; nothing is filtered after the fact.

use crate::schema::ObjectDef;
use crate::value::Value;

/// The tenant a call is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// `options.tenantId`: stamped on inserts.
    pub id: String,
    /// `options.tenantIds` (the `group` posture): the tenants whose rows the call sees,
    /// instead of `id` alone. Empty outside that posture.
    pub group: Vec<String>,
}

impl Tenant {
    /// The tenant of `options.tenantId`, if it names one (a non-empty string or a
    /// number), widened to `tenant_ids` when that lists any non-empty strings. As in the
    /// engine's own driver, `tenantIds` without a `tenantId` scopes nothing.
    pub fn from_options(tenant_id: Option<&Value>, tenant_ids: Option<&Value>) -> Option<Tenant> {
        let id = match tenant_id? {
            Value::Text(s) if !s.is_empty() => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Real(f) if f.is_finite() => Value::Real(*f).to_json(),
            _ => return None,
        };
        let group = tenant_ids
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Some(Tenant { id, group })
    }

    /// The ids whose rows the call may see (besides shared NULL-tenant rows).
    pub fn visible(&self) -> &[String] {
        if self.group.is_empty() {
            std::slice::from_ref(&self.id)
        } else {
            &self.group
        }
    }

    /// Whether a row whose tenant field holds `stored` is one the call may see: the
    /// statement's condition (see `query::Scope`), for a row already in hand.
    pub fn sees(&self, stored: &Value) -> bool {
        match stored {
            Value::Null => true,
            Value::Text(id) => self.visible().contains(id),
            Value::Integer(i) => self.visible().contains(&i.to_string()),
            _ => false,
        }
    }
}

/// An object's tenancy declaration, as read from its definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declaration {
    /// The definition carries a `tenancy` block at all.
    pub declared: bool,
    /// `tenancy.enabled` is not `false`.
    pub enabled: bool,
    /// `tenancy.tenantField`.
    pub field: Option<String>,
}

impl Declaration {
    pub fn from_value(object: &Value) -> Declaration {
        match object.get("tenancy") {
            None => Declaration {
                declared: false,
                enabled: true,
                field: None,
            },
            Some(tenancy) => Declaration {
                declared: true,
                enabled: !matches!(tenancy.get("enabled"), Some(Value::Bool(false))),
                field: tenancy
                    .get("tenantField")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
        }
    }
}

/// The tenant field of `def`, given whether the object opted out of tenancy before
/// (`opted_out`, updated here when this definition says).
pub fn tenant_field(def: &ObjectDef, opted_out: &mut bool) -> Option<String> {
    if def.tenancy.declared {
        *opted_out = !def.tenancy.enabled;
    }
    if *opted_out {
        return None;
    }
    let has = |name: &str| def.fields.iter().any(|f| f.name == name);
    if let Some(declared) = &def.tenancy.field {
        if has(declared) {
            return Some(declared.clone());
        }
    }
    has(ORGANIZATION_FIELD).then(|| ORGANIZATION_FIELD.to_owned())
}

/// The tenant field an object has by convention.
pub const ORGANIZATION_FIELD: &str = "organization_id";

/// What a NULL tenant counts as in a per-tenant unique index: one shared tenant.
pub const GLOBAL_TENANT: &str = "__global__";

#[cfg(test)]
mod tests {
    use super::*;

    fn v(json: &str) -> Value {
        Value::parse_json(json).unwrap()
    }

    fn def(json: &str) -> ObjectDef {
        ObjectDef::from_value(&v(json)).unwrap()
    }

    #[test]
    fn reads_the_tenant_of_a_call() {
        let t = Tenant::from_options(Some(&v("\"A\"")), None).unwrap();
        assert_eq!(t.visible(), ["A"]);
        let t = Tenant::from_options(Some(&v("7")), Some(&v(r#"["A","",3,"B"]"#))).unwrap();
        assert_eq!(t.id, "7");
        assert_eq!(t.visible(), ["A", "B"]);
        for none in [None, Some(v("\"\"")), Some(v("null")), Some(v("true"))] {
            assert_eq!(
                Tenant::from_options(none.as_ref(), Some(&v(r#"["A"]"#))),
                None
            );
        }
    }

    #[test]
    fn sees_its_own_rows_and_shared_ones() {
        let t = Tenant::from_options(Some(&v("\"A\"")), None).unwrap();
        assert!(t.sees(&Value::Null) && t.sees(&v("\"A\"")));
        assert!(!t.sees(&v("\"B\"")) && !t.sees(&v("\"a\"")));
        let group = Tenant::from_options(Some(&v("\"A\"")), Some(&v(r#"["B","7"]"#))).unwrap();
        assert!(group.sees(&v("\"B\"")) && group.sees(&v("7")) && !group.sees(&v("\"A\"")));
    }

    #[test]
    fn finds_the_tenant_field() {
        let mut out = false;
        let f = |json: &str, out: &mut bool| tenant_field(&def(json), out);
        assert_eq!(
            f(r#"{"name":"t","fields":{"organization_id":{}}}"#, &mut out).as_deref(),
            Some("organization_id")
        );
        assert_eq!(
            f(
                r#"{"name":"t","fields":{"org":{},"organization_id":{}},"tenancy":{"tenantField":"org"}}"#,
                &mut out
            )
            .as_deref(),
            Some("org")
        );
        // A declared field the object lacks falls back to the convention.
        assert_eq!(
            f(
                r#"{"name":"t","fields":{"organization_id":{}},"tenancy":{"tenantField":"x"}}"#,
                &mut out
            )
            .as_deref(),
            Some("organization_id")
        );
        assert_eq!(f(r#"{"name":"t","fields":{"a":{}}}"#, &mut out), None);
        // An opt-out sticks until a definition declares tenancy again.
        let optout = r#"{"name":"t","fields":{"organization_id":{}},"tenancy":{"enabled":false}}"#;
        assert_eq!(f(optout, &mut out), None);
        assert!(out);
        assert_eq!(
            f(r#"{"name":"t","fields":{"organization_id":{}}}"#, &mut out),
            None
        );
        assert_eq!(
            f(
                r#"{"name":"t","fields":{"organization_id":{}},"tenancy":{"enabled":true}}"#,
                &mut out
            )
            .as_deref(),
            Some("organization_id")
        );
        assert!(!out);
    }
}
