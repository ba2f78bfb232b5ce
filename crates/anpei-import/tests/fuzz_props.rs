//! The fuzz targets of `fuzz/` as property tests that run with the normal suite (a few
//! hundred cases each, a few seconds in a debug build): whatever bytes are uploaded, the
//! readers finish with rows, row errors or a file error, never a panic or a hang; whatever a
//! cell holds, the identifier and date parsers answer, and what they accept reads back as
//! itself.

mod common;

use anpei_core::ids::{parse_phone, IdNumber, Uscc};
use anpei_core::ledger::{normalize_cert_no, RowError, Table};
use anpei_core::mask::{mask_id, mask_phone};
use anpei_import::cells::{
    excel_serial, format_date, format_datetime, format_number, parse_date, parse_datetime,
    parse_number, to_excel_serial,
};
use anpei_import::sniff::{check_upload, FileKind, UploadLimits};
use anpei_import::{
    columns, export_district, read_bytes, template_workbook, ReadSummary, Row, Sink,
    LEDGER_WORKBOOK,
};
use proptest::prelude::*;
use std::io::{Cursor, Read, Write};
use std::sync::OnceLock;

/// Counts what it is given, keeps nothing.
#[derive(Default)]
struct Discard {
    rows: usize,
    errors: usize,
    warnings: usize,
}

impl Sink for Discard {
    fn row(&mut self, _: Table, _: usize, _: Row, _: &[String]) {
        self.rows += 1;
    }
    fn error(&mut self, _: RowError) {
        self.errors += 1;
    }
    fn warning(&mut self, _: String) {
        self.warnings += 1;
    }
}

/// Checks `bytes` as an upload named `name` as the web layer does, then reads it (whatever
/// the check said) and checks the summary against what the sink saw.
fn read(bytes: &[u8], name: &str, table: Option<Table>) -> Result<ReadSummary, String> {
    let checked = check_upload(
        bytes,
        name,
        &[FileKind::Xlsx, FileKind::Csv],
        &UploadLimits::default(),
    );
    if let Err(e) = checked {
        assert!(!e.to_string().is_empty());
    }
    let mut sink = Discard::default();
    let result = read_bytes(bytes, name, table, &common::reference(), &mut sink);
    match result {
        Ok(summary) => {
            let accepted: usize = Table::LEDGER.iter().map(|t| summary.accepted_of(*t)).sum();
            let rejected: usize = Table::LEDGER.iter().map(|t| summary.rejected_of(*t)).sum();
            assert_eq!(sink.rows, accepted, "rows given to the sink");
            assert!(sink.errors >= rejected, "every rejected row has an error");
            assert_eq!(sink.warnings, summary.warnings);
            Ok(summary)
        }
        Err(e) => {
            // Every error has its Chinese message.
            assert!(!e.to_string().is_empty());
            Err(e.to_string())
        }
    }
}

const NAMES: [&str; 4] = ["上传.xlsx", "人员.csv", "培训.csv", "data.bin"];

/// The template workbook: five sheets with headers, example rows, validations.
fn template() -> &'static [u8] {
    static T: OnceLock<Vec<u8>> = OnceLock::new();
    T.get_or_init(|| template_workbook(&common::reference()).unwrap())
}

/// A workbook and the CSVs of each table.
type Export = (Vec<u8>, Vec<(Table, Vec<u8>)>);

/// The demo export of a small district: all five sheets with real rows, dates as date cells,
/// and the five CSVs.
fn ledger_export() -> &'static Export {
    static W: OnceLock<Export> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        export_district(dir.path(), &common::district(2, 6)).unwrap();
        let file = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        let csvs = Table::LEDGER
            .into_iter()
            .map(|t| (t, file(&format!("{}.csv", t.sheet()))))
            .collect();
        (file(LEDGER_WORKBOOK), csvs)
    })
}

fn ledger_workbook() -> &'static [u8] {
    &ledger_export().0
}

/// The parts of an xlsx file, uncompressed, in archive order.
fn unzip(xlsx: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data)
        })
        .collect()
}

fn rezip(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in parts {
        zip.start_file(name.as_str(), stored).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The parts of the template and of the ledger workbook.
fn parts_of(ledger: bool) -> &'static [(String, Vec<u8>)] {
    static T: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    static L: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    if ledger {
        L.get_or_init(|| unzip(ledger_workbook()))
    } else {
        T.get_or_init(|| unzip(template()))
    }
}

/// One change to a byte string: flip bits, overwrite, cut, or insert XML-ish text.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, String),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                Just("<".to_string()),
                Just("\"".to_string()),
                Just("<row r=\"4294967296\">".to_string()),
                Just("<c r=\"XFE1048577\" t=\"s\"><v>99999</v></c>".to_string()),
                Just("<c r=\"A2\" t=\"n\"><v>1e308</v></c>".to_string()),
                Just("<c t=\"d\"><v>-1</v></c>".to_string()),
                Just("&#0;&amp".to_string()),
                "[<>/=\" a-z0-9:]{0,24}",
            ]
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match m {
        Mutation::Flip(i, b) => {
            let i = at(*i, bytes.len());
            if let Some(x) = bytes.get_mut(i) {
                *x ^= b;
            }
        }
        Mutation::Set(i, b) => {
            let i = at(*i, bytes.len());
            if let Some(x) = bytes.get_mut(i) {
                *x = *b;
            }
        }
        Mutation::Truncate(i) => bytes.truncate(at(*i, bytes.len() + 1)),
        Mutation::Insert(i, s) => {
            let i = at(*i, bytes.len() + 1);
            bytes.splice(i..i, s.bytes());
        }
        Mutation::Remove(i, n) => {
            let i = at(*i, bytes.len() + 1);
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
    }
}

/// A CSV of `table` with its header and rows of cells that look like ledger cells or junk.
fn csv_text(table: Table) -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        Just(String::new()),
        "[0-9]{17}[0-9Xx]",
        "[0-9A-Z]{18}",
        "1[3-9][0-9]{9}",
        "20[0-9]{2}[-/.年][01]?[0-9][-/.月][0-3]?[0-9]日?( [0-2]?[0-9]:[0-5][0-9])?",
        "[0-9]{5}(\\.[0-9]{1,4})?",
        "\"[^\"]{0,8}\"",
        "\\PC{0,12}",
        "[,\"\r\n\t]{1,3}",
    ];
    let row = prop::collection::vec(cell, 0..14).prop_map(|cells| cells.join(","));
    prop::collection::vec(row, 0..8).prop_map(move |rows| {
        let mut text = columns(table).join(",");
        for r in rows {
            text.push_str("\r\n");
            text.push_str(&r);
        }
        text
    })
}

fn encode(text: &str, encoding: u8) -> Vec<u8> {
    match encoding % 4 {
        0 => text.as_bytes().to_vec(),
        1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        2 => encoding_rs::GB18030.encode(text).0.into_owned(),
        _ => {
            let mut b = vec![0xFF, 0xFE];
            b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            b
        }
    }
}

fn table() -> impl Strategy<Value = Option<Table>> {
    prop_oneof![
        Just(None),
        prop::sample::select(Table::LEDGER.to_vec()).prop_map(Some)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_a_reader(
        bytes in prop::collection::vec(any::<u8>(), 0..1024),
        name in prop::sample::select(NAMES.to_vec()),
        table in table(),
    ) {
        let _ = read(&bytes, name, table);
    }

    #[test]
    fn arbitrary_bytes_after_a_zip_signature_never_panic_the_xlsx_reader(
        bytes in prop::collection::vec(any::<u8>(), 0..1024),
    ) {
        let upload = [b"PK\x03\x04".as_slice(), &bytes].concat();
        prop_assert!(read(&upload, "上传.xlsx", None).is_err());
    }

    #[test]
    fn arbitrary_text_never_panics_the_csv_reader(
        text in "\\PC{0,200}",
        encoding in any::<u8>(),
        table in prop::sample::select(Table::LEDGER.to_vec()),
    ) {
        let _ = read(&encode(&text, encoding), "x.csv", Some(table));
    }

    #[test]
    fn ledger_like_csvs_in_any_encoding_read_or_fail_cleanly(
        (table, text) in prop::sample::select(Table::LEDGER.to_vec())
            .prop_flat_map(|t| (Just(t), csv_text(t))),
        encoding in any::<u8>(),
        cut in any::<usize>(),
    ) {
        // The header is right, so that rows reach the validators: this reads (rows may be
        // rejected) …
        let mut bytes = encode(&text, encoding);
        let summary = read(&bytes, "x.csv", Some(table));
        prop_assert!(summary.is_ok(), "{:?}", summary);
        // … and cut anywhere, it reads or fails cleanly.
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = read(&bytes, "x.csv", Some(table));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_workbook_reads_or_fails_cleanly(
        mutations in prop::collection::vec(mutation(), 1..6),
        ledger in any::<bool>(),
        table in table(),
    ) {
        let mut bytes = if ledger { ledger_workbook() } else { template() }.to_vec();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = read(&bytes, "上传.xlsx", table);
    }

    #[test]
    fn a_workbook_with_damaged_xml_reads_or_fails_cleanly(
        ledger in any::<bool>(),
        data_part in any::<bool>(),
        part in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
        table in table(),
    ) {
        // Damage inside a part, re-zipped: this reaches calamine's XML and our cell handling,
        // where a damaged zip is mostly refused at its checksums. Mostly the parts that hold
        // cells (sheets, shared strings, the workbook's sheet list).
        let mut parts = parts_of(ledger).to_vec();
        let candidates: Vec<usize> = (0..parts.len())
            .filter(|&i| {
                !data_part
                    || parts[i].0.starts_with("xl/worksheets/")
                    || parts[i].0 == "xl/sharedStrings.xml"
                    || parts[i].0 == "xl/workbook.xml"
            })
            .collect();
        let i = candidates[part.index(candidates.len())];
        for m in &mutations {
            apply(&mut parts[i].1, m);
        }
        let _ = read(&rezip(&parts), "上传.xlsx", table);
    }
}

#[test]
fn the_seed_workbooks_read_cleanly() {
    let template = read(template(), "上传.xlsx", None).unwrap();
    assert!(template.accepted_of(Table::Persons) >= 1);
    let ledger = read(ledger_workbook(), "上传.xlsx", None).unwrap();
    for t in Table::LEDGER {
        assert!(ledger.read_of(t) > 0, "{t:?}");
        assert_eq!(ledger.rejected_of(t), 0, "{t:?}");
    }
    // Re-zipping without compression changes nothing.
    let rezipped = read(&rezip(parts_of(false)), "上传.xlsx", None).unwrap();
    assert_eq!(rezipped, template);
    let rezipped = read(&rezip(parts_of(true)), "上传.xlsx", None).unwrap();
    assert_eq!(rezipped, ledger);
}

#[test]
fn cell_references_past_the_sheet_limits_are_a_damaged_workbook_not_a_panic() {
    // calamine 0.38 overflows a u32 on these (a panic in a build with overflow checks): the
    // reader takes it for a damaged workbook. In a build without the checks the row number
    // wraps, and the file reads or is refused like any other.
    let parts = parts_of(true);
    let sheet = parts
        .iter()
        .position(|(name, _)| name == "xl/worksheets/sheet2.xml")
        .unwrap();
    for (from, to) in [
        ("<row r=\"2\"", "<row r=\"4294967296\""),
        ("<row r=\"2\"", "<row r=\"99999999999999999999\""),
        ("<c r=\"A2\"", "<c r=\"A4294967297\""),
        ("<c r=\"A2\"", "<c r=\"XFDXFDXFDXFDXFD2\""),
        ("<row r=\"2\"", "<row r=\"4294967295\""),
    ] {
        let mut parts = parts.to_vec();
        let xml = String::from_utf8(parts[sheet].1.clone()).unwrap();
        assert!(xml.contains(from), "{from}");
        parts[sheet].1 = xml.replacen(from, to, 1).into_bytes();
        let result = read(&rezip(&parts), "上传.xlsx", None);
        if cfg!(debug_assertions) && to.contains("4294967296") {
            assert!(result.is_err(), "{to}");
        }
    }
}

/// Found by the `identifiers` fuzz target: `normalize_cert_no` strips the `T` but returns
/// the rest untrimmed, so `T 11010519491231002x` becomes ` 11010519491231002X` — a key that
/// matched neither the ID number nor itself normalised again. Fixed in anpei-core: the
/// number after the T is the parsed `IdNumber`'s text.
#[test]
fn a_t_a_space_and_an_id_number_normalise_to_the_id_number() {
    for raw in [
        "T 11010519491231002x\u{3000}",
        "t\u{3000}11010519491231002X",
    ] {
        let cert = normalize_cert_no(raw);
        assert_eq!(cert, "11010519491231002X", "{raw:?}");
        assert_eq!(normalize_cert_no(&cert), cert);
    }
}

/// Strings that look like what the identifier and date parsers see, and junk.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        "[ \u{3000}\u{a0}]?[0-9]{17}[0-9Xx][ \u{3000}]?",
        "[Tt]?[0-9]{6}(19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx]",
        "[0-9A-Z]{18}",
        "[0-9]{2}[0-9]{6}[0-9A-Z]{10}",
        "[0-9 \\-]{7,14}",
        "[0-9０-９]{1,6}([-/.年－／．][0-9０-９]{1,2}){0,2}[日号]?",
        "[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}[ T][0-9]{1,2}[:：时点]([0-9]{1,2}[:分]?)?([0-9]{1,2}(\\.[0-9]{1,3})?)?",
        "[0-9+\\-.eE]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8192, ..ProptestConfig::default() })]

    #[test]
    fn identifiers_parse_to_values_that_reparse_to_themselves(s in cell()) {
        if let Ok(id) = IdNumber::parse(&s) {
            prop_assert_eq!(IdNumber::parse(id.as_str()), Ok(id.clone()));
            prop_assert_eq!(id.masked().chars().count(), 18);
            let _ = id.birth_date();
        }
        if let Ok(uscc) = Uscc::parse(&s) {
            prop_assert_eq!(Uscc::parse(uscc.as_str()), Ok(uscc.clone()));
        }
        if let Ok(phone) = parse_phone(&s) {
            prop_assert_eq!(parse_phone(&phone), Ok(phone.clone()));
        }
        let cert = normalize_cert_no(&s);
        prop_assert_eq!(normalize_cert_no(&cert), cert);
        prop_assert_eq!(mask_id(&s).chars().count(), s.chars().count());
        prop_assert_eq!(mask_phone(&s).chars().count(), s.chars().count());
    }

    #[test]
    fn dates_and_numbers_parse_to_values_that_reparse_to_themselves(s in cell()) {
        if let Ok(d) = parse_date(&s) {
            let mut shown = String::new();
            format_date(d, &mut shown);
            prop_assert_eq!(parse_date(&shown), Ok(d), "{}", shown);
        }
        if let Ok((d, Some(t))) = parse_datetime(&s) {
            let mut shown = String::new();
            format_datetime(d.and_time(t), &mut shown);
            prop_assert_eq!(parse_datetime(&shown), Ok((d, Some(t))), "{}", shown);
        }
        if let Ok(v) = parse_number(&s) {
            let mut shown = String::new();
            format_number(v, &mut shown);
            prop_assert_eq!(parse_number(&shown), Ok(v), "{}", shown);
        }
    }

    #[test]
    fn excel_serials_convert_both_ways(serial in prop_oneof![
        any::<f64>(),
        1.0f64..2_958_466.0,
        (1i32..2_958_466).prop_map(f64::from),
    ]) {
        if let Ok(dt) = excel_serial(serial) {
            prop_assert_eq!(excel_serial(to_excel_serial(dt)), Ok(dt));
        }
    }
}

/// The seed corpus of the cargo-fuzz targets (`fuzz/README.md`): written when
/// `ANPEI_FUZZ_CORPUS` names a directory (relative to the repository root), e.g.
/// `ANPEI_FUZZ_CORPUS=fuzz/corpus cargo test -p anpei-import --test fuzz_props seed_corpus`.
/// Without it, only checks that the seeds read.
#[test]
fn seed_corpus() {
    let (workbook, csvs) = ledger_export();
    let mut seeds: Vec<(&str, String, Vec<u8>)> = vec![
        ("xlsx_reader", "template.xlsx".into(), template().to_vec()),
        ("xlsx_reader", "ledger.xlsx".into(), workbook.clone()),
    ];
    for (t, bytes) in csvs {
        let text = std::str::from_utf8(bytes)
            .unwrap()
            .trim_start_matches('\u{feff}');
        let selector = Table::LEDGER.iter().position(|x| x == t).unwrap() as u8;
        for (encoding, suffix) in [(1, "bom"), (2, "gb18030"), (3, "utf16")] {
            let mut seed = vec![selector];
            seed.extend(encode(text, encoding));
            // The same file as an upload must read without a rejected row.
            let summary = read(&seed[1..], &format!("{}.csv", t.sheet()), None).unwrap();
            assert_eq!(summary.rejected_of(*t), 0, "{t:?} {suffix}");
            seeds.push(("csv_reader", format!("{}-{suffix}", t.sheet()), seed));
        }
    }
    for (name, cell) in [
        ("id", "11010519491231002X"),
        ("id-spaces", " 11010519491231002x\u{3000}"),
        ("uscc", "91110000600037341L"),
        ("phone", "023-67824066"),
        ("mobile", "13812341234"),
        ("cert", "T11010519491231002X"),
        ("date", "2021年3月5日"),
        ("date-fullwidth", "２０２１－０３－０５"),
        ("datetime", "2021/3/5 9:30:15"),
        ("datetime-cn", "2021年3月5日9时30分"),
        ("serial", "44260.375"),
        ("number", "7.5"),
    ] {
        seeds.push(("identifiers", name.into(), cell.as_bytes().to_vec()));
    }
    seeds.push((
        "identifiers",
        "serial-f64".into(),
        44_260.375f64.to_le_bytes().to_vec(),
    ));

    let Some(dir) = std::env::var_os("ANPEI_FUZZ_CORPUS") else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    for (target, name, bytes) in &seeds {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    eprintln!("{} seeds written under {}", seeds.len(), root.display());
}
