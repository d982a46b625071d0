//! Query validation against the versions of a dataset: the store's side of
//! [`crate::query`], which does the resolution on schemas it is handed.

use super::catalog::{Dataset, VersionInfo};
use super::version_ref::{self, VersionRef};
use super::{RollbackOutcome, Store};
use crate::error::Result;
use crate::query::{
    breaking_queries, compatibility_matrix, validate, Finding, Query, ValidateOptions,
    VersionCompatibility, VersionSchemas,
};

/// Everything about every version of a dataset, with the hashes' hex text the validator
/// borrows.
struct HistorySchemas {
    infos: Vec<VersionInfo>,
    hashes: Vec<String>,
}

impl HistorySchemas {
    fn load(store: &Store, dataset: &Dataset) -> Result<Self> {
        let infos = store.version_infos(dataset)?;
        let hashes = infos.iter().map(|v| v.hash.hex()).collect();
        Ok(HistorySchemas { infos, hashes })
    }

    fn versions(&self) -> Vec<VersionSchemas<'_>> {
        self.infos
            .iter()
            .zip(&self.hashes)
            .map(|(v, hash_hex)| v.schemas(hash_hex))
            .collect()
    }
}

impl Store {
    /// Validates a query against the schema of one version of a dataset: the active one
    /// ([`VersionRef::Active`]), a given one, or the one active at a time. Findings carry
    /// suggestions drawn from the whole history (the closest column name; the version in
    /// which a missing column last existed).
    pub fn validate_query(
        &self,
        dataset: &str,
        query: &Query,
        against: &VersionRef,
        options: &ValidateOptions,
    ) -> Result<Vec<Finding>> {
        let ds = self.catalog().get(dataset)?.clone();
        let number = version_ref::resolve(&ds, against)?;
        let history = HistorySchemas::load(self, &ds)?;
        let versions = history.versions();
        Ok(validate(
            query,
            &versions[number as usize - 1],
            &versions,
            options,
        ))
    }

    /// For a query, which versions of the dataset can run it: one entry per version.
    pub fn query_compatibility(
        &self,
        dataset: &str,
        query: &Query,
        options: &ValidateOptions,
    ) -> Result<Vec<VersionCompatibility>> {
        let ds = self.catalog().get(dataset)?.clone();
        let history = HistorySchemas::load(self, &ds)?;
        Ok(compatibility_matrix(query, &history.versions(), options))
    }

    /// Like [`Store::plan_rollback`], adding to the warnings every saved query (`(name,
    /// query)`) that the target version could not run.
    pub fn plan_rollback_with_queries(
        &self,
        dataset: &str,
        version: &str,
        saved: &[(String, Query)],
    ) -> Result<RollbackOutcome> {
        let mut outcome = self.plan_rollback(dataset, version)?;
        outcome
            .warnings
            .extend(self.query_breakages(dataset, outcome.to, saved)?);
        Ok(outcome)
    }

    /// Like [`Store::rollback_to_version`], adding to the warnings (and to the recorded
    /// event) every saved query that the target version could not run.
    pub fn rollback_with_queries(
        &self,
        dataset: &str,
        version: &str,
        actor: &str,
        note: &str,
        saved: &[(String, Query)],
    ) -> Result<RollbackOutcome> {
        self.rollback_inner(dataset, version, actor, note, &|ds, to| {
            self.breakage_warnings(ds, to, saved)
        })
    }

    fn query_breakages(
        &self,
        dataset: &str,
        to: u64,
        saved: &[(String, Query)],
    ) -> Result<Vec<String>> {
        let ds = self.catalog().get(dataset)?.clone();
        self.breakage_warnings(&ds, to, saved)
    }

    /// One warning per saved query that version `to` of `ds` could not run.
    fn breakage_warnings(
        &self,
        ds: &Dataset,
        to: u64,
        saved: &[(String, Query)],
    ) -> Result<Vec<String>> {
        if saved.is_empty() {
            return Ok(Vec::new());
        }
        let history = HistorySchemas::load(self, ds)?;
        let versions = history.versions();
        Ok(broken_query_warnings(saved, &versions, to))
    }
}

fn broken_query_warnings(
    saved: &[(String, Query)],
    versions: &[VersionSchemas<'_>],
    to: u64,
) -> Vec<String> {
    let options = ValidateOptions::default();
    breaking_queries(saved, &versions[to as usize - 1], versions, &options)
        .into_iter()
        .map(|broken| {
            let reasons: Vec<String> = broken
                .findings
                .iter()
                .filter(|f| f.kind.blocks_execution())
                .map(|f| f.to_string())
                .collect();
            format!(
                "saved query `{}` would break on version {to}: {}",
                broken.name,
                reasons.join("; ")
            )
        })
        .collect()
}
