//! A load test of `strata serve` on the loopback: 64 clients (`STRATA_BENCH_SERVE_CLIENTS`)
//! read a dataset's history (`GET /api/datasets/penguins/history`, keep-alive connections)
//! as fast as they can for `STRATA_BENCH_SERVE_SECS` seconds (default 10) while one client
//! uploads new datasets of 344 rows back to back; prints requests per second and the p50,
//! p99 and worst latency of the reads, and the uploads done. Every answer must be a 200.
//!
//! The server runs in this process with the durable store defaults (every upload fsyncs);
//! the clients are threads of the same process, so they share its cores with the server.
//!
//! Run: `cargo bench --bench serve`. The store is built under `STRATA_BENCH_DIR` if set,
//! else in cargo's target tmp folder.

#[path = "support/dirs.rs"]
mod dirs;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata::server::users::{Role, UsersFile};
use strata::server::{Server, ServerConfig};
use strata::store::StoreOptions;
use strata::Store;

const BOUNDARY: &str = "strata-load-boundary";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn penguins() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/penguins.csv"
    ))
    .expect("tests/data/penguins.csv")
}

/// The multipart body of an upload of `csv` as `dataset`, overwriting it if `overwrite`.
fn upload_form(dataset: &str, csv: &[u8], overwrite: bool) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"dataset\"\r\n\r\n{dataset}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\n{overwrite}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"drift_policy\"\r\n\r\nallow\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"penguins.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(csv);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(agent: &ureq::Agent, url: &str, token: &str, body: &[u8]) {
    let response = agent
        .post(&format!("{url}/api/uploads"))
        .set("Authorization", &format!("Bearer {token}"))
        .set(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .send_bytes(body)
        .expect("an upload succeeds");
    assert_eq!(response.status(), 200);
}

/// `penguins.csv` with its first data row's year changed to `n`: new content every time.
fn variant(csv: &[u8], n: u64) -> Vec<u8> {
    let text = String::from_utf8_lossy(csv);
    let (header, rows) = text.split_once('\n').unwrap();
    let (first, rest) = rows.split_once('\n').unwrap();
    let (fields, _year) = first.rsplit_once(',').unwrap();
    format!("{header}\n{fields},{}\n{rest}", 3000 + n).into_bytes()
}

/// Starts the server with a writer's API token; returns the URL, the token and the store's
/// folder (kept until the end).
fn start() -> (String, String, tempfile::TempDir) {
    let dir = dirs::tempdir();
    Store::create(dir.path().join("store"), StoreOptions::default()).unwrap();
    let mut users = UsersFile::default();
    users.add("load", Role::Writer, "load-password").unwrap();
    let token = users.new_token("load").unwrap();
    users.save(&dir.path().join("users.json")).unwrap();
    let mut config = ServerConfig::new(dir.path().join("store"));
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.users_file = Some(dir.path().join("users.json"));
    config.requests_per_minute = 0;
    let server = Server::bind(config).expect("the server starts");
    let url = format!("http://{}", server.local_addr());
    std::thread::spawn(move || server.run().expect("the server runs"));
    (url, token, dir)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let clients = env_number("STRATA_BENCH_SERVE_CLIENTS", 64) as usize;
    let seconds = env_number("STRATA_BENCH_SERVE_SECS", 10);
    let (url, token, _dir) = start();
    let agent = ureq::AgentBuilder::new()
        .max_idle_connections(clients * 2)
        .build();
    let csv = penguins();
    // A history of ten versions to read.
    for n in 0..10 {
        upload(
            &agent,
            &url,
            &token,
            &upload_form("penguins", &variant(&csv, n), n > 0),
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    let uploads = Arc::new(AtomicU64::new(0));
    let uploader = {
        let (stop, uploads, agent, url, token, csv) = (
            stop.clone(),
            uploads.clone(),
            agent.clone(),
            url.clone(),
            token.clone(),
            csv.clone(),
        );
        std::thread::spawn(move || {
            let mut n = 100;
            while !stop.load(Ordering::Relaxed) {
                let body = upload_form(&format!("load-{n}"), &variant(&csv, n), false);
                upload(&agent, &url, &token, &body);
                uploads.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        })
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let readers: Vec<_> = (0..clients)
        .map(|_| {
            let (agent, url, token) = (agent.clone(), url.clone(), token.clone());
            std::thread::spawn(move || {
                let history = format!("{url}/api/datasets/penguins/history");
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let response = agent
                        .get(&history)
                        .set("Authorization", &format!("Bearer {token}"))
                        .call()
                        .expect("a history read succeeds");
                    assert_eq!(response.status(), 200);
                    std::io::copy(&mut response.into_reader(), &mut std::io::sink()).unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = readers
        .into_iter()
        .flat_map(|r| r.join().expect("a reader thread"))
        .collect();
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    uploader.join().expect("the uploader thread");
    latencies.sort();
    println!(
        "serve/history_{clients}_clients_with_uploads: {} requests in {:.1} s = {:.0} requests/s; \
         latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} uploads meanwhile",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        uploads.load(Ordering::Relaxed),
    );
}
