//! Name scopes of an SQL query: which relations (tables, CTEs, derived tables) and output
//! aliases a column reference can see, and how a reference resolves through them.
//!
//! Resolution is conservative: whenever a scope holds something whose columns are not fully
//! known (a table function, an unnamed expression in a derived table, a construct that is
//! not modelled), a name that is not found there resolves to [`Resolved::Unresolvable`] and
//! nothing is reported.

use std::collections::HashSet;
use std::rc::Rc;

use super::catalog::{BaseColumn, ColumnEntry, ColumnMatch, ColumnSet, TableRef};
use crate::schema::ColumnType;

/// One relation of a `FROM` clause.
pub(crate) struct Relation<'v> {
    /// The alias given in the query (`FROM penguins AS p`), if any.
    pub alias: Option<String>,
    /// The table or CTE name as written, if the relation is named.
    pub written_name: Option<String>,
    /// The base table, when the relation is one.
    pub table: Option<&'v TableRef<'v>>,
    /// The relation's columns.
    pub columns: Rc<ColumnSet<'v>>,
}

impl Relation<'_> {
    /// The name to show for this relation in messages.
    pub fn label(&self) -> String {
        self.alias
            .clone()
            .or_else(|| self.written_name.clone())
            .unwrap_or_else(|| "(subquery)".to_string())
    }
}

/// What a column reference resolved to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResolvedColumn<'v> {
    /// The column's type, when known.
    pub column_type: Option<ColumnType>,
    /// The base column it comes from unchanged, if any.
    pub origin: Option<BaseColumn<'v>>,
}

impl<'v> From<&ColumnEntry<'v>> for ResolvedColumn<'v> {
    fn from(entry: &ColumnEntry<'v>) -> Self {
        ResolvedColumn {
            column_type: entry.column_type,
            origin: entry.origin,
        }
    }
}

/// What is visible where a name was not found, for suggestions.
pub(crate) struct MissingContext<'v> {
    /// Column names that were visible.
    pub candidates: Vec<String>,
    /// The base tables that were searched.
    pub tables: Vec<&'v TableRef<'v>>,
}

/// The outcome of resolving a column reference.
pub(crate) enum Resolved<'v> {
    /// One column.
    Column(ResolvedColumn<'v>),
    /// Several columns answer to the name; the labels of the relations holding them (empty
    /// when the ambiguity is within one relation).
    Ambiguous(Vec<String>),
    /// The name is certainly not visible.
    Missing(MissingContext<'v>),
    /// The qualifier (`x` in `x.col`) designates no relation in scope.
    UnknownQualifier,
    /// The scope is not fully known; nothing can be said.
    Unresolvable,
}

/// Which relations a qualifier designates.
pub(crate) enum RelationPick<'s, 'v> {
    /// Exactly one.
    One(&'s Relation<'v>),
    /// Several (e.g. a self-join addressed by table name): nothing can be said.
    Several,
    /// None in this scope.
    None,
}

/// One level of naming: a `SELECT`'s `FROM` relations and output aliases, or a `WITH`
/// clause's CTEs. Levels chain to their enclosing level through `parent`, which is how
/// correlated subqueries see outer tables.
#[derive(Default)]
pub(crate) struct Scope<'p, 'v> {
    parent: Option<&'p Scope<'p, 'v>>,
    /// CTEs defined at this level, in definition order.
    pub ctes: Vec<(String, Rc<ColumnSet<'v>>)>,
    /// `FROM` relations at this level, in order.
    pub relations: Vec<Relation<'v>>,
    /// `SELECT … AS alias` names of this level, visible in its clauses.
    pub output_aliases: ColumnSet<'v>,
    /// Lowercased names merged by `JOIN … USING` / `NATURAL JOIN`: not ambiguous.
    pub merged_columns: HashSet<String>,
    /// Set when this level holds something whose names are not known (an unnamed table
    /// function, a lateral view…): unresolved names here are not reported.
    pub opaque: bool,
}

impl<'p, 'v> Scope<'p, 'v> {
    /// The outermost, empty scope.
    pub fn root() -> Self {
        Scope::default()
    }

    /// An empty level nested in `parent`.
    pub fn child(parent: &'p Scope<'p, 'v>) -> Self {
        Scope {
            parent: Some(parent),
            ..Scope::default()
        }
    }

    /// Iterates this level and its ancestors, innermost first.
    fn chain(&self) -> impl Iterator<Item = &Scope<'p, 'v>> {
        std::iter::successors(Some(self), |scope| scope.parent)
    }

    /// The CTE with this name (case-insensitive) visible here, innermost first.
    pub fn cte(&self, name: &str) -> Option<Rc<ColumnSet<'v>>> {
        self.chain().find_map(|scope| {
            scope
                .ctes
                .iter()
                .rev()
                .find(|(cte, _)| cte.eq_ignore_ascii_case(name))
                .map(|(_, columns)| Rc::clone(columns))
        })
    }

    /// Names of all CTEs visible here.
    pub fn cte_names(&self) -> Vec<String> {
        self.chain()
            .flat_map(|scope| scope.ctes.iter().map(|(name, _)| name.clone()))
            .collect()
    }

    /// Resolves an unqualified column name: this level's relations, then its output
    /// aliases, then the enclosing levels.
    pub fn resolve_column(&self, name: &str) -> Resolved<'v> {
        for scope in self.chain() {
            if let Some(resolved) = scope.resolve_at_this_level(name) {
                return resolved;
            }
        }
        Resolved::Missing(self.missing_context())
    }

    /// The resolution at one level, or `None` to go on to the parent.
    fn resolve_at_this_level(&self, name: &str) -> Option<Resolved<'v>> {
        let mut holders: Vec<(&Relation<'v>, &ColumnEntry<'v>)> = Vec::new();
        let mut uncertain = self.opaque;
        for relation in &self.relations {
            match relation.columns.lookup(name) {
                ColumnMatch::Found(entry) => holders.push((relation, entry)),
                ColumnMatch::Ambiguous => return Some(Resolved::Ambiguous(Vec::new())),
                ColumnMatch::Missing => uncertain |= !relation.columns.is_complete(),
            }
        }
        match holders.as_slice() {
            [(_, entry)] => return Some(Resolved::Column((*entry).into())),
            [(_, entry), ..] if self.merged_columns.contains(&name.to_lowercase()) => {
                return Some(Resolved::Column((*entry).into()))
            }
            [_, _, ..] => {
                let labels = holders
                    .iter()
                    .map(|(relation, _)| relation.label())
                    .collect();
                return Some(Resolved::Ambiguous(labels));
            }
            [] => {}
        }
        if let ColumnMatch::Found(entry) = self.output_aliases.lookup(name) {
            return Some(Resolved::Column(entry.into()));
        }
        // A bare relation name may be a whole-row reference (PostgreSQL): not reported.
        let names_a_relation = !matches!(self.pick_relation(name), RelationPick::None);
        (uncertain || names_a_relation).then_some(Resolved::Unresolvable)
    }

    /// Resolves `qualifier.name`: the innermost level with a relation answering to the
    /// qualifier decides.
    pub fn resolve_qualified(&self, qualifier: &str, name: &str) -> Resolved<'v> {
        for scope in self.chain() {
            match scope.pick_relation(qualifier) {
                RelationPick::One(relation) => return resolve_in_relation(relation, name),
                RelationPick::Several => return Resolved::Unresolvable,
                RelationPick::None if scope.opaque => return Resolved::Unresolvable,
                RelationPick::None => {}
            }
        }
        Resolved::UnknownQualifier
    }

    /// The relation a qualifier designates at this level: by alias first, then by the
    /// table or CTE name of unaliased relations, then (leniently) by the table name of
    /// aliased ones.
    pub fn pick_relation(&self, qualifier: &str) -> RelationPick<'_, 'v> {
        let by_alias = |r: &&Relation<'v>| {
            r.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(qualifier))
        };
        let by_name = |r: &&Relation<'v>| {
            r.written_name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(qualifier))
                || r.table.is_some_and(|t| t.answers_to(qualifier))
        };
        let unaliased_by_name = |r: &&Relation<'v>| r.alias.is_none() && by_name(r);
        for rule in [
            &by_alias as &dyn Fn(&&Relation<'v>) -> bool,
            &unaliased_by_name,
            &by_name,
        ] {
            let mut matching = self.relations.iter().filter(rule);
            match (matching.next(), matching.next()) {
                (Some(relation), None) => return RelationPick::One(relation),
                (Some(_), Some(_)) => return RelationPick::Several,
                (None, _) => {}
            }
        }
        RelationPick::None
    }

    /// Everything visible from here, for suggestions after a failed lookup.
    fn missing_context(&self) -> MissingContext<'v> {
        let mut context = MissingContext {
            candidates: Vec::new(),
            tables: Vec::new(),
        };
        for scope in self.chain() {
            for relation in &scope.relations {
                context
                    .candidates
                    .extend(relation.columns.names().map(str::to_string));
                context.tables.extend(relation.table);
            }
            context
                .candidates
                .extend(scope.output_aliases.names().map(str::to_string));
        }
        context
    }

    /// The columns `SELECT *` yields at this level, and whether they are exactly those
    /// columns, in order. Columns merged by `USING` / `NATURAL` appear once.
    pub fn expand_wildcard(&self) -> (Vec<ColumnEntry<'v>>, bool) {
        let mut entries = Vec::new();
        let mut positional = !self.opaque;
        let mut merged_seen: HashSet<String> = HashSet::new();
        for relation in &self.relations {
            positional &= relation.columns.is_positional();
            for entry in relation.columns.entries() {
                let lower = entry.name.to_lowercase();
                if self.merged_columns.contains(&lower) && !merged_seen.insert(lower) {
                    continue;
                }
                entries.push(entry.clone());
            }
        }
        (entries, positional)
    }
}

/// Looks a name up in one relation.
fn resolve_in_relation<'v>(relation: &Relation<'v>, name: &str) -> Resolved<'v> {
    match relation.columns.lookup(name) {
        ColumnMatch::Found(entry) => Resolved::Column(entry.into()),
        ColumnMatch::Ambiguous => Resolved::Ambiguous(Vec::new()),
        ColumnMatch::Missing if relation.columns.is_complete() => {
            Resolved::Missing(MissingContext {
                candidates: relation.columns.names().map(str::to_string).collect(),
                tables: relation.table.into_iter().collect(),
            })
        }
        ColumnMatch::Missing => Resolved::Unresolvable,
    }
}
