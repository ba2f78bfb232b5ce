//! 问题清单 as a workbook in the layout government offices exchange: a title row merged
//! across the table ("XX镇安全生产培训“走过场”专项整治问题清单"), one header row, bordered
//! cells that wrap, fixed column widths, A4 landscape with the two top rows repeated on every
//! printed page. Every text cell is neutralised against formula injection, as in
//! [`super::write_table_xlsx`]; phone numbers arrive masked.
//!
//! The same list as a Word document to sign and stamp ([`problem_list_docx`]): laid out as
//! official documents are (see [`super::docx`]), on landscape A4 since the ten columns need
//! more than the 156 mm of a portrait page.

use super::docx::{chinese_date, Docx};
use super::neutralise;
use crate::ImportError;
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

/// The columns, and their widths in characters.
pub const PROBLEM_LIST_COLUMNS: [(&str, f64); 10] = [
    ("序号", 6.0),
    ("单位名称", 26.0),
    ("问题描述", 40.0),
    ("整改措施", 36.0),
    ("整改时限", 12.0),
    ("责任人", 10.0),
    ("联系电话", 14.0),
    ("来源", 10.0),
    ("整改状态", 14.0),
    ("销号时间", 17.0),
];

/// One problem as the list shows it (序号 is its position).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProblemListRow {
    pub unit: String,
    pub description: String,
    pub measures: String,
    /// 整改时限, `2022-03-31`.
    pub deadline: String,
    pub responsible: String,
    /// Already masked (`138****1234`), or empty.
    pub phone_masked: String,
    pub source: String,
    pub status: String,
    /// 销号时间, or empty.
    pub closed_at: String,
}

const FONT: &str = "宋体";

/// The problem list under `title`; `footer` goes to the printed page's footer (left), with
/// the page number on the right.
pub fn problem_list_xlsx(
    title: &str,
    rows: &[ProblemListRow],
    footer: &str,
) -> Result<Vec<u8>, ImportError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("问题清单")?;
    let title_fmt = Format::new()
        .set_font_name("黑体")
        .set_font_size(16)
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let header_fmt = Format::new()
        .set_font_name(FONT)
        .set_font_size(11)
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#D9D9D9")
        .set_border(FormatBorder::Thin);
    let cell_fmt = Format::new()
        .set_font_name(FONT)
        .set_font_size(10.5)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let centred_fmt = cell_fmt
        .clone()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let last_col = (PROBLEM_LIST_COLUMNS.len() - 1) as u16;
    ws.merge_range(0, 0, 0, last_col, &neutralise(title), &title_fmt)?;
    ws.set_row_height(0, 36)?;
    for (c, (name, width)) in PROBLEM_LIST_COLUMNS.iter().enumerate() {
        ws.set_column_width(c as u16, *width)?;
        ws.write_string_with_format(1, c as u16, *name, &header_fmt)?;
    }
    ws.set_row_height(1, 24)?;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        ws.write_number_with_format(row, 0, (i + 1) as f64, &centred_fmt)?;
        let cells: [(&str, &Format); 9] = [
            (&r.unit, &cell_fmt),
            (&r.description, &cell_fmt),
            (&r.measures, &cell_fmt),
            (&r.deadline, &centred_fmt),
            (&r.responsible, &centred_fmt),
            (&r.phone_masked, &centred_fmt),
            (&r.source, &centred_fmt),
            (&r.status, &centred_fmt),
            (&r.closed_at, &centred_fmt),
        ];
        for (c, (text, fmt)) in cells.into_iter().enumerate() {
            // Written even when empty, so that the borders close around every cell.
            ws.write_string_with_format(row, c as u16 + 1, neutralise(text), fmt)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_repeat_rows(0, 1)?;
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_footer(format!(
        "&L{}&R第 &P 页，共 &N 页",
        footer.replace('&', "&&")
    ));
    Ok(wb.save_to_buffer()?)
}

/// The problem list under `title` as a Word document: a line under the title with the
/// date and the count (`截至2022年3月31日，共12项`), the table with the header repeated on
/// every page, and the 落款 of `signer` (the unit that exports it) dated `date`. No red
/// 版头: the list goes out as an attachment or on its own, not as a 文件.
pub fn problem_list_docx(
    title: &str,
    rows: &[ProblemListRow],
    signer: &str,
    date: NaiveDate,
) -> Result<Vec<u8>, ImportError> {
    let headers: Vec<&str> = PROBLEM_LIST_COLUMNS.iter().map(|(h, _)| *h).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.unit.clone(),
                r.description.clone(),
                r.measures.clone(),
                r.deadline.clone(),
                r.responsible.clone(),
                r.phone_masked.clone(),
                r.source.clone(),
                r.status.clone(),
                r.closed_at.clone(),
            ]
        })
        .collect();
    let mut d = Docx::new_landscape();
    d.title(title).subtitle(&format!(
        "（截至{}，共{}项）",
        chinese_date(date),
        rows.len()
    ));
    if cells.is_empty() {
        d.para("没有符合条件的问题。");
    } else {
        d.table(&headers, &cells);
    }
    d.closing(signer, &chinese_date(date));
    d.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;

    fn read(bytes: Vec<u8>) -> Vec<Vec<String>> {
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range("问题清单").unwrap();
        range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Float(f) => f.to_string(),
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn writes_the_title_the_header_and_numbered_neutralised_rows() {
        let rows = vec![
            ProblemListRow {
                unit: "重庆某某化工有限公司".into(),
                description: "=HYPERLINK(\"http://x\")".into(),
                measures: "-1+2".into(),
                deadline: "2022-03-31".into(),
                responsible: "张三".into(),
                phone_masked: "138****1234".into(),
                source: "自查".into(),
                status: "待整改".into(),
                closed_at: String::new(),
            },
            ProblemListRow {
                unit: "@SUM(A1)".into(),
                ..Default::default()
            },
        ];
        let got = read(problem_list_xlsx("某某镇问题清单", &rows, "导出于 2022-03-01").unwrap());
        assert_eq!(got[0][0], "某某镇问题清单");
        let headers: Vec<&str> = PROBLEM_LIST_COLUMNS.iter().map(|(h, _)| *h).collect();
        assert_eq!(got[1], headers);
        assert_eq!(got[2][0], "1");
        assert_eq!(got[2][2], "'=HYPERLINK(\"http://x\")");
        assert_eq!(got[2][3], "'-1+2");
        assert_eq!(got[2][6], "138****1234");
        assert_eq!(got[3][0], "2");
        assert_eq!(got[3][1], "'@SUM(A1)");
    }

    #[test]
    fn the_word_list_is_landscape_with_the_count_the_table_and_the_signer() {
        let rows = vec![ProblemListRow {
            unit: "重庆某某化工有限公司".into(),
            description: "台账不全".into(),
            deadline: "2022-03-31".into(),
            phone_masked: "138****1234".into(),
            status: "待整改（逾期）".into(),
            ..Default::default()
        }];
        let date = NaiveDate::from_ymd_opt(2022, 3, 1).unwrap();
        let bytes = problem_list_docx("某某镇问题清单", &rows, "某某镇", date).unwrap();
        let xml = crate::docx::document_xml(&bytes).unwrap();
        assert!(xml.contains("w:orient=\"landscape\""));
        let text = crate::docx::document_text(&bytes).unwrap();
        for s in [
            "某某镇问题清单",
            "（截至2022年3月1日，共1项）",
            "联系电话",
            "138****1234",
            "待整改（逾期）",
            "某某镇\n2022年3月1日",
        ] {
            assert!(text.contains(s), "{s} missing from {text}");
        }
        let empty = problem_list_docx("某某镇问题清单", &[], "某某镇", date).unwrap();
        assert!(crate::docx::document_text(&empty)
            .unwrap()
            .contains("没有符合条件的问题。"));
    }
}
