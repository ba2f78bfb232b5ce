//! The clock, injectable so that time-dependent rules (session expiry, lockout) are tested
//! by moving a clock, not by sleeping.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in China (UTC+8), the date business rules are evaluated on.
    fn today(&self) -> NaiveDate {
        let cst = FixedOffset::east_opt(8 * 3600).expect("valid offset");
        self.now().with_timezone(&cst).date_naive()
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
