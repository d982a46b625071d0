//! `strata serve`: an HTTP API and a browser UI over the store, one more front end over the
//! library (feature `server`, on by default).
//!
//! Every route answers in the JSON shapes of [`crate::report`] (what `--json` prints), and
//! every refusal is `{"error": {"kind", "message"}}` with the status of its kind
//! ([`error::status_of`]). The routes, their methods and who may call them are one table,
//! [`routes`], which builds the router and which the API's OpenAPI file
//! (`docs/openapi.json`) is checked against.
//!
//! Security: the server binds to the loopback unless a users file is given
//! ([`ServerConfig::users_file`]); without one (local mode) it answers only requests
//! addressed to the loopback and acts as the OS account running it. The actor of every event
//! is the authenticated user, never a value the client sends. See [`auth`] for sessions,
//! tokens and the CSRF rules.
//!
//! ```no_run
//! use strata::server::{Server, ServerConfig};
//!
//! let config = ServerConfig::new("strata-store");
//! let server = Server::bind(config)?;
//! println!("listening on http://{}", server.local_addr());
//! server.run()?;
//! # Ok::<(), strata::server::ServeError>(())
//! ```

mod api;
pub mod auth;
pub mod error;
mod limits;
mod live;
mod ui;
mod upload;
pub mod users;

use crate::store::{Store, StoreOptions};
use auth::{Access, Auth};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use error::{ApiError, ApiErrorKind, ApiResult};
use futures_util::FutureExt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use users::{Role, UsersFile};

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on (default `127.0.0.1:8640`). Any address but the loopback
    /// needs a users file.
    pub bind: SocketAddr,
    /// The store's directory.
    pub store_dir: PathBuf,
    /// The users file; `None` is local mode (loopback only, acting as the OS account).
    pub users_file: Option<PathBuf>,
    /// The largest upload accepted, in bytes of file content (default 1 GiB).
    pub max_upload_bytes: u64,
    /// Requests per minute accepted from one client address (0: no limit; default 6000).
    pub requests_per_minute: u32,
    /// How often the server looks for events written by other processes (default 250 ms).
    pub poll_interval: Duration,
    /// Where uploads are spooled while they arrive (default: a private folder in the
    /// system's temporary folder).
    pub spool_dir: Option<PathBuf>,
    /// The actor of local mode: the OS account ([`os_account`]).
    pub local_actor: String,
}

/// The port `strata serve` listens on by default.
pub const DEFAULT_PORT: u16 = 8640;

impl ServerConfig {
    /// The defaults, for the store in `store_dir`.
    pub fn new(store_dir: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            store_dir: store_dir.into(),
            users_file: None,
            max_upload_bytes: 1 << 30,
            requests_per_minute: 6000,
            poll_interval: Duration::from_millis(250),
            spool_dir: None,
            local_actor: os_account(),
        }
    }
}

/// The actor of local mode: the OS user running this process (`USER`, then `LOGNAME`), else
/// its own account as the user database names it (`uid N` if it does not): never `unknown`
/// ([`crate::store::names::default_actor`]).
pub fn os_account() -> String {
    crate::store::names::default_actor()
}

/// Why the server cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is refused (a non-loopback address without a users file...).
    #[error("{0}")]
    Refused(String),
    /// The users file cannot be used.
    #[error(transparent)]
    Users(#[from] users::UsersError),
    /// The store cannot be opened.
    #[error(transparent)]
    Store(#[from] crate::Error),
    /// The network or the runtime failed.
    #[error("cannot {op}: {source}")]
    Io {
        /// What was being done.
        op: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) store: Arc<Store>,
    pub(crate) config: ServerConfig,
    pub(crate) auth: Auth,
    pub(crate) limits: limits::RateLimit,
    pub(crate) live: live::Live,
    pub(crate) spool: upload::Spool,
}

/// The handlers' state.
pub(crate) type AppState = Arc<Shared>;

/// A route: its method, its path (in OpenAPI's `{param}` syntax), who may call it, and its
/// handler.
pub struct Route {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    handler: MethodRouter<AppState>,
}

fn route(
    method: &'static str,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

/// Every route the server answers, the one table the router is built from.
pub fn routes() -> Vec<Route> {
    use Access::{Public, Role as R};
    let (reader, writer, admin) = (R(Role::Reader), R(Role::Writer), R(Role::Admin));
    vec![
        route("GET", "/", Public, get(ui::index)),
        route("GET", "/ui/{file}", Public, get(ui::asset)),
        route("GET", "/api/session", Public, get(auth::session)),
        route("POST", "/api/login", Public, post(auth::login)),
        route("POST", "/api/logout", Public, post(auth::logout)),
        route("GET", "/api/datasets", reader, get(api::datasets)),
        route(
            "GET",
            "/api/datasets/{dataset}/history",
            reader,
            get(api::history),
        ),
        route(
            "GET",
            "/api/datasets/{dataset}/versions/{version}",
            reader,
            get(api::show),
        ),
        route(
            "GET",
            "/api/datasets/{dataset}/versions/{version}/tables/{table}",
            reader,
            get(api::table),
        ),
        route(
            "GET",
            "/api/datasets/{dataset}/diff",
            reader,
            get(api::diff),
        ),
        route(
            "POST",
            "/api/datasets/{dataset}/check-query",
            reader,
            post(api::check_query),
        ),
        route(
            "GET",
            "/api/datasets/{dataset}/rollback/plan",
            reader,
            get(api::rollback_plan),
        ),
        route(
            "POST",
            "/api/datasets/{dataset}/rollback",
            writer,
            post(api::rollback),
        ),
        route("POST", "/api/uploads/plan", writer, post(upload::plan)),
        route("POST", "/api/uploads", writer, post(upload::upload)),
        route("GET", "/api/events", reader, get(api::events)),
        route("GET", "/api/events/stream", reader, get(live::stream)),
        route("GET", "/api/verify", reader, get(api::verify)),
        route("GET", "/api/stat", reader, get(api::stat)),
        route("POST", "/api/snapshots", admin, post(api::snapshot)),
        // Checkpoints and proofs of the tamper-evidence work go here, as reader routes
        // under /api/checkpoints and /api/proofs.
    ]
}

/// The router: [`routes`], each behind [`auth::authorize`], then the rate limit, the
/// security headers and the panic guard around everything.
fn router(app: AppState) -> Router {
    let mut router = Router::new();
    for r in routes() {
        let handler = r
            .handler
            .route_layer(from_fn_with_state((app.clone(), r.access), auth::authorize));
        let handler = if r.path.starts_with("/api/uploads") {
            // The upload handlers count the bytes themselves, against `max_upload_bytes`.
            handler.layer(DefaultBodyLimit::disable())
        } else {
            handler
                .layer(DefaultBodyLimit::max(api::MAX_JSON_BODY))
                .layer(from_fn(refuse_announced_oversize))
        };
        router = router.route(r.path, handler);
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(app.clone(), limits::rate_limit))
        .layer(from_fn(security_headers))
        .layer(from_fn(catch_panic))
        .with_state(app)
}

/// Refuses a body whose announced length is over [`api::MAX_JSON_BODY`] before reading any
/// of it (a body without a length is cut at the limit as it is read).
async fn refuse_announced_oversize(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(len) if len > api::MAX_JSON_BODY as u64 => api::body_too_large().into_response(),
        _ => next.run(request).await,
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        ApiErrorKind::NotFound,
        "no such route; docs/openapi.json lists them",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ApiErrorKind::MethodNotAllowed,
        "this route does not accept this method; docs/openapi.json lists its methods",
    )
}

/// A panic in a handler becomes a 500 JSON error; the server goes on.
async fn catch_panic(request: Request, next: Next) -> Response {
    match std::panic::AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(_) => {
            ApiError::internal("internal error: the request failed; please report this as a bug")
                .into_response()
        }
    }
}

/// The security headers of every response: a content security policy without inline
/// scripts or styles, no framing, no content sniffing, no referrer, no caching of data.
async fn security_headers(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    if is_api {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Runs `f` on the store on a blocking thread (the store's reads and writes do file IO);
/// a panic in it is an internal error.
pub(crate) async fn blocking<T, F>(app: &AppState, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> ApiResult<T> + Send + 'static,
{
    let store = app.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|_| {
            ApiError::internal("internal error: the request failed; please report this as a bug")
        })?
}

/// A server bound to its address, ready to run.
pub struct Server {
    listener: std::net::TcpListener,
    app: AppState,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Checks the configuration, reads the users file, opens the store and binds the
    /// address. Refuses an address other than the loopback without a users file, and a
    /// users file that group or others may access.
    pub fn bind(config: ServerConfig) -> Result<Server, ServeError> {
        if !config.bind.ip().is_loopback() && config.users_file.is_none() {
            return Err(ServeError::Refused(format!(
                "refusing to listen on {}: without a users file (--users FILE) the server \
                 runs in local mode, which listens on the loopback only (127.0.0.1 or ::1); \
                 add users with `strata user add NAME --role ROLE --users FILE`",
                config.bind
            )));
        }
        let users = config
            .users_file
            .as_deref()
            .map(UsersFile::load)
            .transpose()?;
        if users.as_ref().is_some_and(|u| u.users.is_empty()) {
            return Err(ServeError::Refused(
                "the users file has no users: add one with `strata user add NAME --role ROLE`"
                    .into(),
            ));
        }
        let store = Store::open(&config.store_dir, StoreOptions::default())?;
        let spool = upload::Spool::create(config.spool_dir.as_deref())?;
        let listener =
            std::net::TcpListener::bind(config.bind).map_err(|source| ServeError::Io {
                op: format!("listen on {}", config.bind),
                source,
            })?;
        let auth = Auth::new(users, config.local_actor.clone());
        let last_seq = store.log().last_seq();
        let app = Arc::new(Shared {
            store: Arc::new(store),
            limits: limits::RateLimit::new(config.requests_per_minute),
            live: live::Live::new(last_seq),
            auth,
            spool,
            config,
        });
        Ok(Server { listener, app })
    }

    /// The address the server listens on (with the port chosen, if port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Whether the server runs without a users file.
    pub fn is_local_mode(&self) -> bool {
        self.app.auth.is_local()
    }

    /// The store's directory.
    pub fn store_dir(&self) -> &Path {
        &self.app.config.store_dir
    }

    /// Serves until interrupted (Ctrl-C or SIGTERM).
    pub fn run(self) -> Result<(), ServeError> {
        self.run_until(shutdown_signal())
    }

    /// Serves until `shutdown` completes, on a runtime of its own.
    pub fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let io = |op: &str| {
            let op = op.to_owned();
            move |source| ServeError::Io { op, source }
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(io("start the runtime"))?;
        let Server { listener, app } = self;
        runtime.block_on(async move {
            listener.set_nonblocking(true).map_err(io("listen"))?;
            let listener = tokio::net::TcpListener::from_std(listener).map_err(io("listen"))?;
            let poller = tokio::spawn(live::poll(app.clone()));
            let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
            let served = axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(io("serve"));
            poller.abort();
            served
        })
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The client's address, for the rate limits.
pub(crate) fn peer(request: &Request) -> Option<std::net::IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}
