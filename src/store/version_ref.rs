//! Naming a version: by number, by a unique prefix of its hash, as the active one, or as the
//! one active at an instant.

use super::catalog::Dataset;
use crate::error::{Error, Result};
use crate::human;
pub use crate::human::BareDate;
use chrono::{DateTime, Utc};
use std::str::FromStr;

/// A way to name a version of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRef {
    /// The active version.
    Active,
    /// A version number (`3`, or `v3`). All-decimal text is a number when the dataset has a
    /// version with that number, and otherwise a hash prefix.
    Number(u64),
    /// A prefix (at least 4 hex digits) of the version's content hash.
    HashPrefix(String),
    /// The version that was active at this instant.
    At(DateTime<Utc>),
}

impl FromStr for VersionRef {
    type Err = Error;

    /// Parses `active`, `3`, `v3`, a hex prefix of at least 4 digits, or a time (RFC 3339,
    /// `YYYY-MM-DD HH:MM:SS` in UTC, `YYYY-MM-DD` meaning the end of that day in UTC,
    /// `yesterday`, or a relative time such as `2 hours ago`: see [`parse_time`]).
    fn from_str(s: &str) -> Result<VersionRef> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("active") {
            return Ok(VersionRef::Active);
        }
        if let Some(n) = s.strip_prefix('v').and_then(|d| d.parse().ok()) {
            return Ok(VersionRef::Number(n));
        }
        if s.bytes().all(|b| b.is_ascii_digit()) && s.len() < 4 {
            return Ok(VersionRef::Number(s.parse().map_err(|_| bad(s))?));
        }
        if s.len() >= 4 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(VersionRef::HashPrefix(s.to_ascii_lowercase()));
        }
        parse_time(s, BareDate::EndOfDay)
            .map(VersionRef::At)
            .ok_or_else(|| bad(s))
    }
}

fn bad(s: &str) -> Error {
    Error::InvalidRequest(format!(
        "`{s}` is not a version: use a number (3 or v3), a hash prefix (at least 4 hex digits), `active`, or a time (2024-05-01T12:00:00Z)"
    ))
}

/// Parses a time as of now: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD` (UTC, read as
/// `bare_date` says), `now`, `today`, `yesterday`, or a relative time such as `2 hours ago`
/// ([`human::parse_time_at`], which takes the current time as a parameter).
pub fn parse_time(s: &str, bare_date: BareDate) -> Option<DateTime<Utc>> {
    human::parse_time_at(s, bare_date, Utc::now())
}

/// The number of the version `r` names in `ds`.
pub fn resolve(ds: &Dataset, r: &VersionRef) -> Result<u64> {
    let unknown = |version: String| Error::UnknownVersion {
        dataset: ds.name.clone(),
        version,
        known: human::versions(ds.versions.len() as u64),
    };
    match r {
        VersionRef::Active => Ok(ds.active),
        VersionRef::Number(n) => ds
            .version(*n)
            .map(|v| v.number)
            .ok_or_else(|| unknown(n.to_string())),
        VersionRef::HashPrefix(prefix) => resolve_prefix(ds, prefix).map_err(|e| match e {
            Error::UnknownVersion { .. } => unknown(prefix.clone()),
            other => other,
        }),
        VersionRef::At(t) => {
            ds.version_at(t.timestamp_micros())
                .ok_or_else(|| Error::UnknownVersion {
                    dataset: ds.name.clone(),
                    version: human::as_of(*t),
                    known: format!(
                        "{}, the first one uploaded later",
                        human::versions(ds.versions.len() as u64)
                    ),
                })
        }
    }
}

fn resolve_prefix(ds: &Dataset, prefix: &str) -> Result<u64> {
    if prefix.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(v) = prefix.parse().ok().and_then(|n| ds.version(n)) {
            return Ok(v.number);
        }
    }
    let matches: Vec<u64> = ds
        .versions
        .iter()
        .filter(|v| v.hash.hex().starts_with(prefix))
        .map(|v| v.number)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::UnknownVersion {
            dataset: ds.name.clone(),
            version: prefix.into(),
            known: String::new(),
        }),
        many => Err(Error::AmbiguousVersion {
            dataset: ds.name.clone(),
            prefix: prefix.into(),
            matches: many
                .iter()
                .map(|n| format!("v{n}"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_refs_parse() {
        assert_eq!("3".parse::<VersionRef>().unwrap(), VersionRef::Number(3));
        assert_eq!("v12".parse::<VersionRef>().unwrap(), VersionRef::Number(12));
        assert_eq!("active".parse::<VersionRef>().unwrap(), VersionRef::Active);
        assert_eq!(
            "AbCd12".parse::<VersionRef>().unwrap(),
            VersionRef::HashPrefix("abcd12".into())
        );
        assert!(matches!(
            "2024-05-01T12:00:00Z".parse::<VersionRef>().unwrap(),
            VersionRef::At(_)
        ));
        assert!(matches!(
            "2024-05-01".parse::<VersionRef>().unwrap(),
            VersionRef::At(_)
        ));
        assert!("zz".parse::<VersionRef>().is_err());
    }
}
