//! `strata show`: a version's tables, columns, fingerprints, source files and metadata.

use crate::context::{self, Context};
use crate::display;
use crate::error::CliResult;
use crate::output::{Printer, Style};
use strata::report::{self, change_summary};
use strata::store::{TableRecord, VersionInfo};

/// Examples, shown by `--help`.
pub const EXAMPLES: &str = "  strata show trial-42\n  strata show trial-42@2\n  strata show trial-42@2024-05-01 --json\n  strata show \"trial-42@2 days ago\"";

/// Options of `strata show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset, optionally with a version: `NAME`, `NAME@3`, `NAME@v3`, `NAME@<hash
    /// prefix>`, `NAME@active` or `NAME@<time>` (the version active then).
    #[arg(value_name = "NAME[@VERSION]")]
    pub target: String,
}

/// Prints the version.
pub fn run(ctx: &Context, args: Args) -> CliResult {
    let store = ctx.open_store()?;
    let (name, version) = context::parse_target(&store, &args.target)?;
    let info = store.version(&name, &version)?;
    let (dataset, dataset_id, active) = {
        let catalog = store.catalog();
        let ds = catalog.get(&name)?;
        (ds.name.clone(), ds.id, ds.active)
    };
    let mut out = ctx.printer();
    out.json(&report::Show::new(
        &dataset,
        dataset_id,
        &info,
        info.number == active,
    ))?;
    if out.is_json() {
        return Ok(());
    }
    print_version(&mut out, &dataset, dataset_id, &info, info.number == active)?;
    for table in &info.tables {
        out.line("")?;
        print_table(&mut out, table)?;
    }
    Ok(())
}

fn print_version(
    out: &mut Printer,
    dataset: &str,
    id: uuid::Uuid,
    info: &VersionInfo,
    active: bool,
) -> CliResult {
    let marker = if active {
        out.paint(Style::Green, " (active)")
    } else {
        String::new()
    };
    out.line(format!(
        "{} version {}{marker}",
        out.paint(Style::Cyan, dataset),
        info.number
    ))?;
    out.line(format!("  dataset id: {id}"))?;
    out.line(format!("  hash:       {}", info.hash.hex()))?;
    out.line(format!(
        "  created:    {} by {} [event {}]",
        display::when(info.created_micros),
        info.actor,
        info.created_seq
    ))?;
    if !info.note.is_empty() {
        out.line(format!("  note:       {}", info.note))?;
    }
    if let Some(drift) = &info.drift {
        out.line(format!(
            "  drift:      {} (against the version active before)",
            change_summary(drift)
        ))?;
    }
    if let Some(reason) = &info.override_reason {
        out.line(format!("  override:   {reason}"))?;
    }
    out.line(format!(
        "  metadata:   {}",
        info.metadata.as_deref().unwrap_or("none")
    ))
}

fn print_table(out: &mut Printer, t: &TableRecord) -> CliResult {
    out.line(format!(
        "{} {} ({}), from {}",
        out.paint(Style::Bold, "table"),
        out.paint(Style::Cyan, &t.name),
        t.table_id,
        t.source_file
    ))?;
    out.line(format!(
        "  {}, {}, {}, {} delimiter",
        display::count(t.row_count, "row"),
        display::count(t.column_count, "column"),
        display::count(t.byte_len, "byte"),
        t.delimiter
    ))?;
    out.line(format!("  content hash: {}", t.content_hash.hex()))?;
    out.line(format!("  fingerprint:  {}", t.fingerprint.hex()))?;
    let mut rows = vec![["  #", "COLUMN", "TYPE", "FLAGS"]
        .map(String::from)
        .to_vec()];
    for (i, c) in t.schema.columns.iter().enumerate() {
        let flags: Vec<&str> = [(c.nullable, "nullable"), (c.identifier, "identifier")]
            .into_iter()
            .filter_map(|(on, flag)| on.then_some(flag))
            .collect();
        rows.push(vec![
            format!("  {}", i + 1),
            c.name.clone(),
            c.column_type.name().to_string(),
            flags.join(", "),
        ]);
    }
    out.table(&rows, |_| None)?;
    Ok(())
}
