//! Failures put into words: what the service said (its JSON `error` or `message`, else the
//! start of its body, else the status's reason), what a transport error was, and the one
//! rule every message obeys: the token never appears in it, whoever wrote the text (a
//! server may echo it back).

use serde_json::Value as Json;

use super::http::Reply;

/// `message` with every occurrence of `token` replaced.
pub fn scrub(message: String, token: Option<&str>) -> String {
    match token {
        Some(token) if !token.is_empty() && message.contains(token) => {
            message.replace(token, "[redacted]")
        }
        _ => message,
    }
}

/// The service's own words for a failure: the JSON body's `error` (or `message`), else
/// the start of the body, else the status's reason phrase.
pub(super) fn api_text(reply: &Reply) -> String {
    if let Ok(Json::Object(body)) = serde_json::from_slice::<Json>(&reply.body) {
        for key in ["error", "message"] {
            if let Some(Json::String(text)) = body.get(key) {
                if !text.trim().is_empty() {
                    return one_line(text, 300);
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&reply.body);
    if !text.trim().is_empty() {
        return one_line(&text, 300);
    }
    reqwest::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("no reason given")
        .to_owned()
}

/// What a non-JSON body starts with, for a message.
pub(super) fn preview(body: &[u8]) -> String {
    if body.is_empty() {
        return "an empty body".to_owned();
    }
    format!(
        "it starts {:?}",
        one_line(&String::from_utf8_lossy(body), 60)
    )
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &flat[..cut]),
        None => flat,
    }
}

/// A transport failure in words: the innermost causes, with the errno name users search
/// for when the connection was refused.
pub(super) fn transport_text(err: &reqwest::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    let mut refused = false;
    while let Some(inner) = source {
        if let Some(io) = inner.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        let text = inner.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    let mut text = parts.join(": ");
    if refused {
        text.push_str(" (ECONNREFUSED: nothing listens there)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_replaces_every_occurrence() {
        assert_eq!(
            scrub("a tok b tok".into(), Some("tok")),
            "a [redacted] b [redacted]"
        );
        assert_eq!(scrub("a".into(), Some("")), "a");
        assert_eq!(scrub("a".into(), None), "a");
    }

    #[test]
    fn api_text_prefers_the_services_words() {
        let reply = |status, body: &str| Reply {
            status,
            body: body.as_bytes().to_vec(),
            attempts: 1,
            wait_refused: None,
        };
        assert_eq!(api_text(&reply(404, r#"{"error":"gone"}"#)), "gone");
        assert_eq!(
            api_text(&reply(404, r#"{"message":"also gone"}"#)),
            "also gone"
        );
        assert_eq!(api_text(&reply(502, "bad\ngateway")), "bad gateway");
        assert_eq!(api_text(&reply(503, "")), "Service Unavailable");
        assert_eq!(one_line(&"x".repeat(10), 4), "xxxx...");
    }
}
