//! Authentication, roles, CSRF, limits and hostile requests: each refusal is a clear JSON
//! error with its documented status, and the store's files are byte for byte what they were.

use super::support::{data, Part, Reply, TestServer, CALLED, READER, WRITER};
use super::upload_raw;
use serde_json::json;
use std::io::BufRead;
use std::time::{Duration, Instant};
use strata::server::auth::Access;
use strata::server::{Server, ServerConfig};

/// Reads `GET /api/events/stream?after=AFTER` until one event arrives; returns its data.
pub fn read_one_event_from_the_stream(
    server: &TestServer,
    client: &super::support::Client<'_>,
    after: u64,
) -> serde_json::Value {
    let mut request = ureq::get(&format!("{}/api/events/stream?after={after}", server.url))
        .timeout(Duration::from_secs(30));
    if let Some(cookie) = &client.cookie {
        request = request.set("Cookie", cookie);
    }
    let response = request.call().expect("the stream opens");
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_type(), "text/event-stream");
    CALLED.with(|c| {
        c.borrow_mut()
            .insert(("GET".to_owned(), "/api/events/stream".to_owned()))
    });
    let reader = std::io::BufReader::new(response.into_reader());
    for line in reader.lines() {
        let line = line.expect("the stream goes on");
        if let Some(payload) = line.strip_prefix("data:") {
            let value: serde_json::Value = serde_json::from_str(payload.trim()).unwrap();
            let event_schema = json!({"$ref": "#/components/schemas/Event"});
            super::openapi::validate(&event_schema, &value, "$").unwrap();
            return value;
        }
    }
    panic!("the stream ended without an event");
}

/// A concrete path for a route template.
fn concrete(path: &str) -> String {
    path.replace("{dataset}", "penguins")
        .replace("{version}", "1")
        .replace("{table}", "penguins")
        .replace("{file}", "app.js")
}

#[test]
fn an_unauthenticated_request_to_any_protected_route_gets_401_and_changes_nothing() {
    let server = TestServer::start();
    upload_raw(&server.login(WRITER));
    let before = server.store_files();
    let anonymous = server.client();
    for route in strata::server::routes() {
        if route.access == Access::Public {
            continue;
        }
        let path = concrete(route.path);
        let reply = anonymous.send(route.method, &path, Some(("application/json", b"{}")));
        reply.refused(401, "unauthenticated");
    }
    let mut forged = server.client();
    forged.cookie = Some("strata_session=0123456789abcdef".into());
    forged.get("/api/datasets").refused(401, "unauthenticated");
    let mut bad_token = server.client();
    bad_token.bearer = Some("not-a-token".into());
    bad_token
        .get("/api/datasets")
        .refused(401, "unauthenticated");
    assert_eq!(server.store_files(), before);
}

#[test]
fn a_reader_cannot_upload_roll_back_or_snapshot_and_changes_nothing() {
    let server = TestServer::start();
    upload_raw(&server.login(WRITER));
    let before = server.store_files();
    let mut by_token = server.client();
    by_token.bearer = Some(server.token.clone());
    for reader in [server.login(READER), by_token] {
        assert_eq!(reader.get("/api/datasets").status, 200);
        // Small files: the refusal comes before the body is read.
        let form = [
            Part::Text("dataset", "other"),
            Part::File("other.csv", b"a,b\n1,2\n"),
        ];
        let message = reader
            .post_form("/api/uploads", &form)
            .refused(403, "forbidden");
        assert!(
            message.contains("reader") && message.contains("writer"),
            "{message}"
        );
        reader
            .post_form("/api/uploads/plan", &form)
            .refused(403, "forbidden");
        reader
            .post_json(
                "/api/datasets/penguins/rollback",
                &json!({"version": "1", "reason": "x"}),
            )
            .refused(403, "forbidden");
        reader
            .post_json("/api/snapshots", &json!({}))
            .refused(403, "forbidden");
    }
    // A writer is not an admin either.
    server
        .login(WRITER)
        .post_json("/api/snapshots", &json!({}))
        .refused(403, "forbidden");
    assert_eq!(server.store_files(), before);
}

#[test]
fn a_forged_cross_site_post_or_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let server = TestServer::start();
    upload_raw(&server.login(WRITER));
    let before = server.store_files();
    let body = json!({"version": "1", "reason": "forged"});
    let rollback = "/api/datasets/penguins/rollback";

    let mut foreign = server.login(WRITER);
    foreign.extra = vec![("Origin".into(), "http://evil.example".into())];
    let message = foreign.post_json(rollback, &body).refused(403, "forbidden");
    assert!(message.contains("cross-site"), "{message}");

    let mut cross_site = server.login(WRITER);
    cross_site.extra = vec![("Sec-Fetch-Site".into(), "cross-site".into())];
    cross_site
        .post_json(rollback, &body)
        .refused(403, "forbidden");

    let mut wrong = server.login(WRITER);
    wrong.csrf = Some("0".repeat(64));
    let message = wrong.post_json(rollback, &body).refused(403, "forbidden");
    assert!(message.contains("CSRF"), "{message}");

    let mut missing = server.login(WRITER);
    missing.csrf = None;
    missing.post_json(rollback, &body).refused(403, "forbidden");
    missing
        .post_form(
            "/api/uploads",
            &[Part::Text("dataset", "x"), Part::File("x.csv", b"a\n1\n")],
        )
        .refused(403, "forbidden");

    // Another session's token does not fit this session.
    let mut swapped = server.login(WRITER);
    swapped.csrf = server.login(WRITER).csrf;
    swapped.post_json(rollback, &body).refused(403, "forbidden");
    assert_eq!(server.store_files(), before);
}

#[test]
fn the_session_cookie_is_httponly_and_samesite_strict() {
    let server = TestServer::start();
    let reply = server.client().post_json(
        "/api/login",
        &json!({"name": WRITER.0, "password": WRITER.1}),
    );
    let cookie = reply.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let wrong = server.client().post_json(
        "/api/login",
        &json!({"name": WRITER.0, "password": "not the password"}),
    );
    wrong.refused(401, "unauthenticated");
    assert!(wrong.header("set-cookie").is_none());
}

#[test]
fn the_actor_is_the_logged_in_user_never_a_value_the_client_sends() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    // A small file: the server refuses at the `actor` part and closes, so a body larger than
    // the socket buffers would still be sending and fail with a broken pipe instead of
    // reading the answer.
    let raw = b"species,mass\nAdelie,3750\n".to_vec();
    let before = server.store_files();
    let message = writer
        .post_form(
            "/api/uploads",
            &[
                Part::Text("dataset", "penguins"),
                Part::Text("actor", "someone-else"),
                Part::File("penguins.csv", &raw),
            ],
        )
        .refused(400, "invalid");
    assert!(message.contains("actor"), "{message}");
    assert_eq!(server.store_files(), before);
    upload_raw(&writer);
    let before = server.store_files();
    writer
        .post_json(
            "/api/datasets/penguins/rollback",
            &json!({"version": "1", "reason": "r", "actor": "someone-else"}),
        )
        .refused(400, "invalid");
    assert_eq!(server.store_files(), before);
    let events = server.login(READER).get("/api/events").json();
    assert_eq!(events[0]["actor"], "dana", "{events}");
}

#[test]
fn a_form_refused_at_its_first_parts_is_answered_though_a_large_file_follows() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    // 8 MiB after the refused part: more than the socket buffers hold, so the answer reaches
    // the client only if the server reads the rest of the body before it closes.
    let mut raw = b"species,mass\n".to_vec();
    while raw.len() < 8 << 20 {
        raw.extend_from_slice(b"Adelie,3750\n");
    }
    let before = server.store_files();
    for (part, wanted) in [
        (Part::Text("actor", "someone-else"), "actor"),
        (Part::Text("colour", "blue"), "unknown field"),
    ] {
        let message = writer
            .post_form(
                "/api/uploads",
                &[
                    Part::Text("dataset", "penguins"),
                    part,
                    Part::File("penguins.csv", &raw),
                ],
            )
            .refused(400, "invalid");
        assert!(message.contains(wanted), "{message}");
    }
    assert_eq!(server.store_files(), before);
}

#[test]
fn an_upload_over_the_limit_gets_413_and_writes_nothing() {
    let server = TestServer::start_with(|c| c.max_upload_bytes = 100);
    let writer = server.login(WRITER);
    let before = server.store_files();
    // Just over the limit: the refusal comes as the body arrives, and a small body is sent
    // whole before the server answers.
    let raw = "a,b\n".repeat(26).into_bytes();
    for route in ["/api/uploads", "/api/uploads/plan"] {
        let message = writer
            .post_form(
                route,
                &[Part::Text("dataset", "big"), Part::File("big.csv", &raw)],
            )
            .refused(413, "too_large");
        assert!(message.contains("100 bytes"), "{message}");
    }
    assert_eq!(server.store_files(), before);
    let spooled: usize = std::fs::read_dir(server.dir.path().join("spool"))
        .unwrap()
        .map(|folder| std::fs::read_dir(folder.unwrap().path()).unwrap().count())
        .sum();
    assert_eq!(spooled, 0, "a refused upload left spool files");
    // A small upload still goes through.
    let small = writer.post_form(
        "/api/uploads",
        &[
            Part::Text("dataset", "small"),
            Part::File("s.csv", b"a,b\n1,2\n"),
        ],
    );
    assert_eq!(small.status, 200, "{}", small.text());
}

/// Sends the head of a request that announces `content_length` bytes of JSON and none of
/// them, and reads the answer: a server that refuses by the announced length answers
/// without waiting for the body (sending it all would race the server's close).
fn announce_json_body(
    client: &super::support::Client<'_>,
    path: &str,
    content_length: usize,
) -> Reply {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(client.server.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let host = client.server.url.trim_start_matches("http://");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\nConnection: close\r\n"
    );
    if let Some(cookie) = &client.cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if let Some(csrf) = &client.csrf {
        head.push_str(&format!("X-CSRF-Token: {csrf}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an answer with headers");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let reply = Reply {
        status,
        headers,
        body: answer[split + 4..].to_vec(),
    };
    super::openapi::check_reply("POST", path, &reply);
    reply
}

#[test]
fn an_oversized_json_body_gets_413_and_changes_nothing() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    upload_raw(&writer);
    let before = server.store_files();
    let message = announce_json_body(&writer, "/api/datasets/penguins/rollback", 3 << 20)
        .refused(413, "too_large");
    assert!(message.contains("2097152"), "{message}");
    // Just under the limit, the body is read (and then refused as malformed JSON).
    let under = "x".repeat((2 << 20) - 100);
    writer
        .send(
            "POST",
            "/api/datasets/penguins/rollback",
            Some(("application/json", under.as_bytes())),
        )
        .refused(400, "invalid");
    assert_eq!(server.store_files(), before);
}

#[test]
fn malformed_requests_get_400_and_write_nothing() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    upload_raw(&writer);
    let before = server.store_files();
    let send = |content_type: &str, body: &[u8]| -> Reply {
        writer.send("POST", "/api/uploads", Some((content_type, body)))
    };
    let boundary = format!("multipart/form-data; boundary={}", super::support::BOUNDARY);
    let whole = super::support::multipart(&[
        Part::Text("dataset", "penguins2"),
        Part::File("penguins.csv", b"a,b\n1,2\n"),
    ]);
    let cases: Vec<(&str, Reply)> = vec![
        ("a truncated body", send(&boundary, &whole[..whole.len() - 30])),
        ("no boundary", send("multipart/form-data", &whole)),
        ("not multipart", send("application/json", b"{}")),
        ("garbage", send(&boundary, b"\x00\xff garbage")),
        (
            "no file name",
            send(
                &boundary,
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\nq\r\n\
                     --{b}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\na\n1\n\r\n--{b}--\r\n",
                    b = super::support::BOUNDARY
                )
                .as_bytes(),
            ),
        ),
        (
            "an unknown field",
            writer.post_form("/api/uploads", &[Part::Text("colour", "red")]),
        ),
        (
            "no dataset",
            writer.post_form("/api/uploads", &[Part::File("p.csv", b"a\n1\n")]),
        ),
        (
            "no files",
            writer.post_form("/api/uploads", &[Part::Text("dataset", "empty")]),
        ),
        (
            "a bad drift policy",
            writer.post_form(
                "/api/uploads",
                &[
                    Part::Text("dataset", "q"),
                    Part::Text("drift_policy", "whatever"),
                    Part::File("p.csv", b"a\n1\n"),
                ],
            ),
        ),
        (
            "malformed JSON",
            writer.send(
                "POST",
                "/api/datasets/penguins/rollback",
                Some(("application/json", b"{\"version\": ")),
            ),
        ),
        (
            "a malformed login",
            server
                .client()
                .send("POST", "/api/login", Some(("application/json", b"[1,2]"))),
        ),
    ];
    for (what, reply) in cases {
        assert_eq!(reply.status, 400, "{what}: {}", reply.text());
        assert_eq!(reply.error_kind(), "invalid", "{what}");
    }
    // A CSV file that cannot be ingested: 422, with the file and line.
    let ragged = writer.post_form(
        "/api/uploads",
        &[
            Part::Text("dataset", "ragged"),
            Part::File("ragged.csv", b"a,b\n1,2\n3,4,5\n"),
        ],
    );
    let message = ragged.refused(422, "invalid");
    assert!(message.contains("ragged.csv"), "{message}");
    assert_eq!(
        server.store_files(),
        before,
        "a malformed request changed the store"
    );
}

#[test]
fn path_traversal_in_any_path_parameter_finds_nothing_outside_the_store() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    upload_raw(&writer);
    let before = server.store_files();
    for path in [
        "/ui/..%2F..%2FCargo.toml",
        "/ui/%2e%2e%2fCargo.toml",
        "/api/datasets/penguins/versions/1/tables/..%2F..%2Flog%2FLOCK",
        "/api/datasets/..%2F..%2Fetc/history",
        "/api/datasets/penguins/versions/..%2F1/tables/penguins",
    ] {
        let reply = writer.get(path);
        assert!(
            [400, 404].contains(&reply.status),
            "{path}: {} {}",
            reply.status,
            reply.text()
        );
        assert!(reply.json()["error"]["message"].is_string(), "{path}");
    }
    // A file name with folders in it names a table; nothing is written outside the store.
    let outside = server.dir.path().join("evil.csv");
    let reply = writer.post_form(
        "/api/uploads",
        &[
            Part::Text("dataset", "../../evil"),
            Part::File("../../evil.csv", b"a\n1\n"),
        ],
    );
    assert!(!outside.exists(), "an upload wrote outside the store");
    if reply.status != 200 {
        assert_eq!(
            server.store_files(),
            before,
            "a refused upload changed the store"
        );
    }
}

#[test]
fn the_rate_limit_refuses_with_429_and_retry_after() {
    let server = TestServer::start_with(|c| c.requests_per_minute = 5);
    let reader = server.login(READER);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let reply = reader.get("/api/stat");
        if reply.status == 429 {
            assert_eq!(reply.error_kind(), "rate_limited");
            assert!(reply.header("retry-after").is_some());
        }
        statuses.push(reply.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn the_server_binds_the_loopback_by_default_and_refuses_another_address_without_users() {
    let dir = tempfile::tempdir().unwrap();
    strata::Store::create(dir.path(), strata::store::StoreOptions::default()).unwrap();
    let config = ServerConfig::new(dir.path());
    assert!(config.bind.ip().is_loopback());
    let mut open = config.clone();
    open.bind = "0.0.0.0:0".parse().unwrap();
    let error = Server::bind(open).unwrap_err().to_string();
    assert!(
        error.contains("0.0.0.0") && error.contains("users"),
        "{error}"
    );
    let mut v6 = config.clone();
    v6.bind = "[::]:0".parse().unwrap();
    assert!(Server::bind(v6).is_err());
}

#[test]
fn local_mode_answers_only_requests_addressed_to_the_loopback() {
    let dir = tempfile::tempdir().unwrap();
    strata::Store::create(
        dir.path().join("store"),
        strata::store::StoreOptions::default(),
    )
    .unwrap();
    let mut config = ServerConfig::new(dir.path().join("store"));
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.local_actor = "os-account".into();
    let server = TestServer::run(Server::bind(config).unwrap(), dir, String::new());
    let local = server.client();
    let session = local.get("/api/session").json();
    assert_eq!(session["mode"], "local");
    assert_eq!(session["user"], "os-account");
    let mut rebound = server.client();
    rebound.extra = vec![("Host".into(), "evil.example".into())];
    let message = rebound.get("/api/datasets").refused(403, "forbidden");
    assert!(message.contains("loopback"), "{message}");
}

#[test]
fn an_upload_by_another_process_appears_on_the_event_stream() {
    let server = TestServer::start();
    let reader = server.login(READER);
    let store = server.store_dir();
    let cli = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let csv = store.parent().unwrap().join("weather.csv");
        std::fs::write(&csv, data("seattle-weather.csv")).unwrap();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
            .arg("--store")
            .arg(&store)
            .args(["upload", "weather"])
            .arg(&csv)
            .env("USER", "cli-user")
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    });
    let started = Instant::now();
    let event = read_one_event_from_the_stream(&server, &reader, 0);
    cli.join().unwrap();
    assert_eq!(event["dataset"], "weather", "{event}");
    assert_eq!(event["actor"], "cli-user", "{event}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_dataset_name_with_control_characters_is_refused_by_the_api_as_by_the_library() {
    let server = TestServer::start();
    let writer = server.login(WRITER);
    let raw = data("penguins-raw.csv");
    let before = server.store_files();
    for name in ["fake\nline", "a\u{1b}[2Kb", " penguins"] {
        let message = writer
            .post_form(
                "/api/uploads",
                &[
                    Part::Text("dataset", name),
                    Part::File("penguins.csv", &raw),
                ],
            )
            .refused(400, "invalid");
        assert!(message.contains("dataset name"), "{message}");
    }
    assert_eq!(server.store_files(), before);
}
