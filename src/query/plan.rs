//! The structured query plan used by the analysis layer, its JSON form, and its validation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::{ColumnMatch, ColumnSet, TableRef};
use super::error::PlanError;
use super::finding::Location;
use super::report::Reporter;
use super::type_rules::{AggregateClass, Operand, TypedUse};
use crate::schema::ColumnType;

/// One analysis over one table: metrics, optionally grouped and filtered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryPlan {
    /// The table, by display name or stable id.
    pub table: String,
    /// The aggregates computed.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// The columns grouped by.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// The row filters, all of which must hold.
    #[serde(default)]
    pub filters: Vec<Filter>,
}

/// One aggregate over one column (`*` for a row count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// The column aggregated, or `*` with [`Aggregate::Count`].
    pub column: String,
    /// The aggregate.
    pub aggregate: Aggregate,
}

/// The aggregates a plan can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Number of non-null values (rows, with `*`).
    Count,
    /// Number of distinct non-null values.
    CountDistinct,
    /// Sum of a numeric column.
    Sum,
    /// Mean of a numeric column.
    Avg,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Median of a numeric or temporal column.
    Median,
}

impl Aggregate {
    /// The aggregate's name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::CountDistinct => "count_distinct",
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Median => "median",
        }
    }

    /// What the aggregate needs from its column's type.
    pub fn class(self) -> AggregateClass {
        match self {
            Aggregate::Count | Aggregate::CountDistinct | Aggregate::Min | Aggregate::Max => {
                AggregateClass::AnyType
            }
            Aggregate::Sum | Aggregate::Avg => AggregateClass::Numeric,
            Aggregate::Median => AggregateClass::NumericOrTemporal,
        }
    }
}

/// One row filter: `column op value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// The column tested.
    pub column: String,
    /// The test.
    pub op: FilterOp,
    /// The value: a scalar; a list for `in`; `[low, high]` for `between`; absent or `null`
    /// for `is_null` / `is_not_null`; a string for `contains`.
    #[serde(default)]
    pub value: Value,
}

/// The tests a filter can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Equal to one of a list.
    In,
    /// Between two bounds, inclusive.
    Between,
    /// Is null.
    IsNull,
    /// Is not null.
    IsNotNull,
    /// Text contains a substring.
    Contains,
}

impl FilterOp {
    /// The operator as written in messages.
    fn symbol(self) -> &'static str {
        match self {
            FilterOp::Eq => "=",
            FilterOp::Ne => "<>",
            FilterOp::Lt => "<",
            FilterOp::Le => "<=",
            FilterOp::Gt => ">",
            FilterOp::Ge => ">=",
            FilterOp::In => "IN",
            FilterOp::Between => "BETWEEN",
            FilterOp::IsNull => "IS NULL",
            FilterOp::IsNotNull => "IS NOT NULL",
            FilterOp::Contains => "CONTAINS",
        }
    }
}

impl QueryPlan {
    /// Reads a plan from JSON. A wrong shape (missing or unknown field, wrong JSON type,
    /// unknown aggregate or operator, a value that does not suit its operator) is an error
    /// naming the field's path, e.g. `filters[1].op`.
    pub fn from_json(text: &str) -> Result<QueryPlan, PlanError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let plan: QueryPlan =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
                let inner = error.inner();
                PlanError {
                    path: error.path().to_string(),
                    message: message_without_position(inner),
                    line: Some(inner.line()),
                    column: Some(inner.column()),
                }
            })?;
        deserializer.end().map_err(|error| PlanError {
            path: ".".to_string(),
            message: message_without_position(&error),
            line: Some(error.line()),
            column: Some(error.column()),
        })?;
        plan.check_shape()?;
        Ok(plan)
    }

    /// The plan as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a plan always serializes: its map keys are strings")
    }

    /// Checks what serde cannot: `*` only with `count`, and each filter value suits its
    /// operator.
    pub fn check_shape(&self) -> Result<(), PlanError> {
        for (i, metric) in self.metrics.iter().enumerate() {
            if metric.column == "*" && metric.aggregate != Aggregate::Count {
                return Err(shape_error(
                    format!("metrics[{i}].column"),
                    "`*` can only be counted (aggregate `count`)",
                ));
            }
        }
        for (i, filter) in self.filters.iter().enumerate() {
            if let Err(message) = value_shape_fits(filter.op, &filter.value) {
                return Err(shape_error(format!("filters[{i}].value"), message));
            }
        }
        Ok(())
    }
}

/// A shape error found after reading, so without a text position.
fn shape_error(path: String, message: &str) -> PlanError {
    PlanError {
        path,
        message: message.to_string(),
        line: None,
        column: None,
    }
}

/// serde_json's message without its trailing " at line L column C" (kept in separate fields).
fn message_without_position(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// Whether a filter value has the shape its operator needs.
fn value_shape_fits(op: FilterOp, value: &Value) -> Result<(), &'static str> {
    let scalar = |v: &Value| !matches!(v, Value::Array(_) | Value::Object(_));
    match op {
        FilterOp::In => match value {
            Value::Array(items) if !items.is_empty() && items.iter().all(scalar) => Ok(()),
            _ => Err("`in` needs a non-empty list of values"),
        },
        FilterOp::Between => match value {
            Value::Array(items) if items.len() == 2 && items.iter().all(scalar) => Ok(()),
            _ => Err("`between` needs a list of two values [low, high]"),
        },
        FilterOp::IsNull | FilterOp::IsNotNull => match value {
            Value::Null => Ok(()),
            _ => Err("`is_null` and `is_not_null` take no value"),
        },
        FilterOp::Contains => match value {
            Value::String(_) => Ok(()),
            _ => Err("`contains` needs a string"),
        },
        FilterOp::Eq | FilterOp::Ne | FilterOp::Lt | FilterOp::Le | FilterOp::Gt | FilterOp::Ge => {
            if scalar(value) {
                Ok(())
            } else {
                Err("this operator needs a single value")
            }
        }
    }
}

/// The type-rule operand for a JSON value.
fn json_operand(value: &Value) -> Operand<'_> {
    match value {
        Value::Null => Operand::Null,
        Value::Bool(_) => Operand::Boolean,
        Value::Number(_) => Operand::Number,
        Value::String(text) => Operand::Text(text),
        Value::Array(_) | Value::Object(_) => Operand::Composite,
    }
}

/// Validates a plan against the reporter's version, reporting into it.
pub(crate) fn validate_plan(plan: &QueryPlan, reporter: &mut Reporter<'_>) {
    let Some((table, columns)) = reporter.catalog.table(&plan.table) else {
        reporter.unknown_table(plan.table.clone(), path("table"), &plan.table, &[]);
        return;
    };
    for (i, metric) in plan.metrics.iter().enumerate() {
        if metric.column == "*" {
            continue;
        }
        let at = format!("metrics[{i}].column");
        if let Some(column) = resolve_column(reporter, table, &columns, &metric.column, &at) {
            let use_ = TypedUse::Aggregate {
                class: metric.aggregate.class(),
                column,
            };
            let reference = format!("{}({})", metric.aggregate.name(), metric.column);
            reporter.check_type(use_, &reference, path(&format!("metrics[{i}].aggregate")));
        }
    }
    for (i, name) in plan.group_by.iter().enumerate() {
        resolve_column(reporter, table, &columns, name, &format!("group_by[{i}]"));
    }
    for (i, filter) in plan.filters.iter().enumerate() {
        let at = format!("filters[{i}].column");
        if let Some(column) = resolve_column(reporter, table, &columns, &filter.column, &at) {
            check_filter_value(reporter, i, filter, column);
        }
    }
}

/// Resolves a plan's column name in its table, reporting a missing, ambiguous or changed
/// column at `at`; returns the column's type when it resolves.
fn resolve_column<'v>(
    reporter: &mut Reporter<'v>,
    table: &'v TableRef<'v>,
    columns: &ColumnSet<'v>,
    name: &str,
    at: &str,
) -> Option<ColumnType> {
    let location = path(at);
    match columns.lookup(name) {
        ColumnMatch::Found(entry) => {
            if let Some(base) = entry.origin {
                reporter.check_changed_type(base, name, &location);
            }
            entry.column_type
        }
        ColumnMatch::Ambiguous => {
            reporter.ambiguous_column(name.to_string(), location, name, &[]);
            None
        }
        ColumnMatch::Missing => {
            let candidates: Vec<&str> = columns.names().collect();
            reporter.unknown_column(
                name.to_string(),
                location,
                name,
                &candidates,
                &[table],
                false,
            );
            None
        }
    }
}

/// Checks a filter's value (each item, for `in` and `between`) against its column's type.
fn check_filter_value(reporter: &mut Reporter<'_>, i: usize, filter: &Filter, column: ColumnType) {
    let reference = format!("{} {} {}", filter.column, filter.op.symbol(), filter.value);
    match (filter.op, &filter.value) {
        (FilterOp::IsNull | FilterOp::IsNotNull, _) => {}
        (FilterOp::In | FilterOp::Between, Value::Array(items)) => {
            for (j, item) in items.iter().enumerate() {
                let use_ = TypedUse::Comparison {
                    column,
                    operand: json_operand(item),
                };
                reporter.check_type(use_, &reference, path(&format!("filters[{i}].value[{j}]")));
            }
        }
        (FilterOp::Contains, value) => {
            let use_ = TypedUse::Contains {
                column,
                operand: json_operand(value),
            };
            reporter.check_type(use_, &reference, path(&format!("filters[{i}].value")));
        }
        (_, value) => {
            let use_ = TypedUse::Comparison {
                column,
                operand: json_operand(value),
            };
            reporter.check_type(use_, &reference, path(&format!("filters[{i}].value")));
        }
    }
}

/// A plan location.
fn path(path: &str) -> Location {
    Location::Plan {
        path: path.to_string(),
    }
}
