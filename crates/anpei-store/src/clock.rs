//! The clock, injectable so that time-dependent rules (session expiry, lockout) are tested
//! by moving a clock, not by sleeping.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::sync::Mutex;

/// China's offset (UTC+8): business dates and the times pages show.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// A Unix time as `2022-03-20 14:30` in China (UTC+8); empty if out of range.
pub fn china_time(at: i64) -> String {
    DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&china())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The date in China (UTC+8) of a Unix time; `None` if out of range.
pub fn china_date(at: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp(at, 0).map(|t| t.with_timezone(&china()).date_naive())
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in China (UTC+8), the date business rules are evaluated on.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&china()).date_naive()
    }
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved (tests).
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}
