//! `demo`'s steps.

use super::outcome::{Rollback, Upload, UploadRefused};
use crate::log::VerifyReport;
use serde::Serialize;

/// The result of an upload step: an upload or a refusal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum UploadResult {
    /// The upload went through.
    Done(Box<Upload>),
    /// It was refused.
    Refused(Box<UploadRefused>),
}

/// The result of the verify step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoVerify {
    /// Whether the log has no problem.
    pub ok: bool,
    /// Problems found in the log.
    pub problems: usize,
    /// Segment files.
    pub segments: usize,
    /// Valid records.
    pub records: u64,
    /// The last sequence number.
    pub last_seq: u64,
}

impl From<&VerifyReport> for DemoVerify {
    fn from(r: &VerifyReport) -> DemoVerify {
        DemoVerify {
            ok: r.is_ok(),
            problems: r.problems.len(),
            segments: r.segments,
            records: r.records,
            last_seq: r.last_seq,
        }
    }
}

/// What a step did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DemoAction {
    /// Step 0: the store was created.
    Init {
        /// Where.
        store: String,
    },
    /// An upload (or its refusal).
    Upload {
        /// The upload's JSON.
        result: UploadResult,
    },
    /// A rollback.
    Rollback {
        /// The rollback's JSON.
        result: Rollback,
    },
    /// The final verification.
    Verify {
        /// Its figures.
        result: DemoVerify,
    },
}

/// One step of the demo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoStep {
    /// The step's number, from 0.
    pub step: usize,
    /// What it did.
    #[serde(flatten)]
    pub action: DemoAction,
}
