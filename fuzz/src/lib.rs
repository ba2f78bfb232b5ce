//! What the fuzz targets share: a sink that discards rows, the reference of a district, and
//! the checks. The property tests of `crates/anpei-import/tests/fuzz_props.rs` make the same
//! checks in the normal test suite.
#![forbid(unsafe_code)]

use anpei_core::ids::{parse_phone, IdNumber, Uscc};
use anpei_core::ledger::{normalize_cert_no, RowError, Table};
use anpei_core::mask::{mask_id, mask_phone};
use anpei_import::cells::{
    excel_serial, format_date, format_datetime, format_number, parse_date, parse_datetime,
    parse_number, to_excel_serial,
};
use anpei_import::sniff::{check_upload, FileKind, UploadLimits};
use anpei_import::{read_bytes, Reference, Row, Sink};
use std::sync::{Once, OnceLock};

/// Counts what it is given, keeps nothing.
#[derive(Debug, Default)]
pub struct Discard {
    pub rows: usize,
    pub errors: usize,
    pub warnings: usize,
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

/// A few towns and departments, as a deployment loads them (enough for rows to validate).
pub fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| {
        let towns = ["双龙湖街道", "仙桃街道", "回兴街道", "石船镇", "洛碛镇"];
        let departments = [
            ("区应急管理局", "非煤矿山;危险化学品;烟花爆竹;金属冶炼;工贸"),
            ("区住房城乡建委", "建筑施工;燃气"),
            ("区交通局", "交通运输;道路运输;水路运输"),
            ("区市场监管局", "特种设备"),
        ]
        .map(|(d, list)| (d.to_string(), list.split(';').map(String::from).collect()));
        Reference::new(towns.map(String::from), &departments)
    })
}

/// Lets the xlsx reader catch calamine's panics as it does in production.
///
/// libfuzzer-sys's panic hook aborts on every panic, even one that is caught. The xlsx
/// reader runs calamine under `catch_unwind` and reports a panic in it as a damaged
/// workbook (calamine 0.38 overflows on a row number past `u32::MAX`, and this build has
/// overflow checks), so a panic raised in calamine's own code is let through to that guard;
/// any other panic still aborts at once, with its stack.
pub fn tolerate_calamine_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"));
            if !in_calamine {
                abort(info);
            }
        }));
    });
}

/// Checks an upload as the web layer does (type by content, zip-bomb limits from the
/// central directory), then reads it — whatever the check said, so that the reader sees
/// every input — and checks that the summary agrees with what the sink was given.
pub fn read_upload(data: &[u8], file_name: &str, table: Option<Table>) {
    tolerate_calamine_panics();
    let checked = check_upload(
        data,
        file_name,
        &[FileKind::Xlsx, FileKind::Csv],
        &UploadLimits::default(),
    );
    if let Err(e) = checked {
        assert!(!e.to_string().is_empty());
    }
    let mut sink = Discard::default();
    match read_bytes(data, file_name, table, reference(), &mut sink) {
        Ok(summary) => {
            let accepted: usize = Table::ALL.iter().map(|t| summary.accepted_of(*t)).sum();
            let rejected: usize = Table::ALL.iter().map(|t| summary.rejected_of(*t)).sum();
            assert_eq!(sink.rows, accepted, "rows given to the sink");
            assert!(sink.errors >= rejected, "every rejected row has an error");
            assert_eq!(sink.warnings, summary.warnings);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// A cell or form field: every parser answers, and what it accepts re-parses to itself.
pub fn check_cell(s: &str) {
    if let Ok(id) = IdNumber::parse(s) {
        assert_eq!(IdNumber::parse(id.as_str()).as_ref(), Ok(&id));
        assert_eq!(id.masked().chars().count(), 18);
        let _ = id.birth_date();
    }
    if let Ok(uscc) = Uscc::parse(s) {
        assert_eq!(Uscc::parse(uscc.as_str()).as_ref(), Ok(&uscc));
    }
    if let Ok(phone) = parse_phone(s) {
        assert_eq!(parse_phone(&phone).as_ref(), Ok(&phone));
    }
    let cert = normalize_cert_no(s);
    assert_eq!(normalize_cert_no(&cert), cert);
    assert_eq!(mask_id(s).chars().count(), s.chars().count());
    assert_eq!(mask_phone(s).chars().count(), s.chars().count());

    if let Ok(d) = parse_date(s) {
        let mut shown = String::new();
        format_date(d, &mut shown);
        assert_eq!(parse_date(&shown), Ok(d), "{shown}");
    }
    if let Ok((d, Some(t))) = parse_datetime(s) {
        let mut shown = String::new();
        format_datetime(d.and_time(t), &mut shown);
        assert_eq!(parse_datetime(&shown), Ok((d, Some(t))), "{shown}");
    }
    if let Ok(v) = parse_number(s) {
        let mut shown = String::new();
        format_number(v, &mut shown);
        assert_eq!(parse_number(&shown), Ok(v), "{shown}");
    }
}

/// An Excel serial date: what converts, converts back.
pub fn check_serial(serial: f64) {
    if let Ok(dt) = excel_serial(serial) {
        assert_eq!(excel_serial(to_excel_serial(dt)), Ok(dt));
    }
}
