//! The request rate limit: at most N requests per minute from one client address, counted in
//! fixed one-minute windows.

use super::error::{ApiError, ApiErrorKind};
use super::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

/// Requests counted per client address in the current window.
#[derive(Debug)]
pub struct RateLimit {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimit {
    /// At most `per_minute` requests per minute per address; 0 is no limit.
    pub fn new(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `ip`; whether it is within the limit.
    pub fn admit(&self, ip: IpAddr) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
        *count <= self.per_minute
    }
}

/// The middleware: 429 past the limit.
pub async fn rate_limit(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let admitted = super::peer(&request).is_none_or(|ip| app.limits.admit(ip));
    if admitted {
        next.run(request).await
    } else {
        ApiError::new(
            ApiErrorKind::RateLimited,
            format!(
                "more than {} requests in a minute from this address: wait a minute \
                 (`strata serve --requests-per-minute` sets the limit)",
                app.limits.per_minute
            ),
        )
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_past_the_limit_are_refused_per_address() {
        let limit = RateLimit::new(3);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        assert!((0..3).all(|_| limit.admit(a)));
        assert!(!limit.admit(a));
        assert!(limit.admit(b));
        assert!((0..100).all(|_| RateLimit::new(0).admit(a)));
    }
}
