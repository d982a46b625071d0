//! Uploads the store refused, described for front ends.

use super::{EventKind, Store};
use crate::error::Error;
use crate::schema::SchemaDrift;

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalKind {
    /// Breaking schema drift under the `reject` policy (recorded as `overwrite_blocked`).
    DriftRefused,
    /// The dataset exists and the upload did not ask to overwrite it.
    DatasetExists,
    /// The content is stored under another dataset and the duplicate policy refuses it.
    DuplicateContent,
}

impl RefusalKind {
    /// The name used in JSON output (`drift_refused`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RefusalKind::DriftRefused => "drift_refused",
            RefusalKind::DatasetExists => "dataset_exists",
            RefusalKind::DuplicateContent => "duplicate_content",
        }
    }
}

/// An upload the store refused: what, why, and (for a drift refusal) the recorded event,
/// the version that stays active and the drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRefusal {
    /// Why.
    pub kind: RefusalKind,
    /// The dataset the upload named.
    pub dataset: String,
    /// The refusal in a sentence.
    pub reason: String,
    /// The `overwrite_blocked` event (drift refusals are recorded).
    pub seq: Option<u64>,
    /// The version that stays active (drift refusals).
    pub active_version: Option<u64>,
    /// The drift that was refused.
    pub drift: Option<SchemaDrift>,
    /// What failed after the refusal's event was committed (see
    /// [`Error::DriftRefused`]); empty for refusals that record nothing.
    pub post_commit_warnings: Vec<String>,
}

impl Store {
    /// The refusal `error` is, if it is one (drift policy, existing dataset, duplicate
    /// content); for a drift refusal, the recorded `overwrite_blocked` event is read for the
    /// active version and the drift. Other errors are not refusals: `None`.
    pub fn upload_refusal(&self, error: &Error) -> Option<UploadRefusal> {
        let refusal = |kind, dataset: &str| UploadRefusal {
            kind,
            dataset: dataset.to_owned(),
            reason: error.to_string(),
            seq: None,
            active_version: None,
            drift: None,
            post_commit_warnings: Vec::new(),
        };
        match error {
            Error::DriftRefused {
                dataset,
                reason,
                seq,
                post_commit_warnings,
            } => {
                let blocked = self.read_event(*seq).ok().and_then(|e| match e.kind {
                    EventKind::OverwriteBlocked { active, drift, .. } => Some((active, drift)),
                    _ => None,
                });
                let (active_version, drift) = blocked.unzip();
                Some(UploadRefusal {
                    kind: RefusalKind::DriftRefused,
                    dataset: dataset.clone(),
                    reason: reason.clone(),
                    seq: Some(*seq),
                    active_version,
                    drift,
                    post_commit_warnings: post_commit_warnings.clone(),
                })
            }
            Error::DatasetExists { dataset } => Some(refusal(RefusalKind::DatasetExists, dataset)),
            Error::DuplicateContent { dataset, .. } => {
                Some(refusal(RefusalKind::DuplicateContent, dataset))
            }
            _ => None,
        }
    }
}
