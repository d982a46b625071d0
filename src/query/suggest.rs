//! Suggestions for unknown names: the closest existing name, and the last version that had it.

use super::catalog::{TableRef, VersionSchemas};

/// The edit distance between two names, ignoring case: insertions, deletions, substitutions
/// and transpositions of adjacent characters each cost 1 (optimal string alignment).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // Rolling rows: `current[j]` is the distance between a[..i] and b[..j]; `previous` and
    // `before_previous` hold the rows for a[..i-1] and a[..i-2].
    let mut before_previous: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before_previous[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo: at most a
/// third of the name's length in edits (and at least one edit allowed). Ties go to the first
/// candidate. A candidate equal to `name` (ignoring case) is never suggested.
pub(crate) fn closest_name<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let allowed = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|&(distance, _)| distance > 0 && distance <= allowed)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Up to `limit` candidates close enough to `name` to be a likely typo (as for
/// [`closest_name`]), closest first; ties keep the candidates' order.
pub(crate) fn closest_names<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    limit: usize,
) -> Vec<&'c str> {
    let allowed = (name.chars().count() / 3).max(1);
    let mut close: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|&(distance, _)| distance > 0 && distance <= allowed)
        .collect();
    close.sort_by_key(|&(distance, _)| distance);
    close.into_iter().take(limit).map(|(_, c)| c).collect()
}

/// The most recent version other than `current` (searching `history` backwards) in which
/// one of `tables`' counterparts has a column named `column` (case-insensitive).
pub(crate) fn last_version_with_column(
    history: &[VersionSchemas<'_>],
    current: &VersionSchemas<'_>,
    tables: &[&TableRef<'_>],
    column: &str,
) -> Option<u64> {
    history
        .iter()
        .rev()
        .filter(|version| version.number != current.number)
        .find(|version| {
            tables.iter().any(|table| {
                version
                    .counterpart(table, current.tables.len())
                    .is_some_and(|t| t.column_named(column).is_some())
            })
        })
        .map(|version| version.number)
}

/// The most recent version other than `current` (searching `history` backwards) that has a
/// table answering to `name`.
pub(crate) fn last_version_with_table(
    history: &[VersionSchemas<'_>],
    current: &VersionSchemas<'_>,
    name: &str,
) -> Option<u64> {
    history
        .iter()
        .rev()
        .filter(|version| version.number != current.number)
        .find(|version| version.table(name).is_some())
        .map(|version| version.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposition_costs_one_edit() {
        assert_eq!(edit_distance("bill_lenght_mm", "bill_length_mm"), 1);
        assert_eq!(edit_distance("Species", "species"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_name_ignores_far_candidates() {
        let names = ["bill_length_mm", "bill_depth_mm", "species"];
        assert_eq!(
            closest_name("bill_lenght_mm", names),
            Some("bill_length_mm")
        );
        assert_eq!(closest_name("Culmen Length (mm)", names), None);
        assert_eq!(closest_name("specie", names), Some("species"));
    }
}
