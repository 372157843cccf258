//! Text comparands under the kernel contract: what a primitive comparand of a text
//! operator reads as, and `$like` patterns in SQLite's case-exact GLOB language.

use crate::value::Value;

/// The text a `$contains`-family comparand stands for, as JavaScript's `String(v)` gives
/// it (`5` -> "5", `true` -> "true", `null` -> "null"); `None` for what has no faithful
/// text (objects, arrays, bytes).
pub(super) fn comparand_text(value: &Value) -> Option<String> {
    Some(match value {
        Value::Text(t) => t.clone(),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => js_number(*f),
        _ => return None,
    })
}

/// A finite double as JavaScript prints it, for the range a comparand uses (Rust's
/// shortest round-trip digits; exponents in JavaScript's `1e+21` form).
fn js_number(f: f64) -> String {
    let text = format!("{f}");
    if (1e-6..1e21).contains(&f.abs()) || f == 0.0 {
        return text;
    }
    let sci = format!("{f:e}");
    match sci.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => sci,
    }
}

/// A LIKE pattern (`%` any run, `_` one character, `\` escapes the next) in GLOB's
/// language, which SQLite matches case-exactly (its LIKE folds ASCII case, and the kernel
/// contract's `$like` does not). GLOB's own metacharacters in the pattern become
/// one-character classes (`*` -> `[*]`), its only escape. The pattern must not end in a
/// lone backslash (the filter check refuses that first).
pub(super) fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    let literal = |out: &mut String, c: char| {
        if matches!(c, '*' | '?' | '[') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    literal(&mut out, next);
                }
            }
            '%' => out.push('*'),
            '_' => out.push('?'),
            other => literal(&mut out, other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_like_patterns_to_glob() {
        assert_eq!(like_to_glob("%Industries"), "*Industries");
        assert_eq!(like_to_glob("a_b"), "a?b");
        assert_eq!(like_to_glob("a\\_b"), "a_b");
        assert_eq!(like_to_glob("100\\% match"), "100% match");
        assert_eq!(like_to_glob("a*b?[c]"), "a[*]b[?][[]c]");
        assert_eq!(like_to_glob("a\\\\b"), "a\\b");
        assert_eq!(like_to_glob(""), "");
    }

    #[test]
    fn renders_primitives_as_javascript_does() {
        for (value, text) in [
            (Value::Integer(5), "5"),
            (Value::Real(1.5), "1.5"),
            (Value::Real(1e21), "1e+21"),
            (Value::Real(-2.5e-8), "-2.5e-8"),
            (Value::Bool(true), "true"),
            (Value::Null, "null"),
            (Value::from("x"), "x"),
        ] {
            assert_eq!(comparand_text(&value).as_deref(), Some(text), "{value:?}");
        }
        assert_eq!(comparand_text(&Value::Array(vec![])), None);
    }
}
