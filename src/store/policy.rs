//! The drift policy a store holds: a store-wide rule and per-dataset rules, each set by a
//! recorded `policy_set` event with a reason, so that who chose the policy, when and why is
//! in the audit trail. An upload that names no policy is decided by the rule in force; one
//! that asks for a weaker rule needs a reason, recorded as an override.

use super::catalog::{Catalog, PolicyInForce, PolicySource};
use super::event::EventKind;
use super::names::{check_name, NameKind};
use super::{new_event, Store};
use crate::error::{Error, ReasonFor, Result};
use crate::schema::DriftRule;

/// Where a rule is set: the store, or one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyScope<'a> {
    /// The store's rule: it applies to every dataset that has none of its own.
    Store,
    /// One dataset's rule (by name or id).
    Dataset(&'a str),
}

/// The rule in force at a scope, as [`Store::policy`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyReport {
    /// The dataset asked about (its name); `None` for the store.
    pub dataset: Option<String>,
    /// The rule an upload there is decided by when it names none.
    pub in_force: PolicyInForce,
    /// When the rule in force was set (microseconds since the Unix epoch), if an event set
    /// it, with the actor and reason of that event.
    pub set_by: Option<PolicySetBy>,
}

/// Who set a rule, when and why: from its `policy_set` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySetBy {
    /// The event's sequence number.
    pub seq: u64,
    /// When (microseconds since the Unix epoch).
    pub micros: i64,
    /// Who set it.
    pub actor: String,
    /// Why.
    pub reason: String,
}

/// What [`Store::set_policy`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyOutcome {
    /// The dataset whose rule was set (its name); `None` for the store's.
    pub dataset: Option<String>,
    /// The rule set.
    pub rule: DriftRule,
    /// The rule set at that scope before, if one was.
    pub previous: Option<DriftRule>,
    /// The `policy_set` event's sequence number; `None` when the scope already had exactly
    /// this rule and nothing was appended.
    pub seq: Option<u64>,
    /// What failed after the event was committed (the invariant check, the automatic
    /// snapshot). The rule stands; each entry says what went wrong.
    pub post_commit_warnings: Vec<String>,
}

/// Where a rule in force comes from, for people: `the store's policy (event 12)`.
pub fn describe_source(source: PolicySource) -> String {
    match source {
        PolicySource::Default => "the default: no policy was set".into(),
        PolicySource::Store { seq } => format!("the store's policy, set by event {seq}"),
        PolicySource::Dataset { seq } => format!("the dataset's policy, set by event {seq}"),
    }
}

impl Store {
    /// The rule in force at `scope`: a dataset's own rule, else the store's, else
    /// [`DriftRule::DEFAULT`]; with who set it, when and why.
    pub fn policy(&self, scope: PolicyScope<'_>) -> Result<PolicyReport> {
        self.refresh()?;
        let catalog = self.catalog();
        let (dataset, id) = scope_of(&catalog, scope)?;
        let in_force = catalog.policy_in_force(id.as_ref());
        drop(catalog);
        let set_by = match in_force.source {
            PolicySource::Default => None,
            PolicySource::Store { seq } | PolicySource::Dataset { seq } => {
                let event = self.read_event(seq)?;
                Some(PolicySetBy {
                    seq,
                    micros: event.timestamp_micros,
                    actor: event.actor,
                    reason: event.note,
                })
            }
        };
        Ok(PolicyReport {
            dataset,
            in_force,
            set_by,
        })
    }

    /// Sets the drift rule of `scope`, recording a `policy_set` event with `reason` (required:
    /// [`Error::ReasonRequired`] if it is empty after trimming). Setting the rule a scope
    /// already has appends nothing and says so (`seq` is `None`).
    ///
    /// Returns `Err` only if nothing was committed (the contract of
    /// [`Store::rollback_to_version`]); what fails after the commit is in
    /// [`PolicyOutcome::post_commit_warnings`].
    pub fn set_policy(
        &self,
        scope: PolicyScope<'_>,
        rule: DriftRule,
        actor: &str,
        reason: &str,
    ) -> Result<PolicyOutcome> {
        let actor = check_name(NameKind::Actor, actor)?;
        let mut writer = self.lock_writer()?;
        let mut catalog = self.catalog_mut();
        self.catch_up(&mut catalog)?;
        let (dataset, id) = scope_of(&catalog, scope)?;
        let previous = match id {
            None => catalog.store_policy().map(|e| e.rule),
            Some(id) => catalog.dataset_policy(&id).map(|e| e.rule),
        };
        let mut outcome = PolicyOutcome {
            dataset,
            rule,
            previous,
            seq: None,
            post_commit_warnings: Vec::new(),
        };
        if previous == Some(rule) {
            return Ok(outcome);
        }
        let reason = required_reason(reason, ReasonFor::PolicySet, || match &outcome.dataset {
            Some(name) => format!("setting the drift policy of `{name}`"),
            None => "setting the store's drift policy".into(),
        })?;
        let kind = EventKind::PolicySet { rule, previous };
        let dataset_id = id.unwrap_or_else(uuid::Uuid::nil);
        let event = new_event(dataset_id, &actor, reason, kind, writer.commit_micros());
        outcome.seq = Some(self.append_event(&mut writer, &mut catalog, &event)?);
        drop(catalog);
        writer.commit()?;
        outcome.post_commit_warnings = self.after_commit();
        Ok(outcome)
    }
}

/// The dataset a scope names (its name and id), or `None` for the store.
fn scope_of(
    catalog: &Catalog,
    scope: PolicyScope<'_>,
) -> Result<(Option<String>, Option<uuid::Uuid>)> {
    Ok(match scope {
        PolicyScope::Store => (None, None),
        PolicyScope::Dataset(name) => {
            let ds = catalog.get(name)?;
            (Some(ds.name.clone()), Some(ds.id))
        }
    })
}

/// `reason` trimmed, or [`Error::ReasonRequired`] naming `action()` if it is empty.
pub(super) fn required_reason(
    reason: &str,
    operation: ReasonFor,
    action: impl FnOnce() -> String,
) -> Result<&str> {
    match reason.trim() {
        "" => Err(Error::ReasonRequired {
            operation,
            action: action(),
        }),
        reason => Ok(reason),
    }
}
