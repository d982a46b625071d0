//! Human renderings shared by the commands: times, schema-change summaries, event summaries
//! and aligned columns.

use crate::output::{Printer, Style};
use chrono::{DateTime, SecondsFormat, Utc};
use strata::inspect::RecordBody;
use strata::report::{change_summary, Verdict};
use strata::schema::SchemaDrift;
use strata::schema::WideningRule;
use strata::store::{Event, EventKind};

/// A time as RFC 3339 UTC to the second, e.g. `2024-05-01T12:00:00Z`.
pub fn absolute(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{micros} µs"))
}

/// A time relative to now, e.g. `3 minutes ago`.
pub fn relative(micros: i64) -> String {
    relative_to(micros, Utc::now().timestamp_micros())
}

/// A time relative to `now_micros`.
pub fn relative_to(micros: i64, now_micros: i64) -> String {
    let seconds = (now_micros - micros) / 1_000_000;
    if seconds < -5 {
        return "in the future".into();
    }
    if seconds < 5 {
        return "just now".into();
    }
    let units: [(i64, &str); 6] = [
        (365 * 86_400, "year"),
        (30 * 86_400, "month"),
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let (size, unit) = units
        .into_iter()
        .find(|(size, _)| seconds >= *size)
        .unwrap_or((1, "second"));
    let n = seconds / size;
    format!("{n} {} ago", plural(n as u64, unit))
}

/// Both: `3 minutes ago (2024-05-01T12:00:00Z)`.
pub fn when(micros: i64) -> String {
    format!("{} ({})", relative(micros), absolute(micros))
}

/// `unit` or `units`.
pub fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    }
}

/// `3 rows`, `1 row`.
pub fn count(n: u64, unit: &str) -> String {
    format!("{n} {}", plural(n, unit))
}

/// [`change_summary`], coloured by the verdict: red if breaking, yellow if additive or
/// widening.
pub fn painted_summary(out: &Printer, drift: &SchemaDrift) -> String {
    let style = match Verdict::of(drift) {
        Verdict::Breaking => Style::Red,
        Verdict::None => Style::Dim,
        Verdict::Additive | Verdict::Widening => Style::Yellow,
    };
    out.paint(style, change_summary(drift))
}

/// The details of an event on one line.
pub fn event_details(event: &Event) -> String {
    match &event.kind {
        EventKind::UploadCreated {
            version,
            hash,
            tables,
            previous_active,
            drift,
            override_reason,
            ..
        } => {
            let rows: u64 = tables.iter().map(|t| t.row_count).sum();
            let change = match (previous_active, drift) {
                (None, _) => "new dataset".to_string(),
                (Some(_), Some(drift)) => change_summary(drift),
                (Some(_), None) => "no schema change".to_string(),
            };
            let mut text = format!(
                "version {version} ({}): {}, {}; {change}",
                hash.short(),
                count(tables.len() as u64, "table"),
                count(rows, "row")
            );
            if let Some(reason) = override_reason {
                text.push_str(&format!("; override: {reason}"));
            }
            text
        }
        EventKind::VersionActivated { version, from } => {
            format!("version {version} re-activated (was version {from}): same content uploaded")
        }
        EventKind::Rollback { from, to, warnings } => format!(
            "rolled back from version {from} to version {to} ({})",
            count(warnings.len() as u64, "warning")
        ),
        EventKind::PolicySet { rule, previous } => {
            let scope = if event.dataset_id.is_nil() {
                "the store's"
            } else {
                "the dataset's"
            };
            match previous {
                Some(previous) => {
                    format!("{scope} drift policy set to `{rule}` (was `{previous}`)")
                }
                None => format!("{scope} drift policy set to `{rule}`"),
            }
        }
        EventKind::OverwriteBlocked {
            source_files,
            active,
            drift,
            policy,
            widening,
            ..
        } => {
            let rule = if *widening == WideningRule::Breaking && drift.has_widening() {
                " (widening counted as breaking)"
            } else {
                ""
            };
            format!(
                "overwrite with {} refused by the `{policy}` policy{rule} (version {active} stays active): {}",
                source_files.join(", "),
                change_summary(drift)
            )
        }
    }
}

/// The decoded body of a valid record on one line, as `dump` shows it.
pub fn record_body(body: &RecordBody) -> String {
    match body {
        RecordBody::Seal(s) => format!(
            "seal: segment {}, first seq {}, {} before the seal, seal at offset {}",
            s.segment_number,
            s.first_seq,
            count(s.record_count, "record"),
            s.seal_offset
        ),
        RecordBody::TornCut(c) => format!(
            "torn tail cut: segment {}, offset {}, {} dropped",
            c.segment_number,
            c.offset,
            count(c.bytes_dropped, "byte")
        ),
        RecordBody::Repair(r) => format!(
            "repair: segment {} cut at offset {}, {} cut, {} removed, copy in log/{}",
            r.segment_number,
            r.offset,
            count(r.bytes_cut, "byte"),
            count(u64::from(r.segments_removed), "segment"),
            r.salvage_dir
        ),
        RecordBody::Event { event, dataset } => {
            let shown = dataset
                .clone()
                .unwrap_or_else(|| event.dataset_id.to_string());
            format!(
                "{} `{shown}` by {}: {}",
                event.kind.name(),
                event.recorded_by(),
                event_details(event)
            )
        }
        RecordBody::Application { len } => format!(
            "{} of an application record type this build does not know",
            count(*len, "byte")
        ),
        RecordBody::Undecodable(error) => format!("body cannot be decoded: {error}"),
    }
}

/// Pads every cell but the last of each row to its column's width (in characters).
pub fn align(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i + 1 == row.len() {
                        cell.clone()
                    } else {
                        format!("{cell:<width$}", width = widths[i])
                    }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_000_000_000_000_000;
        assert_eq!(relative_to(now, now), "just now");
        assert_eq!(relative_to(now - 180_000_000, now), "3 minutes ago");
        assert_eq!(relative_to(now - 3_600_000_000, now), "1 hour ago");
        assert_eq!(relative_to(now + 60_000_000, now), "in the future");
    }

    #[test]
    fn aligned_cells_share_a_width() {
        let rows = vec![
            vec!["a".to_string(), "x".to_string()],
            vec!["abc".to_string(), "y".to_string()],
        ];
        assert_eq!(align(&rows)[0][0], "a  ");
    }
}
