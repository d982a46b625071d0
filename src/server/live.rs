//! Live updates: the server notices events other processes append (one poller for the whole
//! server, behind [`wait_for_new_records`]) and streams them to browsers as server-sent
//! events.

use super::error::ApiResult;
use super::AppState;
use crate::report;
use crate::store::{EventFilter, Store};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;

/// The last sequence number the server has seen, for every stream to wait on.
#[derive(Debug)]
pub struct Live {
    last_seq: watch::Sender<u64>,
}

impl Live {
    /// Starting at `last_seq`.
    pub fn new(last_seq: u64) -> Live {
        Live {
            last_seq: watch::Sender::new(last_seq),
        }
    }

    /// Tells the streams that the log now ends at `seq` (after this server's own writes).
    pub fn notify(&self, seq: u64) {
        self.last_seq.send_if_modified(|last| {
            let newer = seq > *last;
            if newer {
                *last = seq;
            }
            newer
        });
    }
}

/// Waits until the store holds records past `seq`, catching up with other processes'
/// appends; returns the new last sequence number. The one place that knows how other
/// processes' writes are noticed: by [`Store::wait_past`], in waits of at most `interval`
/// (so that a blocking thread is never held long, and the server stops promptly).
async fn wait_for_new_records(store: &std::sync::Arc<Store>, seq: u64, interval: Duration) -> u64 {
    loop {
        let store = store.clone();
        let waited = tokio::task::spawn_blocking(move || {
            let outcome = store.wait_past(seq, interval);
            (outcome, store.log().last_seq())
        })
        .await;
        match waited {
            Ok((Ok(_), last)) if last > seq => return last,
            Ok((Ok(_), _)) => {}
            // A failed catch-up (a torn tail being written) is retried after a pause.
            Ok((Err(_), _)) | Err(_) => tokio::time::sleep(interval).await,
        }
    }
}

/// The poller: runs for the server's lifetime.
pub async fn poll(app: AppState) {
    let mut seen = *app.live.last_seq.borrow();
    loop {
        seen = wait_for_new_records(&app.store, seen, app.config.poll_interval)
            .await
            .max(*app.live.last_seq.borrow());
        app.live.notify(seen);
    }
}

/// The query of `GET /api/events/stream`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Stream the events after this sequence number (default: from now on).
    pub after: Option<u64>,
    /// Only this dataset's events (name or id).
    pub dataset: Option<String>,
}

/// `GET /api/events/stream`: every dataset event after `after` (or the `Last-Event-ID` the
/// browser resends on reconnecting), then each new one as it is appended, by this server
/// or another process, as server-sent events named `event` with the sequence number as id
/// and the JSON of `strata log --json` as data.
pub async fn stream(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let Query(query) = query.map_err(|e| super::error::ApiError::invalid(e.body_text()))?;
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let filter = match &query.dataset {
        Some(name) => {
            let id = app.store.catalog().get(name)?.id;
            EventFilter {
                dataset_id: Some(id),
                ..EventFilter::default()
            }
        }
        None => EventFilter::default(),
    };
    let after = resumed
        .or(query.after)
        .unwrap_or_else(|| app.store.log().last_seq());
    let receiver = app.live.last_seq.subscribe();
    let state = (app, receiver, after, filter);
    let events = stream::unfold(state, |(app, mut receiver, after, filter)| async move {
        loop {
            let last = *receiver.borrow_and_update();
            if last > after {
                let batch = read_events(&app, after, last, &filter).await;
                return Some((stream::iter(batch), (app, receiver, last, filter)));
            }
            receiver.changed().await.ok()?;
        }
    });
    use futures_util::StreamExt;
    Ok(Sse::new(events.flatten()).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The events in `after+1..=last` that pass `filter`, as server-sent events.
async fn read_events(
    app: &AppState,
    after: u64,
    last: u64,
    filter: &EventFilter,
) -> Vec<Result<SseEvent, Infallible>> {
    let store = app.store.clone();
    let filter = filter.clone();
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for item in store.events_from(after + 1) {
            let Ok((seq, event)) = item else { break };
            if seq > last {
                break;
            }
            if !filter.accepts(&event) {
                continue;
            }
            let name = store
                .catalog()
                .by_id(&event.dataset_id)
                .map(|d| d.name.clone());
            let line = report::Event::new(seq, &event, name.as_deref());
            if let Ok(data) = serde_json::to_string(&line) {
                out.push(Ok(SseEvent::default()
                    .event("event")
                    .id(seq.to_string())
                    .data(data)));
            }
        }
        out
    })
    .await
    .unwrap_or_default()
}
