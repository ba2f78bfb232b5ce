//! Times a full and a one-subject scan of the ledger, and the checks on training and exam
//! records, on an existing database (engine only: load facts and evaluate the rules; nothing
//! is stored). Usage:
//! `cargo run --release -p anpei-store --example scan_bench -- DATABASE_URL [RUNS] [PART_PERSONS]`
//!
//! With PART_PERSONS, the full scan is the one the product runs — in parts of that many
//! persons (`ledger::scan::run_whole`, nothing saved) — instead of one pass over the whole
//! ledger loaded at once; run each under `/usr/bin/time -v` to compare their peak memory.
use anpei_store::ledger::facts;
use anpei_store::{ConnectConfig, Crypto, Store, SystemClock};
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: scan_bench DATABASE_URL [RUNS]");
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let parts: Option<u64> = args.next().and_then(|r| r.parse().ok());
    let cfg = ConnectConfig {
        url,
        ..Default::default()
    };
    // Scans read no encrypted column: any key will do.
    let store = Store::connect(
        &cfg,
        Crypto::from_master_key(&[0; 32]),
        Default::default(),
        Arc::new(SystemClock),
    )
    .await
    .expect("connect");
    let today = store.today();
    for run in 1..=runs {
        if let Some(n) = parts {
            let t = Instant::now();
            let w = anpei_store::ledger::scan::run_whole::<anpei_store::StoreError>(
                &store,
                None,
                today,
                n,
                async |_| Ok(()),
            )
            .await
            .expect("scan");
            println!(
                "run {run}: whole scan in {} parts of {n} persons (ledger and records checks): total {:.0} ms, {} findings",
                w.parts,
                t.elapsed().as_secs_f64() * 1e3,
                w.found
            );
            continue;
        }
        let t = Instant::now();
        let ledger = facts::load(&store, None).await.expect("load");
        let loaded = t.elapsed();
        let found = anpei_core::ledger::rules::scan(&ledger, today, &store.params);
        println!(
            "run {run}: full scan of {} persons, {} certificates, {} trainings: load {:.0} ms, rules {:.0} ms, total {:.0} ms, {} findings",
            ledger.persons.len(),
            ledger.certificates.len(),
            ledger.trainings.len(),
            loaded.as_secs_f64() * 1e3,
            (t.elapsed() - loaded).as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3,
            found.len()
        );
        if let Some(f) = found.first() {
            let sid = f.subject_id as i32;
            let t = Instant::now();
            let one = facts::load(&store, Some(sid)).await.expect("load one");
            let n = anpei_core::ledger::rules::scan(&one, today, &store.params).len();
            println!(
                "run {run}: one-subject scan ({} persons): {:.1} ms, {n} findings",
                one.persons.len(),
                t.elapsed().as_secs_f64() * 1e3
            );
        }
        let t = Instant::now();
        let records = anpei_store::ledger::records::load(&store)
            .await
            .expect("load records");
        let loaded = t.elapsed();
        let n =
            anpei_core::ledger::rules::records::scan_records(&records, today, &store.params).len();
        println!(
            "run {run}: records checks over {} classes, {} sign-ins, {} exam sessions, {} candidates: load {:.0} ms, rules {:.0} ms, {n} findings",
            records.classes.len(),
            records.attendance.len(),
            records.exam_sessions.len(),
            records.candidates.len(),
            loaded.as_secs_f64() * 1e3,
            (t.elapsed() - loaded).as_secs_f64() * 1e3,
        );
    }
}
