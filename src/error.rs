//! Core errors -> JS errors whose `code` is the stable ObjectQL code. The JS layer
//! (`lib/errors.js`) re-creates them as `ObjectQLError`s in the caller's realm.

use driver_core::Error;

/// A JS error whose `code` is one of `driver_core::ErrorCode::as_str`.
pub type Coded = napi::Error<&'static str>;

pub fn coded(err: Error) -> Coded {
    let mut coded = napi::Error::new(err.code.as_str(), err.message);
    if let Some(cause) = err.cause {
        coded.set_cause(napi::Error::from_reason(cause));
    }
    coded
}
