//! The stored forms of dates and times, as the kernel's SQL driver keeps them, so that one
//! SQLite file answers alike through either driver:
//!
//! - a `datetime` is an instant, stored as UTC ISO text with milliseconds
//!   (`2026-09-05T10:00:00.000Z`): fixed width, so text order is time order and a range
//!   filter can use an index;
//! - a `date` is a calendar day, `YYYY-MM-DD`;
//! - a `time` is a wall-clock time of day, `HH:MM:SS`, with `.fff` only when the
//!   milliseconds are not zero.
//!
//! Writes, filter comparands and reads all go through these functions, so the two sides of
//! a comparison always have one shape. A value none of them can read is passed through as
//! given: it is stored and compared as the caller wrote it, never rewritten into a guess.

use crate::dates::{days_from_civil, iso_datetime};
use crate::value::Value;

/// The kernel contract's kinds of temporal field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    Date,
    DateTime,
    Time,
}

impl Temporal {
    /// A value in this kind's stored form; `None` when it is already in it or cannot be
    /// read as one (then it stays as given).
    pub fn canonical(self, value: &Value) -> Option<Value> {
        match self {
            Temporal::DateTime => canonical_datetime(value),
            Temporal::Date => date_only(value),
            Temporal::Time => time_of_day(value),
        }
    }

    /// A stored value as the caller reads it: the canonical form, also of rows written
    /// before it was the rule (epoch milliseconds, zone-less text, a full timestamp in a
    /// date or time column).
    pub fn present(self, value: Value) -> Value {
        let repaired = match (self, &value) {
            (Temporal::DateTime, Value::Integer(ms)) => iso_datetime(*ms as f64).map(Value::Text),
            (Temporal::DateTime, Value::Real(ms)) => iso_datetime(*ms).map(Value::Text),
            (Temporal::DateTime, Value::Text(text)) => present_instant_text(text),
            (Temporal::DateTime, _) => None,
            (kind, value) => kind.canonical(value),
        };
        repaired.unwrap_or(value)
    }
}

/// `Date.prototype.toISOString()` of an instant the caller gave as a JS `Date` (ISO text by
/// the time it reaches Rust), epoch milliseconds, ISO text with an offset, or zone-less
/// text (its wall clock is UTC). A bare day is its midnight UTC.
pub fn canonical_datetime(value: &Value) -> Option<Value> {
    // What `toISOString()` printed (the engine's audit stamps, a `Date` from JS) is the
    // common case: already in form, nothing to parse or print. (Hour 24 rolls over.)
    if let Value::Text(text) = value {
        if is_canonical_instant(text) && &text[11..13] < "24" {
            return None;
        }
    }
    let ms = match value {
        Value::Integer(ms) => *ms as f64,
        Value::Real(ms) => ms.trunc(),
        Value::Text(text) => {
            let t = text.trim();
            if t.is_empty() {
                return None;
            }
            match epoch_millis_text(t) {
                Some(ms) => ms,
                None => parse_instant(t, true)?,
            }
        }
        _ => return None,
    };
    let iso = iso_datetime(ms)?;
    (!matches!(value, Value::Text(t) if *t == iso)).then_some(Value::Text(iso))
}

/// The calendar day of a date field's value: the first ten characters of text that starts
/// with `YYYY-MM-DD` (a JS `Date` arrives as its UTC ISO text, so its UTC day).
pub fn date_only(value: &Value) -> Option<Value> {
    let Value::Text(text) = value else {
        return None;
    };
    let t = text.trim();
    let b = t.as_bytes();
    let day_like = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit());
    (day_like && (t.len() > 10 || t.len() != text.len())).then(|| Value::Text(t[..10].to_owned()))
}

/// The wall-clock time of day of a time field's value: `HH:MM[:SS[.f...]]` text in its
/// canonical spelling, or the UTC time of day of an instant (a `Date`, epoch milliseconds,
/// a full timestamp).
pub fn time_of_day(value: &Value) -> Option<Value> {
    if let Value::Text(text) = value {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Some(clock) = parse_clock(t) {
            return (clock != *text).then_some(Value::Text(clock));
        }
    }
    let instant = match canonical_datetime(value) {
        Some(Value::Text(iso)) => iso,
        _ => match value {
            Value::Text(t) if is_canonical_instant(t) => t.clone(),
            _ => return None,
        },
    };
    let clock = clock_of_instant(&instant)?;
    (!matches!(value, Value::Text(t) if t == clock)).then(|| Value::Text(clock.to_owned()))
}

/// The UTC wall clock of a canonical instant as a time field stores it
/// (`...T14:30:00.500Z` -> `14:30:00.500`, `...T09:00:00.000Z` -> `09:00:00`).
pub fn clock_of_instant(iso: &str) -> Option<&str> {
    if !is_canonical_instant(iso) {
        return None;
    }
    let clock = &iso[11..23];
    Some(clock.strip_suffix(".000").unwrap_or(clock))
}

/// A zone-less `YYYY-MM-DD[ T]HH:MM:SS[.f...]` read as UTC, as the kernel repairs its audit
/// columns and date-times on read; zone-explicit text (`...Z`, `...+02:00`) is kept.
pub fn repair_naive_utc(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || has_zone(t) {
        return None;
    }
    let b = t.as_bytes();
    let shaped = b.len() >= 19
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
        && b[16] == b':'
        && (b.len() == 19 || b[19] == b'.' && b.len() > 20);
    if !shaped {
        return None;
    }
    iso_datetime(parse_instant(t, true)?)
}

/// Whether `text` is exactly `YYYY-MM-DDTHH:MM:SS.sssZ`.
pub fn is_canonical_instant(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

/// What a stored date-time reads as: epoch milliseconds spelt as text become the instant;
/// other text is repaired only when zone-less.
fn present_instant_text(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Some(ms) = epoch_millis_text(t) {
        return iso_datetime(ms).map(Value::Text);
    }
    repair_naive_utc(t).map(Value::Text)
}

/// A number spelt as text (`-?\d+`, or `-?\d+\.\d+` as a REAL bound into a TEXT column
/// is stored) as epoch milliseconds: what older drivers stored for a `Date`. The same rule
/// as [`canonical_sql`]'s, so reads and filters agree.
fn epoch_millis_text(t: &str) -> Option<f64> {
    let number = t.strip_prefix('-').unwrap_or(t);
    let (int, fraction) = number.split_once('.').unwrap_or((number, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(fraction) {
        return None;
    }
    t.parse::<f64>().ok()
}

fn has_zone(t: &str) -> bool {
    if t.ends_with(['Z', 'z']) {
        return true;
    }
    // `+HH:MM`, `-HHMM` at the end.
    let b = t.as_bytes();
    let tail = |n: usize| b.len() >= n && matches!(b[b.len() - n], b'+' | b'-');
    (tail(6)
        && b[b.len() - 3] == b':'
        && digits_at(b, b.len() - 5, 2)
        && digits_at(b, b.len() - 2, 2))
        || (tail(5) && digits_at(b, b.len() - 4, 4))
}

fn digits_at(b: &[u8], from: usize, n: usize) -> bool {
    b.get(from..from + n)
        .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
}

/// `HH:MM[:SS[.f...]]` (hours 00-23, minutes and seconds 00-59) in its canonical spelling:
/// seconds always, milliseconds (truncated to three digits) only when not zero.
fn parse_clock(t: &str) -> Option<String> {
    let b = t.as_bytes();
    if b.len() < 5 || b[2] != b':' || !digits_at(b, 0, 2) || !digits_at(b, 3, 2) {
        return None;
    }
    let (hh, mm) = (&t[0..2], &t[3..5]);
    let (ss, frac) = match b.len() {
        5 => ("00", ""),
        8 if b[5] == b':' && digits_at(b, 6, 2) => (&t[6..8], ""),
        n if n > 9 && b[5] == b':' && digits_at(b, 6, 2) && b[8] == b'.' => {
            let frac = &t[9..];
            if !frac.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (&t[6..8], frac)
        }
        _ => return None,
    };
    let num = |s: &str| s.parse::<u32>().unwrap_or(99);
    if num(hh) > 23 || num(mm) > 59 || num(ss) > 59 {
        return None;
    }
    let ms: String = frac.chars().chain("000".chars()).take(3).collect();
    Some(if ms == "000" {
        format!("{hh}:{mm}:{ss}")
    } else {
        format!("{hh}:{mm}:{ss}.{ms}")
    })
}

/// Epoch milliseconds of ISO-8601 text as JavaScript's `Date.parse` reads it: `YYYY`,
/// `YYYY-MM`, `YYYY-MM-DD` (UTC midnight), and a date with `THH:MM[:SS[.f...]]` (or a
/// space instead of the `T`) and an optional `Z` / `±HH:MM` / `±HHMM`. Extended years
/// (`+YYYYYY`, `-YYYYYY`) too. A time without a zone is UTC when `naive_is_utc` (the
/// kernel's rule for stored wall clocks); JavaScript would read it in the host's zone,
/// which is why the kernel never lets it.
pub fn parse_instant(t: &str, naive_is_utc: bool) -> Option<f64> {
    let b = t.as_bytes();
    let (year, rest) = match b.first()? {
        b'+' | b'-' => {
            if !digits_at(b, 1, 6) {
                return None;
            }
            let y: i64 = t[1..7].parse().ok()?;
            if b[0] == b'-' && y == 0 {
                return None;
            }
            (if b[0] == b'-' { -y } else { y }, &t[7..])
        }
        _ => {
            if !digits_at(b, 0, 4) {
                return None;
            }
            (t[0..4].parse().ok()?, &t[4..])
        }
    };
    let (month, day, rest) = match two_after(rest, b'-') {
        Some((month, rest)) => match two_after(rest, b'-') {
            Some((day, rest)) => (month, day, rest),
            None => (month, 1, rest),
        },
        None => (1, 1, rest),
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if rest.is_empty() {
        return Some(days as f64 * 86_400_000.0);
    }
    let rb = rest.as_bytes();
    if !matches!(rb[0], b'T' | b't' | b' ') {
        return None;
    }
    let time = &rest[1..];
    let tb = time.as_bytes();
    if tb.len() < 5 || tb[2] != b':' || !digits_at(tb, 0, 2) || !digits_at(tb, 3, 2) {
        return None;
    }
    let hour: u32 = time[0..2].parse().ok()?;
    let minute: u32 = time[3..5].parse().ok()?;
    let mut i = 5;
    let mut second = 0u32;
    let mut millis = 0u32;
    if tb.get(i) == Some(&b':') {
        if !digits_at(tb, i + 1, 2) {
            return None;
        }
        second = time[i + 1..i + 3].parse().ok()?;
        i += 3;
        if tb.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < tb.len() && tb[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            let frac: String = time[start..end]
                .chars()
                .chain("00".chars())
                .take(3)
                .collect();
            millis = frac.parse().ok()?;
            i = end;
        }
    }
    let zone = &time[i..];
    let offset_minutes: i64 = match zone.as_bytes() {
        [] if naive_is_utc => 0,
        [] => return None,
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
        {
            let h = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let m = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    // 24:00 is the end of the day (as JavaScript reads it); 24:00:01 is no time at all.
    let end_of_day = hour == 24 && minute == 0 && second == 0 && millis == 0;
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    let ms = days as f64 * 86_400_000.0
        + f64::from(hour) * 3_600_000.0
        + f64::from(minute) * 60_000.0
        + f64::from(second) * 1000.0
        + f64::from(millis)
        - offset_minutes as f64 * 60_000.0;
    (ms.abs() <= 8.64e15).then_some(ms)
}

/// `-NN` at the start of `rest`, as a number, and what follows.
fn two_after(rest: &str, sep: u8) -> Option<(u32, &str)> {
    let b = rest.as_bytes();
    if b.first() != Some(&sep) || !digits_at(b, 1, 2) {
        return None;
    }
    Some((rest[1..3].parse().ok()?, &rest[3..]))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    (days_from_civil(ny, nm, 1) - days_from_civil(year, month, 1)) as u32
}

/// `'NOW()'` (any case, spaces around): the database clock at insert time.
pub fn is_now_token(value: &Value) -> bool {
    matches!(value, Value::Text(t) if t.trim().eq_ignore_ascii_case("now()"))
}

/// A `defaultValue` the engine resolves per request (`current_user`) or the clock: never a
/// value to store as written.
pub fn is_runtime_token(value: &Value) -> bool {
    is_now_token(value) || matches!(value, Value::Text(t) if t == "current_user")
}

/// `column` (an SQL expression) read in its kind's stored form, whichever form older
/// writers left in it. SQLite's own date functions do the reading, so a value they cannot
/// read keeps its text. Dates need none: their text is compared from its start.
pub fn canonical_sql(column: &str, kind: Temporal) -> Option<String> {
    // Epoch milliseconds: a number, or one kept as text by a TEXT column (how a JS number
    // written by an older writer lands there): digits, or digits with one fraction, as a
    // REAL bound into a TEXT column is stored ('1774008000000.0').
    let digits = format!("ltrim({column}, '-')");
    let epoch = format!(
        "typeof({column}) IN ('integer', 'real') OR (typeof({column}) = 'text' \
         AND {digits} <> '' AND ({digits} NOT GLOB '*[^0-9]*' OR ({digits} GLOB '[0-9]*.[0-9]*' \
         AND {digits} NOT GLOB '*[^0-9.]*' AND {digits} NOT GLOB '*.*.*')))"
    );
    Some(match kind {
        Temporal::DateTime => format!(
            "(CASE WHEN {epoch} \
             THEN strftime('%Y-%m-%dT%H:%M:%fZ', {column} / 1000.0, 'unixepoch') \
             ELSE coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', {column}), {column}) END)"
        ),
        Temporal::Time => {
            let clock = |args: &str| {
                format!(
                    "CASE WHEN strftime('%H:%M:%f', {args}) LIKE '%.000' \
                     THEN strftime('%H:%M:%S', {args}) ELSE strftime('%H:%M:%f', {args}) END"
                )
            };
            format!(
                "(CASE WHEN {epoch} THEN {} ELSE coalesce({}, {column}) END)",
                clock(&format!("{column} / 1000.0, 'unixepoch'")),
                clock(column)
            )
        }
        Temporal::Date => return None,
    })
}

/// The statement that rewrites `column` of `table` (both quoted) into its kind's stored
/// form, for rows written before it was the rule (by older versions of this driver, which
/// kept the caller's text, or by writers that bound a `Date` as epoch milliseconds). Run
/// once per schema sync of an existing table; rows already canonical are not touched.
pub fn backfill_sql(table: &str, column: &str, kind: Temporal) -> String {
    let canonical = stored_form_sql(column, kind);
    format!(
        "UPDATE {table} SET {column} = {canonical} \
         WHERE {column} IS NOT NULL AND {column} IS NOT {canonical}"
    )
}

/// How many rows [`backfill_sql`] would rewrite: what `os migrate plan` reports before
/// the sync that runs it (its `WHERE`, the same predicate, so the count cannot disagree).
pub fn backfill_count_sql(table: &str, column: &str, kind: Temporal) -> String {
    let canonical = stored_form_sql(column, kind);
    format!(
        "SELECT COUNT(*) FROM {table} \
         WHERE {column} IS NOT NULL AND {column} IS NOT {canonical}"
    )
}

/// [`canonical_sql`], and for dates the first ten characters of text that starts with one.
fn stored_form_sql(column: &str, kind: Temporal) -> String {
    canonical_sql(column, kind).unwrap_or_else(|| {
        format!(
            "(CASE WHEN typeof({column}) = 'text' AND trim({column}) GLOB \
             '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' \
             THEN substr(trim({column}), 1, 10) ELSE {column} END)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(v: Value) -> Value {
        Temporal::DateTime.canonical(&v).unwrap_or(v)
    }

    fn text(s: &str) -> Value {
        Value::from(s)
    }

    #[test]
    fn datetimes_become_utc_iso_with_milliseconds() {
        for (given, stored) in [
            ("2026-09-05T00:00:00Z", "2026-09-05T00:00:00.000Z"),
            ("2026-09-05", "2026-09-05T00:00:00.000Z"),
            ("2031-03-04T07:06:07+02:00", "2031-03-04T05:06:07.000Z"),
            ("2031-03-04T07:06:07-0230", "2031-03-04T09:36:07.000Z"),
            ("2026-09-05 10:30", "2026-09-05T10:30:00.000Z"),
            ("2026-09-05T10:30:15.123456", "2026-09-05T10:30:15.123Z"),
            (" 2026-09-05T10:30:15.5Z ", "2026-09-05T10:30:15.500Z"),
            ("2026-09-05T24:00:00Z", "2026-09-06T00:00:00.000Z"),
            // Bare digits are epoch milliseconds, as the kernel reads them, years too.
            ("2026", "1970-01-01T00:00:02.026Z"),
            ("2026-02", "2026-02-01T00:00:00.000Z"),
            ("+012026-01-01T00:00:00Z", "+012026-01-01T00:00:00.000Z"),
            ("1700000000000", "2023-11-14T22:13:20.000Z"),
            ("-1", "1969-12-31T23:59:59.999Z"),
        ] {
            assert_eq!(dt(text(given)), text(stored), "{given}");
        }
        assert_eq!(dt(Value::Integer(0)), text("1970-01-01T00:00:00.000Z"));
        assert_eq!(dt(Value::Real(1.9)), text("1970-01-01T00:00:00.001Z"));
        // Already canonical: nothing to do.
        assert!(canonical_datetime(&text("2026-09-05T00:00:00.000Z")).is_none());
    }

    #[test]
    fn unreadable_datetimes_stay_as_given() {
        for junk in [
            "",
            "tomorrow",
            "2026-02-30",
            "2026-13-01T00:00:00Z",
            "2026-09-05T25:00:00Z",
            "2026-09-05T10:00:00+24:00",
            "2026-09-05T10:00:00 Z",
            "05/09/2026",
            "-000000-01-01T00:00:00Z",
        ] {
            assert!(canonical_datetime(&text(junk)).is_none(), "{junk}");
        }
        assert!(canonical_datetime(&Value::Bool(true)).is_none());
    }

    #[test]
    fn dates_keep_the_calendar_day() {
        let d = |s: &str| Temporal::Date.canonical(&text(s));
        assert_eq!(d("2026-09-05T00:00:00.000Z"), Some(text("2026-09-05")));
        assert_eq!(d(" 2026-09-05 "), Some(text("2026-09-05")));
        assert_eq!(d("2026-09-05"), None);
        assert_eq!(d("Sept 5"), None);
        assert_eq!(Temporal::Date.canonical(&Value::Integer(5)), None);
    }

    #[test]
    fn times_are_wall_clocks() {
        let t = |v: Value| Temporal::Time.canonical(&v);
        assert_eq!(t(text("14:30")), Some(text("14:30:00")));
        assert_eq!(t(text("14:30:00")), None);
        assert_eq!(t(text("14:30:00.1")), Some(text("14:30:00.100")));
        assert_eq!(t(text("14:30:00.1239")), Some(text("14:30:00.123")));
        assert_eq!(t(text("14:30:00.000")), Some(text("14:30:00")));
        assert_eq!(t(text("1970-01-01T09:00:00.000Z")), Some(text("09:00:00")));
        assert_eq!(t(text("2026-01-01T14:30:00+02:00")), Some(text("12:30:00")));
        assert_eq!(t(Value::Integer(52_200_500)), Some(text("14:30:00.500")));
        for junk in ["25:00", "12:60", "noon", "1:30"] {
            assert_eq!(t(text(junk)), None, "{junk}");
        }
    }

    #[test]
    fn reads_repair_what_older_writers_stored() {
        let p = |v: Value| Temporal::DateTime.present(v);
        assert_eq!(p(Value::Integer(0)), text("1970-01-01T00:00:00.000Z"));
        assert_eq!(
            p(text("2026-09-05 10:00:00")),
            text("2026-09-05T10:00:00.000Z")
        );
        // Zone-explicit text is read as written.
        assert_eq!(
            p(text("2031-03-04T07:06:07+02:00")),
            text("2031-03-04T07:06:07+02:00")
        );
        assert_eq!(p(text("2026-09-05")), text("2026-09-05"));
        assert_eq!(
            Temporal::Date.present(text("2026-09-05 10:00:00")),
            text("2026-09-05")
        );
        assert_eq!(
            Temporal::Time.present(text("2026-09-05 10:00:00")),
            text("10:00:00")
        );
        assert_eq!(
            repair_naive_utc("2026-09-05T10:00:00.5").unwrap(),
            "2026-09-05T10:00:00.500Z"
        );
        assert!(repair_naive_utc("2026-09-05").is_none());
        // Epoch milliseconds as text, also as a REAL bound into a TEXT column stores them.
        for stored in ["1774008000000", "1774008000000.0"] {
            assert_eq!(
                p(text(stored)),
                text("2026-03-20T12:00:00.000Z"),
                "{stored}"
            );
        }
        for not_a_number in ["1774008000000.", "1.2.3", "12a"] {
            assert_eq!(epoch_millis_text(not_a_number), None, "{not_a_number}");
        }
    }
}
