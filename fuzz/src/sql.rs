//! The dataset history the `validate_sql` target validates against, and the checks of a
//! finding's position against the SQL text.

use std::sync::OnceLock;
use strata::query::{Finding, FindingKind, Location, TableRef, VersionSchemas};
use strata::schema::{Column, ColumnType, Schema};

fn schema(columns: &[(&str, ColumnType)]) -> Schema {
    Schema {
        columns: columns
            .iter()
            .map(|(name, t)| Column {
                name: (*name).into(),
                column_type: *t,
                nullable: true,
                identifier: false,
            })
            .collect(),
    }
}

/// The schemas of the history's tables.
struct Schemas {
    raw: Schema,
    penguins_v2: Schema,
    penguins_v3: Schema,
    sites_v2: Schema,
    sites_v3: Schema,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        use ColumnType::*;
        let raw = schema(&[
            ("studyName", Utf8),
            ("Sample Number", Int64),
            ("Species", Utf8),
            ("Island", Utf8),
            ("Individual ID", Utf8),
            ("Clutch Completion", Utf8),
            ("Date Egg", Date),
            ("Culmen Length (mm)", Float64),
            ("Culmen Depth (mm)", Float64),
            ("Body Mass (g)", Int64),
            ("Sex", Utf8),
            ("Delta 15 N (o/oo)", Float64),
            ("Delta 13 C (o/oo)", Float64),
        ]);
        let penguins = |body_mass, year| {
            schema(&[
                ("species", Utf8),
                ("island", Utf8),
                ("bill_length_mm", Float64),
                ("bill_depth_mm", Float64),
                ("flipper_length_mm", Int64),
                ("body_mass_g", body_mass),
                ("sex", Utf8),
                ("year", year),
            ])
        };
        let sites = |latitude, since| {
            schema(&[
                ("island", Utf8),
                ("latitude", latitude),
                ("visited", Boolean),
                ("since", since),
            ])
        };
        Schemas {
            raw,
            penguins_v2: penguins(Int64, Utf8),
            penguins_v3: penguins(Float64, Int64),
            sites_v2: sites(Utf8, Date),
            sites_v3: sites(Float64, Timestamp),
        }
    })
}

/// A dataset's history: v1 holds the raw penguins table; v2 the cleaned `penguins` table (in
/// its place, same table id) and `sites`; v3 both again with changed column types
/// (`penguins.body_mass_g` Int64 to Float64, `year` Utf8 to Int64, `sites.latitude` Utf8 to
/// Float64, `since` Date to Timestamp) and `penguins-raw` back as a third table.
pub fn history() -> Vec<VersionSchemas<'static>> {
    let s = schemas();
    let table = |table_id, display_name, schema| TableRef {
        table_id,
        display_name,
        schema,
    };
    vec![
        VersionSchemas {
            number: 1,
            hash_hex: "11",
            tables: vec![table("table_0", "penguins-raw", &s.raw)],
        },
        VersionSchemas {
            number: 2,
            hash_hex: "22",
            tables: vec![
                table("table_0", "penguins", &s.penguins_v2),
                table("table_1", "sites", &s.sites_v2),
            ],
        },
        VersionSchemas {
            number: 3,
            hash_hex: "33",
            tables: vec![
                table("table_0", "penguins", &s.penguins_v3),
                table("table_1", "sites", &s.sites_v3),
                table("table_2", "penguins-raw", &s.raw),
            ],
        },
    ]
}

/// The identifiers of a dotted reference as written (`p."Body Mass (g)"` is `p` and
/// `"Body Mass (g)"`), splitting on dots outside quotes. A part that starts with `#`, `@` or
/// `@@` keeps the character after that sigil whatever it is, because sqlparser's tokenizer
/// (GenericDialect, `Tokenizer::next_token`) takes the sigil and the next character into the
/// word before it looks at identifier characters: `#.isla` is one identifier, not `#` and
/// `isla`.
pub fn reference_parts(reference: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    // The byte offset of a character taken verbatim after a sigil at a part's start.
    let mut verbatim_at: Option<usize> = None;
    // The byte offset of the second quote of a doubled quote inside a quoted part.
    let mut doubled_at: Option<usize> = None;
    for (i, c) in reference.char_indices() {
        if doubled_at == Some(i) {
            continue;
        }
        if verbatim_at == Some(i) {
            verbatim_at = (c == '@' && reference[start..i] == *"@").then(|| i + 1);
            continue;
        }
        // A single-quoted part's inner quotes are printed doubled only where no quote follows
        // (`printed_single_quoted`), so one of its quotes is taken to close it only where a dot
        // or the end follows. That guess can be wrong (`'a''.b'` is one part or two), which is
        // why `check_location` also reads a single-quoted table name from the source.
        let at_part_end = || {
            matches!(
                reference[i + c.len_utf8()..].chars().next(),
                None | Some('.')
            )
        };
        match (quote, c) {
            (None, '#' | '@') if i == start => verbatim_at = Some(i + 1),
            // A quote opens a quoted part only at the part's start: no unquoted identifier
            // holds a quote, so one inside a part follows a wrong guess at a part's end.
            (None, '"' | '`' | '\'') if i == start => quote = Some(c),
            (None, '[') if i == start => quote = Some(']'),
            (Some('\''), '\'') if !at_part_end() => {}
            // `""` inside `"…"` (and ``` `` ``` inside `` `…` ``) stands for one quote.
            (Some(q @ ('"' | '`')), _) if c == q && reference[i + 1..].starts_with(q) => {
                doubled_at = Some(i + 1);
            }
            (Some(q), _) if c == q => quote = None,
            (None, '.') => {
                parts.push(&reference[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&reference[start..]);
    parts
}

/// The name a finding is about and that its position must point at: the table name (the last
/// part) of an unknown table, the first part of a column reference. A type mismatch names an
/// expression, whose position is that of its column or function: see [`token_at`].
pub fn located_name(finding: &Finding) -> Option<&str> {
    let parts = reference_parts(&finding.reference);
    match finding.kind {
        FindingKind::UnknownTable => parts.last().copied(),
        FindingKind::UnknownColumn | FindingKind::AmbiguousColumn | FindingKind::ChangedType => {
            parts.first().copied()
        }
        FindingKind::TypeMismatch => None,
    }
}

/// The token that starts `text`: a quoted identifier with its quotes, a word, or else one
/// character.
pub fn token_at(text: &str) -> &str {
    let mut chars = text.char_indices();
    let end = match chars.next() {
        None => 0,
        Some((_, q @ ('"' | '`' | '\''))) => chars
            .find(|&(_, c)| c == q)
            .map_or(text.len(), |(i, c)| i + c.len_utf8()),
        Some((_, c)) if c.is_alphanumeric() || c == '_' => text
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(text.len()),
        Some((_, c)) => c.len_utf8(),
    };
    &text[..end]
}

/// Whether `text` starts with `name`, ignoring ASCII case, quoted or not: `"Island"` in the
/// text matches the name `Island` and the name `"Island"`. A quoted identifier with quotes
/// inside is compared without them: a finding's reference shows it as sqlparser prints it,
/// which doubles some inner quotes and not others (`"a""b"` and `"a"b"` both print as
/// `"a""b"`, and `"a""""b"` as `"a""b"`), so their number cannot be checked.
pub fn starts_with_name(text: &str, name: &str) -> bool {
    let bare = name
        .strip_prefix(['"', '`', '[', '\''])
        .and_then(|n| n.strip_suffix(['"', '`', ']', '\'']))
        .unwrap_or(name);
    let quoted_value = quoted_identifier_value(text);
    let after_quote = text.strip_prefix(['"', '`', '[', '\'']).unwrap_or(text);
    let starts = |text: &str, name: &str| {
        text.as_bytes()
            .get(..name.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(name.as_bytes()))
    };
    starts(text, name)
        || starts(text, bare)
        || starts(after_quote, bare)
        || quoted_value.is_some_and(|value| {
            let unquoted = |s: &str| s.replace(['"', '`', '\''], "").to_ascii_lowercase();
            unquoted(&value) == unquoted(bare)
        })
}

/// The value of the `"…"`, `` `…` `` or `'…'` identifier that starts `text` (a doubled quote
/// stands for one), if it starts with a complete one. (sqlparser takes a single-quoted string
/// as a table name, and prints it as [`printed_single_quoted`] does.)
fn quoted_identifier_value(text: &str) -> Option<String> {
    quoted_identifier(text).map(|(value, _)| value)
}

/// The value of the quoted identifier that starts `text` and its length in `text` in bytes,
/// quotes included (see [`quoted_identifier_value`]).
fn quoted_identifier(text: &str) -> Option<(String, usize)> {
    let mut chars = text.char_indices().peekable();
    let quote = chars
        .next()
        .map(|(_, c)| c)
        .filter(|c| matches!(c, '"' | '`' | '\''))?;
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.peek().map(|&(_, c)| c) == Some(quote) {
                chars.next();
            } else {
                return Some((value, i + c.len_utf8()));
            }
        }
        value.push(c);
    }
    None
}

/// [`quoted_identifier`], if `text` starts with a single-quoted one.
fn single_quoted_identifier(text: &str) -> Option<(String, usize)> {
    text.starts_with('\'')
        .then(|| quoted_identifier(text))
        .flatten()
}

/// A single-quoted name as sqlparser 0.64 prints it (`Ident`'s `Display`, through
/// `escape_quoted_string`), which cannot be split back into its parts: a quote that another
/// quote follows, or that follows a backslash, is printed as it is, and any other is doubled.
/// So the value `a'b` prints as `'a''b'` but `a''b` also prints as `'a''b'`, and a printed
/// `'.'` may be a part's end, a dot and a part's start, or three characters of one value.
pub fn printed_single_quoted(value: &str) -> String {
    let mut printed = String::from("'");
    let mut previous = None;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        printed.push(c);
        if c == '\'' && previous != Some('\\') {
            if chars.peek() == Some(&'\'') {
                printed.push(chars.next().expect("peeked"));
            } else {
                printed.push('\'');
            }
        }
        // After a quote taken as escaped by a backslash, sqlparser keeps the backslash as
        // the previous character, so the quote after it is not doubled either.
        if !(c == '\'' && previous == Some('\\')) {
            previous = Some(c);
        }
    }
    printed.push('\'');
    printed
}

/// Whether the unknown-table finding's reference ends with the single-quoted name that starts
/// `at` in the source, as sqlparser prints it: the exact check for a single-quoted table
/// name, whose printed reference [`reference_parts`] cannot always split.
fn ends_with_single_quoted_name_at(at: &str, finding: &Finding) -> bool {
    let Some((value, _)) =
        single_quoted_identifier(at).filter(|_| finding.kind == FindingKind::UnknownTable)
    else {
        return false;
    };
    let printed = printed_single_quoted(&value);
    finding.reference == printed || finding.reference.ends_with(&format!(".{printed}"))
}

/// The hex literal that starts `text` as sqlparser prints it, if one does: its tokenizer reads
/// `0x` and the hex digits after it (none or more) as a hex string, printed `X'…'`, so a type
/// mismatch located at `0x1F` has `X'1F'` in its reference, and one at a bare `0x` has `X''`.
fn printed_hex_literal_at(text: &str) -> Option<String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    let end = digits
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(digits.len());
    Some(format!("X'{}'", &digits[..end]))
}

fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack
        .to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

/// Checks an SQL finding's position against the text: `1 <= line <= lines in the text` (as
/// [`Location::Sql`] documents), the column inside that line (1-based, in characters), and the
/// text there starting with the name the finding is about ([`located_name`]), or for a type
/// mismatch with a token of its expression.
pub fn check_location(text: &str, finding: &Finding) -> Result<(), String> {
    let Location::Sql { line, column } = finding.location else {
        return Err(format!("an SQL finding located in a plan: {finding:?}"));
    };
    let lines = text.lines().count() as u64;
    if line < 1 || line > lines {
        return Err(format!("line {line} of {lines}: {finding:?}"));
    }
    // Positions count lines by '\n' only, and characters within the line.
    let line_text = text.split('\n').nth(line as usize - 1).unwrap_or("");
    let chars = line_text.chars().count() as u64;
    if column < 1 || column > chars {
        return Err(format!(
            "column {column} of a {chars}-character line {line}: {finding:?}"
        ));
    }
    // The text from there to the end: a quoted name may span lines.
    let at = text_at(text, line, column).expect("the position is inside the text");
    let shown = || at.chars().take(40).collect::<String>();
    match located_name(finding) {
        Some(name)
            if !starts_with_name(at, name) && !ends_with_single_quoted_name_at(at, finding) =>
        {
            Err(format!(
                "line {line}, column {column} reads {:?}, not the name {name:?}: {finding:?}",
                shown()
            ))
        }
        // A type mismatch points at a part of its expression (a column or function name).
        None if !contains_ignoring_case(&finding.reference, token_at(at))
            && !printed_hex_literal_at(at)
                .is_some_and(|printed| contains_ignoring_case(&finding.reference, &printed)) =>
        {
            Err(format!(
                "line {line}, column {column} reads {:?}, which is not part of {:?}: {finding:?}",
                shown(),
                finding.reference
            ))
        }
        _ => Ok(()),
    }
}

/// Checks that an unknown-table finding about a relation name (one not followed by a dot, so
/// not a qualifier, which may name a real table that is just not in scope) does not name a
/// table of `version`: a known table reported unknown is a false rejection.
pub fn check_unknown_table_is_unknown(
    text: &str,
    finding: &Finding,
    version: &VersionSchemas<'_>,
) -> Result<(), String> {
    let (FindingKind::UnknownTable, Location::Sql { line, column }) =
        (finding.kind, &finding.location)
    else {
        return Ok(());
    };
    let Some(at) = text_at(text, *line, *column) else {
        return Ok(()); // check_location reports it
    };
    // The name as the source writes it where the finding points: a single-quoted one read
    // there (its printed form in the reference may not split back, see
    // [`printed_single_quoted`]), any other from the reference.
    let single_quoted = single_quoted_identifier(at);
    let token_len = single_quoted
        .as_ref()
        .map_or_else(|| token_at(at).len(), |&(_, len)| len);
    let after = at[token_len..].trim_start();
    if after.starts_with('.') {
        return Ok(());
    }
    let value = single_quoted.map(|(value, _)| value).unwrap_or_else(|| {
        let name = located_name(finding).unwrap_or("");
        quoted_identifier_value(name).unwrap_or_else(|| name.to_string())
    });
    match version.tables.iter().find(|t| t.answers_to(&value)) {
        Some(table) => Err(format!(
            "version {} has table {:?} ({}), reported unknown: {finding:?}",
            version.number, table.display_name, table.table_id
        )),
        None => Ok(()),
    }
}

/// The text from a 1-based line and character column to the end, if the position is in it.
fn text_at(text: &str, line: u64, column: u64) -> Option<&str> {
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    let line_start: usize = text.split('\n').take(index).map(|l| l.len() + 1).sum();
    let line_text = text.split('\n').nth(index)?;
    let skip = usize::try_from(column).ok()?.checked_sub(1)?;
    let in_line: usize = line_text.chars().take(skip).map(char::len_utf8).sum();
    (line_text.chars().count() > skip).then(|| &text[line_start + in_line..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata::query::{validate, Query, ValidateOptions};

    #[test]
    fn reference_parts_split_on_dots_outside_quotes() {
        assert_eq!(reference_parts("p.\"a.b\""), vec!["p", "\"a.b\""]);
        assert_eq!(reference_parts("x"), vec!["x"]);
        assert_eq!(reference_parts("s.t.[c.d]"), vec!["s", "t", "[c.d]"]);
    }

    #[test]
    fn a_quote_inside_a_part_opens_no_quoted_part() {
        // `'a''.b'.i` is one single-quoted part and `i`, but its print splits at `''.` as
        // readily: the `'` of `b'` must not then open a part that swallows `.i`.
        assert_eq!(reference_parts("'a''.b'.i"), vec!["'a''", "b'", "i"]);
        assert_eq!(reference_parts("x'y.z"), vec!["x'y", "z"]);
        assert_eq!(reference_parts("\"a\"\"b.c\".d"), vec!["\"a\"\"b.c\"", "d"]);
    }

    #[test]
    fn reference_parts_keep_the_character_after_a_sigil_as_sqlparser_does() {
        assert_eq!(reference_parts("#.isla"), vec!["#.isla"]);
        assert_eq!(reference_parts("s.#.t.c"), vec!["s", "#.t", "c"]);
        assert_eq!(reference_parts("@@.x.y"), vec!["@@.x", "y"]);
        assert_eq!(reference_parts("@.x.y"), vec!["@.x", "y"]);
        assert_eq!(reference_parts("a#.b"), vec!["a#", "b"]);
    }

    #[test]
    fn an_unknown_qualifier_that_starts_with_a_sigil_is_located_at_its_start() {
        let text = "SELECT ies\nFROM penguins p JOIN sites s ON #.isla.island";
        let found = findings(text);
        let qualifier = found
            .iter()
            .find(|f| f.kind == FindingKind::UnknownTable)
            .expect("the qualifier `#.isla` names no table");
        assert_eq!(qualifier.reference, "#.isla");
        assert_eq!(check_location(text, qualifier), Ok(()));
    }

    #[test]
    fn names_match_quoted_or_not_ignoring_case() {
        assert!(starts_with_name("\"Island\" = 1", "Island"));
        assert!(starts_with_name("\"Island\" = 1", "\"Island\""));
        assert!(starts_with_name("ISLAND, x", "island"));
        assert!(!starts_with_name("isle", "island"));
        assert!(starts_with_name("\"a\"\"\"\"b\" = 1", "\"a\"\"b\""));
        assert!(!starts_with_name("\"a\"\"c\" = 1", "\"a\"\"b\""));
        // A single-quoted string taken as a table name, printed with its inner quotes undoubled.
        assert!(starts_with_name("'a''''b' x", "'a''b'"));
        assert_eq!(reference_parts("'a'b.c'"), ["'a'b.c'"]);
        assert_eq!(reference_parts("'a'.'b.c'"), ["'a'", "'b.c'"]);
        assert!(!starts_with_name("'a''c' x", "'a''b'"));
    }

    fn findings(text: &str) -> Vec<Finding> {
        let history = history();
        let options = ValidateOptions {
            strict: false,
            since: Some(2),
        };
        validate(&Query::sql(text).unwrap(), &history[2], &history, &options)
    }

    #[test]
    fn a_finding_at_its_name_passes_and_one_moved_off_it_fails() {
        let text = "SELECT species,\n  p.bill_lenght_mm\nFROM penguins p";
        let found = findings(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(check_location(text, &found[0]), Ok(()));
        let mut moved = found[0].clone();
        moved.location = Location::Sql { line: 2, column: 4 };
        assert!(check_location(text, &moved).is_err());
        moved.location = Location::Sql { line: 4, column: 1 };
        assert!(check_location(text, &moved).is_err());
        moved.location = Location::Sql {
            line: 1,
            column: 16,
        };
        assert!(check_location(text, &moved).is_err());
    }

    #[test]
    fn an_unknown_qualifier_of_a_three_part_name_is_located_at_the_qualifier() {
        let text = "SELECT p.species, p.island.species\nFROM penguins p";
        let found = findings(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FindingKind::UnknownTable);
        assert_eq!(
            found[0].location,
            Location::Sql {
                line: 1,
                column: 21
            }
        );
        assert_eq!(check_location(text, &found[0]), Ok(()));
    }

    #[test]
    fn a_type_mismatch_must_point_at_a_token_of_its_expression() {
        let text = "SELECT *\nFROM penguins\nWHERE species = 3";
        let found = findings(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, FindingKind::TypeMismatch);
        assert_eq!(check_location(text, &found[0]), Ok(()));
        let mut moved = found[0].clone();
        moved.location = Location::Sql { line: 3, column: 1 };
        assert!(check_location(text, &moved).is_err());
    }

    #[test]
    fn a_type_mismatch_at_a_hex_literal_is_read_as_sqlparser_prints_it() {
        for (text, printed) in [
            ("SELECT * FROM penguins WHERE 0x1F = species = 'x'", "X'1F'"),
            ("SELECT * FROM penguins WHERE 0x.a = species = 'x'", "X''"),
        ] {
            let found = findings(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].kind, FindingKind::TypeMismatch, "{text}");
            assert!(found[0].reference.starts_with(printed), "{found:?}");
            assert_eq!(
                found[0].location,
                Location::Sql {
                    line: 1,
                    column: 30
                }
            );
            assert_eq!(check_location(text, &found[0]), Ok(()), "{text}");
        }
        // Another word at the position is still refused.
        let text = "SELECT * FROM penguins WHERE 0x1F = species = 'x'";
        let mut moved = findings(text)[0].clone();
        moved.location = Location::Sql {
            line: 1,
            column: 15,
        };
        assert!(check_location(text, &moved).is_err());
    }

    #[test]
    fn an_unknown_table_finding_must_not_name_a_table_of_the_version() {
        let history = history();
        let text = "SELECT penguins.island FROM sites JOIN pengiuns USING (island)";
        let found = findings(text);
        assert_eq!(found.len(), 2, "{found:?}");
        for finding in &found {
            assert_eq!(
                check_unknown_table_is_unknown(text, finding, &history[2]),
                Ok(())
            );
        }
        // The same finding placed on a known relation name is a false rejection.
        let mut wrong = found[1].clone();
        wrong.reference = "sites".into();
        wrong.location = Location::Sql {
            line: 1,
            column: 29,
        };
        assert_eq!(check_location(text, &wrong), Ok(()));
        assert!(check_unknown_table_is_unknown(text, &wrong, &history[2]).is_err());
    }

    #[test]
    fn single_quoted_names_print_as_sqlparser_prints_them() {
        // Runs of 1, 3, 4 and 2 quotes in the value print as 2, 4, 4 and 2.
        assert_eq!(
            printed_single_quoted("a'b'''c''''d''e"),
            "'a''b''''c''''d''e'"
        );
        // A quote after a backslash, and the one after that, print as they are.
        assert_eq!(printed_single_quoted("a\\'b"), "'a\\'b'");
        assert_eq!(printed_single_quoted("a\\''b"), "'a\\''b'");
        assert_eq!(printed_single_quoted("x.y"), "'x.y'");
        // The library's reference is sqlparser's print of the name the source writes.
        for (text, value) in [
            (
                "SELECT 1 FROM 'pen''. p.is''''''R''la'",
                "pen'. p.is'''R'la",
            ),
            ("SELECT 1 FROM 'a'''.'b'", "b"),
            ("SELECT 1 FROM 'a\\''b'", "a\\'b"),
        ] {
            let found = findings(text);
            let table = found
                .iter()
                .find(|f| f.kind == FindingKind::UnknownTable)
                .unwrap_or_else(|| panic!("{text}: {found:?}"));
            assert!(
                table.reference.ends_with(&printed_single_quoted(value)),
                "{text}: {table:?}"
            );
            assert_eq!(check_location(text, table), Ok(()), "{text}");
        }
    }

    #[test]
    fn a_single_quoted_name_is_read_from_the_source_where_its_print_is_ambiguous() {
        // The print `'pen''. p.is''''R''la'` splits at `''.` as readily as not: the source
        // says it is one name, which passes, and moved off its start it fails.
        let history = history();
        let text = "SELECT 1 FROM 'pen''. p.is''''''R''la'";
        let found = findings(text);
        let table = found
            .iter()
            .find(|f| f.kind == FindingKind::UnknownTable)
            .expect("the single-quoted name is no table");
        assert_eq!(check_location(text, table), Ok(()));
        assert_eq!(
            check_unknown_table_is_unknown(text, table, &history[2]),
            Ok(())
        );
        let mut moved = table.clone();
        moved.location = Location::Sql {
            line: 1,
            column: 20,
        };
        assert!(check_location(text, &moved).is_err());
        // A known table written single-quoted and reported unknown is a false rejection.
        let text = "SELECT 1 FROM 'sites'";
        let mut wrong = table.clone();
        wrong.reference = "'sites'".into();
        wrong.location = Location::Sql {
            line: 1,
            column: 15,
        };
        assert_eq!(check_location(text, &wrong), Ok(()));
        assert!(check_unknown_table_is_unknown(text, &wrong, &history[2]).is_err());
    }

    #[test]
    fn the_history_changes_types_between_versions_two_and_three() {
        let text = "SELECT year, s.latitude FROM penguins JOIN sites s USING (island)";
        let kinds: Vec<FindingKind> = findings(text).iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            vec![FindingKind::ChangedType, FindingKind::ChangedType]
        );
    }
}
