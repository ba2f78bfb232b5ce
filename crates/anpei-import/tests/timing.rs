//! The import benchmark, reader side: a 200,000-person district exported and read
//! back with a counting sink. Run with
//! `cargo test -p anpei-import --release -- --ignored --nocapture`.

mod common;

use anpei_core::ledger::Table;
use anpei_import::{export_district, read_path, Reference};
use common::{district, reference, Count};
use std::path::Path;
use std::time::Instant;

fn read(path: &Path, reference: &Reference) -> (usize, f64) {
    let mut sink = Count::default();
    let started = Instant::now();
    read_path(path, None, reference, &mut sink).unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(sink.errors, vec![], "{}", path.display());
    (sink.rows, secs)
}

#[test]
#[ignore = "a benchmark: about a minute in release"]
fn reads_a_200k_person_district_fast() {
    let started = Instant::now();
    let d = district(10_000, 200_000);
    println!(
        "generated: {} subjects, {} persons, {} certificates, {} registry, {} trainings in {:.1} s",
        d.subjects.len(),
        d.persons.len(),
        d.certificates.len(),
        d.registry.len(),
        d.trainings.len(),
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    export_district(dir.path(), &d).unwrap();
    println!("exported in {:.1} s", started.elapsed().as_secs_f64());
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let f = f.unwrap();
        println!(
            "  {:>12} bytes  {}",
            f.metadata().unwrap().len(),
            f.file_name().to_string_lossy()
        );
    }
    let reference = reference();
    drop(d);

    let mut total = (0, 0.0);
    for table in Table::LEDGER {
        let (rows, secs) = read(
            &dir.path().join(format!("{}.csv", table.sheet())),
            &reference,
        );
        println!("csv  {:<6} {rows:>9} rows {secs:>6.2} s", table.sheet());
        total = (total.0 + rows, total.1 + secs);
    }
    println!("csv  total  {:>9} rows {:>6.2} s", total.0, total.1);
    let (rows, secs) = read(&dir.path().join("ledger.xlsx"), &reference);
    println!("xlsx total  {rows:>9} rows {secs:>6.2} s");
    assert_eq!(rows, total.0);
}
