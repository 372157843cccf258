//! Values cross the JS boundary here and nowhere else: JS -> core [`Value`] on the way in,
//! core [`Value`] / [`RowSet`] -> JS on the way out. Raw N-API calls keep row building
//! cheap: keys are created once per result, not once per cell.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;

use driver_core::autonumber::Day;
use driver_core::config::Contract;
use driver_core::dates::iso_datetime;
use driver_core::driver::Call;
use driver_core::record::MAX_VALUE_BYTES;
use driver_core::rows::RowSet;
use driver_core::tenancy::Tenant;
use driver_core::value::{is_safe_integer, is_safe_whole, Foreign};
use driver_core::Value;
use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValueType};
use napi::sys::{self, napi_env, napi_value};
use napi::{Error, Result, Status};

use crate::columns::column_array;

/// Nesting deeper than this is refused (it is a cycle or a mistake, and would overflow).
const MAX_DEPTH: usize = 64;

/// A caller's value, converted into a core [`Value`].
pub struct JsInput(pub Value);

/// A filter (`count`, `distinct`, `updateMany`, `deleteMany`), read once the contract is
/// known: [`JsFilter::read`].
pub struct JsFilter(Unread);

/// A query whose `where` is a filter (`find`, `findOne`, `aggregate`, `explain`), read
/// once the contract is known: [`JsQuery::read`].
pub struct JsQuery(Unread);

/// A JS argument not converted yet: valid while the native call runs.
struct Unread {
    env: napi_env,
    value: napi_value,
}

/// How a JS value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// As a value: `undefined` is null, an instance reads as its own fields.
    Value,
    /// Inside a kernel-contract filter: `undefined` and instances of classes are kept
    /// as [`Value::Foreign`], for the filter compiler to refuse where they stand.
    Filter,
    /// A query object: its `where` is a filter, the rest values.
    Query,
}

/// Who a call runs for and inside what, as `lib/driver.js` sends it (the common cases
/// cost one type check): `undefined` (nothing), a number (a transaction), a string (a
/// tenant), or `[tx, tenantId, tenantIds, preserveAudit, today]`.
pub struct JsCall(pub Call);

/// A core [`Value`] going back to JS.
pub struct JsOutput(pub Value);

/// Rows going back to JS (see [`rows_to_js`]).
pub struct JsRows(pub RowSet);

/// The first row (as [`JsRows`] with one row), or `null`.
pub struct JsRow(pub RowSet);

pub(crate) fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(
            Status::GenericFailure,
            format!("N-API call failed: {what}"),
        ))
    }
}

/// Like [`check`], for N-API calls that run the caller's code (getters, proxy traps): an
/// exception it threw is taken back (else it would surface after the call returns) and
/// reported as the caller's mistake.
unsafe fn check_user(env: napi_env, status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        return Ok(());
    }
    // A getter that throws fails `napi_get_property` with `napi_generic_failure`, not
    // `napi_pending_exception`: the exception pending is what tells.
    let mut pending = false;
    sys::napi_is_exception_pending(env, &mut pending);
    if !pending {
        return check(status, what);
    }
    let mut error = ptr::null_mut();
    check(
        sys::napi_get_and_clear_last_exception(env, &mut error),
        what,
    )?;
    let mut message = ptr::null_mut();
    let mut text = String::from("an exception");
    if sys::napi_coerce_to_string(env, error, &mut message) == sys::Status::napi_ok {
        if let Ok(s) = read_string(env, message) {
            text = s;
        }
    }
    Err(invalid(format!("reading the {what} threw: {text}")))
}

fn invalid(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}

impl FromNapiValue for JsInput {
    unsafe fn from_napi_value(env: napi_env, value: napi_value) -> Result<Self> {
        from_js(env, value, 0, Read::Value).map(JsInput)
    }
}

impl FromNapiValue for JsFilter {
    unsafe fn from_napi_value(env: napi_env, value: napi_value) -> Result<Self> {
        Ok(JsFilter(Unread { env, value }))
    }
}

impl FromNapiValue for JsQuery {
    unsafe fn from_napi_value(env: napi_env, value: napi_value) -> Result<Self> {
        Ok(JsQuery(Unread { env, value }))
    }
}

impl JsFilter {
    /// The filter as `contract` reads it (the 4.2.2 API: `undefined` is null).
    pub fn read(self, contract: Contract) -> Result<Value> {
        let read = match contract.kernel_filter_rules() {
            true => Read::Filter,
            false => Read::Value,
        };
        // SAFETY: `Unread` lives only during the native call that received it.
        unsafe { filter_root(self.0.env, self.0.value, 0, read) }
    }
}

impl JsQuery {
    /// The query as `contract` reads it: its `where` as a filter.
    pub fn read(self, contract: Contract) -> Result<Value> {
        let read = match contract.kernel_filter_rules() {
            true => Read::Query,
            false => Read::Value,
        };
        // SAFETY: `Unread` lives only during the native call that received it.
        unsafe { from_js(self.0.env, self.0.value, 0, read) }
    }
}

/// A filter's root, read as `read`: an absent filter (`undefined`) is no filter.
unsafe fn filter_root(env: napi_env, value: napi_value, depth: usize, read: Read) -> Result<Value> {
    match from_js(env, value, depth, read)? {
        Value::Foreign(Foreign::Undefined) => Ok(Value::Null),
        other => Ok(other),
    }
}

macro_rules! unknown_type_name {
    ($($t:ty),*) => {$(
        impl TypeName for $t {
            fn type_name() -> &'static str {
                "unknown"
            }

            fn value_type() -> ValueType {
                ValueType::Unknown
            }
        }
    )*};
}

unknown_type_name!(JsFilter, JsQuery);

impl TypeName for JsInput {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl FromNapiValue for JsCall {
    unsafe fn from_napi_value(env: napi_env, value: napi_value) -> Result<Self> {
        let tenant = |id: Value, group: Value| Tenant::from_options(Some(&id), Some(&group));
        Ok(JsCall(match from_js(env, value, 0, Read::Value)? {
            Value::Null => Call::default(),
            Value::Text(id) => Call {
                tenant: tenant(Value::Text(id), Value::Null),
                ..Call::default()
            },
            Value::Array(parts) => {
                let mut parts = parts.into_iter();
                let mut next = || parts.next().unwrap_or_default();
                let tx = next().as_i64().and_then(|n| u32::try_from(n).ok());
                let (id, group) = (next(), next());
                Call {
                    tx,
                    tenant: tenant(id, group),
                    preserve_audit: next().is_truthy(),
                    today: next().as_str().and_then(Day::parse),
                }
            }
            other => Call {
                tx: other.as_i64().and_then(|n| u32::try_from(n).ok()),
                ..Call::default()
            },
        }))
    }
}

impl TypeName for JsCall {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

unsafe fn from_js(env: napi_env, value: napi_value, depth: usize, read: Read) -> Result<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "Value nests deeper than {MAX_DEPTH} levels (does it contain a cycle?)"
        )));
    }
    let mut kind = 0;
    check(sys::napi_typeof(env, value, &mut kind), "typeof")?;
    match kind {
        sys::ValueType::napi_undefined if read == Read::Filter => {
            Ok(Value::Foreign(Foreign::Undefined))
        }
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(Value::Null),
        sys::ValueType::napi_boolean => {
            let mut b = false;
            check(sys::napi_get_value_bool(env, value, &mut b), "boolean")?;
            Ok(Value::Bool(b))
        }
        sys::ValueType::napi_number => {
            let mut f = 0.0;
            check(sys::napi_get_value_double(env, value, &mut f), "number")?;
            if !f.is_finite() {
                // SQLite would store NaN as NULL: refused rather than altered.
                return Err(invalid(format!(
                    "{} cannot be stored or compared (SQLite has no such number); use null or a finite number",
                    Value::Real(f).describe()
                )));
            }
            // JS has only doubles: whole ones are integers, or SQLite would store REALs.
            Ok(if is_safe_whole(f) {
                Value::Integer(f as i64)
            } else {
                Value::Real(f)
            })
        }
        sys::ValueType::napi_string => read_string(env, value).map(Value::Text),
        sys::ValueType::napi_bigint => {
            let (mut i, mut lossless) = (0i64, false);
            check(
                sys::napi_get_value_bigint_int64(env, value, &mut i, &mut lossless),
                "bigint",
            )?;
            if lossless {
                Ok(Value::Integer(i))
            } else {
                Err(invalid(
                    "BigInt value does not fit in a 64-bit SQLite integer".into(),
                ))
            }
        }
        sys::ValueType::napi_object => object_from_js(env, value, depth, read),
        _ => Err(invalid(
            "Functions and symbols cannot be stored or used in a query".into(),
        )),
    }
}

unsafe fn object_from_js(
    env: napi_env,
    value: napi_value,
    depth: usize,
    read: Read,
) -> Result<Value> {
    let mut flag = false;
    check(sys::napi_is_array(env, value, &mut flag), "is_array")?;
    if flag {
        let mut len = 0u32;
        check(
            sys::napi_get_array_length(env, value, &mut len),
            "array length",
        )?;
        let mut items = Vec::with_capacity(len as usize);
        for i in 0..len {
            let mut item = ptr::null_mut();
            check_user(
                env,
                sys::napi_get_element(env, value, i, &mut item),
                "array element",
            )?;
            let item = from_js(env, item, depth + 1, element_read(read));
            items.push(item.map_err(|e| at(&format!("[{i}]"), e))?);
        }
        return Ok(Value::Array(items));
    }
    check(sys::napi_is_date(env, value, &mut flag), "is_date")?;
    if flag {
        let mut ms = 0.0;
        check(sys::napi_get_date_value(env, value, &mut ms), "date")?;
        return iso_datetime(ms).map(Value::Text).ok_or_else(|| {
            invalid("an invalid Date (its time is NaN) cannot be stored or compared".into())
        });
    }
    check(
        sys::napi_is_typedarray(env, value, &mut flag),
        "is_typedarray",
    )?;
    if flag {
        // Buffers are Uint8Arrays: any typed array is stored as its bytes.
        let (mut kind, mut len, mut data) = (0, 0usize, ptr::null_mut::<c_void>());
        let (mut buffer, mut offset) = (ptr::null_mut(), 0usize);
        check(
            sys::napi_get_typedarray_info(
                env,
                value,
                &mut kind,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            ),
            "typed array",
        )?;
        let bytes = len * typed_array_element_size(kind);
        if bytes > MAX_VALUE_BYTES {
            // Refused before the copy: a 1 GB one would cost seconds and gigabytes first.
            return Err(invalid(format!(
                "{bytes} bytes of binary data is longer than SQLite's limit of 1,000,000,000 bytes"
            )));
        }
        let slice = if data.is_null() || bytes == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(data as *const u8, bytes)
        };
        return Ok(Value::Blob(slice.to_vec()));
    }
    if read == Read::Filter {
        if let Some(class) = class_of(env, value)? {
            return Ok(Value::Foreign(Foreign::Instance(class)));
        }
    }
    let mut keys = ptr::null_mut();
    check_user(
        env,
        sys::napi_get_all_property_names(
            env,
            value,
            sys::KeyCollectionMode::own_only,
            sys::KeyFilter::enumerable | sys::KeyFilter::skip_symbols,
            sys::KeyConversion::numbers_to_strings,
            &mut keys,
        ),
        "object's keys",
    )?;
    let mut len = 0u32;
    check_user(
        env,
        sys::napi_get_array_length(env, keys, &mut len),
        "key count",
    )?;
    let mut entries = Vec::with_capacity(len as usize);
    for i in 0..len {
        let mut key = ptr::null_mut();
        check(sys::napi_get_element(env, keys, i, &mut key), "key")?;
        let mut item = ptr::null_mut();
        let status = sys::napi_get_property(env, value, key, &mut item);
        let key = read_string(env, key)?;
        let item = check_user(env, status, "property")
            .and_then(|()| match read {
                Read::Query if key == "where" => filter_root(env, item, depth + 1, Read::Filter),
                _ => from_js(env, item, depth + 1, element_read(read)),
            })
            .map_err(|e| at(&format!(".{key}"), e))?;
        entries.push((key, item));
    }
    Ok(Value::Object(entries))
}

/// How the values inside a container read as `read` are read.
fn element_read(read: Read) -> Read {
    match read {
        Read::Filter => Read::Filter,
        Read::Value | Read::Query => Read::Value,
    }
}

/// `None` for a plain object (`{}`, `Object.create(null)`), else its class's name: a
/// filter node must be plain, and an instance is no comparand. Plain means its prototype
/// is null or has none itself (an `Object.prototype`, of any realm: Jest's tests and
/// `vm` contexts have their own).
unsafe fn class_of(env: napi_env, value: napi_value) -> Result<Option<String>> {
    let is_null = |v: napi_value| -> Result<bool> {
        let mut kind = 0;
        check(sys::napi_typeof(env, v, &mut kind), "typeof")?;
        Ok(kind == sys::ValueType::napi_null)
    };
    let mut proto = ptr::null_mut();
    check(sys::napi_get_prototype(env, value, &mut proto), "prototype")?;
    if is_null(proto)? {
        return Ok(None);
    }
    let mut above = ptr::null_mut();
    check(sys::napi_get_prototype(env, proto, &mut above), "prototype")?;
    if is_null(above)? {
        return Ok(None);
    }
    // Rare (a caller's mistake): read the name for the refusal.
    let mut constructor = ptr::null_mut();
    let mut name = ptr::null_mut();
    let named = sys::napi_get_named_property(env, proto, c"constructor".as_ptr(), &mut constructor)
        == sys::Status::napi_ok
        && sys::napi_get_named_property(env, constructor, c"name".as_ptr(), &mut name)
            == sys::Status::napi_ok;
    let mut pending = false;
    sys::napi_is_exception_pending(env, &mut pending);
    if pending {
        // A throwing `constructor` getter: the refusal goes on without the name.
        let mut error = ptr::null_mut();
        sys::napi_get_and_clear_last_exception(env, &mut error);
    }
    let class = match named {
        true => read_string(env, name).ok().filter(|n| !n.is_empty()),
        false => None,
    };
    Ok(Some(
        class.unwrap_or_else(|| "object of a class".to_owned()),
    ))
}

/// `err`, said of the value at `step` (`.key`, `[i]`) of its container: the innermost
/// step comes first, so the message reads as a path from the value handed in.
fn at(step: &str, err: Error) -> Error {
    let reason = err.reason.clone();
    let (path, rest) = match reason
        .strip_prefix("at ")
        .and_then(|inner| inner.split_once(": "))
    {
        // The inner path lost its leading dot when it was written; give it back.
        Some((inner, rest)) if inner.starts_with('[') => (format!("{step}{inner}"), rest),
        Some((inner, rest)) => (format!("{step}.{inner}"), rest),
        None => (step.to_owned(), reason.as_str()),
    };
    Error::new(
        err.status,
        format!("at {}: {rest}", path.trim_start_matches('.')),
    )
}

fn typed_array_element_size(kind: sys::napi_typedarray_type) -> usize {
    use sys::TypedarrayType as T;
    match kind {
        T::int16_array | T::uint16_array => 2,
        T::int32_array | T::uint32_array | T::float32_array => 4,
        T::float64_array | T::bigint64_array | T::biguint64_array => 8,
        _ => 1,
    }
}

unsafe fn read_string(env: napi_env, value: napi_value) -> Result<String> {
    // Most strings (field names, short values) fit a stack buffer: one N-API call instead
    // of asking for the length first. N-API truncates at a character boundary, so a
    // result more than 3 bytes short of the buffer is certainly whole.
    let mut small = [0u8; 256];
    let mut written = 0usize;
    check(
        sys::napi_get_value_string_utf8(
            env,
            value,
            small.as_mut_ptr().cast(),
            small.len(),
            &mut written,
        ),
        "string",
    )?;
    let bytes = if written + 4 < small.len() {
        small.get(..written).unwrap_or_default().to_vec()
    } else {
        let mut len = 0usize;
        check(
            sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len),
            "string length",
        )?;
        let mut buf = vec![0u8; len + 1];
        check(
            sys::napi_get_value_string_utf8(
                env,
                value,
                buf.as_mut_ptr().cast(),
                len + 1,
                &mut written,
            ),
            "string",
        )?;
        buf.truncate(written);
        buf
    };
    // N-API writes UTF-8 (lone surrogates become U+FFFD), so this does not fail in practice.
    let text = String::from_utf8(bytes).map_err(|_| invalid("string is not valid UTF-8".into()))?;
    if text.contains('\u{FFFD}') && has_lone_surrogate(env, value)? {
        return Err(invalid(
            "a string with an unpaired surrogate (a broken UTF-16 character) cannot be stored as \
             text; it would come back as U+FFFD"
                .into(),
        ));
    }
    Ok(text)
}

/// Whether a JS string has a surrogate without its pair (N-API's UTF-8 turns one into
/// U+FFFD, which the string may also hold for real: only its UTF-16 tells them apart).
unsafe fn has_lone_surrogate(env: napi_env, value: napi_value) -> Result<bool> {
    let mut len = 0usize;
    check(
        sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut len),
        "string length",
    )?;
    let mut units = vec![0u16; len + 1];
    let mut written = 0usize;
    check(
        sys::napi_get_value_string_utf16(env, value, units.as_mut_ptr(), len + 1, &mut written),
        "string",
    )?;
    units.truncate(written);
    Ok(char::decode_utf16(units).any(|c| c.is_err()))
}

// --- out -------------------------------------------------------------------------------

unsafe fn to_js(env: napi_env, value: &Value) -> Result<napi_value> {
    let mut out = ptr::null_mut();
    match value {
        Value::Null | Value::Foreign(Foreign::Instance(_)) => {
            check(sys::napi_get_null(env, &mut out), "null")?
        }
        Value::Foreign(Foreign::Undefined) => {
            check(sys::napi_get_undefined(env, &mut out), "undefined")?
        }
        Value::Bool(b) => check(sys::napi_get_boolean(env, *b, &mut out), "boolean")?,
        Value::Integer(i) => {
            if is_safe_integer(*i) {
                check(sys::napi_create_double(env, *i as f64, &mut out), "number")?
            } else {
                // Beyond 2^53 a JS number would silently round: hand out a BigInt.
                check(sys::napi_create_bigint_int64(env, *i, &mut out), "bigint")?
            }
        }
        Value::Real(f) => check(sys::napi_create_double(env, *f, &mut out), "number")?,
        Value::Text(s) => out = string(env, s)?,
        // Only written, never read back as such; as the structure it spells if it does.
        Value::Json(text) => out = to_js(env, &Value::parse_json(text).unwrap_or_default())?,
        Value::Blob(bytes) => {
            let mut data = ptr::null_mut();
            check(
                sys::napi_create_buffer_copy(
                    env,
                    bytes.len(),
                    bytes.as_ptr().cast(),
                    &mut data,
                    &mut out,
                ),
                "buffer",
            )?
        }
        Value::Array(items) => {
            check(
                sys::napi_create_array_with_length(env, items.len(), &mut out),
                "array",
            )?;
            for (i, item) in items.iter().enumerate() {
                check(
                    sys::napi_set_element(env, out, i as u32, to_js(env, item)?),
                    "element",
                )?;
            }
        }
        Value::Object(entries) => {
            check(sys::napi_create_object(env, &mut out), "object")?;
            for (k, v) in entries {
                let (key, value) = (string(env, k)?, to_js(env, v)?);
                if k == "__proto__" {
                    own_property(env, out, key, value)?;
                } else {
                    check(sys::napi_set_property(env, out, key, value), "property")?;
                }
            }
        }
    }
    Ok(out)
}

/// Sets `key` as an own data property, as an object literal's computed key or
/// better-sqlite3 would: an assignment to `__proto__` would set the prototype instead, and
/// a column of that name (`select 1 as "__proto__"`) would be lost.
unsafe fn own_property(
    env: napi_env,
    object: napi_value,
    key: napi_value,
    value: napi_value,
) -> Result<()> {
    use sys::PropertyAttributes::{configurable, enumerable, writable};
    let descriptor = sys::napi_property_descriptor {
        utf8name: ptr::null(),
        name: key,
        method: None,
        getter: None,
        setter: None,
        value,
        attributes: writable | enumerable | configurable,
        data: ptr::null_mut(),
    };
    check(
        sys::napi_define_properties(env, object, 1, &descriptor),
        "property",
    )
}

/// Rows leave as `[columns, chunk, chunk, ...]`: the statement's column-name array (the
/// same frozen array every time, see `columns.rs`), then every cell row after row, in
/// arrays of whole rows. `lib/rows.js` turns them into objects with a factory compiled
/// per column array, which V8 runs faster than N-API can set properties one by one.
///
/// A chunk is made by one call of `(...cells) => cells` with the cells as arguments: V8
/// copies the arguments into the new array at once, where `napi_set_element` went through
/// a full property store per cell (a third of a 20-row `find`). Chunks stay well inside
/// what a call may pass on the stack.
unsafe fn rows_to_js(env: napi_env, set: &RowSet, rows: &[Vec<Value>]) -> Result<napi_value> {
    let width = set.columns.len().max(1);
    let rows_per_chunk = (CELLS_PER_CHUNK / width).max(1);
    let chunks = rows.len().div_ceil(rows_per_chunk);
    let mut out = ptr::null_mut();
    check(
        sys::napi_create_array_with_length(env, 1 + chunks, &mut out),
        "rows",
    )?;
    check(
        sys::napi_set_element(env, out, 0, column_array(env, &set.columns)?),
        "rows",
    )?;
    let mut json = vec![false; set.columns.len()];
    for &i in &set.json {
        if let Some(flag) = json.get_mut(i) {
            *flag = true;
        }
    }
    let mut parser = JsonParser::default();
    let collect = collector(env)?;
    // The text cell each column had in the row before, and the JS string made of it: a
    // column often repeats its value row after row (a tenant, an owner, a status, a day),
    // and one JS string serves them all (strings are immutable) for a comparison.
    let mut previous: Vec<Option<(&str, napi_value)>> = vec![None; set.columns.len()];
    let mut cells = Vec::with_capacity(rows_per_chunk.min(rows.len()) * width);
    for (c, chunk) in rows.chunks(rows_per_chunk).enumerate() {
        cells.clear();
        for row in chunk {
            for ((cell, &is_json), last) in row.iter().zip(&json).zip(previous.iter_mut()) {
                cells.push(match cell {
                    Value::Text(text) if is_json => parser.parse_or_text(env, text)?,
                    Value::Text(text) => match last {
                        Some((seen, made)) if *seen == text.as_str() => *made,
                        _ => {
                            let made = string(env, text)?;
                            *last = Some((text, made));
                            made
                        }
                    },
                    _ => to_js(env, cell)?,
                });
            }
        }
        let mut array = ptr::null_mut();
        check(
            sys::napi_call_function(
                env,
                collect,
                collect,
                cells.len(),
                cells.as_ptr(),
                &mut array,
            ),
            "rows",
        )?;
        check(sys::napi_set_element(env, out, 1 + c as u32, array), "rows")?;
    }
    Ok(out)
}

/// Cells per chunk of rows: a call's arguments live on the stack (8 bytes each here).
const CELLS_PER_CHUNK: usize = 4096;

thread_local! {
    static COLLECT: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

/// `(...cells) => cells`, compiled once per thread (see `rows_to_js`).
unsafe fn collector(env: napi_env) -> Result<napi_value> {
    let reference = COLLECT.get();
    if !reference.is_null() {
        let mut f = ptr::null_mut();
        check(
            sys::napi_get_reference_value(env, reference, &mut f),
            "collect",
        )?;
        if !f.is_null() {
            return Ok(f);
        }
    }
    let source = string(env, "(function collect(...cells) { return cells; })")?;
    let mut f = ptr::null_mut();
    check(sys::napi_run_script(env, source, &mut f), "collect")?;
    let mut reference = ptr::null_mut();
    check(
        sys::napi_create_reference(env, f, 1, &mut reference),
        "collect",
    )?;
    COLLECT.set(reference);
    Ok(f)
}

/// JSON cells are built by V8's `JSON.parse` from their text: one N-API call instead of
/// one per key and element.
#[derive(Default)]
struct JsonParser {
    parse: Option<napi_value>,
}

thread_local! {
    // Looking `JSON.parse` up on the global object cost 3% of a `create`; a reference
    // belongs to the env of the thread that made it, hence one per thread.
    static JSON_PARSE: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

impl JsonParser {
    unsafe fn function(&mut self, env: napi_env) -> Result<napi_value> {
        if let Some(f) = self.parse {
            return Ok(f);
        }
        let reference = JSON_PARSE.get();
        if !reference.is_null() {
            let mut parse = ptr::null_mut();
            check(
                sys::napi_get_reference_value(env, reference, &mut parse),
                "JSON.parse",
            )?;
            if !parse.is_null() {
                self.parse = Some(parse);
                return Ok(parse);
            }
        }
        let (mut global, mut json, mut parse) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        check(sys::napi_get_global(env, &mut global), "global")?;
        check(
            sys::napi_get_named_property(env, global, c"JSON".as_ptr(), &mut json),
            "JSON",
        )?;
        check(
            sys::napi_get_named_property(env, json, c"parse".as_ptr(), &mut parse),
            "JSON.parse",
        )?;
        let mut reference = ptr::null_mut();
        check(
            sys::napi_create_reference(env, parse, 1, &mut reference),
            "JSON.parse",
        )?;
        JSON_PARSE.set(reference);
        self.parse = Some(parse);
        Ok(parse)
    }

    /// The parsed JSON of a stored cell; text that is not JSON stays the string it is.
    unsafe fn parse_or_text(&mut self, env: napi_env, text: &str) -> Result<napi_value> {
        let parse = self.function(env)?;
        let arg = string(env, text)?;
        let mut out = ptr::null_mut();
        if sys::napi_call_function(env, parse, parse, 1, &arg, &mut out) == sys::Status::napi_ok {
            return Ok(out);
        }
        // The SyntaxError is ours to swallow, or it would surface after the call returns.
        let mut error = ptr::null_mut();
        check(
            sys::napi_get_and_clear_last_exception(env, &mut error),
            "JSON.parse",
        )?;
        Ok(arg)
    }
}

unsafe fn string(env: napi_env, s: &str) -> Result<napi_value> {
    let mut out = ptr::null_mut();
    // ASCII text (ids, dates, most values) is Latin-1 already: V8 copies it as one-byte
    // text instead of decoding UTF-8.
    let status = if s.is_ascii() {
        sys::napi_create_string_latin1(env, s.as_ptr().cast(), s.len() as isize, &mut out)
    } else {
        sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut out)
    };
    check(status, "string")?;
    Ok(out)
}

impl ToNapiValue for JsOutput {
    unsafe fn to_napi_value(env: napi_env, val: Self) -> Result<napi_value> {
        to_js(env, &val.0)
    }
}

impl ToNapiValue for JsRows {
    unsafe fn to_napi_value(env: napi_env, val: Self) -> Result<napi_value> {
        rows_to_js(env, &val.0, &val.0.rows)
    }
}

impl ToNapiValue for JsRow {
    unsafe fn to_napi_value(env: napi_env, val: Self) -> Result<napi_value> {
        match val.0.rows.get(..1) {
            Some(first) => rows_to_js(env, &val.0, first),
            None => to_js(env, &Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::iso_datetime;

    #[test]
    fn formats_dates_like_to_iso_string() {
        assert_eq!(iso_datetime(0.0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_datetime(1_709_251_199_999.0).unwrap(),
            "2024-02-29T23:59:59.999Z"
        );
        assert_eq!(iso_datetime(-1.0).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            iso_datetime(-62_198_755_200_000.0).unwrap(),
            "-000001-01-01T00:00:00.000Z"
        );
        assert!(iso_datetime(f64::NAN).is_none());
    }
}
