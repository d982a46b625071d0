//! A real `strata serve` on a free loopback port over a real store, a blocking HTTP client
//! that keeps a session, and the check of every answer against docs/openapi.json.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use strata::server::users::{Role, UsersFile};
use strata::server::{Server, ServerConfig};
use strata::store::StoreOptions;
use strata::Store;

pub const WRITER: (&str, &str) = ("dana", "writer-password-1");
pub const READER: (&str, &str) = ("aud", "reader-password-2");
pub const ADMIN: (&str, &str) = ("root", "admin-password-3");

/// The bytes of a file in tests/data.
pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .expect("test data")
}

/// A server running on its own thread until dropped.
pub struct TestServer {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// A server with a users file (writer, reader, admin) over a new store.
    pub fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// As [`TestServer::start`], with the configuration adjusted by `adjust`.
    pub fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        Store::create(dir.path().join("store"), StoreOptions::default()).unwrap();
        let users_path = dir.path().join("users.json");
        let mut users = UsersFile::default();
        users.add(WRITER.0, Role::Writer, WRITER.1).unwrap();
        users.add(READER.0, Role::Reader, READER.1).unwrap();
        users.add(ADMIN.0, Role::Admin, ADMIN.1).unwrap();
        let token = users.new_token(READER.0).unwrap();
        users.save(&users_path).unwrap();
        let mut config = ServerConfig::new(dir.path().join("store"));
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.users_file = Some(users_path);
        config.poll_interval = std::time::Duration::from_millis(50);
        std::fs::create_dir(dir.path().join("spool")).unwrap();
        config.spool_dir = Some(dir.path().join("spool"));
        adjust(&mut config);
        TestServer::run(Server::bind(config).expect("the server starts"), dir, token)
    }

    /// Runs a bound server.
    pub fn run(server: Server, dir: tempfile::TempDir, token: String) -> TestServer {
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            server
                .run_until(async {
                    let _ = stopped.await;
                })
                .expect("the server runs");
        });
        TestServer {
            url: format!("http://{addr}"),
            dir,
            token,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// A client without credentials.
    pub fn client(&self) -> Client<'_> {
        Client {
            server: self,
            cookie: None,
            csrf: None,
            bearer: None,
            extra: Vec::new(),
        }
    }

    /// A client logged in as `who` (a cookie session with its CSRF token).
    pub fn login(&self, who: (&str, &str)) -> Client<'_> {
        let mut client = self.client();
        let reply = client.post_json(
            "/api/login",
            &serde_json::json!({"name": who.0, "password": who.1}),
        );
        assert_eq!(reply.status, 200, "login as {}: {}", who.0, reply.text());
        let set_cookie = reply.header("set-cookie").expect("a session cookie");
        client.cookie = Some(set_cookie.split(';').next().unwrap().to_owned());
        client.csrf = Some(reply.json()["csrf_token"].as_str().unwrap().to_owned());
        client
    }

    /// Every file under the store's folder with its bytes: what "nothing changed" compares.
    pub fn store_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
            entries.sort_by_key(|e| e.path());
            for entry in entries {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.file_name().is_some_and(|n| n != "LOCK") {
                    out.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.store_dir(), &mut out);
        out
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `kind` of a JSON error.
    pub fn error_kind(&self) -> String {
        self.json()["error"]["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error: {}", self.text()))
            .to_owned()
    }

    /// Asserts the status and error kind of a refusal; returns its message.
    pub fn refused(&self, status: u16, kind: &str) -> String {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.error_kind(), kind, "{}", self.text());
        let message = self.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(!message.is_empty());
        message
    }
}

/// A client: the credentials it sends, and headers added to every request.
pub struct Client<'a> {
    pub server: &'a TestServer,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    pub extra: Vec<(String, String)>,
}

/// A multipart form: text fields and files, in order.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

pub const BOUNDARY: &str = "strata-test-boundary-7f3a";

/// The multipart body of `parts` (every file in a part named `file`).
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
            Part::File(file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
                         Content-Type: text/csv\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl Client<'_> {
    /// Sends a request; every answer is checked against docs/openapi.json.
    pub fn send(&self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> Reply {
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(std::time::Duration::from_secs(60))
            .build();
        let mut request = agent.request(method, &format!("{}{path}", self.server.url));
        if let Some(cookie) = &self.cookie {
            request = request.set("Cookie", cookie);
        }
        if let Some(csrf) = &self.csrf {
            request = request.set("X-CSRF-Token", csrf);
        }
        if let Some(token) = &self.bearer {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        for (k, v) in &self.extra {
            request = request.set(k, v);
        }
        let result = match body {
            Some((content_type, bytes)) => {
                request.set("Content-Type", content_type).send_bytes(bytes)
            }
            None => request.call(),
        };
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .flat_map(|name| {
                response
                    .all(&name)
                    .into_iter()
                    .map(|v| (name.clone(), v.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut body).unwrap();
        let reply = Reply {
            status,
            headers,
            body,
        };
        super::openapi::check_reply(method, path, &reply);
        reply
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None)
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send("POST", path, Some(("application/json", &bytes)))
    }

    pub fn post_form(&self, path: &str, parts: &[Part<'_>]) -> Reply {
        let body = multipart(parts);
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        self.send("POST", path, Some((&content_type, &body)))
    }
}

thread_local! {
    /// The routes (method, documented path) this test's thread has called, for the
    /// coverage check (each test runs on a thread of its own).
    pub static CALLED: RefCell<BTreeSet<(String, String)>> = const { RefCell::new(BTreeSet::new()) };
}
