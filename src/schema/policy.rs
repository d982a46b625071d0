//! What to do about schema drift when a new version is committed: a pure decision from the
//! dataset's policy, the drift, and an optional override reason.
//!
//! | drift      | `Reject`                                  | `Warn`                 | `Allow`                |
//! |------------|-------------------------------------------|------------------------|------------------------|
//! | none       | proceed                                   | proceed                | proceed                |
//! | additive   | proceed, additions as notices             | same                   | same                   |
//! | breaking   | refuse; with a non-empty override reason: proceed, every change as a warning, the reason recorded | proceed, every change as a warning | proceed, additions as notices only |
//!
//! Additions are always reported, whatever the policy: a new column or table is never a reason
//! to refuse, but the people reading the audit trail should still see it arrive. An override
//! reason given under `Warn` or `Allow` is not needed and is not recorded as an override.
//!
//! Widening drift (`Int64` → `Float64`, `Date` → `Timestamp`: see
//! [`crate::schema::drift::is_widening`]) is reported like additions, and is not breaking, under
//! [`WideningRule::Compatible`] (the default). Under [`WideningRule::Breaking`] a widening is
//! decided as breaking drift is, by the table above.

use super::drift::SchemaDrift;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a dataset treats breaking schema drift (removed columns or tables, type changes).
///
/// On disk (FORMAT.md, "Dataset events", `DriftPolicy`): a `u32` variant index in declaration
/// order, so reordering, inserting or removing a variant is a format break. The names are
/// not written: `rename_all` only shapes other serde formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaDriftPolicy {
    /// Refuse breaking drift unless overridden with a reason (the default: audit-grade).
    #[default]
    Reject,
    /// Accept breaking drift and report every change as a warning.
    Warn,
    /// Accept breaking drift silently (additions are still reported).
    Allow,
}

impl SchemaDriftPolicy {
    /// The lowercase name used in configuration and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SchemaDriftPolicy::Reject => "reject",
            SchemaDriftPolicy::Warn => "warn",
            SchemaDriftPolicy::Allow => "allow",
        }
    }
}

impl fmt::Display for SchemaDriftPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a policy treats widening drift (a column's type widened, as `Int64` → `Float64`).
///
/// On disk (FORMAT.md, "Dataset events", `WideningRule`): a `u32` variant index in declaration
/// order, so reordering, inserting or removing a variant is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WideningRule {
    /// Widening is compatible: accepted and reported, whatever the policy (the default, as
    /// Delta Lake's type widening and Iceberg's type promotions).
    #[default]
    Compatible,
    /// Widening counts as breaking drift.
    Breaking,
}

impl WideningRule {
    /// The lowercase name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            WideningRule::Compatible => "compatible",
            WideningRule::Breaking => "breaking",
        }
    }
}

impl fmt::Display for WideningRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WideningRule {
    type Err = String;

    /// Parses `compatible` or `breaking` (ASCII case-insensitive, surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [WideningRule::Compatible, WideningRule::Breaking]
            .into_iter()
            .find(|rule| rule.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown widening rule `{s}`; use compatible or breaking"))
    }
}

impl SchemaDriftPolicy {
    /// How much breaking drift the policy lets through: `Reject` 0, `Warn` 1, `Allow` 2.
    fn leniency(self) -> u8 {
        match self {
            SchemaDriftPolicy::Reject => 0,
            SchemaDriftPolicy::Warn => 1,
            SchemaDriftPolicy::Allow => 2,
        }
    }
}

/// A drift policy with its widening rule: what a store or a dataset holds (set by a
/// `policy_set` event) and what an upload is checked under.
///
/// On disk (FORMAT.md, "Dataset events", `DriftRule`): `policy` then `widening`, each a `u32`
/// variant index, so reordering, inserting or removing a field is a format break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct DriftRule {
    /// How breaking drift is treated.
    pub policy: SchemaDriftPolicy,
    /// How widening drift is treated.
    pub widening: WideningRule,
}

impl DriftRule {
    /// The rule of a store where no policy was ever set: `reject`, widening compatible.
    pub const DEFAULT: DriftRule = DriftRule {
        policy: SchemaDriftPolicy::Reject,
        widening: WideningRule::Compatible,
    };

    /// This rule with the parts a request names replaced (`None` keeps this rule's).
    pub fn with(self, policy: Option<SchemaDriftPolicy>, widening: Option<WideningRule>) -> Self {
        DriftRule {
            policy: policy.unwrap_or(self.policy),
            widening: widening.unwrap_or(self.widening),
        }
    }

    /// Whether this rule accepts some drift that `other` refuses: a more lenient policy, or
    /// widening compatible where `other` refuses it (`reject` with widening breaking). A rule
    /// weaker than the one in force needs a reason.
    pub fn is_weaker_than(self, other: DriftRule) -> bool {
        let policy_weaker = self.policy.leniency() > other.policy.leniency();
        let widening_weaker = self.widening == WideningRule::Compatible
            && other.widening == WideningRule::Breaking
            && other.policy == SchemaDriftPolicy::Reject;
        policy_weaker || widening_weaker
    }
}

impl fmt::Display for DriftRule {
    /// `reject`, or `reject (widening breaking)` when widening counts as breaking.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.widening {
            WideningRule::Compatible => write!(f, "{}", self.policy),
            WideningRule::Breaking => write!(f, "{} (widening breaking)", self.policy),
        }
    }
}

/// A policy name that is not `reject`, `warn` or `allow`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown schema drift policy `{0}`; use reject, warn or allow")]
pub struct ParsePolicyError(pub String);

impl FromStr for SchemaDriftPolicy {
    type Err = ParsePolicyError;

    /// Parses `reject`, `warn` or `allow` (ASCII case-insensitive, surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let all = [
            SchemaDriftPolicy::Reject,
            SchemaDriftPolicy::Warn,
            SchemaDriftPolicy::Allow,
        ];
        all.into_iter()
            .find(|policy| policy.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParsePolicyError(s.to_string()))
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DriftDecision {
    /// Commit the version; show `warnings` (one line each) to the user and keep them in the log.
    Proceed {
        /// Notices and warnings, possibly empty.
        warnings: Vec<String>,
        /// The trimmed reason when a `Reject` policy was overridden, `None` otherwise.
        override_reason: Option<String>,
    },
    /// Do not commit the version.
    Refuse {
        /// A one-line explanation that says how to proceed.
        reason: String,
    },
}

impl DriftDecision {
    /// Whether the version may be committed.
    pub fn proceeds(&self) -> bool {
        matches!(self, DriftDecision::Proceed { .. })
    }
}

/// Decides whether a version with this `drift` may be committed under `policy`, widening
/// being compatible (the default): [`decide_under`] with [`WideningRule::Compatible`].
pub fn decide(
    policy: SchemaDriftPolicy,
    drift: &SchemaDrift,
    override_reason: Option<&str>,
) -> DriftDecision {
    decide_under(policy, WideningRule::Compatible, drift, override_reason)
}

/// Decides whether a version with this `drift` may be committed under `policy` and the
/// `widening` rule (see the module docs for the table). `override_reason` only matters for
/// breaking drift under `Reject`, and only when it is not empty after trimming.
pub fn decide_under(
    policy: SchemaDriftPolicy,
    widening: WideningRule,
    drift: &SchemaDrift,
    override_reason: Option<&str>,
) -> DriftDecision {
    let widening_breaks = widening == WideningRule::Breaking && drift.has_widening();
    if !drift.is_breaking() && !widening_breaks {
        return proceed(drift.compatible_notices(), None);
    }
    match policy {
        SchemaDriftPolicy::Allow => proceed(drift.additive_notices(), None),
        SchemaDriftPolicy::Warn => proceed(drift.describe(), None),
        SchemaDriftPolicy::Reject => match override_reason.map(str::trim) {
            Some(reason) if !reason.is_empty() => proceed(drift.describe(), Some(reason)),
            given => DriftDecision::Refuse {
                reason: refusal_reason(drift, widening, given.is_some()),
            },
        },
    }
}

fn proceed(warnings: Vec<String>, override_reason: Option<&str>) -> DriftDecision {
    DriftDecision::Proceed {
        warnings,
        override_reason: override_reason.map(str::to_string),
    }
}

fn refusal_reason(
    drift: &SchemaDrift,
    widening: WideningRule,
    empty_override_given: bool,
) -> String {
    let remedy = if empty_override_given {
        "an override needs a non-empty reason"
    } else {
        "fix the new version, or override with a reason to accept the change"
    };
    let mut changes = drift.breaking_notices();
    if widening == WideningRule::Breaking {
        changes.extend(
            drift
                .widening_notices()
                .into_iter()
                .map(|n| format!("{n} (the policy counts widening as breaking)")),
        );
    }
    format!(
        "breaking schema drift refused by the `reject` policy: {}; {remedy}",
        changes.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_is_weaker_only_where_it_accepts_what_the_other_refuses() {
        use SchemaDriftPolicy::{Allow, Reject, Warn};
        use WideningRule::{Breaking, Compatible};
        let rule = |policy, widening| DriftRule { policy, widening };
        assert!(rule(Warn, Compatible).is_weaker_than(rule(Reject, Compatible)));
        assert!(rule(Allow, Compatible).is_weaker_than(rule(Warn, Compatible)));
        assert!(rule(Reject, Compatible).is_weaker_than(rule(Reject, Breaking)));
        // Under warn a breaking widening proceeds anyway: counting it compatible takes
        // nothing away.
        assert!(!rule(Warn, Compatible).is_weaker_than(rule(Warn, Breaking)));
        assert!(!rule(Reject, Breaking).is_weaker_than(rule(Reject, Compatible)));
        assert!(!rule(Reject, Compatible).is_weaker_than(rule(Reject, Compatible)));
        assert!(!rule(Reject, Compatible).is_weaker_than(rule(Allow, Compatible)));
        assert_eq!(
            DriftRule::DEFAULT.with(Some(Warn), None),
            rule(Warn, Compatible)
        );
        assert_eq!(
            rule(Reject, Breaking).to_string(),
            "reject (widening breaking)"
        );
    }
    use crate::schema::drift::classify_drift;
    use crate::schema::types::{Column, ColumnType, Schema};

    fn tables(columns: &[&str]) -> Vec<(String, Schema)> {
        let columns = columns
            .iter()
            .map(|name| Column {
                name: name.to_string(),
                column_type: ColumnType::Int64,
                nullable: false,
                identifier: false,
            })
            .collect();
        vec![("t".to_string(), Schema { columns })]
    }

    fn breaking() -> SchemaDrift {
        classify_drift(&tables(&["a", "b"]), &tables(&["a", "c"]))
    }

    fn additive() -> SchemaDrift {
        classify_drift(&tables(&["a"]), &tables(&["a", "c"]))
    }

    fn warnings(decision: &DriftDecision) -> &[String] {
        match decision {
            DriftDecision::Proceed { warnings, .. } => warnings,
            DriftDecision::Refuse { reason } => panic!("refused: {reason}"),
        }
    }

    const ADDED_C: &str = "table `t`: column `c` (Int64) added";
    const REMOVED_B: &str = "table `t`: column `b` (Int64) removed";

    #[test]
    fn default_policy_is_reject() {
        assert_eq!(SchemaDriftPolicy::default(), SchemaDriftPolicy::Reject);
    }

    #[test]
    fn policy_parses_from_its_names_and_rejects_others() {
        assert_eq!("reject".parse(), Ok(SchemaDriftPolicy::Reject));
        assert_eq!("warn".parse(), Ok(SchemaDriftPolicy::Warn));
        assert_eq!(" Allow ".parse(), Ok(SchemaDriftPolicy::Allow));
        let error = "strict".parse::<SchemaDriftPolicy>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown schema drift policy `strict`; use reject, warn or allow"
        );
    }

    #[test]
    fn policy_serializes_as_lowercase_name() {
        assert_eq!(
            serde_json::to_string(&SchemaDriftPolicy::Warn).unwrap(),
            "\"warn\""
        );
        let back: SchemaDriftPolicy = serde_json::from_str("\"allow\"").unwrap();
        assert_eq!(back, SchemaDriftPolicy::Allow);
    }

    #[test]
    fn no_drift_proceeds_silently_under_every_policy() {
        let none = SchemaDrift::default();
        for policy in [
            SchemaDriftPolicy::Reject,
            SchemaDriftPolicy::Warn,
            SchemaDriftPolicy::Allow,
        ] {
            assert_eq!(decide(policy, &none, None), proceed(vec![], None));
        }
    }

    #[test]
    fn additive_drift_proceeds_with_notices_under_every_policy() {
        for policy in [
            SchemaDriftPolicy::Reject,
            SchemaDriftPolicy::Warn,
            SchemaDriftPolicy::Allow,
        ] {
            assert_eq!(
                decide(policy, &additive(), None),
                proceed(vec![ADDED_C.into()], None)
            );
        }
    }

    #[test]
    fn reject_refuses_breaking_drift_naming_the_change() {
        let decision = decide(SchemaDriftPolicy::Reject, &breaking(), None);
        let DriftDecision::Refuse { reason } = decision else {
            panic!("expected a refusal, got {decision:?}");
        };
        assert!(reason.contains(REMOVED_B), "{reason}");
        assert!(reason.contains("override with a reason"), "{reason}");
        assert!(!reason.contains('\n'));
    }

    #[test]
    fn reject_with_blank_override_reason_still_refuses() {
        let decision = decide(SchemaDriftPolicy::Reject, &breaking(), Some("  "));
        let DriftDecision::Refuse { reason } = decision else {
            panic!("expected a refusal, got {decision:?}");
        };
        assert!(reason.contains("non-empty reason"), "{reason}");
    }

    #[test]
    fn reject_with_override_reason_proceeds_and_records_it() {
        let decision = decide(
            SchemaDriftPolicy::Reject,
            &breaking(),
            Some(" cleaned export "),
        );
        assert_eq!(
            decision,
            proceed(
                vec![REMOVED_B.into(), ADDED_C.into()],
                Some("cleaned export")
            )
        );
    }

    #[test]
    fn warn_proceeds_with_every_change_as_a_warning() {
        let decision = decide(SchemaDriftPolicy::Warn, &breaking(), None);
        assert_eq!(warnings(&decision), [REMOVED_B, ADDED_C]);
    }

    #[test]
    fn allow_proceeds_reporting_only_additions() {
        let decision = decide(SchemaDriftPolicy::Allow, &breaking(), Some("ignored"));
        assert_eq!(decision, proceed(vec![ADDED_C.into()], None));
    }

    fn widened() -> SchemaDrift {
        let table = |t: ColumnType| {
            vec![(
                "t".to_string(),
                Schema {
                    columns: vec![Column {
                        name: "n".into(),
                        column_type: t,
                        nullable: false,
                        identifier: false,
                    }],
                },
            )]
        };
        classify_drift(&table(ColumnType::Int64), &table(ColumnType::Float64))
    }

    const WIDENED_N: &str = "table `t`: column `n` widened from Int64 to Float64";

    #[test]
    fn widening_proceeds_with_its_notice_under_every_policy_by_default() {
        assert_eq!(WideningRule::default(), WideningRule::Compatible);
        for policy in [
            SchemaDriftPolicy::Reject,
            SchemaDriftPolicy::Warn,
            SchemaDriftPolicy::Allow,
        ] {
            assert_eq!(
                decide(policy, &widened(), None),
                proceed(vec![WIDENED_N.into()], None)
            );
        }
    }

    #[test]
    fn a_policy_that_counts_widening_as_breaking_refuses_it_under_reject() {
        let rule = WideningRule::Breaking;
        let decision = decide_under(SchemaDriftPolicy::Reject, rule, &widened(), None);
        let DriftDecision::Refuse { reason } = decision else {
            panic!("expected a refusal, got {decision:?}");
        };
        assert!(reason.contains(WIDENED_N), "{reason}");
        assert!(reason.contains("counts widening as breaking"), "{reason}");
        assert_eq!(
            decide_under(SchemaDriftPolicy::Reject, rule, &widened(), Some("ok")),
            proceed(vec![WIDENED_N.into()], Some("ok"))
        );
        assert_eq!(
            decide_under(SchemaDriftPolicy::Warn, rule, &widened(), None),
            proceed(vec![WIDENED_N.into()], None)
        );
    }

    #[test]
    fn widening_rules_parse_from_their_names() {
        assert_eq!(" Breaking ".parse(), Ok(WideningRule::Breaking));
        assert_eq!("compatible".parse(), Ok(WideningRule::Compatible));
        assert!("strict".parse::<WideningRule>().is_err());
    }
}
