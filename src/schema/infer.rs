//! Per-column type inference: the value classifier, the type lattice, and the identifier rule.
//!
//! # The lattice
//!
//! Each column starts at `Nothing` (no non-null value seen yet) and moves up as values arrive:
//!
//! ```text
//!                 Utf8                 (top: anything else, or a mix that has no common type)
//!      /      |         \
//! Boolean   Float64   Timestamp
//!             |           |
//!           Int64       Date
//!      \      |         /
//!               Nothing              (bottom: only nulls so far)
//! ```
//!
//! `Int64` widens to `Float64`, `Date` widens to `Timestamp`; any other mix (numbers with dates,
//! booleans with numbers, ...) is `Utf8`. A column that is still `Nothing` at the end (every value
//! null) is `Utf8`.
//!
//! # Value rules (after trimming ASCII whitespace around the value)
//!
//! The recognisers are in [`super::value`], shared with the reader that turns a table's
//! fields into typed values (so a column read back has exactly the type inferred here).
//!
//! * Null tokens: empty, `NA`, `N/A`, `NULL`, `null` (exact case).
//! * `NaN` (exact case) is a null of a numeric column: it counts as null when the column's other
//!   values are all numbers (`Int64`/`Float64`), and as text otherwise (then the column is `Utf8`,
//!   because text mixed with anything is text). A column of only `NaN` (and null tokens) is
//!   `Float64`, nullable: `NaN` is what numeric tools write for a missing number, so it is evidence
//!   of a numeric column.
//! * Boolean: `true`/`false`/`yes`/`no`/`t`/`f`, case-insensitive. `0`/`1` are `Int64`.
//! * Int64: optional sign and decimal digits that fit in an `i64`. Longer digit strings are
//!   `Float64` (still numbers, but not exact 64-bit integers), up to `f64`'s range.
//! * Float64: what Rust's `f64` parser accepts restricted to digits, sign, `.`, `e`/`E` (so
//!   `inf`/`infinity`/`nan` spellings are text), and finite: a value beyond `f64`'s range
//!   (`1e400`, which would overflow to infinity) is text, so the column is `Utf8`.
//! * Numbers with a significant leading zero (`007`, `-01`, `00.5`) are text: leading zeros carry
//!   meaning (postal codes, sample codes) that a number would lose. `0`, `0.5` and `-0.5` are numbers.
//! * Date: `YYYY-MM-DD` or `YYYY/MM/DD`, a valid calendar date (checked with chrono).
//! * Timestamp: `YYYY-MM-DDTHH:MM:SS` or `YYYY-MM-DD HH:MM:SS`, then an optional fraction of
//!   1 to 9 digits, then an optional `Z` or `±hh:mm` offset (RFC 3339 / ISO 8601 forms).
//! * Spreadsheet forms (`5/2/2008`, `12/16/2005 14:30`, `2010/01/01 00:00`, two-digit years):
//!   dates (or timestamps) only when every non-null value of the column has the same shape
//!   and exactly one order fits them all (see [`super::sheet_dates`]); a column every value of
//!   which reads both day first and month first (`01/02/2000`) is text, never a guess. Other
//!   spellings (`Jan 1 2000`) are text.
//!
//! # Cost
//!
//! Classification is a few byte comparisons before any parsing, and a column only tests the
//! kinds of value that could keep it below `Utf8` (an `Int64` column only tries numbers, a `Date`
//! column only tries dates). Once a column is `Utf8` no test runs at all.

use super::sheet_dates::{DateForm, SheetDates};
use super::types::{Column, ColumnType};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A point of the inference lattice (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inferred {
    /// No non-null value yet: the bottom of the lattice.
    Nothing,
    Boolean,
    Int64,
    Float64,
    Date,
    Timestamp,
    /// Text: the top of the lattice.
    Utf8,
}

impl Inferred {
    /// The least upper bound of two lattice points.
    pub(crate) fn join(self, other: Inferred) -> Inferred {
        use Inferred::*;
        match (self, other) {
            (Nothing, x) | (x, Nothing) => x,
            (a, b) if a == b => a,
            (Int64, Float64) | (Float64, Int64) => Float64,
            (Date, Timestamp) | (Timestamp, Date) => Timestamp,
            _ => Utf8,
        }
    }

    /// The state after seeing one more non-null value `value` in a column at `self`.
    ///
    /// Only the value kinds that can keep the column below `Utf8` are tested.
    pub(crate) fn widen(self, value: &str) -> Inferred {
        use Inferred::*;
        match self {
            Utf8 => Utf8,
            Nothing => classify(value),
            Boolean if is_boolean(value) => Boolean,
            Boolean => Utf8,
            Int64 | Float64 => self.join(classify_number(value).unwrap_or(Utf8)),
            Date | Timestamp => self.join(classify_temporal(value).unwrap_or(Utf8)),
        }
    }

    fn is_numeric(self) -> bool {
        matches!(self, Inferred::Int64 | Inferred::Float64)
    }

    /// The column type for a lattice point; `Nothing` (only nulls) is `Utf8`.
    fn column_type(self) -> ColumnType {
        match self {
            Inferred::Boolean => ColumnType::Boolean,
            Inferred::Int64 => ColumnType::Int64,
            Inferred::Float64 => ColumnType::Float64,
            Inferred::Date => ColumnType::Date,
            Inferred::Timestamp => ColumnType::Timestamp,
            Inferred::Nothing | Inferred::Utf8 => ColumnType::Utf8,
        }
    }
}

use super::value::is_null_token;
use super::value::{parse_boolean, parse_number, parse_temporal, Number, Temporal, NAN_TOKEN};

/// The lattice point of a single non-null value.
pub(crate) fn classify(value: &str) -> Inferred {
    match value.as_bytes().first() {
        Some(b'0'..=b'9') => classify_temporal(value)
            .or_else(|| classify_number(value))
            .unwrap_or(Inferred::Utf8),
        Some(b'+' | b'-' | b'.') => classify_number(value).unwrap_or(Inferred::Utf8),
        _ if is_boolean(value) => Inferred::Boolean,
        _ => Inferred::Utf8,
    }
}

/// `true`/`false`/`yes`/`no`/`t`/`f`, case-insensitive ([`parse_boolean`]).
pub(crate) fn is_boolean(value: &str) -> bool {
    parse_boolean(value).is_some()
}

/// `Some(Int64)` or `Some(Float64)` if the value is a number ([`parse_number`]).
pub(crate) fn classify_number(value: &str) -> Option<Inferred> {
    parse_number(value).map(|n| match n {
        Number::Int(_) => Inferred::Int64,
        Number::Float(_) => Inferred::Float64,
    })
}

/// `Some(Date)` or `Some(Timestamp)` if the value is an accepted date or timestamp spelling
/// ([`parse_temporal`]).
pub(crate) fn classify_temporal(value: &str) -> Option<Inferred> {
    parse_temporal(value).map(|t| match t {
        Temporal::Date(_) => Inferred::Date,
        Temporal::Timestamp(_) => Inferred::Timestamp,
    })
}

/// Whether a column name says "identifier".
///
/// The name is split into lowercase words at non-alphanumeric characters and at camelCase
/// boundaries (`sampleId` → `sample id`). It looks like an identifier when its last word is
/// `id`, `key`, `uuid` or `guid` (`Individual ID`, `patient_id`, `userID`, `key`), or the whole
/// name is one of `code`, `sample number`, `record number`, `subject number`, `patient number`,
/// `participant number`. Words merely ending in "id" (`Valid`, `Paid`) do not count.
pub fn name_looks_like_identifier(name: &str) -> bool {
    const LAST_WORDS: [&str; 4] = ["id", "key", "uuid", "guid"];
    const WHOLE_NAMES: [&str; 6] = [
        "code",
        "sample number",
        "record number",
        "subject number",
        "patient number",
        "participant number",
    ];
    let words = name_words(name);
    let last_word_matches = words
        .last()
        .is_some_and(|last| LAST_WORDS.contains(&last.as_str()));
    last_word_matches || WHOLE_NAMES.contains(&words.join(" ").as_str())
}

/// Lowercase words of a name, split at non-alphanumerics and lower→upper case changes.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_was_lower_or_digit = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            push_word(&mut words, &mut current);
            previous_was_lower_or_digit = false;
            continue;
        }
        if c.is_uppercase() && previous_was_lower_or_digit {
            push_word(&mut words, &mut current);
        }
        current.extend(c.to_lowercase());
        previous_was_lower_or_digit = c.is_lowercase() || c.is_numeric();
    }
    push_word(&mut words, &mut current);
    words
}

fn push_word(words: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        words.push(std::mem::take(current));
    }
}

/// How many distinct-value hashes all columns of one scan may hold at once.
///
/// This bounds the memory of identifier detection: at most this many `u64` entries live in
/// hash sets (about 9 MiB of table, ~14 MiB while a set grows). A column that would need more
/// stops tracking and is not an identifier by its data (its name may still make it one).
pub const DISTINCT_BUDGET: usize = 500_000;

/// The longest value that still looks like an identifier token, in bytes.
const MAX_IDENTIFIER_VALUE_LEN: usize = 64;

/// The shared allowance of live distinct-value entries (see [`DISTINCT_BUDGET`]).
#[derive(Debug)]
pub(crate) struct DistinctBudget {
    remaining: usize,
}

impl DistinctBudget {
    pub(crate) fn new(entries: usize) -> Self {
        DistinctBudget { remaining: entries }
    }

    fn has_room(&self) -> bool {
        self.remaining > 0
    }

    /// Accounts for one inserted entry; only after [`Self::has_room`] said yes.
    fn take_one(&mut self) {
        self.remaining -= 1;
    }

    fn give_back(&mut self, entries: usize) {
        self.remaining += entries;
    }
}

/// A hasher for keys that are already well-mixed 64-bit hashes: it passes them through.
#[derive(Default)]
struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `HashSet<u64>`; this keeps other keys correct anyway.
        self.0 = hash_value(bytes) ^ self.0.rotate_left(17);
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type HashOfValueSet = HashSet<u64, BuildHasherDefault<PassThroughHasher>>;

/// A fast, well-mixed 64-bit hash of a value's bytes (not cryptographic).
///
/// Values of equal length that differ in a single 8-byte chunk never collide (each step is a
/// bijection of the state), which covers sequential identifiers; other collisions are as rare
/// as for a random 64-bit function, and a collision only costs a missed identifier flag.
fn hash_value(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let step = |state: u64, word: u64| (state.rotate_left(5) ^ word).wrapping_mul(K);
    let mut state = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        state = step(state, u64::from_le_bytes(word));
    }
    let remainder = chunks.remainder();
    if !remainder.is_empty() {
        let mut word = [0u8; 8];
        word[..remainder.len()].copy_from_slice(remainder);
        state = step(state, u64::from_le_bytes(word));
    }
    finalize_mix(state)
}

/// MurmurHash3's 64-bit finalizer: a bijection that spreads every input bit over the output.
fn finalize_mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Whether every non-null value seen so far is distinct, as far as we still track it.
#[derive(Debug)]
enum Distinctness {
    /// Still a candidate: the hashes of the values seen (all distinct so far).
    Tracking(HashOfValueSet),
    /// Known not to qualify as an identifier by its data (or tracking gave up).
    Disqualified,
}

/// Everything inferred about one column while its values stream by.
#[derive(Debug)]
pub(crate) struct ColumnInference {
    state: Inferred,
    /// Whether the values are dates in one spreadsheet form (see [`super::sheet_dates`]).
    sheet: SheetDates,
    saw_null_token: bool,
    nan_count: u64,
    non_null_count: u64,
    distinct: Distinctness,
}

impl Default for ColumnInference {
    fn default() -> Self {
        ColumnInference {
            state: Inferred::Nothing,
            sheet: SheetDates::default(),
            saw_null_token: false,
            nan_count: 0,
            non_null_count: 0,
            distinct: Distinctness::Tracking(HashOfValueSet::default()),
        }
    }
}

impl ColumnInference {
    /// Records one raw field of this column.
    pub(crate) fn observe(&mut self, raw: &str, budget: &mut DistinctBudget) {
        let value = raw.trim_ascii();
        if is_null_token(value) {
            self.saw_null_token = true;
            self.disqualify(budget);
        } else if value == NAN_TOKEN {
            // Null or text: decided in `finish`, once the rest of the column is known.
            self.nan_count += 1;
        } else {
            self.non_null_count += 1;
            self.state = self.state.widen(value);
            if self.sheet.is_possible() {
                self.sheet.observe(value);
            }
            self.track_distinct(value, budget);
        }
    }

    /// Keeps the distinct-value set up to date while the column can still be an identifier by
    /// its data: `Int64` or `Utf8` (a `Boolean`, `Float64`, `Date` or `Timestamp` column can
    /// only end as one of those or as a mixed-type `Utf8`, and neither is an identifier),
    /// no nulls, token-like values (no whitespace, at most 64 bytes), all distinct.
    fn track_distinct(&mut self, value: &str, budget: &mut DistinctBudget) {
        let Distinctness::Tracking(seen) = &mut self.distinct else {
            return;
        };
        let hash = hash_value(value.as_bytes());
        // Budget is taken only for an entry that is really inserted, so that `disqualify`
        // returns exactly what this column holds; one hash lookup per value (`insert` says
        // whether it was new).
        let still_candidate = matches!(self.state, Inferred::Int64 | Inferred::Utf8)
            && is_token_like(value)
            && budget.has_room()
            && seen.insert(hash);
        if still_candidate {
            budget.take_one();
        } else {
            self.disqualify(budget);
        }
    }

    /// Stops distinct tracking for good and returns its entries to the shared budget.
    fn disqualify(&mut self, budget: &mut DistinctBudget) {
        if let Distinctness::Tracking(seen) =
            std::mem::replace(&mut self.distinct, Distinctness::Disqualified)
        {
            budget.give_back(seen.len());
        }
    }

    /// The final column description (see [`ColumnInference::finish_reading`]).
    #[cfg(test)]
    pub(crate) fn finish(self, name: String) -> Column {
        self.finish_reading(name).0
    }

    /// The final column description.
    ///
    /// The identifier flag is `name_looks_like_identifier(name)` OR the data rule: type `Int64`
    /// or `Utf8`, no nulls, at least two values, all values token-like and distinct (compared
    /// as trimmed text; distinct-tracking gives up beyond [`DISTINCT_BUDGET`] live values).
    /// Also returns how the column's dates were read if they are in a
    /// spreadsheet form (or why they were not: both day first and month first fit).
    pub(crate) fn finish_reading(self, name: String) -> (Column, Option<DateReading>) {
        let nan_is_null = self.state.is_numeric() || self.state == Inferred::Nothing;
        let mut final_state = match (self.state, self.nan_count > 0) {
            (Inferred::Nothing, true) => Inferred::Float64,
            (state, true) if !nan_is_null => state.join(Inferred::Utf8),
            (state, _) => state,
        };
        // Text in the ISO forms' lattice may be dates in one spreadsheet form, decided by the
        // whole column; a `NaN` among them is text, so the column stays text.
        let mut reading = None;
        if final_state == Inferred::Utf8 && self.nan_count == 0 {
            if let Some(form) = self.sheet.decided() {
                final_state = if form.with_time {
                    Inferred::Timestamp
                } else {
                    Inferred::Date
                };
                reading = Some(DateReading::Form(form));
            } else if self.sheet.is_ambiguous() {
                reading = Some(DateReading::Ambiguous);
            }
        }
        let column_type = final_state.column_type();
        let nullable = self.saw_null_token || (nan_is_null && self.nan_count > 0);
        let value_count = self.non_null_count + if nan_is_null { 0 } else { self.nan_count };
        // Every tracked value was distinct; as text, `NaN` may appear once among them.
        let data_distinct = match &self.distinct {
            Distinctness::Tracking(_) => nan_is_null || self.nan_count <= 1,
            Distinctness::Disqualified => false,
        };
        let data_says_identifier = data_distinct
            && !nullable
            && value_count >= 2
            && matches!(column_type, ColumnType::Int64 | ColumnType::Utf8);
        let identifier = data_says_identifier || name_looks_like_identifier(&name);
        let column = Column {
            name,
            column_type,
            nullable,
            identifier,
        };
        (column, reading)
    }
}

/// How a column of spreadsheet-form dates was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateReading {
    /// As dates (or timestamps) in this form, the only one every value fits.
    Form(DateForm),
    /// As text: every value is a date both day first and month first.
    Ambiguous,
}

/// A value that could be an identifier token: no whitespace, not longer than 64 bytes.
fn is_token_like(value: &str) -> bool {
    value.len() <= MAX_IDENTIFIER_VALUE_LEN && !value.bytes().any(|b| b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Inferred::*;

    fn infer(values: &[&str]) -> Column {
        infer_named("value", values)
    }

    fn infer_named(name: &str, values: &[&str]) -> Column {
        let mut budget = DistinctBudget::new(DISTINCT_BUDGET);
        let mut column = ColumnInference::default();
        for v in values {
            column.observe(v, &mut budget);
        }
        column.finish(name.to_string())
    }

    fn type_of(values: &[&str]) -> ColumnType {
        infer(values).column_type
    }

    #[test]
    fn join_is_commutative_idempotent_and_nothing_is_bottom() {
        let all = [Nothing, Boolean, Int64, Float64, Date, Timestamp, Utf8];
        for a in all {
            assert_eq!(a.join(a), a);
            assert_eq!(a.join(Nothing), a);
            assert_eq!(a.join(Utf8), Utf8);
            for b in all {
                assert_eq!(a.join(b), b.join(a), "{a:?} ⊔ {b:?}");
            }
        }
    }

    #[test]
    fn join_widens_only_int_to_float_and_date_to_timestamp() {
        assert_eq!(Int64.join(Float64), Float64);
        assert_eq!(Date.join(Timestamp), Timestamp);
        assert_eq!(Int64.join(Date), Utf8);
        assert_eq!(Boolean.join(Int64), Utf8);
        assert_eq!(Float64.join(Timestamp), Utf8);
    }

    #[test]
    fn integers_infer_int64_and_widen_to_float64() {
        assert_eq!(type_of(&["1", "-2", "+3", "0"]), ColumnType::Int64);
        assert_eq!(type_of(&["1", "2.5"]), ColumnType::Float64);
        assert_eq!(type_of(&["1.5", "2"]), ColumnType::Float64);
        assert_eq!(type_of(&["1e3", "-0.5", ".5"]), ColumnType::Float64);
    }

    #[test]
    fn integers_beyond_i64_are_float64() {
        assert_eq!(type_of(&["9223372036854775807"]), ColumnType::Int64);
        assert_eq!(type_of(&["-9223372036854775808"]), ColumnType::Int64);
        assert_eq!(type_of(&["9223372036854775808"]), ColumnType::Float64);
    }

    #[test]
    fn numbers_beyond_the_range_of_f64_are_text() {
        assert_eq!(type_of(&["1e400"]), ColumnType::Utf8);
        assert_eq!(type_of(&["1.5", "-1e400"]), ColumnType::Utf8);
        assert_eq!(type_of(&["1", &"9".repeat(400)]), ColumnType::Utf8);
        assert_eq!(type_of(&["1e308", "1e-400"]), ColumnType::Float64);
    }

    #[test]
    fn leading_zeros_and_float_spellings_are_text() {
        assert_eq!(type_of(&["007"]), ColumnType::Utf8);
        assert_eq!(type_of(&["1", "02"]), ColumnType::Utf8);
        assert_eq!(type_of(&["00.5"]), ColumnType::Utf8);
        assert_eq!(type_of(&["inf"]), ColumnType::Utf8);
        assert_eq!(type_of(&["1", "-inf"]), ColumnType::Utf8);
        assert_eq!(type_of(&["1", "1e"]), ColumnType::Utf8);
        assert_eq!(type_of(&["-"]), ColumnType::Utf8);
        assert_eq!(type_of(&["1_000"]), ColumnType::Utf8);
    }

    #[test]
    fn booleans_are_words_not_digits() {
        assert_eq!(
            type_of(&["true", "FALSE", "Yes", "no", "T", "f"]),
            ColumnType::Boolean
        );
        assert_eq!(type_of(&["0", "1", "1", "0"]), ColumnType::Int64);
        assert_eq!(type_of(&["true", "1"]), ColumnType::Utf8);
        assert_eq!(type_of(&["yes", "maybe"]), ColumnType::Utf8);
    }

    #[test]
    fn dates_accept_dash_and_slash_forms_and_reject_impossible_days() {
        assert_eq!(type_of(&["2007-11-11", "2012/01/01"]), ColumnType::Date);
        assert_eq!(type_of(&["2024-02-29"]), ColumnType::Date);
        assert_eq!(type_of(&["2023-02-29"]), ColumnType::Utf8);
        assert_eq!(type_of(&["2023-13-01"]), ColumnType::Utf8);
        assert_eq!(type_of(&["2023-01/01"]), ColumnType::Utf8);
        assert_eq!(type_of(&["Jan 1 2000"]), ColumnType::Utf8);
    }

    #[test]
    fn timestamps_accept_rfc3339_and_space_forms_and_widen_dates() {
        assert_eq!(
            type_of(&[
                "2024-03-01T10:20:30",
                "2024-03-01T10:20:30Z",
                "2024-03-01T10:20:30.123+02:00",
                "2024-03-01 10:20:30",
                "2024-03-01T10:20:30.123456789-05:30",
            ]),
            ColumnType::Timestamp
        );
        assert_eq!(
            type_of(&["2024-03-01", "2024-03-01 00:00:00"]),
            ColumnType::Timestamp
        );
        assert_eq!(type_of(&["2024-03-01T25:00:00"]), ColumnType::Utf8);
        assert_eq!(type_of(&["2024-03-01T10:20"]), ColumnType::Utf8);
        assert_eq!(type_of(&["2024-03-01T10:20:30+24:00"]), ColumnType::Utf8);
        assert_eq!(type_of(&["2024-03-01T10:20:30."]), ColumnType::Utf8);
        assert_eq!(type_of(&["2024/03/01 10:20:30"]), ColumnType::Utf8);
    }

    #[test]
    fn spreadsheet_dates_are_dates_when_the_column_decides_their_form() {
        assert_eq!(type_of(&["5/2/2008", "12/16/2005", "NA"]), ColumnType::Date);
        assert!(infer(&["5/2/2008", "12/16/2005", "NA"]).nullable);
        assert_eq!(type_of(&["16/12/2005", "5/2/2008"]), ColumnType::Date);
        assert_eq!(
            type_of(&["2010/01/01 00:00", "2010/01/02 13:30"]),
            ColumnType::Timestamp
        );
        assert_eq!(
            type_of(&["12/16/2005 14:30", "1/2/2006"]),
            ColumnType::Timestamp
        );
        assert_eq!(type_of(&["12/31/99", "1/15/08"]), ColumnType::Date);
    }

    #[test]
    fn spreadsheet_dates_that_read_both_ways_or_mix_forms_are_text() {
        assert_eq!(type_of(&["01/02/2003", "5/6/2007"]), ColumnType::Utf8);
        assert_eq!(type_of(&["12/16/2005", "16/12/2005"]), ColumnType::Utf8);
        assert_eq!(type_of(&["12/16/2005", "2005-12-17"]), ColumnType::Utf8);
        assert_eq!(type_of(&["12/16/2005", "NaN"]), ColumnType::Utf8);
    }

    #[test]
    fn numbers_mixed_with_dates_are_text() {
        assert_eq!(type_of(&["2024-03-01", "5"]), ColumnType::Utf8);
        assert_eq!(type_of(&["5", "2024-03-01"]), ColumnType::Utf8);
        assert_eq!(type_of(&["1.5", "2024-03-01T10:20:30"]), ColumnType::Utf8);
    }

    #[test]
    fn once_text_a_column_stays_text() {
        assert_eq!(type_of(&["abc", "1", "2", "3"]), ColumnType::Utf8);
    }

    #[test]
    fn null_tokens_make_nullable_without_changing_the_type() {
        let column = infer(&["1", "", "NA", "N/A", "NULL", "null", " 2 "]);
        assert_eq!(column.column_type, ColumnType::Int64);
        assert!(column.nullable);
        assert!(!infer(&["1", "2"]).nullable);
    }

    #[test]
    fn null_tokens_are_case_sensitive() {
        let column = infer(&["1", "na"]);
        assert_eq!(column.column_type, ColumnType::Utf8);
        assert!(!column.nullable);
    }

    #[test]
    fn all_null_column_is_nullable_utf8() {
        let column = infer(&["NA", "", "null"]);
        assert_eq!(column.column_type, ColumnType::Utf8);
        assert!(column.nullable);
    }

    #[test]
    fn nan_is_null_in_numeric_columns() {
        let column = infer(&["1.5", "NaN", "2"]);
        assert_eq!(column.column_type, ColumnType::Float64);
        assert!(column.nullable);
        let column = infer(&["1", "NaN"]);
        assert_eq!(column.column_type, ColumnType::Int64);
        assert!(column.nullable);
    }

    #[test]
    fn nan_is_text_next_to_non_numeric_values() {
        let column = infer(&["abc", "NaN"]);
        assert_eq!(column.column_type, ColumnType::Utf8);
        assert!(!column.nullable);
        assert_eq!(type_of(&["2024-01-01", "NaN"]), ColumnType::Utf8);
        assert_eq!(type_of(&["true", "NaN"]), ColumnType::Utf8);
    }

    #[test]
    fn only_nan_column_is_nullable_float64() {
        let column = infer(&["NaN", "NA", "NaN"]);
        assert_eq!(column.column_type, ColumnType::Float64);
        assert!(column.nullable);
    }

    #[test]
    fn distinct_non_null_tokens_make_an_identifier() {
        assert!(infer(&["A1", "A2", "B7"]).identifier);
        assert!(infer(&["10", "11", "12"]).identifier);
    }

    #[test]
    fn duplicates_nulls_whitespace_or_non_id_types_are_not_identifiers() {
        assert!(!infer(&["A1", "A2", "A1"]).identifier);
        assert!(!infer(&["A1", "NA", "A2"]).identifier);
        assert!(!infer(&["a b", "c d"]).identifier);
        assert!(!infer(&["1.5", "2.5"]).identifier);
        assert!(!infer(&["2024-01-01", "2024-01-02"]).identifier);
        assert!(!infer(&["A1"]).identifier, "one value proves nothing");
        assert!(
            !infer(&["A1", "NaN", "NaN"]).identifier,
            "NaN twice as text"
        );
        assert!(!infer(&["1", "2", "NaN"]).identifier, "NaN is a null here");
    }

    #[test]
    fn identifier_names_are_recognised_by_their_last_word() {
        for name in [
            "id",
            "ID",
            "Individual ID",
            "patient_id",
            "sample-id",
            "userId",
            "userID",
            "key",
            "Primary Key",
            "uuid",
            "code",
            "Sample Number",
        ] {
            assert!(name_looks_like_identifier(name), "{name}");
        }
        for name in [
            "Valid",
            "paid",
            "Squid",
            "identity",
            "Culmen Length (mm)",
            "zip code",
        ] {
            assert!(!name_looks_like_identifier(name), "{name}");
        }
        assert!(infer_named("Individual ID", &["N1A1", "N1A1"]).identifier);
    }

    #[test]
    fn distinct_tracking_gives_up_when_the_budget_is_spent() {
        let mut budget = DistinctBudget::new(3);
        let mut column = ColumnInference::default();
        for v in ["a", "b", "c", "d"] {
            column.observe(v, &mut budget);
        }
        assert_eq!(budget.remaining, 3, "entries return to the budget");
        assert!(!column.finish("value".into()).identifier);
    }

    #[test]
    fn distinct_budget_is_shared_between_columns() {
        let mut budget = DistinctBudget::new(3);
        let (mut first, mut second) = (ColumnInference::default(), ColumnInference::default());
        first.observe("a", &mut budget);
        first.observe("b", &mut budget);
        second.observe("x", &mut budget);
        second.observe("y", &mut budget); // over budget: `second` gives up and frees its entry
        first.observe("c", &mut budget);
        assert!(first.finish("first".into()).identifier);
        assert!(!second.finish("second".into()).identifier);
    }

    #[test]
    fn disqualified_columns_return_their_budget() {
        let mut budget = DistinctBudget::new(10);
        let mut column = ColumnInference::default();
        for v in ["a", "b", "a"] {
            column.observe(v, &mut budget);
        }
        assert_eq!(budget.remaining, 10);
    }

    #[test]
    fn value_hash_separates_sequential_and_differently_sized_values() {
        let hashes: HashSet<u64> = (0..10_000)
            .map(|i| hash_value(format!("ID-{i:08}").as_bytes()))
            .chain([hash_value(b""), hash_value(b"\0"), hash_value(b"\0\0")])
            .collect();
        assert_eq!(hashes.len(), 10_003);
    }
}
