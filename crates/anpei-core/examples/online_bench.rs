//! Times the seven online-training checks (`scan_online`) on a synthetic platform log shaped
//! like `scripts/online_logs.py`'s: by default 200,000 persons with 5 sessions of 45 minutes
//! each on consecutive evenings, two passed face checks a session, every 50th person sharing
//! a device with the next at the same time, every 97th studying nine hours one day.
//!
//! `cargo run --release -p anpei-core --example online_bench -- [persons] [sessions_per_person]`

use anpei_core::ledger::rules::online::*;
use anpei_core::params::Params;
use chrono::{NaiveDate, TimeDelta};
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let persons = args.first().copied().unwrap_or(200_000);
    let per = args.get(1).copied().unwrap_or(5);
    let base = NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_opt(19, 0, 0)
        .unwrap();
    let mut log = OnlineLog::default();
    let mut id = 0i64;
    for i in 0..persons {
        let device = if i % 50 == 1 {
            format!("PC-{}", i - 1)
        } else {
            format!("PC-{i}")
        };
        for k in 0..per {
            let mut start = base + TimeDelta::days(k as i64);
            let mut minutes = 45;
            if i % 97 == 0 && k == 0 {
                start -= TimeDelta::hours(11);
                minutes = 9 * 60;
            }
            id += 1;
            log.sessions.push(SessionFacts {
                id,
                subject_id: 1 + (i / 20) as i64,
                person_id: i as i64,
                name: format!("学员{i}"),
                platform: "渝培在线".into(),
                course: format!("K{:02}", k % 20),
                start,
                end: start + TimeDelta::minutes(minutes),
                progress_secs: minutes * 60 * 95 / 100,
                device: device.clone(),
            });
            let mut m = 2;
            while m < minutes {
                log.face_checks.push(FaceCheckFacts {
                    id: log.face_checks.len() as i64 + 1,
                    person_id: i as i64,
                    platform: "渝培在线".into(),
                    at: start + TimeDelta::minutes(m),
                    passed: true,
                });
                m += 25;
            }
        }
    }
    let p = Params::default();
    println!(
        "{} sessions, {} face checks",
        log.sessions.len(),
        log.face_checks.len()
    );
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        n = scan_online(&log, &p).len();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("scan_online: {n} findings; best {best:.2} s of 3 runs");
}
