//! Cross-field comparisons: `{ amount: { $gt: { $field: 'budget' } } }` compares two
//! columns of the same row (the ObjectStack kernel contract only; the 4.2.2 API binds
//! such an object as a value, as it always did).
//!
//! What compiles, as the kernel's SQL driver compiles it (and its in-memory evaluator
//! answers it): a `{ $field }` object that is the whole comparand of `$eq`, `$ne`, `$gt`,
//! `$gte`, `$lt` or `$lte`, between two declared same-table fields of one comparison
//! class ([`Class`]). The SQL is total (never NULL), because the kernel's filters are
//! two-valued:
//! - the orderings need both sides to have a value;
//! - `$eq` holds when both are NULL or both equal (`a IS b`), `$ne` is its exact
//!   complement (`a IS NOT b`);
//! - so `$not` over any of them is the exact complement too.
//!
//! Both sides are read as stored: dates (`YYYY-MM-DD`), date-times (UTC ISO) and times are
//! kept in one canonical text form per kind (`temporal.rs`), so comparing the texts is
//! comparing the values, and on a date pair `<=` is already the kernel's calendar-day
//! reading (a day is its own bound).
//!
//! Everything else that carries a `{ $field }` is refused with `INVALID_FILTER`, never
//! bound as a value: a dotted path (no joins), a field the object does not declare (the
//! reference lands in an identifier position), an object whose columns the driver does
//! not own (external or unknown), the tenant field on either side, a field without a
//! scalar column (formula, JSON-stored), two classes, a reference inside a list (`$in`,
//! `$nin`, `$between` members), at another operator (the text operators would read the
//! other column as a pattern), or bare (`{ amount: { $field: 'budget' } }`, which the
//! kernel's evaluator does not read as an equality).
//!
//! The caller-visible text of these refusals names no field: the filter may be an
//! administrator's read scope the caller never saw. The full text goes with the error
//! ([`Error::withheld_filter`]), with the refused subtree's position, and reaches the caller
//! only when that subtree is marked as theirs (`lib/provenance.js`).

use crate::error::{Error, Result};
use crate::query::{Columns, Part};
use crate::rows::Kind;
use crate::temporal::Temporal;
use crate::value::Value;

use super::path::Path;

/// The operators whose `{ $field }` comparand compiles, and their SQL.
const COMPARISONS: [(&str, &str); 6] = [
    ("$eq", "IS"),
    ("$ne", "IS NOT"),
    ("$gt", ">"),
    ("$gte", ">="),
    ("$lt", "<"),
    ("$lte", "<="),
];

/// The fragment for operator `op` of `field` when it involves a field reference: the
/// compiled comparison, or the refusal. `None` when nothing of it is a reference (or the
/// contract has no references), so the caller compiles it as a value comparison. `at` is
/// the operand's position in the filter, `spec` that of the field's operator object.
pub(super) fn compile(
    cols: &Columns,
    field: &str,
    op: &str,
    operand: &Value,
    at: &Path,
    spec: &Path,
) -> Result<Option<Part>> {
    // The kernel's filter rules compare fields; the 4.2.2 API binds the object as a value.
    if !cols.kernel_filters() {
        return Ok(None);
    }
    if op == "$field" {
        if let Value::Text(reference) = operand {
            return Err(bare_reference(field, reference, spec));
        }
        return Ok(None);
    }
    if let Some(reference) = reference_of(operand) {
        return match COMPARISONS.iter().find(|(name, _)| *name == op) {
            Some((_, sql_op)) => compare(cols, field, op, sql_op, reference, at).map(Some),
            None => Err(uncompiled_position(field, op, reference, None, at)),
        };
    }
    if let Value::Array(items) = operand {
        let member = items
            .iter()
            .enumerate()
            .find_map(|(i, item)| reference_of(item).map(|r| (i, r)));
        if let Some((index, reference)) = member {
            return Err(uncompiled_position(field, op, reference, Some(index), at));
        }
    }
    Ok(None)
}

/// The check of the kernel's whole-filter walk (`validate.rs`): a reference as the
/// comparand of an operator that does not compare two columns is refused there, ahead
/// of the operators' own comparand checks (which would quote the reference back).
pub(super) fn check_positions(field: &str, ops: &[(String, Value)], spec: &Path) -> Result<()> {
    for (index, (op, operand)) in ops.iter().enumerate() {
        if COMPARISONS.iter().any(|(name, _)| name == op) {
            continue;
        }
        if let Some(reference) = reference_of(operand) {
            let at = spec.key(op, index);
            return Err(uncompiled_position(field, op, reference, None, &at));
        }
    }
    Ok(())
}

/// The field an operand refers to: an object (not an array) with a string `$field`,
/// whatever else it carries, as the kernel's evaluator recognises one. `{ $field: 42 }` is
/// no reference (it is refused as a value that cannot be bound, elsewhere).
fn reference_of(operand: &Value) -> Option<&str> {
    match operand {
        Value::Object(entries) => entries
            .iter()
            .find(|(k, _)| k == "$field")
            .and_then(|(_, v)| v.as_str()),
        _ => None,
    }
}

/// What a comparison between two columns means: one class = one stored shape on both
/// sides of a row. Across classes SQLite orders by storage class first (every text above
/// every number) where the kernel's evaluator coerces, so those pairs are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Numeric,
    Text,
    Boolean,
    Date,
    DateTime,
    Time,
}

impl Class {
    /// The class of a declared field; `None` when it has no scalar column to compare: a
    /// formula (no column at all), a JSON-stored field (`multiple`, the structured types).
    fn of(field: &crate::rows::Field) -> Option<Class> {
        if field.multiple || field.field_type == "formula" {
            return None;
        }
        Some(match field.kind {
            Kind::Json | Kind::JsonStrict => return None,
            Kind::Number => Class::Numeric,
            Kind::Boolean => Class::Boolean,
            Kind::Temporal(Temporal::Date) => Class::Date,
            Kind::Temporal(Temporal::DateTime) => Class::DateTime,
            Kind::Temporal(Temporal::Time) => Class::Time,
            // Text, select, lookup, autonumber, email, ... and unknown types: TEXT.
            Kind::Plain | Kind::Time => Class::Text,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Class::Numeric => "numeric",
            Class::Text => "text",
            Class::Boolean => "boolean",
            Class::Date => "date",
            Class::DateTime => "datetime",
            Class::Time => "time",
        }
    }
}

/// The class of the declared field `name`: `None` when the object does not declare it,
/// `Err(description)` when it has no scalar column (`type "formula"`, `type "select",
/// multiple`).
fn declared(cols: &Columns, name: &str) -> Option<std::result::Result<Class, String>> {
    // The driver makes every managed table with its TEXT `id` key, declared or not (an
    // object definition's `id` entry is not kept as a field).
    if name == "id" {
        return Some(Ok(Class::Text));
    }
    let field = cols.fields?.field(name)?;
    Some(Class::of(field).ok_or_else(|| {
        let multiple = if field.multiple { ", multiple" } else { "" };
        format!("type \"{}\"{multiple}", field.field_type)
    }))
}

/// `field <op> reference`, checked against the object's declared fields, as total SQL.
fn compare(
    cols: &Columns,
    field: &str,
    op: &str,
    sql_op: &str,
    reference: &str,
    at: &Path,
) -> Result<Part> {
    let refuse = |reason: String| Err(uncompilable(field, op, reference, reason, at));
    if reference.contains('.') {
        return refuse(format!(
            "\"{reference}\" is a dotted path, and SQL push-down compiles same-table column \
             references only (no relation traversal, no alias-qualified columns)."
        ));
    }
    // Quoted already: `"deal"`.
    let object = cols.table.as_deref().unwrap_or("(unnamed)");
    if !cols.managed || cols.fields.is_none() {
        return refuse(format!(
            "object {object} has no declared column set on this driver (an external/federated \
             or unregistered table), so referenced column names cannot be validated."
        ));
    }
    if let Some(tenant) = cols.tenant_field.filter(|t| *t == reference || *t == field) {
        return refuse(format!(
            "\"{tenant}\" is the tenant-isolation column of {object}, which must not appear on \
             either side of a cross-field comparison."
        ));
    }
    let Some(referenced) = declared(cols, reference) else {
        return refuse(format!(
            "\"{reference}\" is not a declared field of {object} — only declared fields can be \
             referenced."
        ));
    };
    let Some(target) = declared(cols, field) else {
        return refuse(format!(
            "the target field \"{field}\" is not a declared field of {object}, so the two \
             columns' types cannot be checked as comparable."
        ));
    };
    let referenced = match referenced {
        Ok(class) => class,
        Err(what) => {
            return refuse(format!(
                "\"{reference}\" ({what}) has no scalar stored column a comparison can read."
            ))
        }
    };
    let target = match target {
        Ok(class) => class,
        Err(what) => {
            return refuse(format!(
                "the target field \"{field}\" ({what}) has no scalar stored column a \
                 comparison can read."
            ))
        }
    };
    if target != referenced {
        return refuse(format!(
            "\"{field}\" is stored as {} but \"{reference}\" as {}, and a cross-class comparison \
             answers differently in SQL (storage-class ordering) than in memory (JS coercion) — \
             compare same-class columns.",
            target.name(),
            referenced.name()
        ));
    }
    let a = cols.column(field)?;
    let b = cols.column(reference)?;
    let sql = match op {
        // `IS` / `IS NOT` are `=` / `<>` that hold (or fail) when both sides are NULL and
        // count a NULL against a value as different: never NULL themselves.
        "$eq" | "$ne" => format!("{a} {sql_op} {b}"),
        _ => format!("({a} IS NOT NULL AND {b} IS NOT NULL AND {a} {sql_op} {b})"),
    };
    Ok(Part::atom(sql, Vec::new()))
}

// The refusals: a caller-visible text naming nothing the filter said (fields, operator,
// list index), and the full text (`Error::withheld_filter`), which the JS layer shows only
// when the refused subtree is marked as the caller's own and logs otherwise. The texts are
// the kernel's SQL driver's, whose tests pin fragments of both.

/// `{ field: { $field: 'other' } }`: a reference with no operator.
fn bare_reference(field: &str, reference: &str, spec: &Path) -> Error {
    Error::withheld_filter(
        "A field in this filter is constrained by a bare field reference ({ \"$field\": … }) \
         with no operator. Write the comparison explicitly — { \"TARGET_FIELD\": { \"$eq\": \
         { \"$field\": \"OTHER_FIELD\" } } } — which compiles to a column-to-column comparison. \
         The bare form is refused because the in-memory evaluator does not read it as an \
         equality (it matches no record), so compiling it here would make the two execution \
         paths answer this filter differently. The columns this filter named are withheld from \
         the message (#7929); the full diagnostic is in the server log.",
        format!(
            "Field \"{field}\" is constrained by a bare field reference \
             ({{ \"$field\": \"{reference}\" }}) with no operator. The spelling that compiles is \
             {{ \"{field}\": {{ \"$eq\": {{ \"$field\": \"{reference}\" }} }} }}. The bare form is \
             refused because the in-memory evaluator does not read it as an equality (it \
             matches no record), so compiling it here would make the two execution paths \
             answer this filter differently."
        ),
        spec.steps(),
    )
}

/// A reference where no column-to-column comparison compiles: another operator, or a
/// member of a list.
fn uncompiled_position(
    field: &str,
    op: &str,
    reference: &str,
    index: Option<usize>,
    at: &Path,
) -> Error {
    const RULE: &str = "Cross-field comparison compiles only as the whole comparand of a scalar \
        comparison operator ($eq/$ne/$gt/$gte/$lt/$lte) between two same-table declared columns. \
        Compare against a literal value here, or evaluate the rule in memory (matchesFilter).";
    let (position, subtree) = match index {
        Some(i) => (
            format!(" at index {i} of its value list"),
            at.index(i).steps(),
        ),
        None => (String::new(), at.steps()),
    };
    Error::withheld_filter(
        format!(
            "A cross-field comparison ({{ \"$field\": … }}) in this filter sits in a position SQL \
             push-down does not compile. {RULE} The columns and the operator this filter used \
             are withheld from the message (#7929); the full diagnostic is in the server log."
        ),
        format!(
            "Operator \"{op}\" on field \"{field}\" compares against another field \
             ({{ \"$field\": \"{reference}\" }}){position}, a position SQL push-down does not \
             compile. {RULE}"
        ),
        subtree,
    )
}

/// A reference at a compiling operator that fails a check (`reason` says which).
fn uncompilable(field: &str, op: &str, reference: &str, reason: String, at: &Path) -> Error {
    Error::withheld_filter(
        "A cross-field comparison ({ \"$field\": … }) in this filter cannot be compiled here. \
         Cross-field comparison on SQL push-down supports same-table columns the object \
         declares, compared as the same type class, excluding the tenant-isolation column. The \
         columns, the operator this filter used and the specific reason are withheld from the \
         message (#7929); the full diagnostic is in the server log.",
        format!(
            "Operator \"{op}\" on field \"{field}\" compares against another field \
             ({{ \"$field\": \"{reference}\" }}), which cannot be compiled here: {reason}"
        ),
        at.steps(),
    )
}

#[cfg(test)]
mod tests {
    use crate::config::Contract;
    use crate::error::ErrorCode;
    use crate::query::{compile_filter, compile_filter_in, Scope};
    use crate::rows::FieldKinds;
    use crate::schema::ObjectDef;
    use crate::value::Value;

    fn v(json: &str) -> Value {
        Value::parse_json(json).unwrap()
    }

    fn deal() -> FieldKinds {
        let def = ObjectDef::from_value(&v(r#"{"name":"deal","fields":{
            "id":{"type":"text"},
            "amount":{"type":"number"},"budget":{"type":"currency"},
            "stage":{"type":"text"},"owner":{"type":"lookup"},
            "starts_on":{"type":"date"},"ends_on":{"type":"date"},
            "at":{"type":"datetime"},"done":{"type":"boolean"},
            "organization_id":{"type":"text"},
            "tags":{"type":"select","multiple":true},"meta":{"type":"json"},
            "total":{"type":"formula"}}}"#))
        .unwrap();
        let mut kinds = FieldKinds::default();
        kinds.merge(&def, Contract::ObjectStack);
        kinds
    }

    fn scope(kinds: &FieldKinds) -> Scope<'_> {
        Scope {
            object: "deal",
            contract: Contract::ObjectStack,
            fields: Some(kinds),
            tenant_field: Some("organization_id"),
            managed: true,
            ..Scope::default()
        }
    }

    fn sql(json: &str) -> String {
        let kinds = deal();
        let got = compile_filter_in(scope(&kinds), &v(json)).unwrap();
        assert!(got.args.is_empty(), "{json}: {:?}", got.args);
        got.sql
    }

    fn refused_in(scope: Scope, json: &str) -> String {
        let err = compile_filter_in(scope, &v(json)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidFilter, "{json}");
        err.message
    }

    fn refused(json: &str) -> String {
        refused_in(scope(&deal()), json)
    }

    #[test]
    fn the_six_comparisons_compile_to_total_column_comparisons() {
        let (a, b) = (r#""deal"."amount""#, r#""deal"."budget""#);
        for (op, expected) in [
            ("$eq", format!("{a} IS {b}")),
            ("$ne", format!("{a} IS NOT {b}")),
            (
                "$gt",
                format!("({a} IS NOT NULL AND {b} IS NOT NULL AND {a} > {b})"),
            ),
            (
                "$gte",
                format!("({a} IS NOT NULL AND {b} IS NOT NULL AND {a} >= {b})"),
            ),
            (
                "$lt",
                format!("({a} IS NOT NULL AND {b} IS NOT NULL AND {a} < {b})"),
            ),
            (
                "$lte",
                format!("({a} IS NOT NULL AND {b} IS NOT NULL AND {a} <= {b})"),
            ),
        ] {
            let filter = format!(r#"{{"amount":{{"{op}":{{"$field":"budget"}}}}}}"#);
            assert_eq!(sql(&filter), expected, "{op}");
        }
    }

    #[test]
    fn negation_and_two_valued_ne_add_no_null_guard() {
        // Total already: `$ne` must not also match a NULL target whose referent is NULL.
        assert_eq!(
            sql(r#"{"$not":{"amount":{"$eq":{"$field":"budget"}}}}"#),
            r#"NOT coalesce(("deal"."amount" IS "deal"."budget"), 0)"#
        );
        assert_eq!(
            sql(r#"{"amount":{"$gte":{"$field":"budget"},"$ne":{"$field":"amount"}}}"#),
            r#"("deal"."amount" IS NOT NULL AND "deal"."budget" IS NOT NULL AND "deal"."amount" >= "deal"."budget") AND "deal"."amount" IS NOT "deal"."amount""#
        );
    }

    #[test]
    fn same_class_pairs_compile_extra_keys_ignored() {
        for json in [
            r#"{"stage":{"$lt":{"$field":"owner"}}}"#,
            r#"{"starts_on":{"$lte":{"$field":"ends_on"}}}"#,
            r#"{"done":{"$eq":{"$field":"done"}}}"#,
            r#"{"stage":{"$eq":{"$field":"id"}}}"#,
            r#"{"amount":{"$gt":{"$field":"budget","extra":1}}}"#,
        ] {
            sql(json);
        }
    }

    #[test]
    fn literal_comparands_stay_values() {
        let kinds = deal();
        let got = compile_filter_in(scope(&kinds), &v(r#"{"stage":{"$eq":"owner"}}"#)).unwrap();
        assert_eq!(got.sql, r#""deal"."stage" = ?"#);
        assert_eq!(got.args, vec![Value::from("owner")]);
    }

    #[test]
    fn boundary_refusals_withhold_every_operand() {
        for json in [
            r#"{"amount":{"$gt":{"$field":"account.budget"}}}"#,
            r#"{"amount":{"$gt":{"$field":"nope"}}}"#,
            r#"{"nope":{"$gt":{"$field":"budget"}}}"#,
            r#"{"stage":{"$eq":{"$field":"organization_id"}}}"#,
            r#"{"organization_id":{"$eq":{"$field":"stage"}}}"#,
            r#"{"stage":{"$gt":{"$field":"amount"}}}"#,
            r#"{"starts_on":{"$gt":{"$field":"at"}}}"#,
            r#"{"amount":{"$gt":{"$field":"tags"}}}"#,
            r#"{"meta":{"$eq":{"$field":"meta"}}}"#,
            r#"{"amount":{"$gt":{"$field":"total"}}}"#,
            r#"{"$or":[{"stage":"won"},{"amount":{"$lt":{"$field":"x\" OR 1=1 --"}}}]}"#,
        ] {
            let message = refused(json);
            assert!(
                message.contains("cannot be compiled here"),
                "{json}: {message}"
            );
            for name in [
                "amount",
                "budget",
                "stage",
                "organization_id",
                "tags",
                "nope",
                "total",
                "OR 1=1",
            ] {
                assert!(!message.contains(name), "{json}: {message}");
            }
        }
    }

    #[test]
    fn positions_that_do_not_compile_are_refused() {
        for json in [
            r#"{"amount":{"$in":[{"$field":"budget"},1]}}"#,
            r#"{"amount":{"$nin":[{"$field":"budget"}]}}"#,
            r#"{"amount":{"$between":[0,{"$field":"budget"}]}}"#,
            r#"{"stage":{"$contains":{"$field":"owner"}}}"#,
            r#"{"stage":{"$startsWith":{"$field":"owner"}}}"#,
            r#"{"stage":{"$icontains":{"$field":"owner"}}}"#,
            r#"{"stage":{"$like":{"$field":"owner"}}}"#,
            r#"{"stage":{"$null":{"$field":"owner"}}}"#,
            r#"{"stage":{"$exists":{"$field":"owner"}}}"#,
        ] {
            let message = refused(json);
            assert!(message.contains("sits in a position"), "{json}: {message}");
            assert!(
                !message.contains("owner") && !message.contains("budget"),
                "{message}"
            );
        }
        let message = refused(r#"{"amount":{"$field":"budget"}}"#);
        assert!(
            message.contains("TARGET_FIELD") && !message.contains("amount"),
            "{message}"
        );
    }

    #[test]
    fn the_full_text_and_the_refused_subtree_travel_with_the_refusal() {
        let kinds = deal();
        for (json, detail, subtree) in [
            (
                r#"{"$and":[{"stage":"x"},{"amount":{"$gt":{"$field":"nope"}}}]}"#,
                r#"Operator "$gt" on field "amount" compares against another field ({ "$field": "nope" }), which cannot be compiled here: "nope" is not a declared field of "deal""#,
                vec![0, 1, 0, 0],
            ),
            (
                r#"{"amount":{"$gte":1,"$in":[1,{"$field":"budget"}]}}"#,
                r#"Operator "$in" on field "amount" compares against another field ({ "$field": "budget" }) at index 1 of its value list"#,
                vec![0, 1, 1],
            ),
            (
                r#"{"x":1,"amount":{"$field":"budget"}}"#,
                r#"The spelling that compiles is { "amount": { "$eq": { "$field": "budget" } } }."#,
                vec![1],
            ),
            (
                r#"{"stage":{"$icontains":{"$field":"owner"}}}"#,
                r#"Operator "$icontains" on field "stage" compares against another field ({ "$field": "owner" }), a position SQL push-down does not compile."#,
                vec![0, 0],
            ),
            (
                r#"{"organization_id":{"$eq":{"$field":"stage"}}}"#,
                r#""organization_id" is the tenant-isolation column of "deal""#,
                vec![0, 0],
            ),
        ] {
            let err = compile_filter_in(scope(&kinds), &v(json)).unwrap_err();
            let withheld = err.withheld.expect(json);
            assert!(
                withheld.detail.contains(detail),
                "{json}: {}",
                withheld.detail
            );
            assert_eq!(withheld.subtree, subtree, "{json}");
        }
    }

    #[test]
    fn objects_without_a_declared_column_set_are_refused() {
        let kinds = deal();
        let external = Scope {
            managed: false,
            ..scope(&kinds)
        };
        refused_in(external, r#"{"amount":{"$gt":{"$field":"budget"}}}"#);
        refused_in(
            Scope::kernel("deal"),
            r#"{"amount":{"$gt":{"$field":"budget"}}}"#,
        );
    }

    #[test]
    fn the_4_2_2_contract_keeps_binding_the_object() {
        let got = compile_filter(&v(r#"{"amount":{"$gt":{"$field":"budget"}}}"#)).unwrap();
        assert_eq!(got.sql, r#""amount" > ?"#);
        let got = compile_filter_in("deal", &v(r#"{"amount":{"$in":[{"$field":"b"}]}}"#)).unwrap();
        assert_eq!(got.sql, r#""deal"."amount" IN (?)"#);
    }
}
