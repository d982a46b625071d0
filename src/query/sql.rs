//! SQL text parsed once into a `SELECT` query, ready to be validated against any version.

use sqlparser::ast::{Spanned, Statement};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use super::error::SqlError;

/// A parsed SQL `SELECT` query (with `WITH`, set operations, subqueries…).
#[derive(Debug, Clone)]
pub struct SqlQuery {
    text: String,
    query: Box<sqlparser::ast::Query>,
}

impl SqlQuery {
    /// Parses SQL text holding exactly one query statement (a trailing `;` is fine).
    ///
    /// The generic dialect is used: identifiers may be double-quoted (`"Body Mass (g)"`),
    /// strings are single-quoted. Errors carry the parser's message and its line and column;
    /// this never panics, whatever the input.
    pub fn parse(text: &str) -> Result<SqlQuery, SqlError> {
        let statements =
            Parser::parse_sql(&GenericDialect {}, text).map_err(|e| parser_error(&e, text))?;
        let mut statements = statements.into_iter();
        let Some(first) = statements.next() else {
            return Err(error_at_end("no SQL statement found", text));
        };
        if let Some(second) = statements.next() {
            let start = second.span().start;
            return Err(SqlError {
                message: "only one statement can be validated at a time".to_string(),
                line: Some(start.line),
                column: Some(start.column),
            });
        }
        match first {
            Statement::Query(query) => Ok(SqlQuery {
                text: text.to_string(),
                query,
            }),
            other => {
                let start = other.span().start;
                Err(SqlError {
                    message: "only SELECT queries can be validated".to_string(),
                    line: (start.line > 0).then_some(start.line),
                    column: (start.column > 0).then_some(start.column),
                })
            }
        }
    }

    /// The SQL text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed query.
    pub(crate) fn ast(&self) -> &sqlparser::ast::Query {
        &self.query
    }

    /// Where the last name part of a qualified wildcard starts, given where its `*` is: in
    /// `p . 'x' . *` the `'x'`, past whitespace, comments and the dot.
    ///
    /// sqlparser (0.64) gives a part it builds from a single-quoted string or a placeholder
    /// (`'x'.*`, `p.$.*`) an empty span (line 0), so a finding about it would have no
    /// position; this reads it from the tokens of the text, which the parser took the query
    /// from, so they are the same tokens at the same locations. `None` if no token and dot
    /// come before the `*`.
    pub(crate) fn qualifier_before_wildcard(&self, wildcard: Location) -> Option<Location> {
        let tokens = Tokenizer::new(&GenericDialect {}, &self.text)
            .tokenize_with_location()
            .ok()?;
        let star = tokens
            .iter()
            .position(|t| t.token == Token::Mul && t.span.start == wildcard)?;
        let mut before = tokens[..star]
            .iter()
            .rev()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)));
        let period = before.next()?;
        let qualifier = before.next()?;
        (period.token == Token::Period).then_some(qualifier.span.start)
    }
}

/// Turns a parser error into an [`SqlError`], reading the position from the message
/// ("… at Line: X, Column: Y"), or placing errors at end of input there.
fn parser_error(error: &ParserError, text: &str) -> SqlError {
    let message = error.to_string();
    if let Some((line, column)) = position_in_message(&message) {
        return SqlError {
            message,
            line: Some(line),
            column: Some(column),
        };
    }
    if message.contains("found: EOF") {
        return error_at_end(&message, text);
    }
    SqlError {
        message,
        line: None,
        column: None,
    }
}

/// The last "Line: X, Column: Y" in a parser message.
fn position_in_message(message: &str) -> Option<(u64, u64)> {
    let at = message.rfind("Line: ")?;
    let rest = &message[at + "Line: ".len()..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// An error positioned just after the last character of the text.
fn error_at_end(message: &str, text: &str) -> SqlError {
    let line = text.split('\n').count() as u64;
    let last_line = text.rsplit('\n').next().unwrap_or("");
    SqlError {
        message: message.to_string(),
        line: Some(line.max(1)),
        column: Some(last_line.chars().count() as u64 + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_is_read_from_the_message() {
        let error = SqlQuery::parse("SELECT a\nFROM WHERE").unwrap_err();
        assert_eq!((error.line, error.column), (Some(2), Some(6)), "{error:?}");
    }

    #[test]
    fn errors_at_end_of_input_point_after_the_last_character() {
        let error = SqlQuery::parse("SELECT a FROM t WHERE (").unwrap_err();
        assert_eq!((error.line, error.column), (Some(1), Some(24)), "{error:?}");
    }

    #[test]
    fn non_queries_and_several_statements_are_rejected() {
        assert!(SqlQuery::parse("DELETE FROM t").is_err());
        let error = SqlQuery::parse("SELECT 1;\nSELECT 2").unwrap_err();
        assert_eq!((error.line, error.column), (Some(2), Some(1)));
        assert!(SqlQuery::parse("  ").is_err());
        assert!(SqlQuery::parse("SELECT 1;").is_ok());
    }
}
