//! The drift policy in force (`strata policy show`), and what setting one did
//! (`strata policy set`).

use super::event::Rule;
use super::Time;
use crate::store::{PolicyOutcome, PolicyReport, PolicySource};
use serde::Serialize;

/// The rule in force at a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// The dataset asked about; `null` for the store.
    pub dataset: Option<String>,
    /// The rule: `{"policy", "widening"}`.
    pub rule: Rule,
    /// Where it is set: `default` (no `policy_set` event applies), `store` or `dataset`.
    pub source: &'static str,
    /// The `policy_set` event that set it; `null` for the default.
    pub set_by: Option<PolicySetBy>,
}

/// Who set a rule, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySetBy {
    /// The event's sequence number.
    pub seq: u64,
    /// When.
    pub time: Time,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
}

impl From<&PolicyReport> for Policy {
    fn from(report: &PolicyReport) -> Policy {
        Policy {
            dataset: report.dataset.clone(),
            rule: report.in_force.rule.into(),
            source: source_name(report.in_force.source),
            set_by: report.set_by.as_ref().map(|by| PolicySetBy {
                seq: by.seq,
                time: Time(by.micros),
                actor: by.actor.clone(),
                reason: by.reason.clone(),
            }),
        }
    }
}

/// `default`, `store` or `dataset`.
pub fn source_name(source: PolicySource) -> &'static str {
    match source {
        PolicySource::Default => "default",
        PolicySource::Store { .. } => "store",
        PolicySource::Dataset { .. } => "dataset",
    }
}

/// What setting a rule did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySet {
    /// The dataset whose rule was set; `null` for the store's.
    pub dataset: Option<String>,
    /// The rule set.
    pub rule: Rule,
    /// The rule set at that scope before; `null` if none was.
    pub previous: Option<Rule>,
    /// Whether an event was recorded (`false`: the scope had this rule already).
    pub changed: bool,
    /// The `policy_set` event's sequence number; `null` when nothing changed.
    pub seq: Option<u64>,
    /// What failed after the event was committed; the rule stands.
    pub post_commit_warnings: Vec<String>,
}

impl From<&PolicyOutcome> for PolicySet {
    fn from(outcome: &PolicyOutcome) -> PolicySet {
        PolicySet {
            dataset: outcome.dataset.clone(),
            rule: outcome.rule.into(),
            previous: outcome.previous.map(Rule::from),
            changed: outcome.seq.is_some(),
            seq: outcome.seq,
            post_commit_warnings: outcome.post_commit_warnings.clone(),
        }
    }
}
