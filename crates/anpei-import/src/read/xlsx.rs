//! xlsx workbooks through calamine's streaming cell reader: cells arrive in file order and
//! are gathered one row at a time, so only the shared-strings table is ever held whole.

use super::engine::{Engine, RowBuf, MAX_CELLS};
use super::pipe;
use super::{table_of_sheet, Select};
use crate::cells::{format_number, trim};
use crate::ImportError;
use anpei_core::ledger::Table;
use calamine::{DataRef, ExcelDateTime, Reader, Xlsx, XlsxError};
use chrono::{NaiveDate, TimeDelta};
use std::fmt::Write as _;
use std::io::{Read, Seek};
use std::panic::AssertUnwindSafe;

/// Sheets of the template workbook that hold no data: ignored without a warning.
pub(crate) const TEMPLATE_SHEETS: [&str; 2] = ["说明", "下拉选项"];

pub(crate) fn read_workbook<RS: Read + Seek + Send>(
    input: RS,
    file: &str,
    only: Select,
    engine: &mut Engine,
) -> Result<(), ImportError> {
    let bad = |source| ImportError::Workbook {
        file: file.to_string(),
        source,
    };
    let mut workbook: Xlsx<RS> = guarded(|| Xlsx::new(input)).map_err(bad)?;
    engine.link_rows();
    let names = workbook.sheet_names();
    let plan = plan(&names, only);
    for name in &names {
        if plan.iter().any(|(_, n)| n == name) || TEMPLATE_SHEETS.contains(&trim(name)) {
            continue;
        }
        let why = match (table_of_sheet(name), only) {
            (Some(_), Select::One(t)) => format!("本次只导入{}", t.sheet()),
            _ => format!("不是可导入的工作表（{}）", only.sheet_names()),
        };
        engine.warn(format!("工作表“{name}”{why}，已忽略"));
    }
    if plan.is_empty() {
        return Err(ImportError::NoKnownSheet {
            found: names,
            tables: only.sheet_names(),
        });
    }
    let file = file.to_string();
    let sheets = plan.clone();
    pipe::run(engine, &plan, move |feeder| {
        let bad = |source| ImportError::Workbook {
            file: file.clone(),
            source,
        };
        for (_, name) in &sheets {
            let mut cells = guarded(|| workbook.worksheet_cells_reader(name)).map_err(bad)?;
            let mut row = RowBuf::default();
            let mut current = None;
            while let Some(cell) = guarded(|| cells.next_cell()).map_err(bad)? {
                let (r, c) = cell.get_position();
                if current != Some(r) {
                    if let Some(prev) = current {
                        feeder.push(prev as usize + 1, &mut row)?;
                    }
                    current = Some(r);
                }
                if (c as usize) < MAX_CELLS {
                    put(&mut row, c as usize, cell.get_value());
                }
            }
            if let Some(prev) = current {
                feeder.push(prev as usize + 1, &mut row)?;
            }
            feeder.end_sheet()?;
        }
        Ok(())
    })
}

/// Runs a calamine call on an uploaded file, taking a panic in it for a damaged workbook:
/// calamine 0.38 overflows on a row number past `u32::MAX` (`<row r="4294967296">`), a
/// panic in builds with overflow checks, found by `tests/fuzz_props.rs`.
fn guarded<T>(f: impl FnOnce() -> Result<T, XlsxError>) -> Result<T, XlsxError> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or(Err(XlsxError::Unexpected("damaged workbook")))
}

/// The sheets to read, in table order, each with its table. With one table only, a workbook
/// without a sheet of that table has its first sheet read as it.
fn plan(names: &[String], only: Select) -> Vec<(Table, String)> {
    let mut plan: Vec<(Table, String)> = only
        .tables()
        .into_iter()
        .flat_map(|t| {
            names
                .iter()
                .filter(move |n| table_of_sheet(n) == Some(t))
                .map(move |n| (t, n.clone()))
        })
        .collect();
    if let (true, Some(t), Some(first)) = (plan.is_empty(), only.one(), names.first()) {
        if table_of_sheet(first).is_none() {
            plan.push((t, first.clone()));
        }
    }
    plan
}

/// Writes a cell's value as the text the validators read.
fn put(row: &mut RowBuf, col: usize, value: &DataRef) {
    let numeric = |row: &mut RowBuf| {
        if col < 64 {
            row.numeric |= 1 << col;
        }
    };
    match value {
        DataRef::Empty => {}
        DataRef::SharedString(s) => row.cell_mut(col).push_str(s),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            row.cell_mut(col).push_str(s)
        }
        DataRef::Int(i) => {
            numeric(row);
            let _ = write!(row.cell_mut(col), "{i}");
        }
        DataRef::Float(f) => {
            numeric(row);
            format_number(*f, row.cell_mut(col));
        }
        DataRef::Bool(b) => row
            .cell_mut(col)
            .push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(dt) if dt.is_duration() => format_number(dt.as_f64(), row.cell_mut(col)),
        DataRef::DateTime(dt) => write_date_cell(dt, row.cell_mut(col)),
        DataRef::Error(e) => {
            let _ = write!(row.cell_mut(col), "{e}");
        }
    }
}

/// A date cell as `2021-03-05` or `2021-03-05 09:00[:SS]`, in the workbook's date system.
/// Excel's phantom 1900-02-29 is written as it is, for the date parser to refuse.
fn write_date_cell(dt: &ExcelDateTime, out: &mut String) {
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let Some(date) = NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d)) else {
        let _ = write!(out, "{y:04}-{mo:02}-{d:02}");
        return;
    };
    let mut at = date
        .and_hms_opt(u32::from(h), u32::from(mi), u32::from(s))
        .unwrap_or_default();
    if ms >= 500 {
        at += TimeDelta::seconds(1);
    }
    if at.time() == chrono::NaiveTime::MIN {
        crate::cells::format_date(at.date(), out);
    } else {
        crate::cells::format_datetime(at, out);
    }
}
