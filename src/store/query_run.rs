//! Provenance of query runs: a `query_run` record (type `0x0102`) says which SQL ran, on
//! which exact versions, for whom, and what it returned (row count and result hash), so an
//! analysis can later prove which data it ran on.
//!
//! A run may span datasets, so it is an application record of its own, not a dataset event:
//! replay skips it (the catalog does not change), and readers list it with
//! [`Store::query_runs`]. FORMAT.md, *Query runs*, specifies the body byte by byte.

use super::event::Digest;
use super::Store;
use crate::error::{Error, Result};
use crate::format::RecordType;
use crate::log::Position;
use bincode::Options as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The record type of a query run.
pub const QUERY_RUN: RecordType = RecordType(0x0102);

/// The encoding version, the body's first byte.
pub const QUERY_RUN_ENCODING_VERSION: u8 = 1;

/// One version a query read.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Query runs"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRunVersion {
    /// The dataset's id.
    pub dataset_id: Uuid,
    /// The dataset's name when the query ran.
    pub dataset_name: String,
    /// The version number.
    pub version: u64,
    /// The version's content hash.
    pub hash: Digest,
}

/// What ran, on what, and what it returned.
///
/// On disk: its fields are encoded in declaration order (FORMAT.md, "Query runs"), so
/// reordering, inserting or removing one is a format break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRun {
    /// This run's id.
    pub run_id: Uuid,
    /// When the query finished (microseconds since the Unix epoch).
    pub timestamp_micros: i64,
    /// Who ran it.
    pub actor: String,
    /// Why (free text; may be empty).
    pub note: String,
    /// The SQL text as given.
    pub sql: String,
    /// SHA-256 of the SQL text's UTF-8 bytes.
    pub sql_sha256: Digest,
    /// The versions its table names resolved to, the default target first.
    pub versions: Vec<QueryRunVersion>,
    /// The rows of the result.
    pub row_count: u64,
    /// SHA-256 of the result in its canonical form (CSV, as `strata query --csv` prints it).
    pub result_sha256: Digest,
}

impl QueryRun {
    /// A run of `sql` now, with a fresh id and the SQL's hash.
    pub fn new(
        actor: &str,
        note: &str,
        sql: &str,
        versions: Vec<QueryRunVersion>,
        row_count: u64,
        result_sha256: Digest,
    ) -> QueryRun {
        QueryRun {
            run_id: Uuid::new_v4(),
            timestamp_micros: crate::log::now_micros(),
            actor: actor.to_string(),
            note: note.to_string(),
            sql: sql.to_string(),
            sql_sha256: Digest::of(sql.as_bytes()),
            versions,
            row_count,
            result_sha256,
        }
    }

    /// The record body: the encoding version, then the run in `bincode` (FORMAT.md).
    pub fn encode(&self) -> Vec<u8> {
        let mut body = vec![QUERY_RUN_ENCODING_VERSION];
        bincode::serialize_into(&mut body, self).expect("a query run serializes into memory");
        body
    }

    /// Decodes a record body; `at` gives the record's place, called only to name it in an
    /// error ([`Error::BadQueryRun`]). A body is valid when its version byte is 1, the rest
    /// decodes with no trailing bytes, and `sql_sha256` is the SHA-256 of `sql`.
    pub fn decode(body: &[u8], at: impl FnOnce() -> Position) -> Result<QueryRun> {
        Self::decode_body(body).map_err(|detail| Error::BadQueryRun {
            position: at(),
            detail,
        })
    }

    fn decode_body(body: &[u8]) -> std::result::Result<QueryRun, String> {
        let (version, rest) = body
            .split_first()
            .ok_or_else(|| "empty query_run body".to_string())?;
        if *version != QUERY_RUN_ENCODING_VERSION {
            return Err(format!(
                "query_run encoding version {version} is not known (this strata reads {QUERY_RUN_ENCODING_VERSION})"
            ));
        }
        let run: QueryRun = bincode::options()
            .with_fixint_encoding()
            .with_limit(crate::format::MAX_BODY_LEN as u64)
            .deserialize(rest)
            .map_err(|e| format!("query_run: {e}"))?;
        if Digest::of(run.sql.as_bytes()) != run.sql_sha256 {
            return Err("query_run: sql_sha256 is not the SHA-256 of the SQL text".into());
        }
        Ok(run)
    }

    /// The run's time as a `chrono` value.
    pub fn time(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_micros(self.timestamp_micros).unwrap_or_default()
    }
}

/// What [`Store::record_query_run`] appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRun {
    /// The record's sequence number.
    pub seq: u64,
    /// What failed after the record was committed (it stands).
    pub post_commit_warnings: Vec<String>,
}

impl Store {
    /// Appends a `query_run` record under the writer lock. The catalog does not change (it
    /// only moves past the record's sequence number).
    pub fn record_query_run(&self, run: &QueryRun) -> Result<RecordedRun> {
        let body = run.encode();
        let mut writer = self.lock_writer()?;
        let seq = {
            let mut catalog = self.catalog_mut();
            self.catch_up(&mut catalog)?;
            let seq = *writer.append_batch(&[(QUERY_RUN, &body)])?.start();
            catalog.skip(seq);
            seq
        };
        writer.commit()?;
        Ok(RecordedRun {
            seq,
            post_commit_warnings: self.after_commit(),
        })
    }

    /// Every query run from `from_seq` on, in log order, with its sequence number.
    pub fn query_runs(&self, from_seq: u64) -> impl Iterator<Item = Result<(u64, QueryRun)>> + '_ {
        self.log
            .iter_from(from_seq)
            .filter_map(|record| match record {
                Err(e) => Some(Err(e.into())),
                Ok(r) if r.record_type == QUERY_RUN => {
                    Some(QueryRun::decode(&r.body, || r.position()).map(|q| (r.seq, q)))
                }
                Ok(_) => None,
            })
    }

    /// The query runs that read a version of the dataset with this id.
    pub fn query_runs_of(&self, dataset_id: Uuid) -> Result<Vec<(u64, QueryRun)>> {
        self.query_runs(1)
            .filter(|item| {
                item.as_ref().map_or(true, |(_, run)| {
                    run.versions.iter().any(|v| v.dataset_id == dataset_id)
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Position {
        Position::new("log/00000000000000000001.seg", 1, 128, 5)
    }

    fn run() -> QueryRun {
        QueryRun::new(
            "ann",
            "figure 2",
            "SELECT 1",
            vec![QueryRunVersion {
                dataset_id: Uuid::nil(),
                dataset_name: "trial".into(),
                version: 3,
                hash: Digest([7; 32]),
            }],
            1,
            Digest([9; 32]),
        )
    }

    #[test]
    fn a_query_run_round_trips() {
        let run = run();
        assert_eq!(QueryRun::decode(&run.encode(), at).unwrap(), run);
    }

    #[test]
    fn a_body_whose_sql_hash_does_not_match_is_refused() {
        let mut run = run();
        run.sql_sha256 = Digest([0; 32]);
        let error = QueryRun::decode(&run.encode(), at).unwrap_err();
        assert!(error.to_string().contains("sql_sha256"), "{error}");
    }

    #[test]
    fn an_unknown_version_byte_and_trailing_bytes_are_refused() {
        let mut body = run().encode();
        body[0] = 2;
        assert!(QueryRun::decode(&body, at).is_err());
        let mut body = run().encode();
        body.push(0);
        assert!(QueryRun::decode(&body, at).is_err());
    }
}
