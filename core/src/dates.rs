//! Calendar arithmetic on the proleptic Gregorian calendar (what JavaScript's `Date` and
//! ISO-8601 use), in days since 1970-01-01, after Howard Hinnant's civil-date algorithms.

/// Days since 1970-01-01 of a calendar date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD` (a real date, years 0000-9999), as `(year, month, day)`.
pub fn parse_day(text: &str) -> Option<(i64, u32, u32)> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i64 = text.get(0..4)?.parse().ok()?;
    let month: u32 = text.get(5..7)?.parse().ok()?;
    let day: u32 = text.get(8..10)?.parse().ok()?;
    if !text.get(0..4)?.bytes().all(|c| c.is_ascii_digit()) || !(1..=12).contains(&month) {
        return None;
    }
    // A real day: it survives the round trip through the day count.
    (civil_from_days(days_from_civil(year, month, day)) == (year, month, day))
        .then_some((year, month, day))
}

/// The midnight (UTC, ISO text as JavaScript prints it) that ends the day `YYYY-MM-DD`.
pub fn end_of_day(text: &str) -> Option<String> {
    let (y, m, d) = parse_day(text)?;
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) + 1);
    Some(format!("{y:04}-{m:02}-{d:02}T00:00:00.000Z"))
}

/// `Date.prototype.toISOString()` for a millisecond timestamp; `None` for invalid dates.
pub fn iso_datetime(ms: f64) -> Option<String> {
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        return None;
    }
    let ms = ms as i64;
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    // Printed digit by digit: this runs for every date-time written (the audit stamps
    // too), and the formatting machinery cost more than the calendar arithmetic.
    let mut out = String::with_capacity(27);
    if (0..=9999).contains(&year) {
        push_digits(&mut out, year, 4);
    } else {
        out.push(if year < 0 { '-' } else { '+' });
        push_digits(&mut out, year.abs(), 6);
    }
    let parts = [
        ('-', i64::from(month), 2),
        ('-', i64::from(day), 2),
        ('T', ms_of_day / 3_600_000, 2),
        (':', ms_of_day / 60_000 % 60, 2),
        (':', ms_of_day / 1000 % 60, 2),
        ('.', ms_of_day % 1000, 3),
    ];
    for (sep, n, width) in parts {
        out.push(sep);
        push_digits(&mut out, n, width);
    }
    out.push('Z');
    Some(out)
}

/// `n` (>= 0) zero-padded to `width` digits.
fn push_digits(out: &mut String, n: i64, width: u32) {
    let mut div = 10i64.pow(width - 1);
    while div > 0 {
        out.push(char::from(b'0' + (n / div % 10) as u8));
        div /= 10;
    }
}

/// Now, as `iso_datetime` prints it (what JavaScript's `new Date().toISOString()` gives).
pub fn now_iso() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64);
    iso_datetime(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_javascript_does() {
        for (ms, iso) in [
            (0.0, "1970-01-01T00:00:00.000Z"),
            (-1.0, "1969-12-31T23:59:59.999Z"),
            (1_788_602_400_123.0, "2026-09-05T10:00:00.123Z"),
            (253_402_300_799_999.0, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000.0, "+010000-01-01T00:00:00.000Z"),
            (-62_198_755_200_000.0, "-000001-01-01T00:00:00.000Z"),
            (8.64e15, "+275760-09-13T00:00:00.000Z"),
        ] {
            assert_eq!(iso_datetime(ms).unwrap(), iso, "{ms}");
        }
        assert!(iso_datetime(8.64e15 + 1.0).is_none());
        assert!(iso_datetime(f64::NAN).is_none());
    }

    #[test]
    fn round_trips_and_rolls_over() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(
            end_of_day("2026-07-31").unwrap(),
            "2026-08-01T00:00:00.000Z"
        );
        assert_eq!(
            end_of_day("2024-02-28").unwrap(),
            "2024-02-29T00:00:00.000Z"
        );
        assert_eq!(
            end_of_day("2024-02-29").unwrap(),
            "2024-03-01T00:00:00.000Z"
        );
        assert_eq!(
            end_of_day("1969-12-31").unwrap(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            end_of_day("2025-12-31").unwrap(),
            "2026-01-01T00:00:00.000Z"
        );
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-1-01",
            "2025-01-01T00:00:00Z",
            "abcd-01-01",
        ] {
            assert!(end_of_day(bad).is_none(), "{bad}");
        }
    }
}
