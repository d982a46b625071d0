//! Validation of a parsed SQL query: walks the AST, builds the name scopes, resolves every
//! table and column reference, infers what types it can, and reports through a
//! [`Reporter`].
//!
//! Constructs that are not modelled are skipped rather than guessed at: an expression kind
//! not listed in [`SqlWalker::expr`] is not descended into (its column references are not
//! checked), and a `FROM` item that is not a table, CTE, derived table or join makes its
//! scope opaque (see [`Scope`]).

use std::borrow::Cow;
use std::rc::Rc;

use sqlparser::ast::{
    BinaryOperator, CaseWhen, DataType, Distinct, ExcludeSelectItem, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentClause, FunctionArguments, GroupByExpr, Ident, InTarget,
    JoinConstraint, JoinOperator, NamedWindowExpr, ObjectName, ObjectNamePart, OrderBy,
    OrderByKind, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Spanned,
    TableAliasColumnDef, TableFactor, TableWithJoins, UnaryOperator, Value,
    WildcardAdditionalOptions, WindowSpec, WindowType,
};
use sqlparser::tokenizer::Location as SqlLocation;

use super::catalog::{ColumnEntry, ColumnMatch, ColumnSet};
use super::finding::Location;
use super::report::Reporter;
use super::scope::{Relation, RelationPick, Resolved, ResolvedColumn, Scope};
use super::sql::SqlQuery;
use super::type_rules::{AggregateClass, Operand, TypedUse};
use crate::schema::ColumnType;

/// Validates a parsed query against the reporter's version.
pub(crate) fn validate_sql(sql: &SqlQuery, reporter: &mut Reporter<'_>) {
    let root = Scope::root();
    SqlWalker { reporter, sql }.query(sql.ast(), &root);
}

/// The AST walker. Every method that walks an expression returns what is known of its
/// value as an [`Operand`] (`None`: nothing is known, so no type check involves it).
struct SqlWalker<'r, 'v> {
    reporter: &'r mut Reporter<'v>,
    /// The query's text, for the rare position the parser does not record.
    sql: &'r SqlQuery,
}

impl<'v> SqlWalker<'_, 'v> {
    // ---- queries and their clauses -------------------------------------------------------

    /// Walks a query (with its `WITH` clause) and returns its output columns.
    #[recursive::recursive]
    fn query(&mut self, query: &Query, parent: &Scope<'_, 'v>) -> Rc<ColumnSet<'v>> {
        let mut scope = Scope::child(parent);
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.clone();
                let declared = column_names(&cte.alias.columns);
                if with.recursive {
                    scope
                        .ctes
                        .push((name.clone(), Rc::new(placeholder_columns(&declared))));
                }
                let output = self.query(&cte.query, &scope);
                let output = renamed(output, &declared);
                scope
                    .ctes
                    .retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
                scope.ctes.push((name, output));
            }
        }
        self.set_expr(&query.body, &scope, query.order_by.as_ref())
    }

    /// Walks a query body; `order_by` is the enclosing query's `ORDER BY`, resolved in the
    /// `SELECT`'s scope when the body is one, else against the output columns.
    #[recursive::recursive]
    fn set_expr(
        &mut self,
        body: &SetExpr,
        scope: &Scope<'_, 'v>,
        order_by: Option<&OrderBy>,
    ) -> Rc<ColumnSet<'v>> {
        let output = match body {
            SetExpr::Select(select) => return self.select(select, scope, order_by),
            SetExpr::Query(query) => self.query(query, scope),
            SetExpr::SetOperation { left, right, .. } => {
                let left = self.set_expr(left, scope, None);
                let right = self.set_expr(right, scope, None);
                Rc::new(set_operation_columns(&left, &right))
            }
            SetExpr::Values(values) => {
                for row in &values.rows {
                    for value in &row.content {
                        self.expr(value, scope);
                    }
                }
                Rc::new(ColumnSet::opaque())
            }
            _ => Rc::new(ColumnSet::opaque()),
        };
        if let Some(order_by) = order_by {
            let mut output_scope = Scope::child(scope);
            output_scope.relations.push(Relation {
                alias: None,
                written_name: None,
                table: None,
                columns: Rc::clone(&output),
            });
            self.order_by(order_by, &output_scope);
        }
        output
    }

    /// Walks one `SELECT` and returns its output columns.
    fn select(
        &mut self,
        select: &Select,
        parent: &Scope<'_, 'v>,
        order_by: Option<&OrderBy>,
    ) -> Rc<ColumnSet<'v>> {
        let mut scope = Scope::child(parent);
        // Lateral views and hierarchical queries introduce names this walker does not model.
        scope.opaque = !select.lateral_views.is_empty() || !select.connect_by.is_empty();
        for item in &select.from {
            self.table_with_joins(item, &mut scope, parent);
        }
        scope.output_aliases = ColumnSet::new(alias_placeholders(&select.projection), true);
        for condition in select.prewhere.iter().chain(&select.selection) {
            self.expr(condition, &scope);
        }
        if let Some(Distinct::On(exprs)) = &select.distinct {
            self.exprs(exprs, &scope);
        }
        let (columns, positional, aliases) = self.projection(&select.projection, &scope);
        scope.output_aliases = ColumnSet::new(aliases, true);
        if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
            self.exprs(exprs, &scope);
        }
        for condition in select.having.iter().chain(&select.qualify) {
            self.expr(condition, &scope);
        }
        self.exprs(&select.cluster_by, &scope);
        self.exprs(&select.distribute_by, &scope);
        for sort in &select.sort_by {
            self.expr(&sort.expr, &scope);
        }
        for window in &select.named_window {
            if let NamedWindowExpr::WindowSpec(spec) = &window.1 {
                self.window_spec(spec, &scope);
            }
        }
        if let Some(order_by) = order_by {
            // Output names come first in ORDER BY (`SELECT a.x … ORDER BY x` is not
            // ambiguous), then the select's own scope.
            let mut order_scope = Scope::child(&scope);
            order_scope.output_aliases = ColumnSet::new(columns.clone(), true);
            self.order_by(order_by, &order_scope);
        }
        let positional = positional && select.exclude.is_none();
        Rc::new(ColumnSet::new(columns, positional))
    }

    /// Walks `ORDER BY` expressions.
    fn order_by(&mut self, order_by: &OrderBy, scope: &Scope<'_, 'v>) {
        if let OrderByKind::Expressions(items) = &order_by.kind {
            for item in items {
                self.expr(&item.expr, scope);
            }
        }
    }

    /// Walks the projection: returns the output columns (unnamed expressions with an empty
    /// name), whether they are exactly the output's columns in order, and the `AS` aliases
    /// (with their types) for the select's other clauses.
    fn projection(
        &mut self,
        items: &[SelectItem],
        scope: &Scope<'_, 'v>,
    ) -> (Vec<ColumnEntry<'v>>, bool, Vec<ColumnEntry<'v>>) {
        let mut columns = Vec::new();
        let mut aliases = Vec::new();
        let mut positional = true;
        for item in items {
            match item {
                SelectItem::UnnamedExpr(expr) => {
                    let (operand, resolved) = self.projected_expr(expr, scope);
                    let name = output_name(expr).unwrap_or_default();
                    columns.push(entry(name.to_string(), operand, resolved));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    let (operand, resolved) = self.projected_expr(expr, scope);
                    let column = entry(alias.value.clone(), operand, resolved);
                    aliases.push(column.clone());
                    columns.push(column);
                }
                SelectItem::ExprWithAliases {
                    expr,
                    aliases: names,
                } => {
                    self.expr(expr, scope);
                    columns.extend(names.iter().map(|n| entry(n.value.clone(), None, None)));
                }
                SelectItem::Wildcard(options) => {
                    let (expanded, known) = scope.expand_wildcard();
                    positional &= known;
                    positional &=
                        self.apply_wildcard_options(options, scope, expanded, &mut columns);
                }
                SelectItem::QualifiedWildcard(kind, options) => {
                    positional &= self.qualified_wildcard(kind, options, scope, &mut columns);
                }
            }
        }
        (columns, positional, aliases)
    }

    /// Expands `t.*`; returns whether the expansion is exactly the relation's columns.
    fn qualified_wildcard(
        &mut self,
        kind: &SelectItemQualifiedWildcardKind,
        options: &WildcardAdditionalOptions,
        scope: &Scope<'_, 'v>,
        columns: &mut Vec<ColumnEntry<'v>>,
    ) -> bool {
        let SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
            return false;
        };
        let Some(qualifier) = last_identifier(name) else {
            return false;
        };
        match scope.pick_relation(&qualifier.value) {
            RelationPick::One(relation) => {
                let expanded = relation.columns.entries().to_vec();
                let known = relation.columns.is_positional();
                self.apply_wildcard_options(options, scope, expanded, columns) && known
            }
            RelationPick::Several => false,
            RelationPick::None => {
                if !scope.opaque {
                    let names = scope.cte_names();
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    let start = self.qualified_wildcard_qualifier_start(qualifier, options);
                    self.reporter.unknown_table(
                        name.to_string(),
                        sql_location(start),
                        &qualifier.value,
                        &names,
                    );
                }
                false
            }
        }
    }

    /// Where the qualifier of `qualifier.*` starts. The parser records no span for a
    /// single-quoted one (`'p'.*`) or a placeholder (`$.*`), so those are found in the text
    /// before the `*`.
    fn qualified_wildcard_qualifier_start(
        &self,
        qualifier: &Ident,
        options: &WildcardAdditionalOptions,
    ) -> SqlLocation {
        if qualifier.span.start.line > 0 {
            return qualifier.span.start;
        }
        let wildcard = options.wildcard_token.0.span.start;
        self.sql
            .qualifier_before_wildcard(wildcard)
            .unwrap_or(wildcard)
    }

    /// Applies `EXCLUDE` / `EXCEPT` (removing columns) and `REPLACE` (walking the new
    /// expressions) to a wildcard expansion and appends it; returns whether the result is
    /// still exactly known (`RENAME` and `ILIKE` make it unknown).
    fn apply_wildcard_options(
        &mut self,
        options: &WildcardAdditionalOptions,
        scope: &Scope<'_, 'v>,
        mut expanded: Vec<ColumnEntry<'v>>,
        columns: &mut Vec<ColumnEntry<'v>>,
    ) -> bool {
        let mut removed: Vec<String> = Vec::new();
        if let Some(exclude) = &options.opt_exclude {
            let names = match exclude {
                ExcludeSelectItem::Single(name) => vec![name],
                ExcludeSelectItem::Multiple(names) => names.iter().collect(),
            };
            removed.extend(
                names
                    .into_iter()
                    .filter_map(last_identifier)
                    .map(|i| i.value.clone()),
            );
        }
        if let Some(except) = &options.opt_except {
            removed.push(except.first_element.value.clone());
            removed.extend(except.additional_elements.iter().map(|i| i.value.clone()));
        }
        expanded.retain(|e| !removed.iter().any(|r| r.eq_ignore_ascii_case(&e.name)));
        if let Some(replace) = &options.opt_replace {
            for element in &replace.items {
                self.expr(&element.expr, scope);
            }
        }
        columns.extend(expanded);
        options.opt_rename.is_none() && options.opt_ilike.is_none()
    }

    // ---- FROM -------------------------------------------------------------------------------

    /// Adds a `FROM` item and its joins to `scope`, walking join conditions. `outer` is the
    /// scope enclosing the `SELECT` (what non-lateral derived tables see).
    fn table_with_joins(
        &mut self,
        item: &TableWithJoins,
        scope: &mut Scope<'_, 'v>,
        outer: &Scope<'_, 'v>,
    ) {
        self.table_factor(&item.relation, scope, outer, false);
        for join in &item.joins {
            let first_new = scope.relations.len();
            let applies = matches!(
                join.join_operator,
                JoinOperator::CrossApply | JoinOperator::OuterApply
            );
            self.table_factor(&join.relation, scope, outer, applies);
            if let JoinOperator::AsOf {
                match_condition, ..
            } = &join.join_operator
            {
                self.expr(match_condition, scope);
            }
            match join_constraint(&join.join_operator) {
                Some(JoinConstraint::On(condition)) => {
                    self.expr(condition, scope);
                }
                Some(JoinConstraint::Using(names)) => self.using_columns(names, scope, first_new),
                Some(JoinConstraint::UsingAlias(..)) => scope.opaque = true,
                Some(JoinConstraint::Natural) => natural_columns(scope, first_new),
                Some(JoinConstraint::None) | None => {}
            }
        }
    }

    /// Adds one `FROM` item to `scope`.
    fn table_factor(
        &mut self,
        factor: &TableFactor,
        scope: &mut Scope<'_, 'v>,
        outer: &Scope<'_, 'v>,
        lateral: bool,
    ) {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let Some(relation) = self.named_table(name, args.is_some(), scope) else {
                    scope.opaque = true;
                    return;
                };
                let alias_name = alias.as_ref().map(|a| a.name.value.clone());
                let declared = alias
                    .as_ref()
                    .map(|a| column_names(&a.columns))
                    .unwrap_or_default();
                scope.relations.push(Relation {
                    alias: alias_name,
                    columns: renamed(relation.columns, &declared),
                    ..relation
                });
            }
            TableFactor::Derived {
                lateral: is_lateral,
                subquery,
                alias,
                ..
            } => {
                let output = if *is_lateral || lateral {
                    self.query(subquery, scope)
                } else {
                    self.query(subquery, outer)
                };
                let declared = alias
                    .as_ref()
                    .map(|a| column_names(&a.columns))
                    .unwrap_or_default();
                scope.relations.push(Relation {
                    alias: alias.as_ref().map(|a| a.name.value.clone()),
                    written_name: None,
                    table: None,
                    columns: renamed(output, &declared),
                });
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                self.table_with_joins(table_with_joins, scope, outer);
                // An aliased join hides its tables' names behind the alias: not modelled.
                scope.opaque |= alias.is_some();
            }
            _ => scope.opaque = true,
        }
    }

    /// The relation for a table name: a CTE in scope, else a table of the version, else an
    /// unknown table (reported, and kept as a relation of unknown columns so that its
    /// columns are not reported too). `None` for table functions (`name(args)`).
    fn named_table(
        &mut self,
        name: &ObjectName,
        is_function: bool,
        scope: &Scope<'_, 'v>,
    ) -> Option<Relation<'v>> {
        let ident = last_identifier(name).filter(|_| !is_function)?;
        let written_name = Some(ident.value.clone());
        if name.0.len() == 1 {
            if let Some(columns) = scope.cte(&ident.value) {
                return Some(Relation {
                    alias: None,
                    written_name,
                    table: None,
                    columns,
                });
            }
        }
        let qualifier = qualifier_of(name);
        let qualified_version = qualifier
            .as_deref()
            .and_then(|q| self.reporter.catalog.qualified_version(q));
        let found = match (&qualifier, qualified_version) {
            (Some(q), Some(_)) => self.reporter.catalog.qualified_table(q, &ident.value),
            _ => self.reporter.catalog.table(&ident.value),
        };
        if let Some((table, columns)) = found {
            return Some(Relation {
                alias: None,
                written_name,
                table: Some(table),
                columns,
            });
        }
        let names = scope.cte_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let location = sql_location(ident.span.start);
        self.reporter
            .unknown_table(name.to_string(), location, &ident.value, &names);
        Some(Relation {
            alias: None,
            written_name,
            table: None,
            columns: Rc::new(ColumnSet::opaque()),
        })
    }

    /// Checks `USING (…)` columns on both sides of a join and marks them merged.
    fn using_columns(&mut self, names: &[ObjectName], scope: &mut Scope<'_, 'v>, first_new: usize) {
        for name in names {
            let Some(ident) = last_identifier(name) else {
                continue;
            };
            let (left, right) = scope.relations.split_at(first_new);
            for side in [left, right] {
                let found = side
                    .iter()
                    .any(|r| !matches!(r.columns.lookup(&ident.value), ColumnMatch::Missing));
                let known = side.iter().all(|r| r.columns.is_complete());
                if !found && known && !scope.opaque {
                    let candidates: Vec<&str> =
                        side.iter().flat_map(|r| r.columns.names()).collect();
                    let tables: Vec<_> = side.iter().filter_map(|r| r.table).collect();
                    self.reporter.unknown_column(
                        ident.to_string(),
                        sql_location(ident.span.start),
                        &ident.value,
                        &candidates,
                        &tables,
                        ident.quote_style == Some('"'),
                    );
                }
            }
            scope.merged_columns.insert(ident.value.to_lowercase());
        }
    }

    // ---- expressions ----------------------------------------------------------------------

    /// Walks several expressions.
    fn exprs(&mut self, exprs: &[Expr], scope: &Scope<'_, 'v>) {
        for expr in exprs {
            self.expr(expr, scope);
        }
    }

    /// Walks a projected expression; a bare column reference also yields its resolution
    /// (for the output column's origin).
    fn projected_expr<'e>(
        &mut self,
        expr: &'e Expr,
        scope: &Scope<'_, 'v>,
    ) -> (Option<Operand<'e>>, Option<ResolvedColumn<'v>>) {
        match expr {
            Expr::Identifier(ident) => {
                let resolved = self.column(std::slice::from_ref(ident), scope, false);
                (typed(resolved.and_then(|r| r.column_type)), resolved)
            }
            Expr::CompoundIdentifier(idents) => {
                let resolved = self.column(idents, scope, false);
                (typed(resolved.and_then(|r| r.column_type)), resolved)
            }
            other => (self.expr(other, scope), None),
        }
    }

    /// Walks an expression: resolves its column references, checks its comparisons and
    /// aggregates, and returns what is known of its value. Dispatches by family to the
    /// functions below; each handles the variants this match sends it (and knows nothing of
    /// any other). Long operator chains make deep trees that the parser builds without
    /// recursion, hence the growable stack.
    #[recursive::recursive]
    fn expr<'e>(&mut self, expr: &'e Expr, scope: &Scope<'_, 'v>) -> Option<Operand<'e>> {
        match expr {
            Expr::Identifier(_)
            | Expr::CompoundIdentifier(_)
            | Expr::Value(_)
            | Expr::TypedString(_) => self.leaf(expr, scope),
            Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => self.expr(inner, scope),
            Expr::OuterJoin(inner) | Expr::Prior(inner) => self.expr(inner, scope),
            Expr::UnaryOp { op, expr: inner } => self.unary(*op, inner, scope),
            Expr::BinaryOp { left, op, right } => self.binary(expr, left, op, right, scope),
            Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsNotTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsNotFalse(_)
            | Expr::IsUnknown(_)
            | Expr::IsNotUnknown(_)
            | Expr::IsDistinctFrom(..)
            | Expr::IsNotDistinctFrom(..)
            | Expr::Between { .. }
            | Expr::In { .. } => self.predicate(expr, scope),
            Expr::Like { .. }
            | Expr::ILike { .. }
            | Expr::SimilarTo { .. }
            | Expr::RLike { .. }
            | Expr::AnyOp { .. }
            | Expr::AllOp { .. } => self.pattern_match(expr, scope),
            Expr::Cast { .. } | Expr::AtTimeZone { .. } | Expr::Extract { .. } => {
                self.conversion(expr, scope)
            }
            Expr::Ceil { .. }
            | Expr::Floor { .. }
            | Expr::Position { .. }
            | Expr::Substring { .. }
            | Expr::Trim { .. } => self.special_function(expr, scope),
            Expr::Function(function) => self.function(function, scope),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                scope,
            ),
            Expr::Exists { .. } | Expr::Subquery(_) => self.subquery_expr(expr, scope),
            Expr::Tuple(_) | Expr::GroupingSets(_) | Expr::Cube(_) | Expr::Rollup(_) => {
                self.expr_list(expr, scope)
            }
            _ => None,
        }
    }

    /// Column references and literals.
    fn leaf<'e>(&mut self, expr: &'e Expr, scope: &Scope<'_, 'v>) -> Option<Operand<'e>> {
        match expr {
            Expr::Identifier(ident) => {
                typed(self.column_type(std::slice::from_ref(ident), scope, false))
            }
            Expr::CompoundIdentifier(idents) => typed(self.column_type(idents, scope, false)),
            Expr::Value(value) => literal(&value.value),
            Expr::TypedString(typed_string) => match &typed_string.data_type {
                DataType::Date => Some(Operand::DateLiteral),
                DataType::Timestamp(..) | DataType::Datetime(..) | DataType::TimestampNtz(..) => {
                    Some(Operand::TimestampLiteral)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Tests that give a boolean: `IS [NOT] NULL` and the like, `IS [NOT] DISTINCT FROM`,
    /// `BETWEEN` and `IN`; the last three compare their operands.
    fn predicate<'e>(&mut self, expr: &'e Expr, scope: &Scope<'_, 'v>) -> Option<Operand<'e>> {
        match expr {
            Expr::IsNull(inner)
            | Expr::IsNotNull(inner)
            | Expr::IsTrue(inner)
            | Expr::IsNotTrue(inner)
            | Expr::IsFalse(inner)
            | Expr::IsNotFalse(inner)
            | Expr::IsUnknown(inner)
            | Expr::IsNotUnknown(inner) => {
                self.expr(inner, scope);
            }
            Expr::IsDistinctFrom(left, right) | Expr::IsNotDistinctFrom(left, right) => {
                let l = self.expr(left, scope);
                let r = self.expr(right, scope);
                self.compare(expr, (left, l), (right, r));
            }
            Expr::Between {
                expr: tested,
                low,
                high,
                ..
            } => {
                let value = self.expr(tested, scope);
                for bound in [low, high] {
                    let b = self.expr(bound, scope);
                    self.compare(expr, (tested, value), (bound, b));
                }
            }
            Expr::In {
                expr: tested,
                target,
                ..
            } => self.in_target(expr, tested, target, scope),
            _ => return None,
        }
        typed(Some(ColumnType::Boolean))
    }

    /// Pattern matches (`LIKE`, `ILIKE`, `SIMILAR TO`, `RLIKE`) and `ANY`/`ALL` comparisons:
    /// both sides are walked, and the result is a boolean.
    fn pattern_match<'e>(&mut self, expr: &'e Expr, scope: &Scope<'_, 'v>) -> Option<Operand<'e>> {
        let (a, b) = match expr {
            Expr::Like {
                expr: a,
                pattern: b,
                ..
            }
            | Expr::ILike {
                expr: a,
                pattern: b,
                ..
            }
            | Expr::SimilarTo {
                expr: a,
                pattern: b,
                ..
            }
            | Expr::RLike {
                expr: a,
                pattern: b,
                ..
            }
            | Expr::AnyOp {
                left: a, right: b, ..
            }
            | Expr::AllOp {
                left: a, right: b, ..
            } => (a, b),
            _ => return None,
        };
        self.expr(a, scope);
        self.expr(b, scope);
        typed(Some(ColumnType::Boolean))
    }

    /// Conversions whose result type the syntax names: `CAST`, `AT TIME ZONE`, `EXTRACT`.
    fn conversion<'e>(&mut self, expr: &'e Expr, scope: &Scope<'_, 'v>) -> Option<Operand<'e>> {
        match expr {
            Expr::Cast {
                expr: inner,
                data_type,
                ..
            } => {
                self.expr(inner, scope);
                typed(cast_type(data_type))
            }
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                self.expr(timestamp, scope);
                self.expr(time_zone, scope);
                typed(Some(ColumnType::Timestamp))
            }
            Expr::Extract { expr: inner, .. } => {
                self.expr(inner, scope);
                typed(Some(ColumnType::Int64))
            }
            _ => None,
        }
    }

    /// Functions with a syntax of their own: `CEIL`/`FLOOR` keep numbers, `POSITION` gives
    /// an integer, `SUBSTRING` and `TRIM` give text.
    fn special_function<'e>(
        &mut self,
        expr: &'e Expr,
        scope: &Scope<'_, 'v>,
    ) -> Option<Operand<'e>> {
        match expr {
            Expr::Ceil { expr: inner, .. } | Expr::Floor { expr: inner, .. } => {
                numeric_only(self.expr(inner, scope))
            }
            Expr::Position { expr: a, r#in: b } => {
                self.expr(a, scope);
                self.expr(b, scope);
                typed(Some(ColumnType::Int64))
            }
            Expr::Substring {
                expr: inner,
                substring_from,
                substring_for,
                ..
            } => {
                self.expr(inner, scope);
                for part in substring_from.iter().chain(substring_for) {
                    self.expr(part, scope);
                }
                typed(Some(ColumnType::Utf8))
            }
            Expr::Trim {
                expr: inner,
                trim_what,
                ..
            } => {
                self.expr(inner, scope);
                if let Some(what) = trim_what {
                    self.expr(what, scope);
                }
                typed(Some(ColumnType::Utf8))
            }
            _ => None,
        }
    }

    /// Subqueries in an expression: `EXISTS` gives a boolean, a scalar subquery the type of
    /// its one column.
    fn subquery_expr<'e>(&mut self, expr: &'e Expr, scope: &Scope<'_, 'v>) -> Option<Operand<'e>> {
        match expr {
            Expr::Exists { subquery, .. } => {
                self.query(subquery, scope);
                typed(Some(ColumnType::Boolean))
            }
            Expr::Subquery(subquery) => {
                let output = self.query(subquery, scope);
                typed(single_column_type(&output))
            }
            _ => None,
        }
    }

    /// Lists of expressions (tuples, grouping sets): each is walked; the list has no type.
    fn expr_list(&mut self, expr: &Expr, scope: &Scope<'_, 'v>) -> Option<Operand<'static>> {
        match expr {
            Expr::Tuple(items) => self.exprs(items, scope),
            Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
                for set in sets {
                    self.exprs(set, scope);
                }
            }
            _ => {}
        }
        None
    }

    /// A unary operation: signs keep numbers, `NOT` gives a boolean.
    fn unary<'e>(
        &mut self,
        op: UnaryOperator,
        inner: &'e Expr,
        scope: &Scope<'_, 'v>,
    ) -> Option<Operand<'e>> {
        let value = self.expr(inner, scope);
        match op {
            UnaryOperator::Minus | UnaryOperator::Plus => match value {
                Some(Operand::Number) => Some(Operand::Number),
                other => numeric_only(other),
            },
            UnaryOperator::Not => typed(Some(ColumnType::Boolean)),
            _ => None,
        }
    }

    /// A binary operation: comparisons are checked; arithmetic keeps numbers (and
    /// `date ± INTERVAL` keeps a point in time).
    fn binary<'e>(
        &mut self,
        whole: &Expr,
        left: &'e Expr,
        op: &BinaryOperator,
        right: &'e Expr,
        scope: &Scope<'_, 'v>,
    ) -> Option<Operand<'e>> {
        if !is_modelled_operator(op) {
            // JSON arrows, lambdas (`x -> x + 1`), regex and custom operators: their operands
            // may be keys or bound names, not columns of the scope.
            return None;
        }
        let l = self.expr(left, scope);
        let r = self.expr(right, scope);
        match op {
            BinaryOperator::And | BinaryOperator::Or | BinaryOperator::Xor => {
                typed(Some(ColumnType::Boolean))
            }
            BinaryOperator::StringConcat => typed(Some(ColumnType::Utf8)),
            BinaryOperator::Plus | BinaryOperator::Minus => {
                let interval_shift = matches!(right, Expr::Interval(_))
                    && matches!(l, Some(Operand::Typed(t)) if t.is_temporal());
                if interval_shift {
                    l
                } else {
                    arithmetic(l, r)
                }
            }
            BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo
            | BinaryOperator::DuckIntegerDivide
            | BinaryOperator::MyIntegerDivide => arithmetic(l, r),
            _ => {
                self.compare(whole, (left, l), (right, r));
                typed(Some(ColumnType::Boolean))
            }
        }
    }

    /// `x IN (…)`: each list item is compared with `x`; a one-column subquery's type too.
    fn in_target(&mut self, whole: &Expr, tested: &Expr, target: &InTarget, scope: &Scope<'_, 'v>) {
        let value = self.expr(tested, scope);
        match target {
            InTarget::List(items) => {
                for item in items {
                    let v = self.expr(item, scope);
                    self.compare(whole, (tested, value), (item, v));
                }
            }
            InTarget::Subquery(subquery) => {
                let output = self.query(subquery, scope);
                if let Some(t) = single_column_type(&output) {
                    self.compare(whole, (tested, value), (tested, Some(Operand::Typed(t))));
                }
            }
            InTarget::Unnest(array) => {
                self.expr(array, scope);
            }
            InTarget::Table { .. } => {}
        }
    }

    /// `CASE`: `CASE x WHEN v` compares `x` with each `v`; the value is the first result
    /// whose type is known.
    fn case<'e>(
        &mut self,
        operand: Option<&'e Expr>,
        conditions: &'e [CaseWhen],
        else_result: Option<&'e Expr>,
        scope: &Scope<'_, 'v>,
    ) -> Option<Operand<'e>> {
        let subject = operand.map(|o| (o, self.expr(o, scope)));
        let mut result_type = None;
        for when in conditions {
            let condition = self.expr(&when.condition, scope);
            if let Some((subject_expr, subject_value)) = subject {
                self.compare(
                    &when.condition,
                    (subject_expr, subject_value),
                    (&when.condition, condition),
                );
            }
            let result = self.expr(&when.result, scope);
            result_type = result_type.or(result.filter(|r| *r != Operand::Null));
        }
        if let Some(otherwise) = else_result {
            let result = self.expr(otherwise, scope);
            result_type = result_type.or(result.filter(|r| *r != Operand::Null));
        }
        result_type
    }

    /// A function call: walks its arguments (a bare date-part word such as `month` in
    /// `DATE_TRUNC(month, d)` is not taken for a missing column), checks aggregates' argument
    /// types, and returns the result type for the functions known here.
    fn function<'e>(
        &mut self,
        function: &'e Function,
        scope: &Scope<'_, 'v>,
    ) -> Option<Operand<'e>> {
        let name = last_identifier(&function.name).map(|i| i.value.to_ascii_lowercase())?;
        let mut first_arg: Option<Option<Operand<'e>>> = None;
        match &function.args {
            FunctionArguments::List(list) => {
                for arg in &list.args {
                    let value = self.function_arg(arg, scope);
                    first_arg.get_or_insert(value);
                }
                for clause in &list.clauses {
                    match clause {
                        FunctionArgumentClause::OrderBy(items) => {
                            for item in items {
                                self.expr(&item.expr, scope);
                            }
                        }
                        FunctionArgumentClause::Where(e) | FunctionArgumentClause::Limit(e) => {
                            self.expr(e, scope);
                        }
                        _ => {}
                    }
                }
            }
            FunctionArguments::Subquery(subquery) => {
                self.query(subquery, scope);
            }
            FunctionArguments::None => {}
        }
        if let Some(filter) = &function.filter {
            self.expr(filter, scope);
        }
        for item in &function.within_group {
            self.expr(&item.expr, scope);
        }
        if let Some(WindowType::WindowSpec(spec)) = &function.over {
            self.window_spec(spec, scope);
        }
        let first = first_arg.flatten();
        if let (Some(class), Some(Operand::Typed(column))) =
            (AggregateClass::of_sql_function(&name), first)
        {
            let location = sql_location(function.name.span().start);
            self.reporter
                .check_type(TypedUse::Aggregate { class, column }, function, location);
        }
        function_result(&name, first)
    }

    /// One function argument; `None` for `*` and for arguments not modelled.
    fn function_arg<'e>(
        &mut self,
        arg: &'e FunctionArg,
        scope: &Scope<'_, 'v>,
    ) -> Option<Operand<'e>> {
        let value = match arg {
            FunctionArg::Unnamed(value) | FunctionArg::Named { arg: value, .. } => value,
            FunctionArg::ExprNamed { arg: value, .. } => value,
        };
        match value {
            FunctionArgExpr::Expr(Expr::Identifier(ident)) => {
                typed(self.column_type(std::slice::from_ref(ident), scope, true))
            }
            FunctionArgExpr::Expr(expr) => self.expr(expr, scope),
            _ => None,
        }
    }

    /// Walks a window's `PARTITION BY` and `ORDER BY`.
    fn window_spec(&mut self, spec: &WindowSpec, scope: &Scope<'_, 'v>) {
        self.exprs(&spec.partition_by, scope);
        for item in &spec.order_by {
            self.expr(&item.expr, scope);
        }
    }

    /// Checks a comparison between two walked sides: the side with a known type is the
    /// "column", the other its operand. Reported at the typed side.
    fn compare(
        &mut self,
        whole: &Expr,
        left: (&Expr, Option<Operand<'_>>),
        right: (&Expr, Option<Operand<'_>>),
    ) {
        let (column_side, column, operand) = match (left.1, right.1) {
            (Some(Operand::Typed(column)), Some(operand)) => (left.0, column, operand),
            (Some(operand), Some(Operand::Typed(column))) => (right.0, column, operand),
            _ => return,
        };
        let location = sql_location(start_of(column_side));
        self.reporter
            .check_type(TypedUse::Comparison { column, operand }, whole, location);
    }

    // ---- column references ----------------------------------------------------------------

    /// The type of a column reference (see [`SqlWalker::column`]).
    fn column_type(
        &mut self,
        idents: &[Ident],
        scope: &Scope<'_, 'v>,
        in_function_args: bool,
    ) -> Option<ColumnType> {
        self.column(idents, scope, in_function_args)
            .and_then(|resolved| resolved.column_type)
    }

    /// Resolves a column reference (`name`, `t.name`, `schema.t.name`) and reports what is
    /// wrong with it. Bare special words (`CURRENT_DATE`, or a date part such as `month`
    /// inside function arguments) that resolve to nothing are not reported.
    fn column(
        &mut self,
        idents: &[Ident],
        scope: &Scope<'_, 'v>,
        in_function_args: bool,
    ) -> Option<ResolvedColumn<'v>> {
        let (qualifier, name) = match idents {
            [name] => (None, name),
            [.., qualifier, name] if idents.len() <= 3 => (Some(qualifier), name),
            _ => return None,
        };
        let reference = idents
            .iter()
            .map(Ident::to_string)
            .collect::<Vec<_>>()
            .join(".");
        // A finding about the column reference is located where the reference starts.
        let location = sql_location(idents[0].span.start);
        let resolved = match qualifier {
            None => scope.resolve_column(&name.value),
            Some(qualifier) => scope.resolve_qualified(&qualifier.value, &name.value),
        };
        match resolved {
            Resolved::Column(column) => {
                if let Some(base) = column.origin {
                    self.reporter
                        .check_changed_type(base, &reference, &location);
                }
                return Some(column);
            }
            Resolved::Ambiguous(relations) => {
                self.reporter
                    .ambiguous_column(reference, location, &name.value, &relations);
            }
            Resolved::Missing(_)
                if qualifier.is_none() && is_special_word(name, in_function_args) => {}
            Resolved::Missing(context) => {
                let candidates: Vec<&str> = context.candidates.iter().map(String::as_str).collect();
                let tables: Vec<_> = context.tables.to_vec();
                self.reporter.unknown_column(
                    reference,
                    location,
                    &name.value,
                    &candidates,
                    &tables,
                    name.quote_style == Some('"'),
                );
            }
            Resolved::UnknownQualifier => {
                let qualifier =
                    qualifier.expect("only qualified references have an unknown qualifier");
                let names = scope.cte_names();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                // Located at the qualifier it names: in `a.b.c` that is `b`, not `a`.
                self.reporter.unknown_table(
                    qualifier.to_string(),
                    sql_location(qualifier.span.start),
                    &qualifier.value,
                    &names,
                );
            }
            Resolved::Unresolvable => {}
        }
        None
    }
}

// ---- helpers ------------------------------------------------------------------------------

/// A location from an sqlparser position.
fn sql_location(location: SqlLocation) -> Location {
    Location::Sql {
        line: location.line,
        column: location.column,
    }
}

/// Where an expression starts. Follows the leftmost operand of chains without recursion
/// (sqlparser's `span()` recurses over the whole tree, which long chains make deep).
fn start_of(expr: &Expr) -> SqlLocation {
    let mut current = expr;
    loop {
        current = match current {
            Expr::BinaryOp { left, .. } => left,
            Expr::IsNull(inner) | Expr::IsNotNull(inner) => inner,
            Expr::Between { expr: inner, .. } | Expr::In { expr: inner, .. } => inner,
            Expr::Identifier(ident) => return ident.span.start,
            Expr::CompoundIdentifier(idents) => {
                return idents
                    .first()
                    .map_or_else(|| current.span().start, |i| i.span.start)
            }
            Expr::Value(value) => return value.span.start,
            Expr::Function(function) => return function.name.span().start,
            other => return other.span().start,
        };
    }
}

/// The qualifier of a qualified name (`"trial-42@3".visits` → `trial-42@3`): every part but
/// the last, joined by `.`; `None` for a bare name.
fn qualifier_of(name: &ObjectName) -> Option<String> {
    let (_, head) = name.0.split_last()?;
    if head.is_empty() {
        return None;
    }
    let parts: Option<Vec<&str>> = head
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.value.as_str()),
            _ => None,
        })
        .collect();
    parts.map(|p| p.join("."))
}

/// The last plain identifier of a (possibly qualified) name.
fn last_identifier(name: &ObjectName) -> Option<&Ident> {
    match name.0.last()? {
        ObjectNamePart::Identifier(ident) => Some(ident),
        _ => None,
    }
}

/// The names of a `(a, b, …)` column list.
fn column_names(columns: &[TableAliasColumnDef]) -> Vec<String> {
    columns.iter().map(|c| c.name.value.clone()).collect()
}

/// A relation's columns under declared names (unchanged when none are declared).
fn renamed<'v>(columns: Rc<ColumnSet<'v>>, declared: &[String]) -> Rc<ColumnSet<'v>> {
    if declared.is_empty() {
        columns
    } else {
        let names: Vec<&str> = declared.iter().map(String::as_str).collect();
        Rc::new(columns.renamed(&names))
    }
}

/// What a recursive CTE looks like from inside its own body: its declared column names of
/// unknown type, or nothing known.
fn placeholder_columns<'v>(declared: &[String]) -> ColumnSet<'v> {
    if declared.is_empty() {
        return ColumnSet::opaque();
    }
    let entries = declared
        .iter()
        .map(|name| entry(name.clone(), None, None))
        .collect();
    ColumnSet::new(entries, true)
}

/// The `AS` aliases of a projection, of unknown type (visible before their types are known).
fn alias_placeholders<'v>(items: &[SelectItem]) -> Vec<ColumnEntry<'v>> {
    items
        .iter()
        .filter_map(|item| match item {
            SelectItem::ExprWithAlias { alias, .. } => Some(entry(alias.value.clone(), None, None)),
            _ => None,
        })
        .collect()
}

/// An output column.
fn entry<'v>(
    name: String,
    operand: Option<Operand<'_>>,
    resolved: Option<ResolvedColumn<'v>>,
) -> ColumnEntry<'v> {
    ColumnEntry {
        name: Cow::Owned(name),
        column_type: operand.and_then(operand_type),
        origin: resolved.and_then(|r| r.origin),
    }
}

/// The name of an unaliased projected expression: a column reference's last part (other
/// expressions get an engine-specific name, not modelled).
fn output_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Identifier(ident) => Some(&ident.value),
        Expr::CompoundIdentifier(idents) => idents.last().map(|i| i.value.as_str()),
        _ => None,
    }
}

/// The columns of `left UNION/EXCEPT/INTERSECT right`: the left side's names; a type only
/// where both sides agree on its class.
fn set_operation_columns<'v>(left: &ColumnSet<'v>, right: &ColumnSet<'v>) -> ColumnSet<'v> {
    let entries = left
        .entries()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let r = right.entries().get(i).and_then(|e| e.column_type);
            let column_type = match (l.column_type, r) {
                (Some(a), Some(b)) if a == b => Some(a),
                (Some(a), Some(b)) if a.is_numeric() && b.is_numeric() => Some(ColumnType::Float64),
                (Some(a), Some(b)) if a.is_temporal() && b.is_temporal() => {
                    Some(ColumnType::Timestamp)
                }
                _ => None,
            };
            ColumnEntry {
                name: l.name.clone(),
                column_type,
                origin: None,
            }
        })
        .collect();
    ColumnSet::new(entries, left.is_positional())
}

/// Marks the columns common to both sides of a `NATURAL JOIN` as merged.
fn natural_columns(scope: &mut Scope<'_, '_>, first_new: usize) {
    let (left, right) = scope.relations.split_at(first_new);
    let common: Vec<String> = right
        .iter()
        .flat_map(|r| r.columns.entries())
        .filter(|e| !e.name.is_empty())
        .filter(|e| {
            left.iter()
                .any(|l| !matches!(l.columns.lookup(&e.name), ColumnMatch::Missing))
        })
        .map(|e| e.name.to_lowercase())
        .collect();
    scope.merged_columns.extend(common);
}

/// Whether a binary operator is one whose operands are walked: comparisons, logic,
/// arithmetic and concatenation.
fn is_modelled_operator(op: &BinaryOperator) -> bool {
    use BinaryOperator as B;
    matches!(
        op,
        B::Eq
            | B::NotEq
            | B::Lt
            | B::LtEq
            | B::Gt
            | B::GtEq
            | B::Spaceship
            | B::And
            | B::Or
            | B::Xor
            | B::StringConcat
            | B::Plus
            | B::Minus
            | B::Multiply
            | B::Divide
            | B::Modulo
            | B::DuckIntegerDivide
            | B::MyIntegerDivide
    )
}

/// The constraint of a join operator, if it has one.
fn join_constraint(operator: &JoinOperator) -> Option<&JoinConstraint> {
    match operator {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::CrossJoin(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c)
        | JoinOperator::Anti(c)
        | JoinOperator::LeftAnti(c)
        | JoinOperator::RightAnti(c)
        | JoinOperator::StraightJoin(c)
        | JoinOperator::AsOf { constraint: c, .. } => Some(c),
        _ => None,
    }
}

/// A literal's operand.
fn literal(value: &Value) -> Option<Operand<'_>> {
    match value {
        Value::Number(..) => Some(Operand::Number),
        Value::Boolean(_) => Some(Operand::Boolean),
        Value::Null => Some(Operand::Null),
        Value::SingleQuotedString(s)
        | Value::EscapedStringLiteral(s)
        | Value::UnicodeStringLiteral(s)
        | Value::NationalStringLiteral(s)
        | Value::TripleSingleQuotedString(s)
        | Value::TripleDoubleQuotedString(s)
        | Value::DoubleQuotedString(s) => Some(Operand::Text(s)),
        Value::DollarQuotedString(s) => Some(Operand::Text(&s.value)),
        _ => None,
    }
}

/// A known type as an operand.
fn typed<'e>(column_type: Option<ColumnType>) -> Option<Operand<'e>> {
    column_type.map(Operand::Typed)
}

/// Keeps an operand only if it is a number.
fn numeric_only(value: Option<Operand<'_>>) -> Option<Operand<'_>> {
    match value {
        Some(Operand::Typed(t)) if t.is_numeric() => Some(Operand::Typed(t)),
        Some(Operand::Number) => Some(Operand::Number),
        _ => None,
    }
}

/// The result of arithmetic: a number when both sides are numbers, else unknown.
fn arithmetic<'e>(left: Option<Operand<'_>>, right: Option<Operand<'_>>) -> Option<Operand<'e>> {
    let numeric_type = |o: Option<Operand<'_>>| match o {
        Some(Operand::Typed(t)) if t.is_numeric() => Some(t),
        Some(Operand::Number) => Some(ColumnType::Float64),
        _ => None,
    };
    match (numeric_type(left), numeric_type(right)) {
        (Some(ColumnType::Int64), Some(ColumnType::Int64)) => typed(Some(ColumnType::Int64)),
        (Some(_), Some(_)) => typed(Some(ColumnType::Float64)),
        _ => None,
    }
}

/// The column type an operand stands for, when one does.
fn operand_type(operand: Operand<'_>) -> Option<ColumnType> {
    match operand {
        Operand::Typed(t) => Some(t),
        Operand::Number => Some(ColumnType::Float64),
        Operand::Text(_) => Some(ColumnType::Utf8),
        Operand::Boolean => Some(ColumnType::Boolean),
        Operand::DateLiteral => Some(ColumnType::Date),
        Operand::TimestampLiteral => Some(ColumnType::Timestamp),
        Operand::Null | Operand::Composite => None,
    }
}

/// The type of a one-column query output, when known.
fn single_column_type(output: &ColumnSet<'_>) -> Option<ColumnType> {
    match output.entries() {
        [only] if output.is_positional() => only.column_type,
        _ => None,
    }
}

/// The column type of `CAST(… AS data_type)`, for the common types.
fn cast_type(data_type: &DataType) -> Option<ColumnType> {
    use DataType as D;
    match data_type {
        D::Bool | D::Boolean => Some(ColumnType::Boolean),
        D::TinyInt(_)
        | D::SmallInt(_)
        | D::Int(_)
        | D::Int2(_)
        | D::Int4(_)
        | D::Int8(_)
        | D::Int16
        | D::Int32
        | D::Int64
        | D::Integer(_)
        | D::BigInt(_)
        | D::HugeInt => Some(ColumnType::Int64),
        D::Float(_)
        | D::Float4
        | D::Float8
        | D::Float32
        | D::Float64
        | D::Real
        | D::Double(_)
        | D::DoublePrecision
        | D::Numeric(_)
        | D::Decimal(_)
        | D::Dec(_) => Some(ColumnType::Float64),
        D::Date => Some(ColumnType::Date),
        D::Timestamp(..) | D::Datetime(_) | D::TimestampNtz(_) => Some(ColumnType::Timestamp),
        D::Text
        | D::String(_)
        | D::Varchar(_)
        | D::Char(_)
        | D::CharacterVarying(_)
        | D::Character(_)
        | D::Nvarchar(_) => Some(ColumnType::Utf8),
        _ => None,
    }
}

/// The result type of the functions known here, from their lowercased name and first
/// argument; `None` for all others.
fn function_result<'e>(name: &str, first: Option<Operand<'e>>) -> Option<Operand<'e>> {
    let first_type = first.and_then(operand_type);
    let result = match name {
        "count" | "row_number" | "rank" | "dense_rank" | "ntile" | "length" | "char_length"
        | "character_length" | "strlen" | "year" | "month" | "day" | "hour" | "minute"
        | "dayofweek" | "dayofyear" | "week" | "quarter" | "date_part" | "datepart"
        | "date_diff" | "datediff" => Some(ColumnType::Int64),
        "avg" | "mean" | "stddev" | "stddev_pop" | "stddev_samp" | "variance" | "var_pop"
        | "var_samp" | "corr" | "percent_rank" | "cume_dist" | "sqrt" | "ln" | "log" | "log10"
        | "exp" | "power" | "pow" => Some(ColumnType::Float64),
        "sum" | "abs" | "round" | "ceil" | "ceiling" | "floor" | "trunc" => {
            first_type.filter(|t| t.is_numeric())
        }
        "min" | "max" | "median" | "any_value" | "first" | "last" | "first_value"
        | "last_value" | "lag" | "lead" | "coalesce" | "ifnull" | "nullif" | "nvl" => first_type,
        "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "concat" | "substr" | "substring"
        | "replace" | "left" | "right" | "lpad" | "rpad" | "initcap" | "strftime" | "to_char"
        | "string_agg" => Some(ColumnType::Utf8),
        "current_date" | "today" | "to_date" | "make_date" => Some(ColumnType::Date),
        "now" | "current_timestamp" | "to_timestamp" | "date_trunc" | "localtimestamp" => {
            Some(ColumnType::Timestamp)
        }
        _ => None,
    };
    typed(result)
}

/// Whether an unresolved bare identifier is a special word rather than a column: a niladic
/// SQL value (`CURRENT_DATE`, `SYSDATE`…), or, inside function arguments, a date part
/// (`DATE_TRUNC(month, d)`, `DATEADD(day, 1, d)`).
fn is_special_word(ident: &Ident, in_function_args: bool) -> bool {
    const VALUES: &[&str] = &[
        "current_date",
        "current_time",
        "current_timestamp",
        "localtime",
        "localtimestamp",
        "sysdate",
        "systimestamp",
        "current_user",
        "session_user",
        "user",
        "current_role",
        "current_schema",
        "current_catalog",
    ];
    const DATE_PARTS: &[&str] = &[
        "year",
        "years",
        "yy",
        "yyyy",
        "quarter",
        "quarters",
        "qq",
        "month",
        "months",
        "mm",
        "mon",
        "week",
        "weeks",
        "wk",
        "ww",
        "day",
        "days",
        "dd",
        "d",
        "dow",
        "dayofweek",
        "doy",
        "dayofyear",
        "hour",
        "hours",
        "hh",
        "minute",
        "minutes",
        "mi",
        "n",
        "second",
        "seconds",
        "ss",
        "s",
        "millisecond",
        "milliseconds",
        "ms",
        "microsecond",
        "microseconds",
        "us",
        "epoch",
        "isoyear",
        "isodow",
        "decade",
        "century",
        "millennium",
    ];
    if ident.quote_style.is_some() {
        return false;
    }
    let lower = ident.value.to_ascii_lowercase();
    VALUES.contains(&lower.as_str()) || (in_function_args && DATE_PARTS.contains(&lower.as_str()))
}
