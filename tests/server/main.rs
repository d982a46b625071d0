//! The HTTP API over real HTTP against a real store: every route and its JSON shape (checked
//! against docs/openapi.json), authentication and roles, CSRF, limits, and hostile requests,
//! each of which gets a clear JSON error and changes nothing in the store.

#![cfg(feature = "server")]

mod openapi;
mod security;
mod support;

use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::{data, Part, TestServer, ADMIN, CALLED, READER, WRITER};

fn upload_raw(client: &support::Client<'_>) -> Value {
    let raw = data("penguins-raw.csv");
    let reply = client.post_form(
        "/api/uploads",
        &[
            Part::Text("dataset", "penguins"),
            Part::Text("note", "first field season"),
            Part::File("penguins.csv", &raw),
        ],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// Walks every route the server has, as the user the route needs, and checks each answer
/// against the document (support::Client::send does); then checks that no route was missed.
#[test]
fn every_route_answers_in_the_shape_its_documentation_gives() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    let reader = server.login(READER);
    let admin = server.login(ADMIN);
    let anonymous = server.client();

    assert_eq!(anonymous.get("/").status, 200);
    let script = anonymous.get("/ui/app.js");
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(reader.get("/api/session").json()["user"], "aud");

    // A new dataset, then a preview of an overwrite with breaking drift, its refusal, and its
    // override with a reason.
    let created = upload_raw(&writer);
    assert_eq!(created["dataset"], "penguins");
    let clean = data("penguins.csv");
    let overwrite = |policy: &'static str, reason: &'static str| {
        vec![
            Part::Text("dataset", "penguins"),
            Part::Text("overwrite", "true"),
            Part::Text("drift_policy", policy),
            Part::Text("override_reason", reason),
            Part::File("penguins.csv", &clean),
        ]
    };
    let before = server.store_files();
    let plan = writer.post_form("/api/uploads/plan", &overwrite("reject", ""));
    assert_eq!(plan.status, 200, "{}", plan.text());
    assert_eq!(server.store_files(), before, "a dry run wrote to the store");
    let refused = writer.post_form("/api/uploads", &overwrite("reject", ""));
    refused.refused(409, "refused");
    assert!(refused.json()["error"]["refusal"].is_object());
    let second = writer.post_form(
        "/api/uploads",
        &overwrite("allow", "cleaned columns for the paper"),
    );
    assert_eq!(second.status, 200, "{}", second.text());

    let datasets = reader.get("/api/datasets").json();
    assert_eq!(datasets[0]["name"], "penguins");
    let history = reader.get("/api/datasets/penguins/history").json();
    assert_eq!(
        history["versions"].as_array().unwrap().len(),
        2,
        "{history}"
    );
    let show = reader.get("/api/datasets/penguins/versions/1");
    assert_eq!(show.status, 200);
    let table = reader.get("/api/datasets/penguins/versions/1/tables/penguins");
    assert_eq!(table.status, 200);
    assert_eq!(
        table.body,
        data("penguins-raw.csv"),
        "the download is the upload's bytes"
    );
    assert!(table
        .header("content-disposition")
        .is_some_and(|d| d.contains("attachment") && d.contains("penguins-v1-penguins.csv")));
    let diff = reader.get("/api/datasets/penguins/diff?from=1&to=2");
    assert_eq!(diff.status, 200);
    let check = reader.post_json(
        "/api/datasets/penguins/check-query",
        &json!({"sql": "SELECT species FROM penguins", "all_versions": true}),
    );
    assert_eq!(check.status, 200, "{}", check.text());
    let plan = reader.get("/api/datasets/penguins/rollback/plan?version=1");
    assert_eq!(plan.status, 200, "{}", plan.text());
    let rollback = writer.post_json(
        "/api/datasets/penguins/rollback",
        &json!({"version": "1", "reason": "the paper uses the raw columns"}),
    );
    assert_eq!(rollback.status, 200, "{}", rollback.text());

    let events = reader.get("/api/events?dataset=penguins").json();
    let actors: BTreeSet<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, BTreeSet::from(["dana"]), "{events}");
    // The actor is the logged-in user; the OS account beside it is the server process's.
    let account = serde_json::to_value(strata::store::OsAccount::current()).unwrap();
    for event in events.as_array().unwrap() {
        assert_eq!(event["os_account"], account, "{event}");
    }
    let verify = reader.get("/api/verify?deep=true");
    assert_eq!(verify.status, 200);
    assert_eq!(verify.json()["problems"], json!([]));
    assert_eq!(reader.get("/api/stat").status, 200);
    assert_eq!(admin.post_json("/api/snapshots", &json!({})).status, 201);
    security::read_one_event_from_the_stream(&server, &reader, 0);
    assert_eq!(reader.send("POST", "/api/logout", None).status, 204);

    let called = CALLED.with(|c| c.borrow().clone());
    let missing: Vec<_> = strata::server::routes()
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .filter(|r| !called.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "routes the walk did not call: {missing:?}"
    );
}

/// Every error kind a request can cause here comes with its documented status.
#[test]
fn every_refusal_is_a_json_error_with_the_status_of_its_kind() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    upload_raw(&writer);
    // A second version, so that a rollback to version 1 has something to explain.
    let second = writer.post_form(
        "/api/uploads",
        &[
            Part::Text("dataset", "penguins"),
            Part::Text("overwrite", "true"),
            Part::Text("drift_policy", "allow"),
            Part::File("penguins.csv", b"a,b\n1,2\n"),
        ],
    );
    assert_eq!(second.status, 200, "{}", second.text());
    let cases: Vec<(support::Reply, u16, &str)> = vec![
        (writer.get("/api/datasets/nope/history"), 404, "not_found"),
        (
            writer.get("/api/datasets/penguins/versions/9"),
            404,
            "not_found",
        ),
        // The library counts a table name a version lacks as a malformed request.
        (
            writer.get("/api/datasets/penguins/versions/1/tables/nope"),
            400,
            "invalid",
        ),
        (
            writer.get("/api/datasets/penguins/diff?from=1"),
            400,
            "invalid",
        ),
        (writer.get("/api/events?type=bogus"), 400, "invalid"),
        (writer.get("/api/verify?deep=maybe"), 400, "invalid"),
        (writer.get("/api/no-such-route"), 404, "not_found"),
        (
            writer.send("DELETE", "/api/datasets", None),
            405,
            "method_not_allowed",
        ),
        (
            writer.post_form(
                "/api/uploads",
                &[
                    Part::Text("dataset", "penguins"),
                    Part::File("p.csv", b"a,b\n1,2\n"),
                ],
            ),
            409,
            "refused",
        ),
        (
            writer.post_json(
                "/api/datasets/penguins/rollback",
                &json!({"version": "1", "reason": " "}),
            ),
            400,
            "invalid",
        ),
        (server.client().get("/api/datasets"), 401, "unauthenticated"),
    ];
    for (reply, status, kind) in cases {
        reply.refused(status, kind);
    }
}
