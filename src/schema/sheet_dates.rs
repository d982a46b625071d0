//! Dates and times in the forms spreadsheets and statistics packages write (`5/2/2008`,
//! `12/16/2005 14:30`, `2010/01/01 00:00`, two-digit years), recognised only when a whole
//! column decides one unambiguous form.
//!
//! A column is followed value by value: every non-null value must have the same shape (the
//! same separator `/`, the same number of year digits, the year first or last), and each
//! value rules out the orders it cannot be (`12/16/2005` cannot be day first). At the end,
//! the column is a date (or timestamp, if any value has a time) only if exactly one order is
//! left: a column whose every value reads both ways (`01/02/2003`, `5/6/2007`) is text, never
//! a guess between day first and month first. The form chosen is reported with the column
//! ([`DateForm`]), so that whoever reads the schema knows how its dates were read.
//!
//! Two-digit years follow POSIX `strptime`'s `%y`: `69` to `99` are 1969 to 1999, `00` to
//! `68` are 2000 to 2068.

use chrono::NaiveDate;
use std::fmt;

/// The order of a date's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// Month, day, year (`12/16/2005`): US spreadsheets.
    MonthDayYear,
    /// Day, month, year (`16/12/2005`): most of Europe.
    DayMonthYear,
    /// Year, month, day (`2005/12/16`).
    YearMonthDay,
}

/// A spreadsheet date form a whole column was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateForm {
    /// The order of the parts.
    pub order: DateOrder,
    /// Whether the year has two digits (else four).
    pub two_digit_year: bool,
    /// Whether values carry a time of day (`H:MM` or `H:MM:SS`): the column is a timestamp.
    pub with_time: bool,
}

impl fmt::Display for DateForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let year = if self.two_digit_year { "YY" } else { "YYYY" };
        let date = match self.order {
            DateOrder::MonthDayYear => format!("M/D/{year} (month first)"),
            DateOrder::DayMonthYear => format!("D/M/{year} (day first)"),
            DateOrder::YearMonthDay => format!("{year}/M/D"),
        };
        f.write_str(&date)?;
        if self.with_time {
            f.write_str(match self.order {
                DateOrder::YearMonthDay => " with a time of day (H:MM)",
                _ => " with a time of day (H:MM or H:MM:SS)",
            })?;
        }
        if self.two_digit_year {
            f.write_str(", years 69-99 read as 1969-1999 and 00-68 as 2000-2068")?;
        }
        Ok(())
    }
}

/// What the values of a column seen so far allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SheetDates {
    /// False once a value has no spreadsheet date shape, or a shape unlike the others'.
    possible: bool,
    /// The shape of the first value: year first, and the number of year digits.
    shape: Option<(bool, u8)>,
    month_first: bool,
    day_first: bool,
    any_time: bool,
    values: u64,
}

impl Default for SheetDates {
    fn default() -> Self {
        SheetDates {
            possible: true,
            shape: None,
            month_first: true,
            day_first: true,
            any_time: false,
            values: 0,
        }
    }
}

impl SheetDates {
    /// Whether the column may still be spreadsheet dates (checking more values is useful).
    pub(crate) fn is_possible(&self) -> bool {
        self.possible
    }

    /// Takes one trimmed, non-null value.
    pub(crate) fn observe(&mut self, value: &str) {
        if !self.possible {
            return;
        }
        let Some(parsed) = parse(value) else {
            self.possible = false;
            return;
        };
        let shape = (parsed.year_first, parsed.year_digits);
        if *self.shape.get_or_insert(shape) != shape {
            self.possible = false;
            return;
        }
        if parsed.year_first {
            self.month_first &= parsed.valid_as(DateOrder::YearMonthDay);
            self.day_first = false;
        } else {
            self.month_first &= parsed.valid_as(DateOrder::MonthDayYear);
            self.day_first &= parsed.valid_as(DateOrder::DayMonthYear);
        }
        self.any_time |= parsed.with_time;
        self.values += 1;
        if !self.month_first && !self.day_first {
            self.possible = false;
        }
    }

    /// The one form every value fits, if the column decides one; `None` if a value broke the
    /// shape, if there were no values, or if both day first and month first fit every value.
    pub(crate) fn decided(&self) -> Option<DateForm> {
        let (year_first, year_digits) = self.shape?;
        if !self.possible || self.values == 0 {
            return None;
        }
        let order = match (year_first, self.month_first, self.day_first) {
            (true, true, _) => DateOrder::YearMonthDay,
            (false, true, false) => DateOrder::MonthDayYear,
            (false, false, true) => DateOrder::DayMonthYear,
            _ => return None,
        };
        Some(DateForm {
            order,
            two_digit_year: year_digits == 2,
            with_time: self.any_time,
        })
    }

    /// Whether every value fits both day first and month first (so the column stays text).
    pub(crate) fn is_ambiguous(&self) -> bool {
        self.possible && self.values > 0 && self.month_first && self.day_first
    }
}

/// A value split into its parts: `A/B/C[ time]`.
struct Parsed {
    parts: [u32; 3],
    year_first: bool,
    year_digits: u8,
    with_time: bool,
}

impl Parsed {
    fn valid_as(&self, order: DateOrder) -> bool {
        let [a, b, c] = self.parts;
        let (year, month, day) = match order {
            DateOrder::MonthDayYear => (c, a, b),
            DateOrder::DayMonthYear => (c, b, a),
            DateOrder::YearMonthDay => (a, b, c),
        };
        let year = match self.year_digits {
            2 if year >= 69 => 1900 + year,
            2 => 2000 + year,
            _ => year,
        };
        NaiveDate::from_ymd_opt(year as i32, month, day).is_some()
    }
}

/// `A/B/C` with an optional ` H:MM[:SS]`: the year is four digits first, or two or four
/// digits last; month and day one or two digits.
fn parse(value: &str) -> Option<Parsed> {
    let (date, time) = match value.split_once(' ') {
        Some((date, time)) => (date, Some(time.trim_start())),
        None => (value, None),
    };
    if let Some(time) = time {
        if !is_time_of_day(time) {
            return None;
        }
    }
    let mut fields = date.split('/');
    let texts = [fields.next()?, fields.next()?, fields.next()?];
    if fields.next().is_some() {
        return None;
    }
    let year_first = texts[0].len() == 4;
    // Year first, the time is `H:MM` (as spreadsheets write it); `YYYY/MM/DD HH:MM:SS` is
    // not a form strata reads as a timestamp (it stays text, as it always has).
    if year_first && time.is_some_and(|t| t.matches(':').count() != 1) {
        return None;
    }
    let (year, rest) = if year_first {
        (texts[0], [texts[1], texts[2]])
    } else {
        (texts[2], [texts[0], texts[1]])
    };
    let year_ok = matches!(year.len(), 4) || (!year_first && year.len() == 2);
    if !year_ok || rest.iter().any(|t| !(1..=2).contains(&t.len())) {
        return None;
    }
    let mut parts = [0u32; 3];
    for (slot, text) in parts.iter_mut().zip(texts) {
        *slot = digits(text)?;
    }
    Some(Parsed {
        parts,
        year_first,
        year_digits: year.len() as u8,
        with_time: time.is_some(),
    })
}

/// `H:MM` or `H:MM:SS` (hour one or two digits), a valid time of day.
fn is_time_of_day(text: &str) -> bool {
    let mut fields = text.split(':');
    let (Some(h), Some(m)) = (fields.next(), fields.next()) else {
        return false;
    };
    let s = fields.next();
    if fields.next().is_some() || !(1..=2).contains(&h.len()) || m.len() != 2 {
        return false;
    }
    if s.is_some_and(|s| s.len() != 2) {
        return false;
    }
    match (digits(h), digits(m), s.map_or(Some(0), digits)) {
        (Some(h), Some(m), Some(s)) => h <= 23 && m <= 59 && s <= 59,
        _ => false,
    }
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(values: &[&str]) -> (Option<DateForm>, bool) {
        let mut column = SheetDates::default();
        for v in values {
            column.observe(v);
        }
        (column.decided(), column.is_ambiguous())
    }

    #[test]
    fn a_day_above_twelve_in_the_middle_decides_month_first() {
        let (form, _) = decide(&["5/2/2008", "12/16/2005", "1/1/2010"]);
        let form = form.unwrap();
        assert_eq!(form.order, DateOrder::MonthDayYear);
        assert!(!form.two_digit_year && !form.with_time);
        assert_eq!(form.to_string(), "M/D/YYYY (month first)");
    }

    #[test]
    fn a_day_above_twelve_first_decides_day_first() {
        let (form, _) = decide(&["16/12/2005", "5/2/2008"]);
        assert_eq!(form.unwrap().order, DateOrder::DayMonthYear);
    }

    #[test]
    fn a_column_that_reads_both_ways_is_not_guessed() {
        let (form, ambiguous) = decide(&["01/02/2003", "5/6/2007"]);
        assert_eq!(form, None);
        assert!(ambiguous);
    }

    #[test]
    fn year_first_with_minutes_is_a_timestamp() {
        let (form, _) = decide(&["2010/01/01 00:00", "2010/1/2 13:05"]);
        let form = form.unwrap();
        assert_eq!(form.order, DateOrder::YearMonthDay);
        assert!(form.with_time);
    }

    #[test]
    fn two_digit_years_are_their_own_form() {
        let (form, _) = decide(&["12/31/99", "1/15/08"]);
        let form = form.unwrap();
        assert!(form.two_digit_year);
        assert_eq!(form.order, DateOrder::MonthDayYear);
        assert!(form.to_string().contains("69-99 read as 1969-1999"));
    }

    #[test]
    fn mixed_shapes_invalid_dates_and_other_text_are_not_dates() {
        assert_eq!(decide(&["12/16/2005", "12/16/05"]).0, None);
        assert_eq!(decide(&["2/30/2005"]).0, None);
        assert_eq!(decide(&["13/13/2005"]).0, None);
        assert_eq!(decide(&["12/16/2005", "soon"]).0, None);
        assert_eq!(decide(&["12/16/2005 25:00"]).0, None);
        assert_eq!(decide(&["1/2"]).0, None);
        assert_eq!(decide(&["2024/03/01 10:20:30"]).0, None);
    }
}
