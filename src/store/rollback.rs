//! Rollback: making an earlier version of a dataset the active one again, with the
//! compatibility warnings of what queries written against the active version would lose.

use super::catalog::{Catalog, Dataset, VersionInfo};
use super::event::EventKind;
use super::{new_event, version_ref, Store};
use crate::error::{Error, ReasonFor, Result};
use crate::schema::classify_drift;

/// The outcome of [`Store::rollback_to_version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// The dataset's name.
    pub dataset: String,
    /// The version active before.
    pub from: u64,
    /// The version active now.
    pub to: u64,
    /// Compatibility warnings: what queries written against `from` would lose.
    pub warnings: Vec<String>,
    /// The `rollback` event's sequence number; `None` when `to` was already active and
    /// nothing was appended.
    pub seq: Option<u64>,
    /// What failed after the `rollback` event was committed (the invariant check, the
    /// automatic snapshot). The rollback stands; each entry says what went wrong.
    pub post_commit_warnings: Vec<String>,
}

impl Store {
    /// What [`Store::rollback_to_version`] would do now, without doing it: the versions
    /// involved and the compatibility warnings (`seq` is `None`).
    pub fn plan_rollback(&self, dataset: &str, version: &str) -> Result<RollbackOutcome> {
        let ds = self.catalog().get(dataset)?.clone();
        self.plan(&ds, version)
    }

    /// Makes `version` of `dataset` the active one, recording a `rollback` event with `note`
    /// as its reason (required: [`Error::ReasonRequired`] if it is empty) and the
    /// compatibility warnings (columns and tables the active version has and the target
    /// lacks, type changes). Never deletes anything. Rolling back to the active version
    /// appends nothing and says so (`seq` is `None`).
    ///
    /// Refuses ([`Error::MissingBlob`]) a version whose table bytes are missing from the blob
    /// store (uploading the original file again restores them).
    ///
    /// Returns `Err` only if the rollback was not committed: it was refused (unknown dataset
    /// or version, missing bytes), or failed before or during the commit. A failed `fdatasync` in the commit
    /// is such a failure: the event was never acknowledged (though this handle's catalog shows
    /// it), the log handle refuses every later append, and whether the event survives a crash
    /// is known only once the store is reopened. After the commit, the rollback is reported
    /// as done: what fails then (the invariant check, the automatic snapshot) is in
    /// [`RollbackOutcome::post_commit_warnings`].
    pub fn rollback_to_version(
        &self,
        dataset: &str,
        version: &str,
        actor: &str,
        note: &str,
    ) -> Result<RollbackOutcome> {
        self.rollback_inner(dataset, version, actor, note, &|_, _| Ok(Vec::new()))
    }

    /// Rolls back, adding `extra_warnings(dataset, target)` to the compatibility warnings;
    /// the contract of [`Store::rollback_to_version`].
    pub(super) fn rollback_inner(
        &self,
        dataset: &str,
        version: &str,
        actor: &str,
        note: &str,
        extra_warnings: &dyn Fn(&Dataset, u64) -> Result<Vec<String>>,
    ) -> Result<RollbackOutcome> {
        let actor = super::names::check_name(super::names::NameKind::Actor, actor)?;
        let mut writer = self.lock_writer()?;
        let mut catalog = self.catalog_mut();
        self.catch_up(&mut catalog)?;
        let ds = catalog.get(dataset)?;
        let mut outcome = self.plan(ds, version)?;
        if outcome.to == outcome.from {
            return Ok(outcome);
        }
        let note = super::policy::required_reason(note, ReasonFor::Rollback, || {
            format!(
                "a rollback of `{}` from version {} to version {}",
                crate::human::escape_controls(&ds.name),
                outcome.from,
                outcome.to
            )
        })?;
        self.check_blobs_present(&catalog, ds, outcome.to)?;
        outcome.warnings.extend(extra_warnings(ds, outcome.to)?);
        let kind = EventKind::Rollback {
            from: outcome.from,
            to: outcome.to,
            warnings: outcome.warnings.clone(),
        };
        let event = new_event(ds.id, &actor, note, kind, writer.commit_micros());
        outcome.seq = Some(self.append_event(&mut writer, &mut catalog, &event)?);
        drop(catalog);
        writer.commit()?;
        outcome.post_commit_warnings = self.after_commit();
        Ok(outcome)
    }

    /// Refuses to make `version` of `ds` active if a blob of one of its tables is missing:
    /// its readers would fail, and `verify` with them.
    fn check_blobs_present(&self, catalog: &Catalog, ds: &Dataset, version: u64) -> Result<()> {
        let info = self.version_info(ds, ds.version(version).expect("resolved"))?;
        match info
            .tables
            .iter()
            .find(|t| !self.holds_table_bytes(catalog, &t.content_hash))
        {
            Some(table) => Err(Error::MissingBlob {
                dataset: ds.name.clone(),
                version,
                table: table.name.clone(),
                path: self.blobs.path(&table.content_hash.0),
            }),
            None => Ok(()),
        }
    }

    /// The rollback of `ds` to `version` as it would be now (`seq` is `None`).
    fn plan(&self, ds: &Dataset, version: &str) -> Result<RollbackOutcome> {
        let to = version_ref::resolve(ds, &version.parse()?)?;
        let from = ds.active;
        let warnings = if to == from {
            Vec::new()
        } else {
            let current = self.version_info(ds, ds.active_version())?;
            let target = self.version_info(ds, ds.version(to).expect("resolved"))?;
            rollback_warnings(&current, &target)
        };
        Ok(RollbackOutcome {
            dataset: ds.name.clone(),
            from,
            to,
            warnings,
            seq: None,
            post_commit_warnings: Vec::new(),
        })
    }
}

/// What a rollback from `current` to `target` takes away from queries written today.
pub(super) fn rollback_warnings(current: &VersionInfo, target: &VersionInfo) -> Vec<String> {
    let drift = classify_drift(&current.named_schemas(), &target.named_schemas());
    let mut warnings = Vec::new();
    for table in &drift.removed_tables {
        warnings.push(format!(
            "table `{table}` does not exist in version {}: queries that read it will fail",
            target.number
        ));
    }
    for table in &drift.changed_tables {
        for column in &table.removed_columns {
            warnings.push(format!(
                "column `{}` ({}) of table `{}` does not exist in version {}: queries that use it will fail",
                column.name, column.column_type, table.table, target.number
            ));
        }
        for change in &table.type_changes {
            // A widening (Int64 in the active version, Float64 in the target) keeps every
            // value readable; the warning names it so that it is not read as a break.
            let widening = if change.is_widening() {
                " (a widening: its values still read, as the wider type)"
            } else {
                ""
            };
            warnings.push(format!(
                "column `{}` of table `{}` is {} in version {}, not {}{widening}",
                change.name, table.table, change.new_type, target.number, change.old_type
            ));
        }
    }
    warnings
}
