//! Query validation against the versions of a dataset: the store's side of
//! [`crate::query`], which does the resolution on schemas it is handed.

use super::catalog::Dataset;
use super::version_ref::{self, VersionRef};
use super::{RollbackOutcome, Store};
use crate::error::Result;
use crate::query::{
    breaking_queries, compatibility_matrix, validate, Finding, Query, TableRef, ValidateOptions,
    VersionCompatibility, VersionSchemas,
};

/// The schemas of every version of a dataset, borrowed from the catalog, with the hashes'
/// hex text they need.
struct HistorySchemas<'a> {
    dataset: &'a Dataset,
    hashes: Vec<String>,
}

impl<'a> HistorySchemas<'a> {
    fn new(dataset: &'a Dataset) -> Self {
        let hashes = dataset.versions.iter().map(|v| v.hash.hex()).collect();
        HistorySchemas { dataset, hashes }
    }

    fn versions(&self) -> Vec<VersionSchemas<'_>> {
        self.dataset
            .versions
            .iter()
            .zip(&self.hashes)
            .map(|(v, hash_hex)| VersionSchemas {
                number: v.number,
                hash_hex,
                tables: v
                    .tables
                    .iter()
                    .map(|t| TableRef {
                        table_id: &t.table_id,
                        display_name: &t.name,
                        schema: &t.schema,
                    })
                    .collect(),
            })
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
        let catalog = self.catalog();
        let ds = catalog.get(dataset)?;
        let number = version_ref::resolve(ds, against)?;
        let history = HistorySchemas::new(ds);
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
        let catalog = self.catalog();
        let history = HistorySchemas::new(catalog.get(dataset)?);
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
            breakage_warnings(ds, to, saved)
        })
    }

    fn query_breakages(
        &self,
        dataset: &str,
        to: u64,
        saved: &[(String, Query)],
    ) -> Result<Vec<String>> {
        let catalog = self.catalog();
        Ok(breakage_warnings(catalog.get(dataset)?, to, saved))
    }
}

/// One warning per saved query that version `to` of `ds` could not run.
pub(super) fn breakage_warnings(ds: &Dataset, to: u64, saved: &[(String, Query)]) -> Vec<String> {
    if saved.is_empty() {
        return Vec::new();
    }
    let history = HistorySchemas::new(ds);
    let versions = history.versions();
    let options = ValidateOptions::default();
    breaking_queries(saved, &versions[to as usize - 1], &versions, &options)
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
