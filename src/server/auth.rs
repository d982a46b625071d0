//! Who a request acts as, and whether it may: sessions (an HttpOnly, SameSite=Strict cookie
//! with a CSRF token bound to it), API tokens (`Authorization: Bearer`), and local mode (no
//! users file: every request acts as the OS account running the server, loopback only).
//!
//! Every state-changing request (any method but GET and HEAD) is refused when its `Origin`
//! is not the server's own or the browser says it is cross-site; one that rides on a cookie
//! must also carry the session's CSRF token in `X-CSRF-Token`. A bearer token cannot be
//! attached by another site, so token requests need no CSRF token.

use super::error::{ApiError, ApiErrorKind, ApiResult};
use super::users::{constant_time_eq, hex, random_bytes, Role, UsersFile};
use super::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "strata_session";

/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session unused for this long ends.
const SESSION_IDLE: Duration = Duration::from_secs(8 * 60 * 60);

/// Failed logins allowed per client address per window before logins are refused.
const LOGIN_FAILURES: u32 = 10;
const LOGIN_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the UI's files, the login).
    Public,
    /// A user with at least this role.
    Role(Role),
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A session cookie, whose CSRF token this is.
    Session {
        /// The session's id (the cookie's value).
        id: String,
        /// The CSRF token bound to it.
        csrf: String,
    },
    /// An API token.
    Token,
    /// Local mode without a session (reads only).
    Local,
}

/// Who a request acts as: the actor recorded in every event it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's name (in local mode, the OS account's).
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// How the request was authenticated.
    pub via: Via,
}

#[derive(Debug, Clone)]
struct Session {
    name: String,
    role: Role,
    csrf: String,
    last_used: Instant,
}

/// The server's authentication state: the users (none in local mode) and the sessions.
#[derive(Debug)]
pub struct Auth {
    /// The users file's contents; `None` in local mode.
    pub users: Option<UsersFile>,
    /// The OS account local mode acts as.
    pub local_actor: String,
    sessions: Mutex<HashMap<String, Session>>,
    login_failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Auth {
    /// Authentication by `users`, or local mode acting as `local_actor`.
    pub fn new(users: Option<UsersFile>, local_actor: String) -> Auth {
        Auth {
            users,
            local_actor,
            sessions: Mutex::new(HashMap::new()),
            login_failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the server runs without a users file.
    pub fn is_local(&self) -> bool {
        self.users.is_none()
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session for `name` with `role`: its id and CSRF token.
    fn start_session(&self, name: &str, role: Role) -> (String, String) {
        let id = hex(&random_bytes::<32>());
        let csrf = hex(&random_bytes::<32>());
        let mut sessions = self.sessions();
        sessions.retain(|_, s| s.last_used.elapsed() < SESSION_IDLE);
        sessions.insert(
            id.clone(),
            Session {
                name: name.to_owned(),
                role,
                csrf: csrf.clone(),
                last_used: Instant::now(),
            },
        );
        (id, csrf)
    }

    fn session(&self, id: &str) -> Option<Principal> {
        let mut sessions = self.sessions();
        let session = sessions.get_mut(id)?;
        if session.last_used.elapsed() >= SESSION_IDLE {
            sessions.remove(id);
            return None;
        }
        session.last_used = Instant::now();
        Some(Principal {
            name: session.name.clone(),
            role: session.role,
            via: Via::Session {
                id: id.to_owned(),
                csrf: session.csrf.clone(),
            },
        })
    }

    fn end_session(&self, id: &str) {
        self.sessions().remove(id);
    }

    /// Who the request's credentials name: a bearer token, a session cookie, or in local
    /// mode the OS account. `Err` for a token that is not valid.
    fn identify(&self, headers: &HeaderMap) -> ApiResult<Option<Principal>> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            let user = match (&self.users, token) {
                (Some(users), Some(token)) => users.check_token(token),
                _ => None,
            };
            return match user {
                Some(user) => Ok(Some(Principal {
                    name: user.name.clone(),
                    role: user.role,
                    via: Via::Token,
                })),
                None => Err(ApiError::new(
                    ApiErrorKind::Unauthenticated,
                    "the Authorization header does not hold a valid API token \
                     (`strata user token NAME` makes one)",
                )),
            };
        }
        if let Some(principal) = cookie(headers, SESSION_COOKIE).and_then(|id| self.session(id)) {
            return Ok(Some(principal));
        }
        Ok(self.is_local().then(|| Principal {
            name: self.local_actor.clone(),
            role: Role::Admin,
            via: Via::Local,
        }))
    }

    fn login_allowed(&self, ip: IpAddr) -> bool {
        let failures = self
            .login_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        failures
            .get(&ip)
            .is_none_or(|(start, n)| start.elapsed() >= LOGIN_WINDOW || *n < LOGIN_FAILURES)
    }

    fn login_failed(&self, ip: IpAddr) {
        let mut failures = self
            .login_failures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let entry = failures.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= LOGIN_WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(ApiErrorKind::Forbidden, message)
}

/// Whether the `Host` header names the loopback (`localhost`, `127.x.x.x`, `[::1]`): in
/// local mode nothing else is answered, so that a page whose name was re-pointed at this
/// machine (DNS rebinding) cannot read the store through the browser.
fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses a state-changing request another site may have made: an `Origin` other than the
/// server's own, or `Sec-Fetch-Site: cross-site`.
fn check_same_origin(headers: &HeaderMap) -> ApiResult<()> {
    let refused = || {
        forbidden(
            "cross-site request refused: a state-changing request must come from the \
             server's own pages",
        )
    };
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(refused());
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(refused)?;
    let origin = origin.to_str().map_err(|_| refused())?;
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o.eq_ignore_ascii_case(host));
    if same {
        Ok(())
    } else {
        Err(refused())
    }
}

/// A cookie-borne request must carry its session's CSRF token.
fn check_csrf(headers: &HeaderMap, principal: Option<&Principal>) -> ApiResult<()> {
    let sent = headers.get(CSRF_HEADER).map(HeaderValue::as_bytes);
    match principal.map(|p| &p.via) {
        Some(Via::Token) => Ok(()),
        Some(Via::Session { csrf, .. }) => match sent {
            Some(sent) if constant_time_eq(sent, csrf.as_bytes()) => Ok(()),
            _ => Err(forbidden(
                "missing or wrong CSRF token: send the session's token (from GET \
                 /api/session) in the X-CSRF-Token header",
            )),
        },
        Some(Via::Local) => Err(forbidden(
            "missing CSRF token: in local mode, GET /api/session starts a session and \
             gives its token, to send in the X-CSRF-Token header",
        )),
        // No credentials (a login): the Origin check is what applies.
        None => Ok(()),
    }
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// The middleware of every route: checks the host (local mode), identifies the caller,
/// refuses cross-site and CSRF-less state changes, checks the role, and hands the
/// [`Principal`] to the handler.
pub(crate) async fn authorize(
    State((app, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    match check(&app, access, &request) {
        Ok(principal) => {
            if let Some(principal) = principal {
                request.extensions_mut().insert(principal);
            }
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

fn check(app: &AppState, access: Access, request: &Request) -> ApiResult<Option<Principal>> {
    let headers = request.headers();
    if app.auth.is_local() && !host_is_loopback(headers) {
        return Err(forbidden(
            "the server runs in local mode (no users file) and answers only requests \
             addressed to the loopback: open it as http://localhost:PORT or http://127.0.0.1:PORT",
        ));
    }
    let principal = app.auth.identify(headers)?;
    if is_state_changing(request.method()) {
        check_same_origin(headers)?;
        if access != Access::Public {
            check_csrf(headers, principal.as_ref())?;
        }
    }
    if let Access::Role(needed) = access {
        let Some(principal) = &principal else {
            return Err(ApiError::new(
                ApiErrorKind::Unauthenticated,
                "log in first (POST /api/login), or send an API token",
            ));
        };
        if principal.role < needed {
            return Err(forbidden(format!(
                "user `{}` has the role {}; this needs the role {} or higher",
                principal.name,
                principal.role.name(),
                needed.name()
            )));
        }
    }
    Ok(principal)
}

/// What `GET /api/session` and `POST /api/login` answer.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    /// `local` (no users file) or `users`.
    pub mode: &'static str,
    /// The user the session acts as (the actor of every event it causes).
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// The token to send in `X-CSRF-Token` with every state-changing request (`null` for
    /// API tokens, which need none).
    pub csrf_token: Option<String>,
}

fn mode(app: &AppState) -> &'static str {
    if app.auth.is_local() {
        "local"
    } else {
        "users"
    }
}

fn session_cookie(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"
    ))
    .expect("hex is a valid header value")
}

/// `GET /api/session`: who the caller is. In local mode a caller without a session gets one
/// (and its CSRF token); with a users file, a caller without one gets 401.
pub(crate) async fn session(
    State(app): State<AppState>,
    principal: Option<axum::Extension<Principal>>,
) -> ApiResult<Response> {
    let principal = principal.map(|p| p.0);
    let info = |p: &Principal, csrf: Option<String>| SessionInfo {
        mode: mode(&app),
        user: p.name.clone(),
        role: p.role,
        csrf_token: csrf,
    };
    match principal {
        Some(
            p @ Principal {
                via: Via::Session { .. },
                ..
            },
        ) => {
            let Via::Session { csrf, .. } = &p.via else {
                unreachable!()
            };
            Ok(Json(info(&p, Some(csrf.clone()))).into_response())
        }
        Some(
            p @ Principal {
                via: Via::Token, ..
            },
        ) => Ok(Json(info(&p, None)).into_response()),
        Some(p) => {
            let (id, csrf) = app.auth.start_session(&p.name, p.role);
            let mut response = Json(info(&p, Some(csrf))).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, session_cookie(&id));
            Ok(response)
        }
        None => Err(ApiError::new(
            ApiErrorKind::Unauthenticated,
            "not logged in: POST /api/login with a name and a password",
        )),
    }
}

/// The body of `POST /api/login`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The user's name.
    pub name: String,
    /// The password.
    pub password: String,
}

/// `POST /api/login`: checks the password and starts a session (a cookie and its CSRF
/// token).
pub(crate) async fn login(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<Login>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Response> {
    let login = super::api::json_of(body)?;
    if app.auth.is_local() {
        return Err(ApiError::invalid(
            "the server runs in local mode (no users file): there is nothing to log in to",
        ));
    }
    if !app.auth.login_allowed(peer.ip()) {
        return Err(ApiError::new(
            ApiErrorKind::RateLimited,
            "too many failed logins from this address: wait ten minutes",
        ));
    }
    let checker = app.clone();
    let user = tokio::task::spawn_blocking(move || {
        let users = checker.auth.users.as_ref()?;
        users
            .check_password(&login.name, &login.password)
            .map(|u| (u.name.clone(), u.role))
    })
    .await
    .map_err(|_| ApiError::internal("the password check failed"))?;
    let Some((name, role)) = user else {
        app.auth.login_failed(peer.ip());
        return Err(ApiError::new(
            ApiErrorKind::Unauthenticated,
            "wrong user name or password",
        ));
    };
    let (id, csrf) = app.auth.start_session(&name, role);
    let mut response = Json(SessionInfo {
        mode: mode(&app),
        user: name,
        role,
        csrf_token: Some(csrf),
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&id));
    Ok(response)
}

/// `POST /api/logout`: ends the session and clears its cookie.
pub(crate) async fn logout(
    State(app): State<AppState>,
    headers: HeaderMap,
    principal: Option<axum::Extension<Principal>>,
) -> ApiResult<Response> {
    if let Some(axum::Extension(principal)) = &principal {
        check_csrf(&headers, Some(principal))?;
        if let Via::Session { id, .. } = &principal.via {
            app.auth.end_session(id);
        }
    }
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("strata_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn only_loopback_hosts_pass_the_local_mode_host_check() {
        for host in [
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:80",
            "127.1.2.3",
            "LOCALHOST",
        ] {
            assert!(host_is_loopback(&headers(&[("host", host)])), "{host}");
        }
        for host in [
            "evil.example:8080",
            "10.0.0.1",
            "localhost.evil.example",
            "[::2]:1",
        ] {
            assert!(!host_is_loopback(&headers(&[("host", host)])), "{host}");
        }
        assert!(!host_is_loopback(&HeaderMap::new()));
    }

    #[test]
    fn a_foreign_origin_or_a_cross_site_fetch_is_refused() {
        let ok = headers(&[("host", "127.0.0.1:9"), ("origin", "http://127.0.0.1:9")]);
        assert!(check_same_origin(&ok).is_ok());
        assert!(check_same_origin(&headers(&[("host", "127.0.0.1:9")])).is_ok());
        let foreign = headers(&[("host", "127.0.0.1:9"), ("origin", "http://evil.example")]);
        assert!(check_same_origin(&foreign).is_err());
        let other_port = headers(&[("host", "127.0.0.1:9"), ("origin", "http://127.0.0.1:10")]);
        assert!(check_same_origin(&other_port).is_err());
        let cross = headers(&[("host", "127.0.0.1:9"), ("sec-fetch-site", "cross-site")]);
        assert!(check_same_origin(&cross).is_err());
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; strata_session=abc; b=2")]);
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers(&[("cookie", "x=1")]), SESSION_COOKIE), None);
    }
}
