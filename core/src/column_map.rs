//! `external.columnMap` of an object the driver does not manage (federation): its fields
//! live in columns of other names (`{ full_name: 'name' }`, remote column -> local field).
//! Statements name the remote columns; callers see and write the local field names.

use crate::error::{Error, Result};
use crate::fast_hash::FastMap;
use crate::identifier::check_identifier;
use crate::rows::RowSet;
use crate::value::Value;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnMap {
    to_remote: FastMap<String, String>,
    to_local: FastMap<String, String>,
}

impl ColumnMap {
    /// Reads `{ remoteColumn: localField }`; `None` when the object has none.
    pub fn from_value(object: &str, map: Option<&Value>) -> Result<Option<ColumnMap>> {
        let entries = match map {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(entries)) => entries,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "\"external.columnMap\" of \"{object}\" must map remote column names to field \
                     names, got a {}",
                    other.type_name()
                )))
            }
        };
        let mut map = ColumnMap::default();
        for (remote, local) in entries {
            let Value::Text(local) = local else {
                return Err(Error::invalid(format!(
                    "\"external.columnMap\" of \"{object}\" maps \"{remote}\" to {}, not a field name",
                    local.to_json()
                )));
            };
            check_identifier(remote)?;
            check_identifier(local)?;
            if map.to_local.insert(remote.clone(), local.clone()).is_some()
                || map
                    .to_remote
                    .insert(local.clone(), remote.clone())
                    .is_some()
            {
                return Err(Error::invalid(format!(
                    "\"external.columnMap\" of \"{object}\" maps \"{local}\" more than once"
                )));
            }
        }
        Ok((!map.to_remote.is_empty()).then_some(map))
    }

    /// The column that holds `field`.
    pub fn remote<'a>(&'a self, field: &'a str) -> &'a str {
        self.to_remote.get(field).map_or(field, String::as_str)
    }

    /// Rows read from the table, their columns named as the object's fields.
    pub fn localize(&self, mut rows: RowSet) -> RowSet {
        if rows.columns.iter().any(|c| self.to_local.contains_key(c)) {
            rows.columns = rows
                .columns
                .iter()
                .map(|c| self.to_local.get(c).unwrap_or(c).clone())
                .collect();
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_ways_and_refuses_bad_maps() {
        let map = ColumnMap::from_value(
            "c",
            Some(&Value::parse_json(r#"{"full_name":"name","cust_id":"id"}"#).unwrap()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(map.remote("name"), "full_name");
        assert_eq!(map.remote("id"), "cust_id");
        assert_eq!(map.remote("other"), "other");
        let rows = RowSet {
            columns: vec!["cust_id".into(), "full_name".into(), "x".into()].into(),
            ..RowSet::default()
        };
        assert_eq!(&*map.localize(rows).columns, ["id", "name", "x"]);
        assert!(ColumnMap::from_value("c", None).unwrap().is_none());
        for bad in [
            r#"["a"]"#,
            r#"{"a":1}"#,
            r#"{"a":"x","b":"x"}"#,
            r#"{"":"x"}"#,
        ] {
            let value = Value::parse_json(bad).unwrap();
            assert!(ColumnMap::from_value("c", Some(&value)).is_err(), "{bad}");
        }
    }
}
