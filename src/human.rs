//! Times, durations and ranges as people write and read them: `30s`, `2m`, `2 hours ago`,
//! `yesterday`, `versions 1 to 4`, `as of 2020-01-01`. Pure functions: the current time is a
//! parameter, so that every parser is tested against a fixed clock.

use chrono::{DateTime, Duration as Span, NaiveDate, NaiveTime, SecondsFormat, Utc};
use std::time::Duration;

/// What a bare date (`YYYY-MM-DD`, `today`, `yesterday`) means as a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareDate {
    /// The first microsecond of that day (UTC): "since" that day.
    StartOfDay,
    /// The last microsecond of that day (UTC): "as of" that day, so the version active at the
    /// end of it.
    EndOfDay,
}

/// The units a duration or a relative time may use, with their length in seconds. Longer
/// spellings first, so that `min` is not read as `m` followed by `in`.
const UNITS: [(&str, u64); 20] = [
    ("weeks", 604_800),
    ("week", 604_800),
    ("w", 604_800),
    ("days", 86_400),
    ("day", 86_400),
    ("d", 86_400),
    ("hours", 3_600),
    ("hour", 3_600),
    ("hrs", 3_600),
    ("hr", 3_600),
    ("h", 3_600),
    ("minutes", 60),
    ("minute", 60),
    ("mins", 60),
    ("min", 60),
    ("m", 60),
    ("seconds", 1),
    ("second", 1),
    ("secs", 1),
    ("sec", 1),
];

/// Parses a duration: one or more `<number><unit>` parts (`30s`, `2m`, `1h30m`, `1 min 30 s`,
/// `500ms`, `2 hours`), or a bare number of seconds (`10`). Units: `ms`, `s`/`sec`/`second`,
/// `m`/`min`/`minute`, `h`/`hr`/`hour`, `d`/`day`, `w`/`week` (and plurals). `None` for
/// anything else, including an empty string.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut rest = text;
    let mut total = Duration::ZERO;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let (part, after) = unit_part(n, rest)?;
        total = total.checked_add(part)?;
        rest = after.trim_start_matches([' ', ',']);
        parts += 1;
    }
    (parts > 0).then_some(total)
}

/// `n` of the unit `rest` starts with, and what follows the unit.
fn unit_part(n: u64, rest: &str) -> Option<(Duration, &str)> {
    if let Some(after) = rest.strip_prefix("ms") {
        if !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Some((Duration::from_millis(n), after));
        }
    }
    let with_s = UNITS.iter().chain(&[("s", 1)]);
    for &(unit, seconds) in with_s {
        if let Some(after) = rest.strip_prefix(unit) {
            if !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
                return Some((Duration::from_secs(n.checked_mul(seconds)?), after));
            }
        }
    }
    None
}

/// A duration for people: `250 ms`, `10 s`, `1 min 30 s`, `2 h 5 min`, `3 days 4 h`. Two
/// units at most; what is smaller than the second unit is dropped.
pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds == 0 {
        return format!("{} ms", duration.as_millis());
    }
    let units = [(86_400, "day"), (3_600, "h"), (60, "min"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (size, unit) in units {
        if rest >= size && parts.len() < 2 {
            let n = rest / size;
            rest %= size;
            let unit = if unit == "day" && n != 1 {
                "days"
            } else {
                unit
            };
            parts.push(format!("{n} {unit}"));
        } else if !parts.is_empty() {
            break;
        }
    }
    parts.join(" ")
}

/// Parses a time as of `now`: RFC 3339 (`2024-05-01T12:00:00Z`), `YYYY-MM-DD HH:MM:SS` (UTC),
/// `YYYY-MM-DD` (UTC, read as `bare_date` says), `now`, `today` and `yesterday` (days, read as
/// `bare_date` says), or a time relative to `now`: a duration followed by `ago` (`2 hours
/// ago`, `30m ago`, `1 day 2 h ago`). Surrounding whitespace and case are ignored.
pub fn parse_time_at(text: &str, bare_date: BareDate, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Some(t.and_utc());
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day_at(day, bare_date);
    }
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "now" => return Some(now),
        "today" => return day_at(now.date_naive(), bare_date),
        "yesterday" => return day_at(now.date_naive().pred_opt()?, bare_date),
        _ => {}
    }
    let ago = parse_duration(lower.strip_suffix("ago")?)?;
    now.checked_sub_signed(Span::from_std(ago).ok()?)
}

/// The first or last microsecond of `day` (UTC).
fn day_at(day: NaiveDate, bare_date: BareDate) -> Option<DateTime<Utc>> {
    let time = match bare_date {
        BareDate::StartOfDay => NaiveTime::MIN,
        BareDate::EndOfDay => NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)?,
    };
    Some(day.and_time(time).and_utc())
}

/// An instant as people say it in "as of ...": `as of 2020-01-01` for the last microsecond of
/// a day (what a bare date means in a version reference), `as of 2020-01-01 12:00:00 UTC`
/// otherwise (to the second).
pub fn as_of(time: DateTime<Utc>) -> String {
    let end_of_day = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999);
    if Some(time.time()) == end_of_day {
        format!("as of {}", time.format("%Y-%m-%d"))
    } else {
        format!("as of {}", time.format("%Y-%m-%d %H:%M:%S UTC"))
    }
}

/// An instant as RFC 3339 UTC to the second (`2024-05-01T12:00:00Z`), for columns of times.
pub fn rfc3339_seconds(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A range of numbers as people say it: `1` alone, `1 and 2`, `1 to 4`; `none` when
/// `last < first`.
pub fn range(first: u64, last: u64) -> String {
    match last.checked_sub(first) {
        None => "none".to_owned(),
        Some(0) => first.to_string(),
        Some(1) => format!("{first} and {last}"),
        Some(_) => format!("{first} to {last}"),
    }
}

/// The versions of a dataset with `count` of them, as people say it: `no versions`,
/// `version 1`, `versions 1 and 2`, `versions 1 to 4`.
pub fn versions(count: u64) -> String {
    match count {
        0 => "no versions".to_owned(),
        1 => "version 1".to_owned(),
        n => format!("versions {}", range(1, n)),
    }
}

/// `text` with every control character (and every invisible format character that reorders
/// or hides text, see [`crate::store::names::is_hidden_control`]) written as a visible escape:
/// `\n`, `\r`, `\t`, else `\u{..}`. What people typed (names, actors, notes, column and file names, reasons) is
/// printed through this in human output, so that none of it can forge a line or colour a
/// terminal. Borrowed when there is nothing to escape.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let needs = crate::store::names::is_hidden_control;
    if !text.chars().any(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2024-05-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn durations_read_the_forms_people_type() {
        let s = Duration::from_secs;
        assert_eq!(parse_duration("30s"), Some(s(30)));
        assert_eq!(parse_duration("2m"), Some(s(120)));
        assert_eq!(parse_duration("1h30m"), Some(s(5_400)));
        assert_eq!(parse_duration("1 min 30 s"), Some(s(90)));
        assert_eq!(parse_duration("2 hours"), Some(s(7_200)));
        assert_eq!(parse_duration("1 week, 2 days"), Some(s(777_600)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 10 "), Some(s(10)));
        assert_eq!(parse_duration("0s"), Some(s(0)));
    }

    #[test]
    fn durations_refuse_what_is_not_one() {
        for bad in ["", "s", "10x", "m10", "1.5h", "2 fortnights", "-3s", "3 mi"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(parse_duration(&format!("{}w", u64::MAX)), None);
    }

    #[test]
    fn durations_print_for_people_in_at_most_two_units() {
        let s = Duration::from_secs;
        assert_eq!(format_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(format_duration(s(10)), "10 s");
        assert_eq!(format_duration(s(90)), "1 min 30 s");
        assert_eq!(format_duration(s(120)), "2 min");
        assert_eq!(format_duration(s(7_505)), "2 h 5 min");
        assert_eq!(format_duration(s(86_400)), "1 day");
        assert_eq!(format_duration(s(3 * 86_400 + 4 * 3_600 + 5)), "3 days 4 h");
    }

    #[test]
    fn relative_times_count_back_from_now() {
        let at = |t: &str| parse_time_at(t, BareDate::StartOfDay, now()).map(rfc3339_seconds);
        assert_eq!(at("2 hours ago").as_deref(), Some("2024-05-01T10:00:00Z"));
        assert_eq!(at("30m ago").as_deref(), Some("2024-05-01T11:30:00Z"));
        assert_eq!(at("1 day 2h ago").as_deref(), Some("2024-04-30T10:00:00Z"));
        assert_eq!(at("3 Days Ago").as_deref(), Some("2024-04-28T12:00:00Z"));
        assert_eq!(at("now").as_deref(), Some("2024-05-01T12:00:00Z"));
        assert_eq!(at("today").as_deref(), Some("2024-05-01T00:00:00Z"));
        assert_eq!(at("yesterday").as_deref(), Some("2024-04-30T00:00:00Z"));
        let end = parse_time_at("yesterday", BareDate::EndOfDay, now()).unwrap();
        assert_eq!(end.to_rfc3339(), "2024-04-30T23:59:59.999999+00:00");
    }

    #[test]
    fn absolute_times_do_not_depend_on_now() {
        let at = |t: &str| parse_time_at(t, BareDate::EndOfDay, now()).map(|t| t.to_rfc3339());
        assert_eq!(
            at("2020-01-01T01:02:03+02:00").as_deref(),
            Some("2019-12-31T23:02:03+00:00")
        );
        assert_eq!(
            at("2020-01-01 01:02:03").as_deref(),
            Some("2020-01-01T01:02:03+00:00")
        );
        assert_eq!(
            at("2020-01-01").as_deref(),
            Some("2020-01-01T23:59:59.999999+00:00")
        );
        for bad in [
            "",
            "ago",
            "2 hours",
            "soon",
            "2020-13-01",
            "hours ago",
            "-2h ago",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn instants_and_ranges_read_as_people_say_them() {
        let end_of_day = parse_time_at("2020-01-01", BareDate::EndOfDay, now()).unwrap();
        assert_eq!(as_of(end_of_day), "as of 2020-01-01");
        assert_eq!(as_of(now()), "as of 2024-05-01 12:00:00 UTC");
        assert_eq!(range(1, 4), "1 to 4");
        assert_eq!(range(1, 2), "1 and 2");
        assert_eq!(range(3, 3), "3");
        assert_eq!(range(1, 0), "none");
        assert_eq!(versions(0), "no versions");
        assert_eq!(versions(1), "version 1");
        assert_eq!(versions(4), "versions 1 to 4");
    }
}
