//! Core errors -> JS errors whose `code` is the stable ObjectQL code. The JS layer
//! (`lib/errors.js`) re-creates them as `ObjectQLError`s in the caller's realm.

use driver_core::Error;

/// A JS error whose `code` is one of `driver_core::ErrorCode::as_str`.
pub type Coded = napi::Error<&'static str>;

/// Separates the parts of a native error's message that only `lib/errors.js` reads: a
/// withheld filter refusal is `shown NUL detail NUL steps`, `steps` being the subtree's
/// positions joined by `.` (see `driver_core::error::Withheld`); a statement failure is
/// `message NUL statement`. A NUL cannot occur in either text: field
/// names and comparands holding one are refused before any refusal could quote them,
/// and previews of values are JSON, which escapes it. Only `lib/errors.js` reads this
/// form; no caller ever sees it.
pub const WITHHELD_SEPARATOR: char = '\0';

pub fn coded(err: Error) -> Coded {
    let message = match err.withheld {
        // The statement is for the log: `lib/errors.js` takes it off (`message NUL sql`).
        None => match err.statement {
            Some(sql) => format!("{}{WITHHELD_SEPARATOR}{sql}", err.message),
            None => err.message,
        },
        Some(withheld) => {
            let steps: Vec<String> = withheld.subtree.iter().map(u32::to_string).collect();
            let sep = WITHHELD_SEPARATOR;
            format!(
                "{}{sep}{}{sep}{}",
                err.message,
                withheld.detail,
                steps.join(".")
            )
        }
    };
    let mut coded = napi::Error::new(err.code.as_str(), message);
    if let Some(cause) = err.cause {
        coded.set_cause(napi::Error::from_reason(cause));
    }
    coded
}
