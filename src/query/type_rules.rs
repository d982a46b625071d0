//! The type rules of query validation, in one place.
//!
//! Every type check that validation makes, for SQL and for structured plans alike, goes
//! through [`check_type_fit`]. The rules are deliberately coarse: they only flag uses that
//! no mainstream SQL engine (PostgreSQL, DuckDB, SQLite in strict mode) would accept or
//! that would silently compare unrelated things. Anything whose type cannot be told is
//! left alone.

use crate::schema::ColumnType;

/// What an aggregate needs from its argument's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateClass {
    /// Accepts any type: `COUNT`, `COUNT(DISTINCT …)`, `MIN`, `MAX`, `ANY_VALUE`, ….
    AnyType,
    /// Needs numbers: `SUM`, `AVG`, `STDDEV`, `VARIANCE` and their variants.
    Numeric,
    /// Needs an ordered, interpolable type: numbers or points in time (`MEDIAN`, `QUANTILE`).
    NumericOrTemporal,
}

impl AggregateClass {
    /// The class of an SQL aggregate function by name (case-insensitive); `None` for functions
    /// that are not aggregates with a type requirement known here.
    pub fn of_sql_function(name: &str) -> Option<AggregateClass> {
        const NUMERIC: &[&str] = &[
            "sum",
            "avg",
            "mean",
            "stddev",
            "stddev_pop",
            "stddev_samp",
            "variance",
            "var_pop",
            "var_samp",
        ];
        const ORDERED: &[&str] = &["median", "quantile", "quantile_cont", "percentile_cont"];
        const ANY: &[&str] = &["count", "min", "max", "any_value", "first", "last"];
        let lower = name.to_ascii_lowercase();
        if NUMERIC.contains(&lower.as_str()) {
            Some(AggregateClass::Numeric)
        } else if ORDERED.contains(&lower.as_str()) {
            Some(AggregateClass::NumericOrTemporal)
        } else if ANY.contains(&lower.as_str()) {
            Some(AggregateClass::AnyType)
        } else {
            None
        }
    }
}

/// The other side of a comparison, as far as its type is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand<'a> {
    /// `NULL` (or JSON `null`): comparable with anything.
    Null,
    /// A number literal.
    Number,
    /// A string literal, with its text.
    Text(&'a str),
    /// `TRUE` / `FALSE`.
    Boolean,
    /// A typed date literal such as `DATE '2012-01-01'`.
    DateLiteral,
    /// A typed timestamp literal such as `TIMESTAMP '2012-01-01 10:00:00'`.
    TimestampLiteral,
    /// A column or an expression whose type is known.
    Typed(ColumnType),
    /// A list or object (in a plan's filter value) where a single value is needed.
    Composite,
}

/// One use of a typed column (or expression) that has a type requirement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TypedUse<'a> {
    /// `column <op> operand` for `=`, `<>`, `<`, `<=`, `>`, `>=`, `IN` items, `BETWEEN` bounds.
    Comparison {
        /// The type of the column side.
        column: ColumnType,
        /// The other side.
        operand: Operand<'a>,
    },
    /// A substring test (a plan's `contains` filter).
    Contains {
        /// The type of the column searched.
        column: ColumnType,
        /// The text searched for.
        operand: Operand<'a>,
    },
    /// An aggregate applied to a column.
    Aggregate {
        /// What the aggregate needs.
        class: AggregateClass,
        /// The type of its argument.
        column: ColumnType,
    },
}

/// Checks one typed use and returns why it does not fit, or `Ok(())`.
///
/// The rules, by column type (an operand of unknown type is never checked, and `NULL`
/// fits everything):
///
/// | column    | fits                                                                  | does not fit                                        |
/// |-----------|-----------------------------------------------------------------------|-----------------------------------------------------|
/// | Int64, Float64 | numbers, numeric strings (`'3.5'`), numeric or text expressions  | other strings, booleans, date/timestamp literals and expressions |
/// | Date, Timestamp | date/timestamp literals, date-looking strings (`'2012-01-01'`, `'2012/01/01'`, `'today'`, …), temporal or text expressions | numbers, other strings, booleans, numeric or boolean expressions |
/// | Boolean   | `TRUE`/`FALSE`, boolean-looking strings (`'t'`, `'yes'`, `'1'`, …), boolean or text expressions | numbers, other strings, date literals, numeric or temporal expressions |
/// | Utf8      | strings, any expression                                               | numbers, booleans, date/timestamp literals          |
///
/// A list or object where one value is needed never fits. `contains` needs a Utf8 column
/// and a string. Aggregates: [`AggregateClass::Numeric`] needs Int64/Float64,
/// [`AggregateClass::NumericOrTemporal`] also accepts Date/Timestamp, and
/// [`AggregateClass::AnyType`] accepts everything.
///
/// Column-to-column comparisons with a Utf8 side are accepted: some engines cast text
/// implicitly and the values may well be comparable.
pub fn check_type_fit(use_: TypedUse<'_>) -> Result<(), String> {
    match use_ {
        TypedUse::Comparison { column, operand } => comparison_fit(column, operand),
        TypedUse::Contains { column, operand } => {
            if column != ColumnType::Utf8 {
                return Err(format!("`contains` needs a text column, not {column}"));
            }
            match operand {
                Operand::Text(_) | Operand::Null => Ok(()),
                other => Err(format!(
                    "`contains` needs a string, not {}",
                    describe(other)
                )),
            }
        }
        TypedUse::Aggregate { class, column } => {
            let fits = match class {
                AggregateClass::AnyType => true,
                AggregateClass::Numeric => column.is_numeric(),
                AggregateClass::NumericOrTemporal => column.is_numeric() || column.is_temporal(),
            };
            if fits {
                Ok(())
            } else {
                Err(format!(
                    "this aggregate needs {}, but the column is {column}",
                    match class {
                        AggregateClass::NumericOrTemporal => "numbers or dates",
                        _ => "numbers",
                    }
                ))
            }
        }
    }
}

/// The comparison rows of the table in [`check_type_fit`].
fn comparison_fit(column: ColumnType, operand: Operand<'_>) -> Result<(), String> {
    let fits = match operand {
        Operand::Null => true,
        Operand::Composite => false,
        Operand::Typed(other) => typed_operands_fit(column, other),
        Operand::Number => column.is_numeric(),
        Operand::Boolean => column == ColumnType::Boolean,
        Operand::DateLiteral | Operand::TimestampLiteral => column.is_temporal(),
        Operand::Text(text) => match column {
            ColumnType::Int64 | ColumnType::Float64 => looks_numeric(text),
            ColumnType::Date | ColumnType::Timestamp => looks_temporal(text),
            ColumnType::Boolean => looks_boolean(text),
            ColumnType::Utf8 => true,
        },
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "a {column} value is compared with {}",
            describe(operand)
        ))
    }
}

/// Two typed sides fit unless they belong to different classes among numbers, points in
/// time and booleans (text is accepted against anything).
fn typed_operands_fit(a: ColumnType, b: ColumnType) -> bool {
    fn class(t: ColumnType) -> Option<u8> {
        match t {
            ColumnType::Int64 | ColumnType::Float64 => Some(0),
            ColumnType::Date | ColumnType::Timestamp => Some(1),
            ColumnType::Boolean => Some(2),
            ColumnType::Utf8 => None,
        }
    }
    match (class(a), class(b)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Words for an operand in messages.
fn describe(operand: Operand<'_>) -> String {
    match operand {
        Operand::Null => "NULL".to_string(),
        Operand::Number => "a number".to_string(),
        Operand::Text(text) => format!("the string '{text}'"),
        Operand::Boolean => "a boolean".to_string(),
        Operand::DateLiteral => "a date literal".to_string(),
        Operand::TimestampLiteral => "a timestamp literal".to_string(),
        Operand::Typed(t) => format!("a {t} value"),
        Operand::Composite => "a list or object".to_string(),
    }
}

/// Whether a string literal reads as a number (`'42'`, `' -3.5 '`, `'1e3'`).
fn looks_numeric(text: &str) -> bool {
    text.trim().parse::<f64>().is_ok()
}

/// Whether a string literal reads as a boolean.
fn looks_boolean(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0",
    ];
    WORDS.contains(&text.trim().to_ascii_lowercase().as_str())
}

/// Whether a string literal reads as a date or timestamp: `YYYY-MM-DD` (also with `/` or `.`,
/// optionally followed by a time), `MM/DD/YYYY`-like forms, a month name with digits
/// (`'Jan 1 2000'`), or one of PostgreSQL's special date words.
fn looks_temporal(text: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "today",
        "yesterday",
        "tomorrow",
        "now",
        "epoch",
        "infinity",
        "-infinity",
    ];
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    if SPECIAL.contains(&lower.as_str()) {
        return true;
    }
    let has_digit = lower.chars().any(|c| c.is_ascii_digit());
    if has_digit && MONTHS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    let groups: Vec<&str> = trimmed
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .collect();
    let starts_with_digit = trimmed.starts_with(|c: char| c.is_ascii_digit());
    let separator_ok = trimmed
        .chars()
        .find(|c| !c.is_ascii_digit())
        .is_some_and(|c| matches!(c, '-' | '/' | '.'));
    if !starts_with_digit || !separator_ok || groups.len() < 3 {
        return false;
    }
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let year_first = lens[0] == 4 && (1..=2).contains(&lens[1]) && (1..=2).contains(&lens[2]);
    let year_last =
        (1..=2).contains(&lens[0]) && (1..=2).contains(&lens[1]) && matches!(lens[2], 2 | 4);
    year_first || year_last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_looking_strings_fit_date_columns_and_others_do_not() {
        let fit = |t| {
            check_type_fit(TypedUse::Comparison {
                column: ColumnType::Date,
                operand: Operand::Text(t),
            })
        };
        assert!(fit("2012-01-01").is_ok());
        assert!(fit("2012-01-01 10:00:00").is_ok());
        assert!(fit("2012/1/5").is_ok());
        assert!(fit("01/05/2012").is_ok());
        assert!(fit("today").is_ok());
        assert!(fit("Jan 1 2000").is_ok());
        assert!(fit("sun").is_err());
        assert!(fit("2012").is_err());
        assert!(fit("12-01").is_err());
    }

    #[test]
    fn numbers_do_not_fit_temporal_text_or_boolean_columns() {
        for column in [
            ColumnType::Date,
            ColumnType::Timestamp,
            ColumnType::Utf8,
            ColumnType::Boolean,
        ] {
            let use_ = TypedUse::Comparison {
                column,
                operand: Operand::Number,
            };
            assert!(check_type_fit(use_).is_err(), "{column}");
        }
    }

    #[test]
    fn numeric_strings_fit_numeric_columns() {
        let fit = |t| {
            check_type_fit(TypedUse::Comparison {
                column: ColumnType::Int64,
                operand: Operand::Text(t),
            })
        };
        assert!(fit("2008").is_ok());
        assert!(fit(" -3.5 ").is_ok());
        assert!(fit("Adelie").is_err());
    }

    #[test]
    fn typed_sides_conflict_only_across_number_time_and_boolean() {
        let fit = |a, b| {
            check_type_fit(TypedUse::Comparison {
                column: a,
                operand: Operand::Typed(b),
            })
            .is_ok()
        };
        assert!(fit(ColumnType::Int64, ColumnType::Float64));
        assert!(fit(ColumnType::Date, ColumnType::Timestamp));
        assert!(fit(ColumnType::Utf8, ColumnType::Date));
        assert!(!fit(ColumnType::Int64, ColumnType::Date));
        assert!(!fit(ColumnType::Boolean, ColumnType::Float64));
    }

    #[test]
    fn aggregates_check_their_class() {
        let fit = |class, column| check_type_fit(TypedUse::Aggregate { class, column }).is_ok();
        assert!(fit(AggregateClass::Numeric, ColumnType::Float64));
        assert!(!fit(AggregateClass::Numeric, ColumnType::Utf8));
        assert!(!fit(AggregateClass::Numeric, ColumnType::Date));
        assert!(fit(AggregateClass::NumericOrTemporal, ColumnType::Date));
        assert!(!fit(AggregateClass::NumericOrTemporal, ColumnType::Boolean));
        assert!(fit(AggregateClass::AnyType, ColumnType::Utf8));
    }

    #[test]
    fn contains_needs_text_on_both_sides() {
        let fit = |column, operand| check_type_fit(TypedUse::Contains { column, operand }).is_ok();
        assert!(fit(ColumnType::Utf8, Operand::Text("Torgersen")));
        assert!(!fit(ColumnType::Int64, Operand::Text("3")));
        assert!(!fit(ColumnType::Utf8, Operand::Number));
    }
}
