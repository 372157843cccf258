//! The one dispatch point between JS and the core's operations.
//!
//! Local work runs inline on the JS thread (its futures finish on their first poll) and
//! answers with the value itself, which the JS layer wraps in a settled Promise. Remote
//! work (a libSQL server) runs on napi's tokio runtime, within the driver's
//! [`Limits`], and answers with a real Promise; an embedded replica's call is polled once
//! inline first, and only what is still pending then (a write) goes to the runtime. Such a Promise resolves with the value
//! or with the coded `Error` object (async napi work can only reject with a `Status`
//! code); the JS layer (`#run` in `lib/driver.js`) throws the latter in the caller's
//! realm, so errors are mapped the same way for both.

use std::future::Future;
use std::sync::Arc;

use driver_core::store::poll::poll_once;
use driver_core::store::remote::Limits;
use driver_core::Error;
use napi::bindgen_prelude::{within_runtime_if_available, JsValue, ToNapiValue};
use napi::sys::{napi_env, napi_value};
use napi::{Env, JsError};

use crate::error::{coded, Coded};

/// What a native method hands back: the value now, or a Promise of it.
pub enum Answer<T> {
    Now(T),
    Later(napi_value),
}

impl<T: ToNapiValue> ToNapiValue for Answer<T> {
    unsafe fn to_napi_value(env: napi_env, answer: Self) -> napi::Result<napi_value> {
        match answer {
            Answer::Now(value) => T::to_napi_value(env, value),
            Answer::Later(promise) => Ok(promise),
        }
    }
}

/// A remote result as a Promise resolves with it: the value, or the coded error object.
struct Outcome<T>(Result<T, Error>);

impl<T: ToNapiValue> ToNapiValue for Outcome<T> {
    unsafe fn to_napi_value(env: napi_env, outcome: Self) -> napi::Result<napi_value> {
        match outcome.0 {
            Ok(value) => T::to_napi_value(env, value),
            Err(err) => Ok(JsError::from(coded(err)).into_value(env)),
        }
    }
}

/// Runs `op`: inline when `limits` is `None` (a local database), else on the runtime.
pub fn dispatch<T, J>(
    env: &Env,
    limits: Option<&Arc<Limits>>,
    op: impl Future<Output = driver_core::Result<T>> + Send + 'static,
    wrap: impl FnOnce(T) -> J + Send + 'static,
) -> Result<Answer<J>, Coded>
where
    T: Send + 'static,
    J: ToNapiValue + Send + 'static,
{
    let Some(limits) = limits else {
        return match poll_once(op) {
            Some(result) => result.map(|value| Answer::Now(wrap(value))).map_err(coded),
            None => Err(coded(Error::driver(
                "internal: a local database operation did not complete synchronously",
            ))),
        };
    };
    let mut op = Box::pin(op);
    if limits.inline_first() {
        // A replica's read runs on its local file and finishes now; a write goes on below.
        // The poll runs inside the runtime's context, so what it starts (a request to the
        // primary) belongs to the runtime that drives it on.
        if let Some(result) = within_runtime_if_available(|| poll_once(&mut op)) {
            return result.map(|value| Answer::Now(wrap(value))).map_err(coded);
        }
    }
    let limits = limits.clone();
    spawn(env, async move { limits.run(op).await }, wrap)
}

/// Runs `op` on napi's runtime and answers with its Promise, which resolves with the value
/// or with the coded `Error` object: [`dispatch`]'s calls that wait on the network, and
/// calls that always do (the provisioning APIs of `platform.rs`).
pub fn spawn<T, J>(
    env: &Env,
    op: impl Future<Output = driver_core::Result<T>> + Send + 'static,
    wrap: impl FnOnce(T) -> J + Send + 'static,
) -> Result<Answer<J>, Coded>
where
    T: Send + 'static,
    J: ToNapiValue + Send + 'static,
{
    let promise = env
        .spawn_future(async move { Ok(Outcome(op.await.map(wrap))) })
        .map_err(|err| coded(Error::driver(format!("cannot start a remote call: {err}"))))?;
    Ok(Answer::Later(promise.value().value))
}
