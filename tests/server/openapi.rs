//! docs/openapi.json against the server: it documents exactly the routes the server
//! registers (method and role), and every answer the tests receive has a documented status,
//! content type and, for JSON, a body the documented schema accepts field by field (a field
//! the server sends that the document does not name is a failure too).

use super::support::{Reply, CALLED};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use strata::server::auth::Access;
use strata::server::routes;

fn openapi() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json"))
        .expect("docs/openapi.json");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(openapi)
}

/// The documented path `path` (without its query) matches: literal segments first.
pub fn template_of(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    doc()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.clone()))
        })
        .max()
        .map(|(_, template)| template)
}

fn resolve(schema: &Value) -> &Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            let target = &doc()["components"]["schemas"][name];
            assert!(!target.is_null(), "undefined schema {reference}");
            resolve(target)
        }
        None => schema,
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("docs/openapi.json uses an unknown type `{other}`"),
    }
}

/// Whether `value` is what `schema` documents; `Err` lists every place where they differ.
pub fn validate(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let mut errors = Vec::new();
    differences(schema, value, at, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

fn differences(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema);
    if let Some(options) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let failures: Vec<String> = options
            .iter()
            .filter_map(|option| validate(option, value, at).err())
            .collect();
        if failures.len() == options.len() {
            errors.push(format!(
                "{at}: matches none of its alternatives: {failures:?}"
            ));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        errors.push(format!("{at}: {value} is not of type {types:?}"));
        return;
    }
    if let Some(options) = schema["enum"].as_array() {
        if !options.contains(value) {
            errors.push(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    if let Some(object) = value.as_object() {
        object_differences(schema, object, at, errors);
    }
    if let (Some(items), false) = (value.as_array(), schema["items"].is_null()) {
        for (i, item) in items.iter().enumerate() {
            differences(&schema["items"], item, &format!("{at}[{i}]"), errors);
        }
    }
}

/// The fields of an object: the required ones are there, and every one it has is
/// documented (in `properties`, or by `additionalProperties`) and fits its schema.
fn object_differences(
    schema: &Value,
    object: &serde_json::Map<String, Value>,
    at: &str,
    errors: &mut Vec<String>,
) {
    let properties = schema["properties"].as_object();
    if properties.is_none() && !schema["additionalProperties"].is_object() {
        return;
    }
    for required in schema["required"].as_array().into_iter().flatten() {
        let key = required.as_str().unwrap();
        if !object.contains_key(key) {
            errors.push(format!("{at}: the required field `{key}` is missing"));
        }
    }
    for (key, field) in object {
        let at = format!("{at}.{key}");
        match (
            properties.and_then(|p| p.get(key)),
            &schema["additionalProperties"],
        ) {
            (Some(field_schema), _) => differences(field_schema, field, &at, errors),
            (None, Value::Bool(true)) => {}
            (None, extra @ Value::Object(_)) => differences(extra, field, &at, errors),
            (None, _) => errors.push(format!("{at}: not documented (its value: {field})")),
        }
    }
}

/// Checks an answer against the document: its route and method are documented (or it is
/// the JSON 404/405 of one that is not), its status is documented for the route, its content
/// type is one the status documents, and a JSON body fits the schema. Records the route as
/// called.
pub fn check_reply(method: &str, path: &str, reply: &Reply) {
    let bare = path.split('?').next().unwrap();
    let content_type = reply
        .header("content-type")
        .map(|c| c.split(';').next().unwrap().trim().to_owned());
    let error_schema = serde_json::json!({"$ref": "#/components/schemas/Error"});
    let operation = template_of(bare).and_then(|template| {
        let op = &doc()["paths"][&template][method.to_lowercase()];
        (!op.is_null()).then(|| (template, op.clone()))
    });
    let Some((template, op)) = operation else {
        assert!(
            [404, 405].contains(&reply.status),
            "{method} {path} is not documented, yet answered {}",
            reply.status
        );
        let body = reply.json();
        validate(&error_schema, &body, "$").unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        return;
    };
    CALLED.with(|called| {
        called
            .borrow_mut()
            .insert((method.to_owned(), template.clone()))
    });
    let status = reply.status.to_string();
    let response = &op["responses"][&status];
    assert!(
        !response.is_null(),
        "{method} {template} answered {status}, which docs/openapi.json does not document: {}",
        reply.text()
    );
    let Some(content) = response["content"].as_object().filter(|c| !c.is_empty()) else {
        assert!(
            reply.body.is_empty(),
            "{method} {template} {status} documents no body but sent one"
        );
        return;
    };
    let content_type = content_type.unwrap_or_default();
    assert!(
        content.contains_key(&content_type),
        "{method} {template} {status} answered {content_type}; documented: {:?}",
        content.keys().collect::<Vec<_>>()
    );
    if content_type == "application/json" {
        if let Some(schema) = content[&content_type].get("schema") {
            validate(schema, &reply.json(), "$")
                .unwrap_or_else(|e| panic!("{method} {template} {status}: {e}"));
        }
    }
}

fn role_name(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::Role(role) => role.name(),
    }
}

#[test]
fn the_openapi_file_documents_every_route_and_only_routes_that_exist() {
    let doc = openapi();
    let documented: BTreeSet<(String, String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("operations")
                .iter()
                .map(move |(method, op)| {
                    let role = op["x-strata-role"].as_str().unwrap_or("undocumented");
                    (path.clone(), method.to_uppercase(), role.to_owned())
                })
        })
        .collect();
    let registered: BTreeSet<(String, String, String)> = routes()
        .iter()
        .map(|r| {
            (
                r.path.to_owned(),
                r.method.to_owned(),
                role_name(r.access).to_owned(),
            )
        })
        .collect();
    let missing: Vec<_> = registered.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "routes not documented as registered: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "documented routes the server lacks: {stale:?}"
    );
}

#[test]
fn every_documented_operation_refers_only_to_schemas_it_defines_and_documents_its_errors() {
    let doc = openapi();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let text = doc.to_string();
    for piece in text.split("\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "undefined schema {name}");
    }
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().expect("responses");
            let public = op["x-strata-role"] == "public";
            assert!(
                public || responses.contains_key("401"),
                "{method} {path} does not document its 401"
            );
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path} documents no success"
            );
        }
    }
}
