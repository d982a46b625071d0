//! `strata policy`: the drift policy the store holds (store-wide, or for one dataset), shown
//! or set. Setting one records a `policy_set` event with a reason; uploads that name no policy
//! are decided by it, and one that asks for a weaker policy needs a reason of its own.

use crate::context::{self, Context};
use crate::display;
use crate::error::CliResult;
use crate::output::Style;
use strata::report;
use strata::schema::{DriftRule, SchemaDriftPolicy, WideningRule};
use strata::store::PolicyScope;

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata policy show\n  strata policy show --dataset trial-42 --json\n  strata policy set reject --reason \"GCP: breaking changes need an override\"\n  strata policy set warn --dataset scratch --reason \"exploratory data\"\n  strata policy set reject --widening breaking --dataset trial-42 --reason \"typed exports\"";

/// Options of `strata policy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show or set.
    #[command(subcommand)]
    pub action: Action,
}

/// What `strata policy` does.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// The policy in force (the dataset's, else the store's, else the default `reject`), and
    /// who set it, when and why.
    Show {
        /// A dataset (name or id); without it, the store's policy.
        #[arg(long, value_name = "NAME")]
        dataset: Option<String>,
    },
    /// Set the store's policy, or one dataset's (recorded as a `policy_set` event).
    Set {
        /// reject (breaking drift refused unless overridden), warn or allow.
        #[arg(value_name = "POLICY")]
        policy: SchemaDriftPolicy,

        /// How the policy treats widening drift: compatible or breaking (default: as the
        /// policy in force there says).
        #[arg(long, value_name = "RULE")]
        widening: Option<WideningRule>,

        /// A dataset (name or id); without it, the store's policy, which applies to every
        /// dataset without one of its own.
        #[arg(long, value_name = "NAME")]
        dataset: Option<String>,

        /// Why (required; recorded as the event's note).
        #[arg(long, value_name = "TEXT")]
        reason: String,

        /// Who sets it (default: USER or LOGNAME, else the process's OS account).
        #[arg(long, value_name = "WHO")]
        actor: Option<String>,
    },
}

/// Shows or sets the policy.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    match args.action {
        Action::Show { dataset } => show(ctx, scope(dataset.as_deref())),
        Action::Set {
            policy,
            widening,
            dataset,
            reason,
            actor,
        } => {
            let scope = scope(dataset.as_deref());
            let store = ctx.open_store()?;
            let widening = match widening {
                Some(widening) => widening,
                None => store.policy(scope)?.in_force.rule.widening,
            };
            let rule = DriftRule { policy, widening };
            let outcome = store.set_policy(scope, rule, &context::actor(actor), &reason)?;
            print_set(ctx, &outcome)
        }
    }
}

fn scope(dataset: Option<&str>) -> PolicyScope<'_> {
    dataset.map_or(PolicyScope::Store, PolicyScope::Dataset)
}

fn scope_text(dataset: Option<&str>) -> String {
    match dataset {
        Some(name) => format!("dataset `{name}`"),
        None => "the store".into(),
    }
}

fn show(ctx: &Context, scope: PolicyScope<'_>) -> CliResult {
    let store = ctx.open_store()?;
    let policy = store.policy(scope)?;
    let mut out = ctx.printer();
    out.json(&report::Policy::from(&policy))?;
    let rule = out.paint(Style::Bold, policy.in_force.rule.to_string());
    let source = strata::store::describe_source(policy.in_force.source);
    out.line(format!(
        "drift policy of {}: {rule} ({source})",
        scope_text(policy.dataset.as_deref())
    ))?;
    match &policy.set_by {
        Some(by) => out.line(format!(
            "  set {} by {}: {}",
            display::when(by.micros),
            by.actor,
            by.reason
        )),
        None => out.line(out.paint(
            Style::Dim,
            "  uploads choose their own with --drift-policy (recorded in each event); \
             `strata policy set` makes one the rule, and a weaker one then needs --reason",
        )),
    }
}

fn print_set(ctx: &Context, outcome: &strata::store::PolicyOutcome) -> CliResult {
    let mut out = ctx.printer();
    out.json(&report::PolicySet::from(outcome))?;
    let scope = scope_text(outcome.dataset.as_deref());
    match outcome.seq {
        None => out.line(format!(
            "the drift policy of {scope} is already {}: nothing recorded",
            outcome.rule
        ))?,
        Some(seq) => {
            let was = outcome
                .previous
                .map_or_else(|| "none set".to_string(), |p| p.to_string());
            out.line(format!(
                "{}: {scope} is now {} (was {was}; event {seq})",
                out.paint(Style::Green, "drift policy set"),
                outcome.rule
            ))?;
        }
    }
    super::upload::print_post_commit_warnings(&mut out, "policy", &outcome.post_commit_warnings)
}
