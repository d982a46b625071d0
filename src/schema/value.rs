//! The value recognisers: what a trimmed CSV field means. Type inference ([`super::infer`])
//! asks them which kind of value a field is; reading a table as typed values (the SQL engine's
//! CSV reader) asks them for the value itself. One set of rules serves both, so that a column
//! inferred as `Int64` always reads as integers, a date column as dates, and the null tokens
//! are the same everywhere. The rules are listed in the module docs of [`super::infer`].

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Whether a trimmed value is one of the null tokens: empty, `NA`, `N/A`, `NULL`, `null`
/// (exact case). `NaN` is not among them: it is a null only in numeric columns
/// ([`NAN_TOKEN`]).
pub fn is_null_token(value: &str) -> bool {
    matches!(value, "" | "NA" | "N/A" | "NULL" | "null")
}

/// The token that is a null in numeric columns and text elsewhere.
pub const NAN_TOKEN: &str = "NaN";

/// `true`/`yes`/`t` or `false`/`no`/`f`, case-insensitive; `None` for anything else
/// (`0`/`1` are numbers).
pub fn parse_boolean(value: &str) -> Option<bool> {
    const TRUE: [&str; 3] = ["true", "yes", "t"];
    const FALSE: [&str; 3] = ["false", "no", "f"];
    if value.len() > 5 {
        return None;
    }
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(value)) {
        Some(true)
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(value)) {
        Some(false)
    } else {
        None
    }
}

/// A number as a field spells it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// Optional sign and decimal digits that fit an `i64`.
    Int(i64),
    /// Anything else numeric: a fraction, an exponent, or digits beyond `i64`.
    Float(f64),
}

impl Number {
    /// The value as a float (an `Int64` value in a `Float64` column).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// The number a trimmed value spells, or `None` if it is not a number: optional sign, then
/// digits with at most a `.` fraction and an `e`/`E` exponent as Rust's `f64` parser reads
/// them (`inf`, `nan` and `1_000` are text) and finite (`1e400` is text), and no significant leading zero (`007`, `-01`
/// and `00.5` are text: leading zeros carry meaning, as in postal or sample codes).
pub fn parse_number(value: &str) -> Option<Number> {
    let bytes = value.as_bytes();
    let unsigned = bytes
        .strip_prefix(b"-")
        .or_else(|| bytes.strip_prefix(b"+"))
        .unwrap_or(bytes);
    if unsigned.is_empty() || has_significant_leading_zero(unsigned) {
        return None;
    }
    if unsigned.iter().all(u8::is_ascii_digit) {
        // Digits that overflow i64 are still a number, but only a float can hold them.
        return Some(match value.parse::<i64>() {
            Ok(i) => Number::Int(i),
            Err(_) => Number::Float(parse_finite_float(value)?),
        });
    }
    let float_bytes_only = unsigned
        .iter()
        .all(|b| matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'));
    if !float_bytes_only {
        return None;
    }
    parse_finite_float(value).map(Number::Float)
}

/// The value as an `f64` if it parses as a finite one: `1e400` (or a 400-digit integer)
/// overflows to infinity, which would read back as a value the file does not hold, so it
/// is not a number but text.
fn parse_finite_float(value: &str) -> Option<f64> {
    value.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `07`, `00.5`: a zero followed by another digit in the integer part.
fn has_significant_leading_zero(unsigned: &[u8]) -> bool {
    unsigned.len() > 1 && unsigned[0] == b'0' && unsigned[1].is_ascii_digit()
}

/// A date or a timestamp as a field spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    /// `YYYY-MM-DD` or `YYYY/MM/DD`.
    Date(NaiveDate),
    /// A date and a time of day. A time written with a UTC offset is converted to UTC; one
    /// without is kept as written (local time, meaning unknown to strata).
    Timestamp(NaiveDateTime),
}

impl Temporal {
    /// The value as a timestamp (a date is its midnight, as in a `Timestamp` column that
    /// also holds dates).
    pub fn as_timestamp(self) -> NaiveDateTime {
        match self {
            Temporal::Date(day) => day.and_time(NaiveTime::MIN),
            Temporal::Timestamp(t) => t,
        }
    }
}

/// The date or timestamp a trimmed value spells, or `None`: a date is `YYYY-MM-DD` or
/// `YYYY/MM/DD` naming a real calendar day; a timestamp is a dash date, `T` (or `t`, or a
/// space), `HH:MM:SS`, an optional fraction of 1 to 9 digits, then an optional `Z` or
/// `±hh:mm` offset. Other spellings (`Jan 1 2000`, `01/02/2000`) are text: they are ambiguous
/// or locale-dependent, and guessing would silently misread a column.
pub fn parse_temporal(value: &str) -> Option<Temporal> {
    let bytes = value.as_bytes();
    // Cheap shape test first: every accepted form starts with `YYYY-` or `YYYY/`.
    if bytes.len() < 10 || !matches!(bytes[4], b'-' | b'/') {
        return None;
    }
    let day = parse_date(&bytes[..10])?;
    if bytes.len() == 10 {
        return Some(Temporal::Date(day));
    }
    if bytes[4] != b'-' {
        return None;
    }
    let (time, offset_seconds) = parse_time_suffix(&bytes[10..])?;
    let local = day.and_time(time);
    let utc = local.checked_sub_signed(chrono::TimeDelta::seconds(offset_seconds))?;
    Some(Temporal::Timestamp(utc))
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` (same separator twice) naming a real calendar day.
fn parse_date(bytes: &[u8]) -> Option<NaiveDate> {
    let separator = bytes[4];
    if bytes.len() != 10 || bytes[7] != separator {
        return None;
    }
    let (year, month, day) = (
        decimal(&bytes[0..4])?,
        decimal(&bytes[5..7])?,
        decimal(&bytes[8..10])?,
    );
    // Four digits always fit an i32.
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// `THH:MM:SS[.fffffffff][Z|±hh:mm]` (or a space instead of `T`), a valid time of day: the
/// time and the offset east of UTC in seconds.
fn parse_time_suffix(rest: &[u8]) -> Option<(NaiveTime, i64)> {
    if rest.len() < 9
        || !matches!(rest[0], b'T' | b't' | b' ')
        || rest[3] != b':'
        || rest[6] != b':'
    {
        return None;
    }
    let (h, m, s) = (
        decimal(&rest[1..3])?,
        decimal(&rest[4..6])?,
        decimal(&rest[7..9])?,
    );
    let (nanos, tail) = parse_fraction(&rest[9..])?;
    let offset = parse_utc_offset(tail)?;
    Some((NaiveTime::from_hms_nano_opt(h, m, s, nanos)?, offset))
}

/// An optional `.` plus 1..=9 digits: the nanoseconds, and what follows.
fn parse_fraction(tail: &[u8]) -> Option<(u32, &[u8])> {
    let Some(fraction) = tail.strip_prefix(b".") else {
        return Some((0, tail));
    };
    let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let nanos = decimal(&fraction[..digits])? * 10u32.pow(9 - digits as u32);
    Some((nanos, &fraction[digits..]))
}

/// Empty (local time), `Z`, or `±hh:mm` with hh ≤ 23 and mm ≤ 59: seconds east of UTC.
fn parse_utc_offset(tail: &[u8]) -> Option<i64> {
    match tail {
        [] | [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (decimal(&[*h1, *h2])?, decimal(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = i64::from(h * 3600 + m * 60);
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

/// The value of a short run of ASCII digits, or `None` if any byte is not a digit.
fn decimal(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timestamp(value: &str) -> NaiveDateTime {
        match parse_temporal(value) {
            Some(Temporal::Timestamp(t)) => t,
            other => panic!("{value}: {other:?}"),
        }
    }

    #[test]
    fn numbers_read_as_the_integer_or_float_they_spell() {
        assert_eq!(parse_number("+3"), Some(Number::Int(3)));
        assert_eq!(parse_number("-0"), Some(Number::Int(0)));
        assert_eq!(parse_number("2.5e1"), Some(Number::Float(25.0)));
        assert_eq!(
            parse_number("9223372036854775808"),
            Some(Number::Float(9.223_372_036_854_776e18))
        );
        assert_eq!(parse_number("007"), None);
        assert_eq!(parse_number("inf"), None);
    }

    #[test]
    fn booleans_read_as_their_truth_value() {
        for (word, truth) in [("YES", true), ("t", true), ("False", false), ("no", false)] {
            assert_eq!(parse_boolean(word), Some(truth), "{word}");
        }
        assert_eq!(parse_boolean("1"), None);
        assert_eq!(parse_boolean("maybe"), None);
    }

    #[test]
    fn offsets_are_converted_to_utc_and_local_times_kept() {
        assert_eq!(
            timestamp("2024-03-01T10:20:30+02:00"),
            timestamp("2024-03-01T08:20:30Z")
        );
        assert_eq!(
            timestamp("2024-03-01 10:20:30"),
            timestamp("2024-03-01T10:20:30")
        );
        assert_eq!(
            timestamp("2024-03-01T23:30:00-01:00"),
            timestamp("2024-03-02T00:30:00")
        );
        let t = timestamp("2024-03-01T10:20:30.5");
        assert_eq!(t.and_utc().timestamp_subsec_millis(), 500);
    }

    #[test]
    fn dates_read_as_calendar_days_in_both_spellings() {
        assert_eq!(
            parse_temporal("2012/01/31"),
            Some(Temporal::Date(
                NaiveDate::from_ymd_opt(2012, 1, 31).unwrap()
            ))
        );
        assert_eq!(parse_temporal("2023-02-29"), None);
        assert_eq!(
            parse_temporal("2012-01-31").map(Temporal::as_timestamp),
            Some(timestamp("2012-01-31T00:00:00"))
        );
    }
}
