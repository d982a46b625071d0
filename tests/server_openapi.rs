//! docs/openapi.json documents exactly the routes the server registers: every route is
//! documented with its method and the role it needs, and every documented route exists.

#![cfg(feature = "server")]

use std::collections::BTreeSet;
use strata::server::auth::Access;
use strata::server::routes;

fn openapi() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json"))
        .expect("docs/openapi.json");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
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
    assert!(missing.is_empty(), "routes not documented as registered: {missing:?}");
    assert!(stale.is_empty(), "documented routes the server lacks: {stale:?}");
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
