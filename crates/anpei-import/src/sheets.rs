//! Every sheet of an xlsx workbook as trimmed text cells, for small workbooks whose rows the
//! caller checks itself (the exam-records upload). Date cells come back as their Excel
//! serial, which `cells::parse_date` and `cells::parse_datetime` accept.

use calamine::{Data, Reader, Xlsx};

/// A sheet's name and its rows (the header row first).
pub type Sheet = (String, Vec<Vec<String>>);

fn text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) => restore_neutralised(crate::cells::trim(s)).to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => crate::cells::trim(s).to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => format!("{e:?}"),
    }
}

/// Text as it was before an export neutralised it (`'=1+2` back to `=1+2`), so that an
/// export reads back as the records it was made from. Only the prefix the exports add is
/// removed: a `'` before `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn restore_neutralised(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

/// Reads all sheets; `Err` with a Chinese message when the bytes are not a workbook.
pub fn read_sheets(bytes: &[u8]) -> Result<Vec<Sheet>, String> {
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|_| "文件无法读取：请上传 Excel 工作簿（.xlsx）".to_string())?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|_| format!("工作表“{name}”无法读取"))?;
        let rows = range.rows().map(|r| r.iter().map(text).collect()).collect();
        out.push((crate::cells::trim(&name).to_string(), rows));
    }
    Ok(out)
}

/// Writes sheets of text cells (the header row first) as an xlsx workbook; text that a
/// spreadsheet would take for a formula is neutralised (see [`restore_neutralised`]).
pub fn write_sheets(sheets: &[Sheet]) -> Result<Vec<u8>, String> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).map_err(|e| e.to_string())?;
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, crate::write::neutralise(v).as_ref())
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    wb.save_to_buffer().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_the_sheets_it_writes() {
        let sheets = vec![(
            "考试设备".to_string(),
            vec![
                vec!["设备名称".to_string(), "有效期至".to_string()],
                vec![" 实训台 ".to_string(), "2026-01-01".to_string()],
            ],
        )];
        let back = read_sheets(&write_sheets(&sheets).unwrap()).unwrap();
        assert_eq!(back[0].0, "考试设备");
        assert_eq!(back[0].1[1], vec!["实训台", "2026-01-01"]);
    }

    #[test]
    fn neutralises_formulas_on_writing_and_reads_them_back_as_written() {
        let cells = [
            "=HYPERLINK(\"http://x\")",
            "-1",
            "@SUM(A1)",
            "'plain",
            "张三",
        ];
        let sheets = vec![(
            "考务证件".to_string(),
            vec![cells.iter().map(|c| c.to_string()).collect()],
        )];
        let bytes = write_sheets(&sheets).unwrap();
        let mut wb = Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
        let raw = wb.worksheet_range("考务证件").unwrap();
        assert_eq!(
            raw.get((0, 0)),
            Some(&Data::String("'=HYPERLINK(\"http://x\")".into()))
        );
        let back = read_sheets(&bytes).unwrap();
        assert_eq!(back[0].1[0], cells.to_vec());
    }
}
