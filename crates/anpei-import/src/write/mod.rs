//! Writing: error reports, generic table exports, the template workbook and the demo
//! district's export. Large sheets are written in rust_xlsxwriter's constant- or low-memory
//! mode (rows stream to a temporary file), and split over continuation sheets (`培训2` …)
//! before Excel's row limit.

pub mod docx;
mod export;
pub mod problems;
mod template;

pub use export::{export_district, ExportSummary, LEDGER_WORKBOOK};
pub use template::{online_template_workbook, template_workbook};

use crate::cells::trim;
use crate::schema::REASON_COLUMN;
use crate::ImportError;
use anpei_core::ledger::{RowError, SheetHeader};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};
use std::borrow::Cow;
use std::path::Path;

/// Data rows per sheet before a continuation sheet starts (Excel's limit is 1,048,575).
pub(crate) const ROWS_PER_SHEET: u32 = 1_000_000;
/// Rows looked at to size the columns of a streamed sheet.
const WIDTH_SAMPLE: usize = 200;

/// Writes an error report to `path`: an xlsx workbook or a CSV (UTF-8 with BOM, so that
/// Excel opens it) by the path's extension. See [`error_report_xlsx`] for its layout.
pub fn write_error_report(
    path: &Path,
    errors: &[RowError],
    sheets: &[SheetHeader],
) -> Result<(), ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let bytes = match ext.as_deref() {
        Some("xlsx") => error_report_xlsx(errors, sheets)?,
        Some("csv") => error_report_csv(errors, sheets)?,
        _ => return Err(ImportError::ReportFormat(path.to_path_buf())),
    };
    std::fs::write(path, bytes)?;
    Ok(())
}

/// The error report as an xlsx workbook: the user's own sheets, each under the name and the
/// header row it had in the uploaded file (`sheets`, as the reader saw them), holding only
/// its rejected rows, in file order, with their cells as uploaded, and a last column
/// 错误原因 (`第12行：列名：问题；列名：问题`). Corrected, the workbook is uploaded again as
/// it is: the importer passes over 错误原因. A report made from such a re-upload drops the
/// old 错误原因 column and writes the new one.
pub fn error_report_xlsx(
    errors: &[RowError],
    sheets: &[SheetHeader],
) -> Result<Vec<u8>, ImportError> {
    let mut workbook = Workbook::new();
    for sheet in report_sheets(errors, sheets) {
        let headers: Vec<&str> = sheet.headers.iter().map(String::as_str).collect();
        let rows = sheet.rows.into_iter().map(|r| {
            r.into_iter()
                .map(|c| Cell::Text(neutralise_owned(c)))
                .collect::<Vec<_>>()
        });
        write_sheets(&mut workbook, &sheet.name, &headers, rows, Mode::Constant)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The error report as CSV, UTF-8 with BOM, in the layout of [`error_report_xlsx`]. A CSV
/// holds one table: when rows of several sheets were rejected, each sheet follows the last
/// under a line naming it (`【人员】`), for a person to cut apart, or better, the report is
/// saved as xlsx.
pub fn error_report_csv(
    errors: &[RowError],
    sheets: &[SheetHeader],
) -> Result<Vec<u8>, ImportError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        let report = report_sheets(errors, sheets);
        let several = report.len() > 1;
        for (i, sheet) in report.into_iter().enumerate() {
            if several {
                if i > 0 {
                    w.write_record([""]).map_err(csv_write_error)?;
                }
                w.write_record([format!("【{}】", sheet.name)])
                    .map_err(csv_write_error)?;
            }
            w.write_record(&sheet.headers).map_err(csv_write_error)?;
            for row in sheet.rows {
                w.write_record(row.into_iter().map(|c| neutralise_owned(c).into_owned()))
                    .map_err(csv_write_error)?;
            }
        }
        w.flush()?;
    }
    Ok(out)
}

/// One sheet of an error report: its rows already laid out under its headers.
struct ReportSheet {
    name: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The sheets of an error report, in the order the file's sheets were read (then any sheet
/// an error names that `sheets` lacks, its columns named A, B, C … as Excel does).
fn report_sheets(errors: &[RowError], sheets: &[SheetHeader]) -> Vec<ReportSheet> {
    let mut names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    for e in errors {
        if !names.contains(&e.sheet.as_str()) {
            names.push(&e.sheet);
        }
    }
    let mut dedup: Vec<&str> = Vec::with_capacity(names.len());
    for n in names {
        if !dedup.contains(&n) {
            dedup.push(n);
        }
    }
    let with_errors: Vec<&str> = dedup
        .iter()
        .copied()
        .filter(|n| errors.iter().any(|e| e.sheet == *n))
        .collect();
    // A report of an import without errors still shows the layout it would have.
    let shown = if with_errors.is_empty() {
        dedup
    } else {
        with_errors
    };
    let mut out: Vec<ReportSheet> = shown
        .into_iter()
        .map(|name| {
            let header = sheets.iter().find(|s| s.name == name).map(|s| &s.cells);
            let mut rows: Vec<&RowError> = errors.iter().filter(|e| e.sheet == name).collect();
            rows.sort_by_key(|e| e.row);
            layout(name, header, &rows)
        })
        .collect();
    if out.is_empty() {
        out.push(ReportSheet {
            name: "错误报告".into(),
            headers: vec![REASON_COLUMN.into()],
            rows: Vec::new(),
        });
    }
    out
}

/// One sheet's rejected rows under its header, the 错误原因 of an earlier report dropped and
/// the new one last.
fn layout(name: &str, header: Option<&Vec<String>>, rows: &[&RowError]) -> ReportSheet {
    let is_reason = |c: &str| {
        trim(c)
            .chars()
            .filter(|c| !c.is_whitespace())
            .eq(REASON_COLUMN.chars())
    };
    let dropped: Vec<usize> = header
        .map(|h| {
            h.iter()
                .enumerate()
                .filter(|(_, c)| is_reason(c))
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default();
    let keep = |cells: &[String]| -> Vec<String> {
        cells
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, c)| c.clone())
            .collect()
    };
    let mut headers = match header {
        Some(h) => keep(h),
        None => Vec::new(),
    };
    let mut body: Vec<Vec<String>> = rows.iter().map(|e| keep(&e.cells)).collect();
    let width = body
        .iter()
        .map(Vec::len)
        .chain([headers.len()])
        .max()
        .unwrap_or(0);
    if header.is_none() {
        headers = (0..width).map(column_letter).collect();
    }
    headers.resize(width, String::new());
    headers.push(REASON_COLUMN.into());
    for (cells, e) in body.iter_mut().zip(rows) {
        cells.resize(width, String::new());
        cells.push(format!("第{}行：{}", e.row, e.message()));
    }
    ReportSheet {
        name: name.to_string(),
        headers,
        rows: body,
    }
}

/// A table for download (findings and the like): one sheet named `sheet`, a bold frozen
/// header row, columns sized to their contents. Every cell is text; one that starts with
/// `=`, `+`, `-` or `@` (or a tab or carriage return) is prefixed with `'` so that no
/// spreadsheet, even after the file is re-saved as CSV, takes it for a formula. Rows are
/// streamed (constant-memory mode); past 1,000,000 rows they continue on `{sheet}2` ….
pub fn write_table_xlsx(
    sheet: &str,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, ImportError> {
    let mut workbook = Workbook::new();
    let rows = rows.map(|r| {
        r.into_iter()
            .map(|c| Cell::Text(neutralise_owned(c)))
            .collect::<Vec<_>>()
    });
    write_sheets(&mut workbook, sheet, headers, rows, Mode::Constant)?;
    Ok(workbook.save_to_buffer()?)
}

/// `A`, `B`, … `Z`, `AA` …: how Excel names column `i` (from 0).
pub(crate) fn column_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        n -= 1;
        s.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn csv_write_error(e: csv::Error) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ImportError::Io(io),
        other => ImportError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

/// Text that a spreadsheet would take for a formula, prefixed with `'`.
pub(crate) fn neutralise(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

fn neutralise_owned(s: String) -> Cow<'static, str> {
    match neutralise(&s) {
        Cow::Owned(o) => Cow::Owned(o),
        Cow::Borrowed(_) => Cow::Owned(s),
    }
}

/// A value to write to a cell.
pub(crate) enum Cell<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    /// An Excel serial date (written with a date format).
    Date(f64),
    /// An Excel serial date-time (written with a date-time format).
    DateTime(f64),
    Empty,
}

/// How a streamed sheet is kept while written.
#[derive(Clone, Copy)]
pub(crate) enum Mode {
    /// Strings inline in the sheet: nothing grows with the data.
    Constant,
    /// Strings in the shared-strings table, as Excel writes them (the table is held).
    LowMemory,
}

/// The formats of a streamed sheet.
pub(crate) struct Formats {
    pub header: Format,
    pub date: Format,
    pub datetime: Format,
}

impl Formats {
    pub fn new() -> Self {
        Self {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDDEBF7))
                .set_border_bottom(FormatBorder::Thin),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        }
    }
}

/// Streams `rows` under `headers` into a sheet named `name` (and `{name}2` … past
/// [`ROWS_PER_SHEET`]); returns the number of rows written.
pub(crate) fn write_sheets<'a>(
    workbook: &mut Workbook,
    name: &str,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<Cell<'a>>>,
    mode: Mode,
) -> Result<usize, XlsxError> {
    write_split_sheets(workbook, name, headers, rows, mode, ROWS_PER_SHEET)
}

fn write_split_sheets<'a>(
    workbook: &mut Workbook,
    name: &str,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<Cell<'a>>>,
    mode: Mode,
    per_sheet: u32,
) -> Result<usize, XlsxError> {
    let formats = Formats::new();
    let mut rows = rows;
    let mut sample: Vec<Vec<Cell>> = Vec::new();
    while sample.len() < WIDTH_SAMPLE {
        match rows.next() {
            Some(r) => sample.push(r),
            None => break,
        }
    }
    let widths = column_widths(headers, &sample);
    let mut all = sample.into_iter().chain(rows).peekable();
    let mut written = 0;
    let mut part = 0;
    loop {
        part += 1;
        let ws = match mode {
            Mode::Constant => workbook.add_worksheet_with_constant_memory()?,
            Mode::LowMemory => workbook.add_worksheet_with_low_memory()?,
        };
        ws.set_name(if part == 1 {
            sheet_name(name)
        } else {
            sheet_name(&format!("{name}{part}"))
        })?;
        start_sheet(ws, headers, &widths, &formats)?;
        for r in 1..=per_sheet {
            let Some(cells) = all.next() else {
                return Ok(written);
            };
            write_row(ws, r, cells, &formats)?;
            written += 1;
        }
        if all.peek().is_none() {
            return Ok(written);
        }
    }
}

fn start_sheet(
    ws: &mut Worksheet,
    headers: &[&str],
    widths: &[f64],
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &formats.header)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

pub(crate) fn write_row(
    ws: &mut Worksheet,
    r: u32,
    cells: Vec<Cell>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (c, cell) in cells.into_iter().enumerate() {
        let c = c as u16;
        match cell {
            Cell::Text(t) if t.is_empty() => {}
            Cell::Text(t) => {
                ws.write_string(r, c, t)?;
            }
            Cell::Number(v) => {
                ws.write_number(r, c, v)?;
            }
            Cell::Date(v) => {
                ws.write_number_with_format(r, c, v, &formats.date)?;
            }
            Cell::DateTime(v) => {
                ws.write_number_with_format(r, c, v, &formats.datetime)?;
            }
            Cell::Empty => {}
        }
    }
    Ok(())
}

/// Widths from the headers and a sample of rows: CJK characters count double.
fn column_widths(headers: &[&str], sample: &[Vec<Cell>]) -> Vec<f64> {
    let width = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    };
    let n = sample
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(headers.len());
    (0..n)
        .map(|c| {
            let head = headers.get(c).map_or(0, |h| width(h));
            let body = sample
                .iter()
                .filter_map(|r| r.get(c))
                .map(|cell| match cell {
                    Cell::Text(t) => width(t),
                    Cell::Number(_) => 8,
                    Cell::Date(_) => 10,
                    Cell::DateTime(_) => 16,
                    Cell::Empty => 0,
                })
                .max()
                .unwrap_or(0);
            (head.max(body).clamp(4, 60) + 2) as f64
        })
        .collect()
}

/// A valid sheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .take(31)
        .collect();
    if cleaned.trim().is_empty() {
        "Sheet1".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_columns_as_excel_does() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn neutralises_text_that_looks_like_a_formula() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("张三"), "张三");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn long_tables_continue_on_numbered_sheets_that_read_back_as_one_table() {
        use crate::schema::training;
        use anpei_core::ledger::Table;
        let mut workbook = Workbook::new();
        let rows = (0..7).map(|i| {
            let start = format!("2024-03-{:02} 09:00", i + 1);
            let end = format!("2024-03-{:02} 17:00", i + 1);
            [
                "91110000600037341L",
                "11010519491231002X",
                "张三",
                "再培训",
                "线下",
                &start,
                &end,
                "8",
                "0",
            ]
            .into_iter()
            .map(|s| Cell::Text(Cow::Owned(s.to_string())))
            .collect::<Vec<_>>()
        });
        let n = write_split_sheets(
            &mut workbook,
            "培训",
            training::COLUMNS,
            rows,
            Mode::LowMemory,
            3,
        )
        .unwrap();
        assert_eq!(n, 7);
        let bytes = workbook.save_to_buffer().unwrap();
        let mut sink = Rows::default();
        let summary = crate::read_bytes(
            &bytes,
            "x.xlsx",
            None,
            &crate::Reference::default(),
            &mut sink,
        )
        .unwrap();
        assert_eq!(summary.sheets, vec!["培训", "培训2", "培训3"]);
        assert_eq!(summary.accepted_of(Table::Trainings), 7);
        assert_eq!(sink.0, vec![2, 3, 4, 2, 3, 4, 2]);
    }

    /// Keeps the row numbers of accepted rows.
    #[derive(Default)]
    struct Rows(Vec<usize>);

    impl crate::Sink for Rows {
        fn row(
            &mut self,
            _: anpei_core::ledger::Table,
            row_no: usize,
            _: crate::Row,
            _: &[String],
        ) {
            self.0.push(row_no);
        }
        fn error(&mut self, err: RowError) {
            panic!("{err}");
        }
        fn warning(&mut self, message: String) {
            panic!("{message}");
        }
    }

    #[test]
    fn cleans_sheet_names() {
        assert_eq!(sheet_name("a/b"), "a_b");
        assert_eq!(sheet_name(""), "Sheet1");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
    }
}
