//! A small Word (docx, Office Open XML) writer for the documents people sign, stamp and file:
//! 自查报告, 问题清单, 通报. The layout is the national one of official documents
//! (党政机关公文格式), so that a document can be printed and stamped as it comes:
//!
//! - A4, margins 37 mm (top), 35 mm (bottom), 28 mm (left, the binding side), 26 mm (right):
//!   a 156 × 225 mm text area; landscape A4 with the same margins for wide tables;
//! - body text 仿宋_GB2312 三号 (16 pt), 22 lines of 28 characters a page, paragraphs
//!   indented two characters. The section declares the standard's document grid (lines
//!   28.95 pt apart, a character pitch that puts 28 on a line), which is what Word shows in
//!   its page setup; the paragraphs themselves do not snap to it but set the same metrics
//!   directly — lines exactly 28.95 pt, characters 0.25 pt closer than their size — because
//!   a grid narrower than the font is honoured by Word and WPS but spread out by LibreOffice
//!   (half the characters to a line). So every program lays out 28 characters a line;
//! - the title in 方正小标宋简体 二号 (22 pt), centred; first-level headings (“一、”) in 黑体,
//!   second-level ones (“（一）”) in 楷体_GB2312, both 三号;
//! - the 版头 of a government document: the issuing office's mark (发文机关标志) in red,
//!   the document number (发文字号) and the red separator line under it;
//! - the 落款 (signer and date, right-aligned, the date four characters from the margin);
//! - page numbers “— 1 —” in 宋体 四号 (14 pt) under the text, on the outer side of each page
//!   (right on odd pages, left on even ones);
//! - tables with borders, the header row repeated on every page, columns sized from their
//!   contents so that headers, dates, codes and names do not break.
//!
//! Fonts are named as government computers have them; the font table lists alternates
//! (仿宋 / FangSong, SimSun, SimHei, KaiTi) for machines without them.
//!
//! ```
//! use anpei_import::docx::{chinese_date, Docx};
//! let date = chrono::NaiveDate::from_ymd_opt(2022, 9, 15).unwrap();
//! let bytes = Docx::new()
//!     .title("安全生产培训自查报告")
//!     .field("单位名称", "重庆某某有限公司")
//!     .heading("一、自查情况")
//!     .para("对照专项整治重点内容逐项自查。")
//!     .table(&["序号", "问题描述"], &[vec!["1".into(), "台账不全".into()]])
//!     .signature_block(&["单位负责人（签字）", "填报人"])
//!     .closing("重庆某某有限公司", &chinese_date(date))
//!     .to_bytes()
//!     .unwrap();
//! let text = anpei_import::docx::document_text(&bytes).unwrap();
//! assert!(text.contains("台账不全") && text.contains("2022年9月15日"));
//! ```
//!
//! Text is escaped for XML (`& < > " '`), characters XML forbids are dropped, a line break in
//! a paragraph becomes a line break in Word. The package holds `[Content_Types].xml`,
//! `_rels/.rels`, `docProps/core.xml`, `word/document.xml`, `word/styles.xml`,
//! `word/settings.xml`, `word/fontTable.xml`, the two footers and
//! `word/_rels/document.xml.rels`, deflated.

use crate::ImportError;
use chrono::{Datelike, NaiveDate};
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// A4 in twentieths of a point (twips).
const A4_W: u32 = 11906;
const A4_H: u32 = 16838;
/// The margins of official documents: 37, 35, 28 and 26 mm.
const MARGIN_TOP: u32 = 2098;
const MARGIN_BOTTOM: u32 = 1984;
const MARGIN_LEFT: u32 = 1587;
const MARGIN_RIGHT: u32 = 1474;
/// The text width on portrait A4: 8845 twips, 156 mm.
pub const TEXT_W: u32 = A4_W - MARGIN_LEFT - MARGIN_RIGHT;
/// The text width on landscape A4: 13777 twips, 243 mm.
pub const TEXT_W_LANDSCAPE: u32 = A4_H - MARGIN_LEFT - MARGIN_RIGHT;
/// 22 lines in the 225 mm text height: 28.95 pt apart.
pub const LINE_PITCH: u32 = 579;
/// Added to the 16 pt body size (in 1/4096 pt) for the character grid's pitch: 15.79 pt, so
/// that 28 characters fill the 156 mm line.
pub const CHAR_SPACE: i32 = -842;
/// Body text size, half-points (三号, 16 pt), and one body character in twips.
const BODY_SZ: u32 = 32;
const BODY_CHAR: u32 = 320;
/// Body characters are set 0.25 pt closer (in twentieths of a point): 28 of them take
/// 441 pt of the 442.2 pt line, in every program, with or without the grid.
const BODY_CONDENSE: i32 = -5;
/// The footer's distance from the bottom edge: the page number's rule sits about 7 mm under
/// the text area.
const FOOTER_DIST: u32 = 1304;
/// Cell margins in tables (each side), twips.
const CELL_MARGIN: u32 = 60;

/// The body font (仿宋_GB2312), the title's (方正小标宋简体), the headings' (黑体,
/// 楷体_GB2312), the page numbers' (宋体) and the Latin one.
pub const FONT_BODY: &str = "仿宋_GB2312";
pub const FONT_TITLE: &str = "方正小标宋简体";
pub const FONT_HEADING1: &str = "黑体";
pub const FONT_HEADING2: &str = "楷体_GB2312";
pub const FONT_PAGE_NUMBER: &str = "宋体";
const FONT_LATIN: &str = "Times New Roman";

/// The red of the 版头 (mark and separator line).
const RED: &str = "FF0000";

/// Horizontal alignment of a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
    Justify,
}

impl Align {
    fn code(self) -> &'static str {
        match self {
            Align::Left => "left",
            Align::Center => "center",
            Align::Right => "right",
            Align::Justify => "both",
        }
    }
}

/// A document being written; blocks are appended in order.
#[derive(Debug, Clone, Default)]
pub struct Docx {
    title: Option<String>,
    body: String,
    landscape: bool,
    /// A title (or the line under it) was the last block: the next block comes after one
    /// blank line, as the standard puts the text one line under the title.
    after_title: bool,
}

/// A date the way documents write it: `2022年9月15日` (Arabic numerals, no leading zeros).
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A number in Chinese numerals for headings (`一`, `十二`, `二十`); from 100 on, Arabic.
pub fn chinese_numeral(n: usize) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_string(),
        10..=19 => format!("十{}", if n > 10 { DIGITS[n - 10] } else { "" }),
        20..=99 => format!(
            "{}十{}",
            DIGITS[n / 10],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[n % 10]
            }
        ),
        _ => n.to_string(),
    }
}

/// Escapes text for XML content and attribute values, dropping what XML 1.0 forbids.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Run properties: an East Asian font (the Latin one stays Times New Roman), a size in
/// half-points, and anything else already written as XML.
fn rpr(east: Option<&str>, size: Option<u32>, extra: &str) -> String {
    let mut s = String::new();
    if let Some(f) = east {
        s.push_str(&format!(
            "<w:rFonts w:ascii=\"{FONT_LATIN}\" w:hAnsi=\"{FONT_LATIN}\" w:eastAsia=\"{f}\" w:cs=\"{FONT_LATIN}\"/>"
        ));
    }
    s.push_str(extra);
    if let Some(sz) = size {
        s.push_str(&format!("<w:sz w:val=\"{sz}\"/><w:szCs w:val=\"{sz}\"/>"));
    }
    if s.is_empty() {
        s
    } else {
        format!("<w:rPr>{s}</w:rPr>")
    }
}

/// Runs of one paragraph: text with `\n` as line breaks and `\t` as tabs; `rpr` is the
/// runs' `<w:rPr>` (or empty).
fn runs(text: &str, rpr: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.replace("\r\n", "\n").split('\n').enumerate() {
        out.push_str("<w:r>");
        out.push_str(rpr);
        if i > 0 {
            out.push_str("<w:br/>");
        }
        for (j, part) in line.split('\t').enumerate() {
            if j > 0 {
                out.push_str("<w:tab/>");
            }
            if !part.is_empty() {
                out.push_str("<w:t xml:space=\"preserve\">");
                out.push_str(&escape(part));
                out.push_str("</w:t>");
            }
        }
        out.push_str("</w:r>");
    }
    out
}

/// A paragraph of `style` (or Normal) with more paragraph properties `ppr` (XML, in schema
/// order after the style).
fn paragraph(style: Option<&str>, ppr: &str, content: &str) -> String {
    let mut p = String::new();
    if let Some(s) = style {
        p.push_str(&format!("<w:pStyle w:val=\"{s}\"/>"));
    }
    p.push_str(ppr);
    if p.is_empty() {
        format!("<w:p>{content}</w:p>")
    } else {
        format!("<w:p><w:pPr>{p}</w:pPr>{content}</w:p>")
    }
}

fn jc(a: Align) -> String {
    format!("<w:jc w:val=\"{}\"/>", a.code())
}

/// An empty body line (one line of the grid).
fn blank_line() -> String {
    paragraph(Some("Plain"), "", "")
}

/// Width of one character in hundredths of an em: CJK and full-width forms are square;
/// Latin letters and digits are taken as wide as in the widest serif a machine may put in
/// place of Times New Roman (digits 0.66 em, capitals as in 统一社会信用代码 0.84 em), so
/// that a code or date never wraps for want of a point.
fn char_em100(c: char) -> u32 {
    match c {
        '0'..='9' => 66,
        'A'..='Z' => 84,
        'a'..='z' => 62,
        ' ' => 32,
        c if c.is_ascii() => 50,
        _ => 100,
    }
}

/// Width of a text's widest line in hundredths of an em.
fn text_em100(s: &str) -> u32 {
    s.lines()
        .map(|l| l.chars().map(char_em100).sum::<u32>())
        .max()
        .unwrap_or(0)
}

/// Whether a cell should stay on one line: Latin text up to 20 characters (a code, number,
/// date, time or phone), or a short phrase without spaces or clause punctuation (a person's
/// name, a status, a town or department).
fn unbreakable(s: &str) -> bool {
    if s.is_ascii() {
        return s.chars().count() <= 20 && !s.contains('\n');
    }
    !s.contains(char::is_whitespace)
        && !s.contains(['，', '。', '；', '、', '：', '！', '？'])
        && text_em100(s) <= 800
}

/// The columns of a table: widths (twips, summing to the text width), the text size
/// (half-points), whether each header fits on one line, whether each column is centred.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Columns {
    widths: Vec<u32>,
    size: u32,
    header_one_line: Vec<bool>,
    centred: Vec<bool>,
}

/// Sizes the columns of a table `text_w` wide. Every column needs room for its header on
/// one line and for its unbreakable cells (dates, codes, phones, names, statuses) on one
/// line; a column whose text wraps (descriptions, measures, long unit names) needs room for
/// a few characters a line to stay readable. The first of these that fits is taken: 小四
/// (12 pt) with eight characters for wrapping text, then 五号 (10.5 pt) with eight, then
/// 五号 with headers of four characters or more on two lines and six, four, two
/// characters; when nothing fits every column shrinks in proportion. What is left over goes
/// to the columns that would take more on one line, in proportion to how much more.
fn column_widths(headers: &[&str], rows: &[Vec<String>], text_w: u32) -> Columns {
    let n = headers
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0));
    if n == 0 {
        return Columns {
            widths: Vec::new(),
            size: 24,
            header_one_line: Vec::new(),
            centred: Vec::new(),
        };
    }
    let pad = 2 * CELL_MARGIN + 40;
    let cells = |i: usize| rows.iter().filter_map(move |r| r.get(i));
    let header_em = |i: usize| headers.get(i).map_or(0, |h| text_em100(h));
    let wraps: Vec<bool> = (0..n).map(|i| !cells(i).all(|c| unbreakable(c))).collect();
    let centred: Vec<bool> = (0..n)
        .map(|i| !wraps[i] && cells(i).any(|c| !c.is_empty()))
        .collect();
    // In hundredths of an em: each column's widest text on one line, and its widest
    // unbreakable cell.
    let longest: Vec<u32> = (0..n)
        .map(|i| header_em(i).max(cells(i).map(|c| text_em100(c)).max().unwrap_or(0)))
        .collect();
    let atoms: Vec<u32> = (0..n)
        .map(|i| {
            cells(i)
                .filter(|c| unbreakable(c))
                .map(|c| text_em100(c))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let cap = text_w * 2 / 5;
    let needs = |size: u32, halve_headers: bool, readable: u32| -> (Vec<u32>, Vec<u32>) {
        let twips = |em100: u32| em100 * size / 10;
        let min: Vec<u32> = (0..n)
            .map(|i| {
                let h = header_em(i);
                let h = if halve_headers && h >= 400 {
                    h.div_ceil(2) + 50
                } else {
                    h
                };
                let text = if wraps[i] {
                    longest[i].min(readable * 100)
                } else {
                    0
                };
                (twips(h.max(atoms[i]).max(text)) + pad).min(cap)
            })
            .collect();
        let want: Vec<u32> = (0..n)
            .map(|i| (twips(longest[i]) + pad).max(min[i]))
            .collect();
        (min, want)
    };
    let stages = [
        (24, false, 8),
        (21, false, 8),
        (21, true, 6),
        (21, true, 4),
        (21, true, 2),
    ];
    let (size, min, want) = stages
        .iter()
        .map(|&(size, halve, readable)| {
            let (min, want) = needs(size, halve, readable);
            (size, min, want)
        })
        .find(|(_, min, _)| min.iter().sum::<u32>() <= text_w)
        .unwrap_or_else(|| {
            let (min, want) = needs(21, true, 2);
            (21, min, want)
        });
    let sum_min: u32 = min.iter().sum();
    let sum_want: u32 = want.iter().sum();
    let mut widths: Vec<u32> = if sum_want <= text_w {
        // Everything fits on one line: the spare width in proportion.
        want.iter()
            .map(|&w| (w as u64 * text_w as u64 / sum_want as u64) as u32)
            .collect()
    } else if sum_min <= text_w {
        let spare = (text_w - sum_min) as u64;
        let more: u64 = (0..n)
            .map(|i| (want[i] - min[i]) as u64)
            .sum::<u64>()
            .max(1);
        (0..n)
            .map(|i| min[i] + (spare * (want[i] - min[i]) as u64 / more) as u32)
            .collect()
    } else {
        min.iter()
            .map(|&m| (m as u64 * text_w as u64 / sum_min as u64) as u32)
            .collect()
    };
    let used: u32 = widths.iter().sum();
    if let Some(widest) = (0..n).max_by_key(|&i| widths[i]) {
        widths[widest] += text_w - used;
    }
    let header_one_line = (0..n)
        .map(|i| header_em(i) * size / 10 + pad <= widths[i])
        .collect();
    Columns {
        widths,
        size,
        header_one_line,
        centred,
    }
}

/// A table cell: `width` twips, text of `size` half-points (黑体 in the header row), centred
/// or not, kept on one line or not. Wrapping text is set flush left: justified, a narrow
/// column's lines spread out wherever a comma may not begin the next one.
fn cell(width: u32, text: &str, size: u32, header: bool, centred: bool, no_wrap: bool) -> String {
    let font = if header { FONT_HEADING1 } else { FONT_BODY };
    let align = if header || centred {
        Align::Center
    } else {
        Align::Left
    };
    let nowrap = if no_wrap { "<w:noWrap/>" } else { "" };
    format!(
        "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>{nowrap}<w:vAlign w:val=\"center\"/></w:tcPr>{}</w:tc>",
        paragraph(
            Some("TableText"),
            &jc(align),
            &runs(text, &rpr(Some(font), Some(size), ""))
        )
    )
}

/// A header too long for its column, broken in the middle (`举报按\n期办结`) rather than
/// wherever the column ends.
fn halves(h: &str) -> String {
    let chars: Vec<char> = h.chars().collect();
    if h.contains('\n') || chars.len() < 4 {
        return h.to_string();
    }
    let mid = chars.len().div_ceil(2);
    format!(
        "{}\n{}",
        chars[..mid].iter().collect::<String>(),
        chars[mid..].iter().collect::<String>()
    )
}

/// The width of a line of body text (16 pt) in twips: CJK characters whole, Latin ones half.
fn body_width(s: &str) -> u32 {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                BODY_CHAR / 2
            } else {
                BODY_CHAR
            }
        })
        .sum()
}

impl Docx {
    /// A document on portrait A4.
    pub fn new() -> Docx {
        Docx::default()
    }

    /// A document on landscape A4 (wide tables), with the same margins on the long sides.
    pub fn new_landscape() -> Docx {
        Docx {
            landscape: true,
            ..Docx::default()
        }
    }

    /// The width of the text area, twips.
    pub fn text_width(&self) -> u32 {
        if self.landscape {
            TEXT_W_LANDSCAPE
        } else {
            TEXT_W
        }
    }

    /// Appends a block, after the blank line that follows a title.
    fn push(&mut self, xml: &str) {
        if std::mem::take(&mut self.after_title) {
            self.body.push_str(&blank_line());
        }
        self.body.push_str(xml);
    }

    /// The 版头 of a government document (文件格式): the issuing office's mark (e.g.
    /// “重庆市渝北区安全生产委员会办公室文件”) in red 小标宋, centred, 35 mm under the top of
    /// the text area and narrowed to fit one line; two lines under it the document number
    /// (发文字号, centred; left empty to be written in later), and 4 mm under that the red
    /// separator line across the text width. The title follows two lines further down.
    pub fn issuer_head(&mut self, mark: &str, doc_number: &str) -> &mut Docx {
        // The mark is 36 pt high, its characters narrowed so that it stays on one line.
        let size = 72;
        let natural: u32 = mark.chars().map(|c| char_em100(c) * size * 10 / 100).sum();
        let scale = (self.text_width() * 100 / natural.max(1)).clamp(33, 100) * 97 / 100;
        let mark_rpr = rpr(
            Some(FONT_TITLE),
            Some(size),
            &format!("<w:color w:val=\"{RED}\"/><w:w w:val=\"{scale}\"/>"),
        );
        self.body
            .push_str(&paragraph(Some("Mark"), "", &runs(mark, &mark_rpr)));
        self.body.push_str(&blank_line());
        self.body.push_str(&blank_line());
        self.body
            .push_str(&paragraph(Some("DocNumber"), "", &runs(doc_number, "")));
        self.body.push_str(&blank_line());
        self.body.push_str(&blank_line());
        self
    }

    /// The document's title: 方正小标宋简体 22 pt, centred; also the file's title property.
    /// The text starts one line under it.
    pub fn title(&mut self, text: &str) -> &mut Docx {
        if self.title.is_none() {
            self.title = Some(text.replace('\n', ""));
        }
        self.after_title = false;
        self.body
            .push_str(&paragraph(Some("Title"), "", &runs(text, "")));
        self.after_title = true;
        self
    }

    /// A centred line under the title (楷体: the campaign, a date or a count).
    pub fn subtitle(&mut self, text: &str) -> &mut Docx {
        self.after_title = false;
        self.body
            .push_str(&paragraph(Some("Subtitle"), "", &runs(text, "")));
        self.after_title = true;
        self
    }

    /// The addressees (主送机关): flush left, ending with “：”.
    pub fn recipients(&mut self, text: &str) -> &mut Docx {
        self.push(&paragraph(Some("Plain"), "", &runs(text, "")));
        self
    }

    /// A first-level heading (“一、…”, 黑体 三号).
    pub fn heading(&mut self, text: &str) -> &mut Docx {
        self.push(&paragraph(Some("Heading1"), "", &runs(text, "")));
        self
    }

    /// A second-level heading (“（一）…”, 楷体_GB2312 三号).
    pub fn subheading(&mut self, text: &str) -> &mut Docx {
        self.push(&paragraph(Some("Heading2"), "", &runs(text, "")));
        self
    }

    /// A paragraph of body text (仿宋_GB2312 三号, indented two characters); `\n` breaks the
    /// line.
    pub fn para(&mut self, text: &str) -> &mut Docx {
        self.push(&paragraph(None, "", &runs(text, "")));
        self
    }

    /// A paragraph with the given alignment and no indent.
    pub fn para_aligned(&mut self, text: &str, align: Align) -> &mut Docx {
        self.push(&paragraph(Some("Plain"), &jc(align), &runs(text, "")));
        self
    }

    /// `label：value`, the label in 黑体.
    pub fn field(&mut self, label: &str, value: &str) -> &mut Docx {
        let content = format!(
            "{}{}",
            runs(&format!("{label}："), &rpr(Some(FONT_HEADING1), None, "")),
            runs(value, "")
        );
        self.push(&paragraph(None, "", &content));
        self
    }

    /// A table with borders: a header row in 黑体 (repeated on every page) and the rows, on
    /// the full text width; column widths and the text size follow the contents (see
    /// [`Columns`]). Rows shorter than the header are padded.
    pub fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) -> &mut Docx {
        let text_w = self.text_width();
        let cols = column_widths(headers, rows, text_w);
        if cols.widths.is_empty() {
            return self;
        }
        let border = |side: &str| {
            format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>")
        };
        let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"]
            .iter()
            .map(|s| border(s))
            .collect();
        let mut t = format!(
            "<w:tbl><w:tblPr><w:tblW w:w=\"{text_w}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/>\
             <w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"fixed\"/>\
             <w:tblCellMar><w:top w:w=\"30\" w:type=\"dxa\"/><w:left w:w=\"{CELL_MARGIN}\" w:type=\"dxa\"/>\
             <w:bottom w:w=\"30\" w:type=\"dxa\"/><w:right w:w=\"{CELL_MARGIN}\" w:type=\"dxa\"/></w:tblCellMar>\
             <w:tblLook w:val=\"0000\"/></w:tblPr><w:tblGrid>"
        );
        for w in &cols.widths {
            t.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
        }
        t.push_str("</w:tblGrid>");
        if !headers.is_empty() {
            t.push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
            for (i, w) in cols.widths.iter().enumerate() {
                let h = headers.get(i).copied().unwrap_or("");
                let one_line = cols.header_one_line[i];
                let text = if one_line { h.to_string() } else { halves(h) };
                t.push_str(&cell(*w, &text, cols.size, true, true, one_line));
            }
            t.push_str("</w:tr>");
        }
        for row in rows {
            t.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
            for (i, w) in cols.widths.iter().enumerate() {
                let text = row.get(i).map_or("", String::as_str);
                t.push_str(&cell(*w, text, cols.size, false, cols.centred[i], false));
            }
            t.push_str("</w:tr>");
        }
        t.push_str("</w:tbl>");
        self.push(&t);
        // Word needs a paragraph between two tables; it is also the space under the table.
        self.body.push_str(&blank_line());
        self
    }

    /// Signature lines at the end of a report: each label followed by a line to write on,
    /// two to a row, without borders (e.g. 单位负责人（签字） / 填报人).
    pub fn signature_block(&mut self, labels: &[&str]) -> &mut Docx {
        let half = self.text_width() / 2;
        let mut t = format!(
            "<w:tbl><w:tblPr><w:tblW w:w=\"{}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/>\
             <w:tblCellMar><w:left w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"0\" w:type=\"dxa\"/></w:tblCellMar>\
             <w:tblLook w:val=\"0000\"/></w:tblPr>\
             <w:tblGrid><w:gridCol w:w=\"{half}\"/><w:gridCol w:w=\"{half}\"/></w:tblGrid>",
            2 * half
        );
        for pair in labels.chunks(2) {
            t.push_str(&format!(
                "<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val=\"{}\"/></w:trPr>",
                2 * LINE_PITCH
            ));
            for i in 0..2 {
                let text = pair
                    .get(i)
                    .map_or(String::new(), |l| format!("{l}：　　　　　　"));
                t.push_str(&format!(
                    "<w:tc><w:tcPr><w:tcW w:w=\"{half}\" w:type=\"dxa\"/><w:vAlign w:val=\"bottom\"/></w:tcPr>{}</w:tc>",
                    paragraph(Some("Plain"), "", &runs(&text, ""))
                ));
            }
            t.push_str("</w:tr>");
        }
        t.push_str("</w:tbl>");
        self.push(&t);
        self.body.push_str(&blank_line());
        self
    }

    /// The 落款 of a stamped document: one line under the text, the signer (the issuing
    /// office, or a company) centred over the date, and the date (`2022年9月15日`)
    /// right-aligned four characters from the margin; the stamp covers both. A signer too
    /// long to be centred over the date ends at the margin.
    pub fn closing(&mut self, signer: &str, date: &str) -> &mut Docx {
        let date_right = 4 * BODY_CHAR;
        let centre = date_right + body_width(date) / 2;
        let signer_right = centre.saturating_sub(body_width(signer) / 2);
        let right = |r: u32| {
            format!(
                "<w:ind w:right=\"{r}\" w:firstLine=\"0\"/>{}",
                jc(Align::Right)
            )
        };
        // The 落款 never stands on a page of its own: the last line of text, the blank line
        // and the signer are kept with the date.
        self.keep_last_with_next();
        self.push(&paragraph(Some("Plain"), "<w:keepNext/>", ""));
        self.body.push_str(&paragraph(
            Some("Plain"),
            &format!("<w:keepNext/>{}", right(signer_right)),
            &runs(signer, ""),
        ));
        self.body.push_str(&paragraph(
            Some("Plain"),
            &right(date_right),
            &runs(date, ""),
        ));
        self
    }

    /// Keeps the last paragraph written on the page of the next one; when it is the blank
    /// line after a table, the table's last row too.
    fn keep_last_with_next(&mut self) {
        let Some(start) = self.body.rfind("<w:p>") else {
            return;
        };
        if self.body[..start].ends_with("</w:tbl>") {
            if let Some(row) = self.body[..start].rfind("<w:tr>") {
                let cell_style = "<w:pStyle w:val=\"TableText\"/>";
                let kept = self.body[row..start]
                    .replace(cell_style, &format!("{cell_style}<w:keepNext/>"));
                self.body.replace_range(row..start, &kept);
            }
        }
        let Some(start) = self.body.rfind("<w:p>") else {
            return;
        };
        let at = start + "<w:p>".len();
        let rest = &self.body[at..];
        if let Some(ppr) = rest.strip_prefix("<w:pPr>") {
            let style_end = if ppr.starts_with("<w:pStyle ") {
                ppr.find("/>").map_or(0, |i| i + 2)
            } else {
                0
            };
            let insert = at + "<w:pPr>".len() + style_end;
            if !self.body[insert..].starts_with("<w:keepNext/>") {
                self.body.insert_str(insert, "<w:keepNext/>");
            }
        } else {
            self.body.insert_str(at, "<w:pPr><w:keepNext/></w:pPr>");
        }
    }

    /// Starts a new page.
    pub fn page_break(&mut self) -> &mut Docx {
        self.push("<w:p><w:pPr><w:pStyle w:val=\"Plain\"/></w:pPr><w:r><w:br w:type=\"page\"/></w:r></w:p>");
        self
    }

    /// The section: page size and margins, the two footers, the document grid (22 lines of
    /// 28 characters in portrait; lines only in landscape, whose lines are longer).
    fn section_xml(&self) -> String {
        let (w, h, orient, grid) = if self.landscape {
            (
                A4_H,
                A4_W,
                " w:orient=\"landscape\"",
                format!("<w:docGrid w:type=\"lines\" w:linePitch=\"{LINE_PITCH}\"/>"),
            )
        } else {
            (
                A4_W,
                A4_H,
                "",
                format!(
                    "<w:docGrid w:type=\"linesAndChars\" w:linePitch=\"{LINE_PITCH}\" w:charSpace=\"{CHAR_SPACE}\"/>"
                ),
            )
        };
        format!(
            "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rId4\"/>\
             <w:footerReference w:type=\"even\" r:id=\"rId5\"/>\
             <w:pgSz w:w=\"{w}\" w:h=\"{h}\"{orient}/>\
             <w:pgMar w:top=\"{MARGIN_TOP}\" w:right=\"{MARGIN_RIGHT}\" w:bottom=\"{MARGIN_BOTTOM}\" \
             w:left=\"{MARGIN_LEFT}\" w:header=\"851\" w:footer=\"{FOOTER_DIST}\" w:gutter=\"0\"/>\
             {grid}</w:sectPr>"
        )
    }

    /// `word/document.xml`.
    pub fn document_xml(&self) -> String {
        let mut body = self.body.clone();
        if self.after_title {
            body.push_str(&blank_line());
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <w:document xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:body>{body}{}</w:body></w:document>",
            self.section_xml()
        )
    }

    fn core_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
             xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:creator>安培</dc:creator>\
             <dc:language>zh-CN</dc:language></cp:coreProperties>",
            escape(self.title.as_deref().unwrap_or(""))
        )
    }

    /// The finished document.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ImportError> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let parts: [(&str, String); 10] = [
            ("[Content_Types].xml", CONTENT_TYPES.to_string()),
            ("_rels/.rels", ROOT_RELS.to_string()),
            ("docProps/core.xml", self.core_xml()),
            ("word/document.xml", self.document_xml()),
            ("word/styles.xml", styles_xml()),
            ("word/settings.xml", SETTINGS.to_string()),
            ("word/fontTable.xml", font_table_xml()),
            ("word/footer1.xml", footer_xml(Align::Right)),
            ("word/footer2.xml", footer_xml(Align::Left)),
            ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ];
        for (name, text) in parts {
            zip.start_file(name, opts).map_err(zip_error)?;
            zip.write_all(text.as_bytes())?;
        }
        Ok(zip.finish().map_err(zip_error)?.into_inner())
    }
}

fn zip_error(e: zip::result::ZipError) -> ImportError {
    ImportError::Io(std::io::Error::other(e))
}

/// One part of a docx, as text (to check what a written document says).
pub fn part_xml(docx: &[u8], name: &str) -> Result<String, ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(docx)).map_err(zip_error)?;
    let mut part = archive.by_name(name).map_err(zip_error)?;
    let mut xml = String::new();
    // A document part is text; 64 MB is far beyond any report.
    (&mut part).take(64 << 20).read_to_string(&mut xml)?;
    Ok(xml)
}

/// `word/document.xml` of a docx (to check what a written document says).
pub fn document_xml(docx: &[u8]) -> Result<String, ImportError> {
    part_xml(docx, "word/document.xml")
}

/// The text of a docx's paragraphs (each on its own line), entities decoded.
pub fn document_text(docx: &[u8]) -> Result<String, ImportError> {
    let xml = document_xml(docx)?;
    let mut out = String::new();
    let mut rest = xml.as_str();
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
        let tag = &rest[i..end];
        if tag.starts_with("<w:t>") || tag.starts_with("<w:t ") {
            let close = rest[end..].find("</w:t>").map_or(rest.len(), |j| end + j);
            out.push_str(&unescape(&rest[end..close]));
            rest = &rest[close..];
            continue;
        }
        if tag == "</w:p>" {
            out.push('\n');
        } else if tag.starts_with("<w:br") || tag.starts_with("<w:tab") {
            out.push(if tag.starts_with("<w:br") { '\n' } else { '\t' });
        }
        rest = &rest[end..];
    }
    Ok(out)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>\
<Override PartName=\"/word/fontTable.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>\
<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
<Override PartName=\"/word/footer2.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

/// The document's parts; `rId4` is the footer of odd pages (and of all pages when a reader
/// ignores even ones), `rId5` that of even pages.
const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>\
<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" Target=\"fontTable.xml\"/>\
<Relationship Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/>\
<Relationship Id=\"rId5\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer2.xml\"/>\
</Relationships>";

/// Different footers on odd and even pages (the page number on the outer side); no
/// compression of punctuation, which would take characters off the grid; Word 2013 layout
/// (a table's border on the margin, not the cell text).
const SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:zoom w:percent=\"100\"/><w:defaultTabStop w:val=\"640\"/><w:evenAndOddHeaders/>\
<w:characterSpacingControl w:val=\"doNotCompress\"/>\
<w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>\
<w:themeFontLang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/>\
</w:settings>";

/// The fonts the document names, each with the names it goes by elsewhere (a machine without
/// 仿宋_GB2312 usually has 仿宋, or FangSong under an English system).
const FONTS: [(&str, &str, &str, &str, &str); 6] = [
    // name, alternates, panose, family, pitch
    (
        FONT_BODY,
        "仿宋,FangSong,STFangsong",
        "02010609030101010101",
        "modern",
        "fixed",
    ),
    (
        FONT_TITLE,
        "小标宋,方正小标宋_GBK,宋体,SimSun",
        "02000000000000000000",
        "auto",
        "variable",
    ),
    (
        FONT_HEADING1,
        "SimHei,STHeiti",
        "02010609060101010101",
        "modern",
        "fixed",
    ),
    (
        FONT_HEADING2,
        "楷体,KaiTi,STKaiti",
        "02010609030101010101",
        "modern",
        "fixed",
    ),
    (
        FONT_PAGE_NUMBER,
        "SimSun,STSong",
        "02010600030101010101",
        "auto",
        "variable",
    ),
    (
        FONT_LATIN,
        "Times",
        "02020603050405020304",
        "roman",
        "variable",
    ),
];

fn font_table_xml() -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:fonts xmlns:w=\"{W_NS}\">"
    );
    for (name, alt, panose, family, pitch) in FONTS {
        let charset = if name == FONT_LATIN { "00" } else { "86" };
        s.push_str(&format!(
            "<w:font w:name=\"{name}\"><w:altName w:val=\"{alt}\"/><w:panose1 w:val=\"{panose}\"/>\
             <w:charset w:val=\"{charset}\"/><w:family w:val=\"{family}\"/><w:pitch w:val=\"{pitch}\"/></w:font>"
        ));
    }
    s.push_str("</w:fonts>");
    s
}

/// A footer with the page number “— 1 —”, on the side `align` says, one character in.
fn footer_xml(align: Align) -> String {
    let side = if align == Align::Left {
        "left"
    } else {
        "right"
    };
    let run = |inner: &str| format!("<w:r>{inner}</w:r>");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <w:ftr xmlns:w=\"{W_NS}\" xmlns:r=\"{R_NS}\"><w:p><w:pPr><w:pStyle w:val=\"PageNumber\"/>\
         <w:ind w:{side}=\"280\"/>{}</w:pPr>{}{}{}{}{}{}{}</w:p></w:ftr>",
        jc(align),
        run("<w:t xml:space=\"preserve\">— </w:t>"),
        run("<w:fldChar w:fldCharType=\"begin\"/>"),
        run("<w:instrText xml:space=\"preserve\"> PAGE </w:instrText>"),
        run("<w:fldChar w:fldCharType=\"separate\"/>"),
        run("<w:t>1</w:t>"),
        run("<w:fldChar w:fldCharType=\"end\"/>"),
        run("<w:t xml:space=\"preserve\"> —</w:t>"),
    )
}

/// The styles: Normal is body text (仿宋_GB2312 16 pt, exactly one grid line high, indented
/// two characters, justified); Plain the same without the indent; Title, Subtitle, Mark (the
/// red office mark), DocNumber (with the red line under it), the two headings, TableText and
/// PageNumber.
fn styles_xml() -> String {
    let fonts = |east: &str| {
        format!(
            "<w:rFonts w:ascii=\"{FONT_LATIN}\" w:hAnsi=\"{FONT_LATIN}\" w:eastAsia=\"{east}\" w:cs=\"{FONT_LATIN}\"/>"
        )
    };
    let style = |id: &str, name: &str, based: &str, ppr: &str, rpr: &str| {
        let based = if based.is_empty() {
            String::new()
        } else {
            format!("<w:basedOn w:val=\"{based}\"/>")
        };
        let rpr = if rpr.is_empty() {
            String::new()
        } else {
            format!("<w:rPr>{rpr}</w:rPr>")
        };
        format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>{based}<w:qFormat/>\
             <w:pPr>{ppr}</w:pPr>{rpr}</w:style>"
        )
    };
    let no_indent = "<w:ind w:firstLineChars=\"0\" w:firstLine=\"0\"/>";
    let natural = "<w:spacing w:val=\"0\"/>";
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles xmlns:w=\"{W_NS}\">\
         <w:docDefaults><w:rPrDefault><w:rPr>{}<w:sz w:val=\"{BODY_SZ}\"/><w:szCs w:val=\"{BODY_SZ}\"/>\
         <w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault>\
         <w:pPrDefault><w:pPr><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"{LINE_PITCH}\" w:lineRule=\"exact\"/></w:pPr></w:pPrDefault>\
         </w:docDefaults>",
        fonts(FONT_BODY)
    );
    s.push_str(&format!(
        "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>\
         <w:pPr><w:widowControl w:val=\"0\"/><w:snapToGrid w:val=\"0\"/><w:ind w:firstLineChars=\"200\" w:firstLine=\"{}\"/>\
         <w:jc w:val=\"both\"/></w:pPr><w:rPr>{}<w:spacing w:val=\"{BODY_CONDENSE}\"/>\
         <w:sz w:val=\"{BODY_SZ}\"/><w:szCs w:val=\"{BODY_SZ}\"/></w:rPr></w:style>",
        2 * BODY_CHAR,
        fonts(FONT_BODY)
    ));
    s.push_str(&style("Plain", "Plain Text Line", "Normal", no_indent, ""));
    s.push_str(&style(
        "Title",
        "Title",
        "Plain",
        "<w:keepNext/><w:jc w:val=\"center\"/><w:outlineLvl w:val=\"0\"/>",
        &format!(
            "{}{natural}<w:sz w:val=\"44\"/><w:szCs w:val=\"44\"/>",
            fonts(FONT_TITLE)
        ),
    ));
    s.push_str(&style(
        "Subtitle",
        "Subtitle",
        "Plain",
        "<w:keepNext/><w:jc w:val=\"center\"/>",
        &fonts(FONT_HEADING2),
    ));
    // The mark: 35 mm under the top of the text area; a line high enough for 36 pt.
    s.push_str(&style(
        "Mark",
        "Issuing Office Mark",
        "Plain",
        "<w:spacing w:before=\"1984\" w:line=\"920\" w:lineRule=\"exact\"/><w:jc w:val=\"center\"/>",
        &format!("{}{natural}", fonts(FONT_TITLE)),
    ));
    // The red line 4 mm (11 pt) under the document number, 1 pt (0.35 mm) thick.
    s.push_str(&style(
        "DocNumber",
        "Document Number",
        "Plain",
        &format!(
            "<w:pBdr><w:bottom w:val=\"single\" w:sz=\"8\" w:space=\"11\" w:color=\"{RED}\"/></w:pBdr><w:jc w:val=\"center\"/>"
        ),
        "",
    ));
    s.push_str(&style(
        "Heading1",
        "heading 1",
        "Normal",
        "<w:keepNext/><w:outlineLvl w:val=\"0\"/>",
        &fonts(FONT_HEADING1),
    ));
    s.push_str(&style(
        "Heading2",
        "heading 2",
        "Normal",
        "<w:keepNext/><w:outlineLvl w:val=\"1\"/>",
        &fonts(FONT_HEADING2),
    ));
    s.push_str(&style(
        "TableText",
        "Table Text",
        "Plain",
        "<w:spacing w:line=\"264\" w:lineRule=\"auto\"/>",
        natural,
    ));
    s.push_str(&style(
        "PageNumber",
        "Page Number Line",
        "Plain",
        "<w:spacing w:line=\"240\" w:lineRule=\"auto\"/>",
        &format!(
            "<w:rFonts w:ascii=\"{FONT_PAGE_NUMBER}\" w:hAnsi=\"{FONT_PAGE_NUMBER}\" w:eastAsia=\"{FONT_PAGE_NUMBER}\" w:cs=\"{FONT_PAGE_NUMBER}\"/>\
             <w:spacing w:val=\"0\"/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/>"
        ),
    ));
    s.push_str(
        "<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/>\
         <w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>\
         <w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style></w:styles>",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small well-formedness check: tags nest and close, attributes are quoted, entities
    /// are known ones, there is one root element. Enough for what this writer produces.
    fn check_well_formed(xml: &str) -> Result<(), String> {
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut i = 0;
        let b = xml.as_bytes();
        while i < b.len() {
            match b[i] {
                b'<' => {
                    let end = xml[i..].find('>').ok_or("unclosed tag")? + i;
                    let tag = &xml[i + 1..end];
                    if let Some(decl) = tag.strip_prefix('?') {
                        if !decl.ends_with('?') {
                            return Err(format!("bad declaration {tag}"));
                        }
                    } else if let Some(name) = tag.strip_prefix('/') {
                        let open = stack.pop().ok_or(format!("stray </{name}>"))?;
                        if open != name {
                            return Err(format!("<{open}> closed by </{name}>"));
                        }
                    } else {
                        let self_closing = tag.ends_with('/');
                        let inner = tag.trim_end_matches('/');
                        let name = inner.split_whitespace().next().ok_or("empty tag")?;
                        let mut attrs = inner[name.len()..].trim();
                        while !attrs.is_empty() {
                            let eq = attrs.find('=').ok_or(format!("attribute in {tag}"))?;
                            let rest = &attrs[eq + 1..];
                            if !rest.starts_with('"') {
                                return Err(format!("unquoted attribute in {tag}"));
                            }
                            let close = rest[1..].find('"').ok_or("unterminated value")? + 1;
                            check_text(&rest[1..close])?;
                            attrs = rest[close + 1..].trim_start();
                        }
                        if stack.is_empty() {
                            roots += 1;
                        }
                        if !self_closing {
                            stack.push(name);
                        }
                    }
                    i = end + 1;
                }
                _ => {
                    let end = xml[i..].find('<').map_or(xml.len(), |j| i + j);
                    let text = &xml[i..end];
                    if stack.is_empty() && !text.trim().is_empty() {
                        return Err(format!("text outside the root: {text}"));
                    }
                    check_text(text)?;
                    i = end;
                }
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(())
    }

    fn check_text(t: &str) -> Result<(), String> {
        if t.contains('<') || t.contains('>') {
            return Err(format!("unescaped markup in {t:?}"));
        }
        let mut rest = t;
        while let Some(i) = rest.find('&') {
            let end = rest[i..].find(';').ok_or("unterminated entity")? + i;
            match &rest[i + 1..end] {
                "amp" | "lt" | "gt" | "quot" | "apos" => {}
                e => return Err(format!("unknown entity &{e};")),
            }
            rest = &rest[end + 1..];
        }
        Ok(())
    }

    fn sample() -> Vec<u8> {
        Docx::new()
            .title("安全生产培训自查报告")
            .subtitle("重庆市渝北区")
            .heading("一、基本情况")
            .field("单位名称", "重庆渝北某某有限公司")
            .para("第一行\n第二行\t制表")
            .subheading("（一）问题清单")
            .table(
                &["序号", "问题描述", "整改时限"],
                &[
                    vec!["1".into(), "台账不全".into(), "2022-03-31".into()],
                    vec!["2".into()],
                ],
            )
            .signature_block(&["单位负责人（签字）", "填报人", "日期", "单位（盖章）"])
            .page_break()
            .para_aligned("完", Align::Right)
            .to_bytes()
            .expect("writes")
    }

    #[test]
    fn a_document_is_a_zip_of_well_formed_parts_holding_its_text() {
        let bytes = sample();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        for name in [
            "[Content_Types].xml",
            "_rels/.rels",
            "docProps/core.xml",
            "word/document.xml",
            "word/styles.xml",
            "word/settings.xml",
            "word/fontTable.xml",
            "word/footer1.xml",
            "word/footer2.xml",
            "word/_rels/document.xml.rels",
        ] {
            let mut xml = String::new();
            archive
                .by_name(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .read_to_string(&mut xml)
                .unwrap();
            check_well_formed(&xml).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let text = document_text(&bytes).unwrap();
        for s in [
            "安全生产培训自查报告",
            "单位名称：",
            "重庆渝北某某有限公司",
            "第一行\n第二行\t制表",
            "台账不全",
            "单位负责人（签字）：",
            "单位（盖章）：",
        ] {
            assert!(text.contains(s), "{s} missing from {text}");
        }
        let xml = document_xml(&bytes).unwrap();
        assert!(xml.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"), "A4");
        assert!(xml.contains("<w:tblHeader/>"));
    }

    #[test]
    fn the_content_is_sniffed_as_a_docx() {
        assert_eq!(
            crate::sniff::sniff(&sample()),
            Some(crate::sniff::FileKind::Docx)
        );
    }

    #[test]
    fn markup_in_text_is_escaped() {
        let bytes = Docx::new()
            .title("<b>&\"'</b>")
            .para("a < b && c > d </w:t></w:r>")
            .table(&["<h>"], &[vec!["x&y".into()]])
            .to_bytes()
            .unwrap();
        let xml = document_xml(&bytes).unwrap();
        check_well_formed(&xml).unwrap();
        assert!(xml.contains("&lt;b&gt;&amp;&quot;&apos;&lt;/b&gt;"));
        assert!(xml.contains("a &lt; b &amp;&amp; c &gt; d &lt;/w:t&gt;&lt;/w:r&gt;"));
        let text = document_text(&bytes).unwrap();
        assert!(text.contains("a < b && c > d </w:t></w:r>"));
        assert!(text.contains("x&y"));
    }

    #[test]
    fn characters_xml_forbids_are_dropped() {
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "abc\td");
    }

    #[test]
    fn columns_share_the_text_width_by_their_contents() {
        let w = column_widths(
            &["序号", "问题描述"],
            &[vec!["1".into(), "很".repeat(30)]],
            TEXT_W,
        )
        .widths;
        assert_eq!(w.iter().sum::<u32>(), TEXT_W);
        assert!(w[1] > w[0] * 5);
        assert!(column_widths(&[], &[], TEXT_W).widths.is_empty());
    }

    fn part(bytes: &[u8], name: &str) -> String {
        part_xml(bytes, name).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn the_page_is_a4_with_the_standards_margins_and_a_grid_of_22_lines_of_28_characters() {
        let xml = document_xml(&sample()).unwrap();
        assert!(xml.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"), "A4");
        // 37 mm top, 26 mm right, 35 mm bottom, 28 mm left.
        assert!(xml.contains(
            "<w:pgMar w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1587\""
        ));
        let mm = |twips: u32| twips as f64 * 25.4 / 1440.0;
        assert!((mm(TEXT_W) - 156.0).abs() < 0.1, "{}", mm(TEXT_W));
        assert!(xml.contains(
            "<w:docGrid w:type=\"linesAndChars\" w:linePitch=\"579\" w:charSpace=\"-842\"/>"
        ));
        // 22 lines of 28.95 pt in the 225 mm text height.
        let text_h = A4_H - MARGIN_TOP - MARGIN_BOTTOM;
        assert!((mm(text_h) - 225.0).abs() < 0.1);
        assert_eq!(text_h / LINE_PITCH, 22);
        // The grid's character pitch (16 pt + charSpace/4096 pt) puts 28 on a line…
        let pitch = 16.0 + CHAR_SPACE as f64 / 4096.0;
        assert_eq!((TEXT_W as f64 / 20.0 / pitch).floor(), 28.0);
        // …and so do the body's characters set 0.25 pt closer, grid or not.
        let advance = BODY_CHAR as i32 + BODY_CONDENSE;
        assert!(28 * advance <= TEXT_W as i32 && 29 * advance > TEXT_W as i32);
        // The footers of odd and even pages.
        assert!(xml.contains("<w:footerReference w:type=\"default\" r:id=\"rId4\"/>"));
        assert!(xml.contains("<w:footerReference w:type=\"even\" r:id=\"rId5\"/>"));
        let rels = part(&sample(), "word/_rels/document.xml.rels");
        assert!(rels.contains("Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\""));
        assert!(rels.contains("Id=\"rId5\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer2.xml\""));
    }

    #[test]
    fn a_landscape_document_turns_the_page_and_keeps_the_margins() {
        let bytes = Docx::new_landscape()
            .title("问题清单")
            .table(&["序号"], &[vec!["1".into()]])
            .to_bytes()
            .unwrap();
        let xml = document_xml(&bytes).unwrap();
        assert!(xml.contains("<w:pgSz w:w=\"16838\" w:h=\"11906\" w:orient=\"landscape\"/>"));
        assert!(xml.contains("w:left=\"1587\""));
        assert!(xml.contains(&format!(
            "<w:tblW w:w=\"{TEXT_W_LANDSCAPE}\" w:type=\"dxa\"/>"
        )));
        assert!(xml.contains("<w:docGrid w:type=\"lines\" w:linePitch=\"579\"/>"));
    }

    #[test]
    fn the_styles_name_the_fonts_and_sizes_of_official_documents() {
        let styles = part(&sample(), "word/styles.xml");
        let style = |id: &str| {
            let start = styles
                .find(&format!("w:styleId=\"{id}\""))
                .unwrap_or_else(|| panic!("style {id}"));
            let end = styles[start..].find("</w:style>").unwrap() + start;
            styles[start..end].to_string()
        };
        let body = style("Normal");
        assert!(body.contains("w:eastAsia=\"仿宋_GB2312\""), "{body}");
        assert!(body.contains("<w:sz w:val=\"32\"/>"), "三号");
        assert!(
            body.contains("w:firstLineChars=\"200\""),
            "two characters in"
        );
        assert!(
            styles.contains("w:line=\"579\" w:lineRule=\"exact\""),
            "28.95 pt lines"
        );
        let title = style("Title");
        assert!(title.contains("w:eastAsia=\"方正小标宋简体\""));
        assert!(title.contains("<w:sz w:val=\"44\"/>"), "二号");
        assert!(title.contains("<w:jc w:val=\"center\"/>"));
        assert!(style("Heading1").contains("w:eastAsia=\"黑体\""));
        assert!(style("Heading2").contains("w:eastAsia=\"楷体_GB2312\""));
        let number = style("PageNumber");
        assert!(number.contains("w:eastAsia=\"宋体\""));
        assert!(number.contains("<w:sz w:val=\"28\"/>"), "四号");
        // The red line under the document number: 1 pt (0.35 mm), red.
        assert!(style("DocNumber")
            .contains("<w:bottom w:val=\"single\" w:sz=\"8\" w:space=\"11\" w:color=\"FF0000\"/>"));
    }

    #[test]
    fn the_font_table_lists_alternates_for_machines_without_the_official_fonts() {
        let fonts = part(&sample(), "word/fontTable.xml");
        for (name, alt) in [
            ("仿宋_GB2312", "仿宋,FangSong"),
            ("方正小标宋简体", "小标宋,方正小标宋_GBK,宋体,SimSun"),
            ("黑体", "SimHei"),
            ("楷体_GB2312", "楷体,KaiTi"),
            ("宋体", "SimSun"),
        ] {
            let at = fonts
                .find(&format!("<w:font w:name=\"{name}\">"))
                .unwrap_or_else(|| panic!("{name} missing"));
            assert!(
                fonts[at..].starts_with(&format!(
                    "<w:font w:name=\"{name}\"><w:altName w:val=\"{alt}"
                )),
                "{name}"
            );
        }
        assert!(fonts.contains("<w:charset w:val=\"86\"/>"), "GB2312");
    }

    #[test]
    fn page_numbers_sit_on_the_outer_side_of_odd_and_even_pages() {
        let bytes = sample();
        assert!(part(&bytes, "word/settings.xml").contains("<w:evenAndOddHeaders/>"));
        let odd = part(&bytes, "word/footer1.xml");
        let even = part(&bytes, "word/footer2.xml");
        for (footer, side) in [(&odd, "right"), (&even, "left")] {
            assert!(footer.contains(&format!(
                "<w:ind w:{side}=\"280\"/><w:jc w:val=\"{side}\"/>"
            )));
            assert!(footer.contains("<w:t xml:space=\"preserve\">— </w:t>"));
            assert!(footer.contains("<w:instrText xml:space=\"preserve\"> PAGE </w:instrText>"));
            assert!(footer.contains("<w:t xml:space=\"preserve\"> —</w:t>"));
        }
        let types = part(&bytes, "[Content_Types].xml");
        assert!(types.contains("PartName=\"/word/footer2.xml\""));
    }

    #[test]
    fn the_issuer_head_is_red_and_centred_with_its_number_above_the_red_line() {
        let bytes = Docx::new()
            .issuer_head(
                "重庆市渝北区安全生产委员会办公室文件",
                "渝北安办〔2022〕12号",
            )
            .title("关于某事的通报")
            .recipients("各镇人民政府：")
            .para("正文。")
            .to_bytes()
            .unwrap();
        let xml = document_xml(&bytes).unwrap();
        let mark = xml.find("重庆市渝北区安全生产委员会办公室文件").unwrap();
        let number = xml.find("渝北安办〔2022〕12号").unwrap();
        let title = xml.find("关于某事的通报").unwrap();
        assert!(mark < number && number < title);
        let before_mark = &xml[..mark];
        let mark_run = &before_mark[before_mark.rfind("<w:p>").unwrap()..];
        assert!(mark_run.contains("<w:pStyle w:val=\"Mark\"/>"));
        assert!(mark_run.contains("w:eastAsia=\"方正小标宋简体\""));
        assert!(mark_run.contains("<w:color w:val=\"FF0000\"/>"));
        // 18 characters of 36 pt would take 648 pt: narrowed to fit the 442 pt line.
        let scale: u32 = mark_run
            .split("<w:w w:val=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .expect("narrowed");
        assert!(18 * 720 * scale / 100 <= TEXT_W && scale >= 60, "{scale}");
        let before_number = &xml[..number];
        assert!(before_number[before_number.rfind("<w:p>").unwrap()..]
            .contains("<w:pStyle w:val=\"DocNumber\"/>"));
        // One blank line between the title and the addressees.
        let after_title = &xml[title..];
        let blank = "<w:p><w:pPr><w:pStyle w:val=\"Plain\"/></w:pPr></w:p>";
        assert!(after_title.find(blank).unwrap() < after_title.find("各镇人民政府").unwrap());
    }

    #[test]
    fn the_closing_puts_the_date_four_characters_from_the_margin_under_the_signer() {
        let bytes = Docx::new()
            .para("正文。")
            .closing(
                "某某公司",
                &chinese_date(NaiveDate::from_ymd_opt(2022, 9, 15).unwrap()),
            )
            .to_bytes()
            .unwrap();
        let xml = document_xml(&bytes).unwrap();
        assert!(xml.contains(
            "<w:ind w:right=\"1280\" w:firstLine=\"0\"/><w:jc w:val=\"right\"/></w:pPr><w:r><w:t xml:space=\"preserve\">2022年9月15日</w:t>"
        ));
        // 某某公司 (4 characters) centred over the date (3 characters and 7 digits: 6.5).
        let centre = 1280 + (3 * 320 + 7 * 160) / 2;
        let signer_right = centre - 4 * 320 / 2;
        assert!(xml.contains(&format!(
            "<w:keepNext/><w:ind w:right=\"{signer_right}\" w:firstLine=\"0\"/><w:jc w:val=\"right\"/></w:pPr><w:r><w:t xml:space=\"preserve\">某某公司</w:t>"
        )));
        // The last line of the text goes with them.
        assert!(xml.contains(
            "<w:p><w:pPr><w:keepNext/></w:pPr><w:r><w:t xml:space=\"preserve\">正文。</w:t>"
        ));
        // A signer longer than the date ends at the margin.
        let bytes = Docx::new()
            .closing("重庆市渝北区安全生产委员会办公室", "2022年9月15日")
            .to_bytes()
            .unwrap();
        assert!(document_xml(&bytes)
            .unwrap()
            .contains("<w:ind w:right=\"0\""));
    }

    #[test]
    fn a_closing_after_a_table_keeps_the_tables_last_row_with_it() {
        let rows = vec![vec!["1".to_string()], vec!["2".to_string()]];
        let bytes = Docx::new()
            .table(&["序号"], &rows)
            .closing("某某镇", "2022年9月15日")
            .to_bytes()
            .unwrap();
        let xml = document_xml(&bytes).unwrap();
        let kept = "<w:pStyle w:val=\"TableText\"/><w:keepNext/>";
        let last_row = xml.rfind("<w:tr>").unwrap();
        assert_eq!(xml.matches(kept).count(), 1, "the last row only");
        assert!(xml[last_row..].contains(kept));
    }

    #[test]
    fn dates_and_numerals_are_written_the_chinese_way() {
        let d = |y, m, day| chinese_date(NaiveDate::from_ymd_opt(y, m, day).unwrap());
        assert_eq!(d(2022, 3, 31), "2022年3月31日");
        assert_eq!(d(2022, 9, 5), "2022年9月5日");
        assert_eq!(d(2021, 12, 1), "2021年12月1日");
        let n: Vec<String> = [1, 9, 10, 11, 20, 21, 99, 100]
            .into_iter()
            .map(chinese_numeral)
            .collect();
        assert_eq!(
            n,
            ["一", "九", "十", "十一", "二十", "二十一", "九十九", "100"]
        );
    }

    #[test]
    fn tables_are_fixed_with_widths_for_codes_dates_and_names_and_headers_on_one_line() {
        let rows = vec![vec![
            "1".to_string(),
            "重庆渝北某某化工有限公司".to_string(),
            "91500112MA5U123456".to_string(),
            "2022-03-31".to_string(),
            "张三".to_string(),
            "2名特种作业人员证书过期仍在岗，签到表笔迹相同，培训档案不全。".to_string(),
        ]];
        let headers = [
            "序号",
            "单位名称",
            "统一社会信用代码",
            "整改时限",
            "责任人",
            "问题描述",
        ];
        let cols = column_widths(&headers, &rows, TEXT_W);
        assert_eq!(cols.widths.iter().sum::<u32>(), TEXT_W);
        let em = cols.size * 10;
        // The code and the date on one line (with the cell margins).
        assert!(cols.widths[2] >= text_em100("91500112MA5U123456") * em / 100 + 2 * CELL_MARGIN);
        assert!(cols.widths[3] >= text_em100("2022-03-31") * em / 100 + 2 * CELL_MARGIN);
        assert!(cols.widths[4] >= 2 * em + 2 * CELL_MARGIN, "a name");
        assert!(cols.header_one_line.iter().all(|x| *x), "{cols:?}");
        assert_eq!(cols.centred, [true, false, true, true, true, false]);

        let bytes = Docx::new().table(&headers, &rows).to_bytes().unwrap();
        let xml = document_xml(&bytes).unwrap();
        assert!(xml.contains("<w:tblLayout w:type=\"fixed\"/>"));
        assert!(xml.contains(&format!("<w:tblW w:w=\"{TEXT_W}\" w:type=\"dxa\"/>")));
        let grid: u32 = xml
            .split("<w:gridCol w:w=\"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].parse::<u32>().unwrap())
            .sum();
        assert_eq!(grid, TEXT_W);
        assert_eq!(
            xml.matches("<w:noWrap/>").count(),
            headers.len(),
            "headers kept whole"
        );
    }

    #[test]
    fn a_crowded_table_breaks_long_headers_in_the_middle_not_letter_by_letter() {
        let headers = [
            "排名",
            "单位",
            "自查完成",
            "检查覆盖",
            "发现问题",
            "已销号",
            "逾期",
            "举报按期办结",
            "考核得分",
        ];
        let rows = vec![[
            "1",
            "区住房城乡建委",
            "13/15",
            "12/25",
            "14",
            "12",
            "0",
            "1/2",
            "100.0",
        ]
        .map(String::from)
        .to_vec()];
        let cols = column_widths(&headers, &rows, TEXT_W);
        assert_eq!(cols.size, 21, "五号");
        assert_eq!(cols.widths.iter().sum::<u32>(), TEXT_W);
        let em = cols.size * 10;
        // Every header has at least half of itself a line, the unit's name all of it.
        for (i, h) in headers.iter().enumerate() {
            let half = text_em100(h).div_ceil(2) * em / 100;
            assert!(cols.widths[i] >= half + 2 * CELL_MARGIN, "{h}");
        }
        assert!(cols.widths[1] >= text_em100("区住房城乡建委") * em / 100 + 2 * CELL_MARGIN);
        assert_eq!(halves("举报按期办结"), "举报按\n期办结");
        assert_eq!(halves("单位"), "单位");
        let xml = document_xml(&Docx::new().table(&headers, &rows).to_bytes().unwrap()).unwrap();
        for (i, h) in headers.iter().enumerate() {
            if !cols.header_one_line[i] {
                let (a, b) = halves(h)
                    .split_once('\n')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .unwrap();
                assert!(
                    xml.contains(&format!("{a}</w:t></w:r><w:r>"))
                        && xml.contains(&format!("<w:br/><w:t xml:space=\"preserve\">{b}</w:t>")),
                    "{h}"
                );
            }
        }
    }

    #[test]
    fn a_title_is_followed_by_one_blank_line_and_its_breaks_stay_out_of_the_properties() {
        let bytes = Docx::new()
            .title("关于安全生产培训“走过场”专项整治\n工作情况的通报")
            .subtitle("（2022年9月15日）")
            .para("正文")
            .to_bytes()
            .unwrap();
        let text = document_text(&bytes).unwrap();
        assert!(
            text.starts_with(
                "关于安全生产培训“走过场”专项整治\n工作情况的通报\n（2022年9月15日）\n\n正文"
            ),
            "{text:?}"
        );
        assert!(part(&bytes, "docProps/core.xml")
            .contains("<dc:title>关于安全生产培训“走过场”专项整治工作情况的通报</dc:title>"));
    }
}
