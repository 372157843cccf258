//! One JS array of column names per prepared statement, reused across calls.
//!
//! Creating the names again for every result was the largest N-API cost of a `create`.
//! The core shares one `Arc<[String]>` per cached statement, so its address identifies
//! the column list; the `Weak` kept beside the reference pins that address, so a freed
//! list can never be mistaken for a new one that reuses its memory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ptr;
use std::sync::{Arc, Weak};

use napi::sys::{self, napi_env, napi_value};
use napi::Result;

use crate::convert::check;

/// Entries kept before the cache starts over (ad-hoc `execute` results add one each).
const CAPACITY: usize = 1024;

struct Entry {
    columns: Weak<[String]>,
    array: sys::napi_ref,
}

thread_local! {
    // napi references belong to the env of the thread that made them: one cache per thread.
    static ARRAYS: RefCell<HashMap<usize, Entry>> = RefCell::new(HashMap::new());
}

/// The JS array holding `columns`, created on first use.
///
/// # Safety
/// `env` must be the live env of the calling thread.
pub unsafe fn column_array(env: napi_env, columns: &Arc<[String]>) -> Result<napi_value> {
    let key = Arc::as_ptr(columns) as *const String as usize;
    let cached = ARRAYS.with_borrow(|arrays| {
        arrays
            .get(&key)
            .filter(|e| {
                e.columns
                    .upgrade()
                    .is_some_and(|c| Arc::ptr_eq(&c, columns))
            })
            .map(|e| e.array)
    });
    if let Some(reference) = cached {
        let mut array = ptr::null_mut();
        check(
            sys::napi_get_reference_value(env, reference, &mut array),
            "column array",
        )?;
        if !array.is_null() {
            return Ok(array);
        }
    }
    let array = new_array(env, columns)?;
    let mut reference = ptr::null_mut();
    check(
        sys::napi_create_reference(env, array, 1, &mut reference),
        "reference",
    )?;
    ARRAYS.with_borrow_mut(|arrays| {
        if arrays.len() >= CAPACITY {
            for (_, old) in arrays.drain() {
                sys::napi_delete_reference(env, old.array);
            }
        }
        let entry = Entry {
            columns: Arc::downgrade(columns),
            array: reference,
        };
        if let Some(old) = arrays.insert(key, entry) {
            sys::napi_delete_reference(env, old.array);
        }
    });
    Ok(array)
}

unsafe fn new_array(env: napi_env, columns: &[String]) -> Result<napi_value> {
    let mut array = ptr::null_mut();
    check(
        sys::napi_create_array_with_length(env, columns.len(), &mut array),
        "columns",
    )?;
    for (i, c) in columns.iter().enumerate() {
        let mut name = ptr::null_mut();
        check(
            sys::napi_create_string_utf8(env, c.as_ptr().cast(), c.len() as isize, &mut name),
            "column",
        )?;
        check(sys::napi_set_element(env, array, i as u32, name), "column")?;
    }
    // Shared by every result of the statement: nobody may change it.
    check(sys::napi_object_freeze(env, array), "freeze")?;
    Ok(array)
}
