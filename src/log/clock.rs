//! The clock a writer reads its commit times from, and the rule that makes append times never
//! go back.

use std::fmt;
use std::sync::Arc;

/// Where a writer gets the time of a commit: microseconds since the Unix epoch (UTC). The
/// default is the system clock; a test can inject one that jumps, or steps back, to check
/// that append times still never go back ([`commit_time`]).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock ([`super::now_micros`]).
    pub fn system() -> Clock {
        Clock(Arc::new(super::now_micros))
    }

    /// A clock that calls `now` for each reading.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The current time by this clock.
    pub fn now_micros(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// The time every record of a commit carries: the clock's reading, or the time of the last
/// record in the log if the clock reads earlier (it was stepped back, or another machine's
/// clock wrote the last record), so that append times never go back.
pub(crate) fn commit_time(clock: &Clock, last_record_time: Option<i64>) -> i64 {
    let now = clock.now_micros();
    last_record_time.map_or(now, |last| now.max(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_time_is_never_before_the_last_record() {
        let clock = Clock::from_fn(|| 100);
        assert_eq!(commit_time(&clock, None), 100);
        assert_eq!(commit_time(&clock, Some(40)), 100);
        assert_eq!(commit_time(&clock, Some(150)), 150);
    }
}
