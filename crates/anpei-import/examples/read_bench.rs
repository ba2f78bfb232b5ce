//! Times the readers on an exported demo district:
//! `cargo run -p anpei-import --release --example read_bench -- DIR [PERSONS] [csv|xlsx|both]`.
//! Exports the district to DIR first when DIR has no `ledger.xlsx`.

use anpei_core::demo::{generate, DemoConfig};
use anpei_core::ledger::{RowError, Table};
use anpei_import::{export_district, read_path, Reference, Row, Sink};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Default)]
struct Count {
    rows: usize,
    errors: Vec<RowError>,
}

impl Sink for Count {
    fn row(&mut self, _: Table, _: usize, _: Row, _: &[String]) {
        self.rows += 1;
    }
    fn error(&mut self, err: RowError) {
        self.errors.push(err);
    }
    fn warning(&mut self, _: String) {}
}

fn lists() -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let read =
        |f: &str| std::fs::read_to_string(data.join(f)).expect("shared/data beside the repository");
    let towns = read("towns.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(String::from)
        .collect();
    let departments = read("departments.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(d, i)| (d.to_string(), i.split(';').map(String::from).collect()))
        .collect();
    (towns, departments)
}

fn time(path: &Path, reference: &Reference) -> (usize, f64) {
    let mut sink = Count::default();
    let started = Instant::now();
    read_path(path, None, reference, &mut sink).expect("readable");
    let secs = started.elapsed().as_secs_f64();
    assert!(sink.errors.is_empty(), "{:?}", sink.errors.first());
    (sink.rows, secs)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map_or("/tmp/anpei-bench", String::as_str));
    let persons: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let which = args.get(2).map_or("both", String::as_str);
    let (towns, departments) = lists();
    if !dir.join("ledger.xlsx").exists() {
        let cfg = DemoConfig {
            subjects: persons / 20,
            persons,
            ..DemoConfig::default()
        };
        let d = generate(&cfg, &towns, &departments);
        let started = Instant::now();
        export_district(&dir, &d).expect("export");
        println!(
            "exported {} training rows in {:.1} s",
            d.trainings.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let reference = Reference::new(towns, &departments);
    if which != "xlsx" {
        let mut total = (0, 0.0);
        for table in Table::LEDGER {
            let (rows, secs) = time(&dir.join(format!("{}.csv", table.sheet())), &reference);
            println!("csv  {:<6} {rows:>9} rows {secs:>6.2} s", table.sheet());
            total = (total.0 + rows, total.1 + secs);
        }
        println!("csv  total  {:>9} rows {:>6.2} s", total.0, total.1);
    }
    if which != "csv" {
        let (rows, secs) = time(&dir.join("ledger.xlsx"), &reference);
        println!("xlsx total  {rows:>9} rows {secs:>6.2} s");
    }
}
