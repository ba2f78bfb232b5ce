//! A small Word (docx, Office Open XML) writer for the reports people print and file: 自查报告,
//! 问题清单, 通报. Only what such documents need: a title, headings, paragraphs, label–value
//! lines, tables with borders (the header row repeated on every page) and a signature block,
//! on A4 paper with Chinese fonts (宋体 for text, 黑体 for the title and headings).
//!
//! ```
//! use anpei_import::docx::Docx;
//! let bytes = Docx::new()
//!     .title("安全生产培训自查报告")
//!     .field("单位名称", "重庆某某有限公司")
//!     .heading("一、自查情况")
//!     .para("对照专项整治重点内容逐项自查。")
//!     .table(&["序号", "问题描述"], &[vec!["1".into(), "台账不全".into()]])
//!     .signature_block(&["单位负责人（签字）", "日期"])
//!     .to_bytes()
//!     .unwrap();
//! assert!(anpei_import::docx::document_text(&bytes).unwrap().contains("台账不全"));
//! ```
//!
//! Text is escaped for XML (`& < > " '`), characters XML forbids are dropped, a line break in
//! a paragraph becomes a line break in Word. The package holds `[Content_Types].xml`,
//! `_rels/.rels`, `docProps/core.xml`, `word/document.xml`, `word/styles.xml` and
//! `word/_rels/document.xml.rels`, deflated.

use crate::ImportError;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// A4 in twentieths of a point, and 2.54 cm margins: the text is 9026 twips wide.
const PAGE_W: u32 = 11906;
const PAGE_H: u32 = 16838;
const MARGIN: u32 = 1440;
const TEXT_W: u32 = PAGE_W - 2 * MARGIN;

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

/// Runs of one paragraph: text with `\n` as line breaks and `\t` as tabs.
fn runs(text: &str, bold: bool) -> String {
    let rpr = if bold { "<w:rPr><w:b/></w:rPr>" } else { "" };
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

fn paragraph(style: Option<&str>, align: Option<Align>, content: &str) -> String {
    let mut ppr = String::new();
    if let Some(s) = style {
        ppr.push_str(&format!("<w:pStyle w:val=\"{s}\"/>"));
    }
    if let Some(a) = align {
        ppr.push_str(&format!("<w:jc w:val=\"{}\"/>", a.code()));
    }
    if ppr.is_empty() {
        format!("<w:p>{content}</w:p>")
    } else {
        format!("<w:p><w:pPr>{ppr}</w:pPr>{content}</w:p>")
    }
}

/// Display width of a cell's text in "characters" (CJK counts two), for column widths.
fn text_width(s: &str) -> u32 {
    s.lines()
        .map(|l| {
            l.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<u32>()
        })
        .max()
        .unwrap_or(0)
}

/// Column widths (twips) summing to the text width: proportional to each column's widest
/// text, within bounds so that no column is squeezed to nothing or takes the whole page.
fn column_widths(headers: &[&str], rows: &[Vec<String>]) -> Vec<u32> {
    let n = headers
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0));
    if n == 0 {
        return Vec::new();
    }
    let weights: Vec<u32> = (0..n)
        .map(|i| {
            let head = headers.get(i).map_or(0, |h| text_width(h));
            let body = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| text_width(c))
                .max()
                .unwrap_or(0);
            head.max(body).clamp(4, 40)
        })
        .collect();
    let total: u32 = weights.iter().sum();
    let mut widths: Vec<u32> = weights.iter().map(|w| TEXT_W * w / total).collect();
    let used: u32 = widths.iter().sum();
    if let Some(last) = widths.last_mut() {
        *last += TEXT_W - used;
    }
    widths
}

fn cell(width: u32, text: &str, header: bool) -> String {
    let shade = if header {
        "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E7ECF3\"/><w:vAlign w:val=\"center\"/>"
    } else {
        ""
    };
    let align = header.then_some(Align::Center);
    format!(
        "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>{shade}</w:tcPr>{}</w:tc>",
        paragraph(Some("TableText"), align, &runs(text, header))
    )
}

impl Docx {
    pub fn new() -> Docx {
        Docx::default()
    }

    /// The document's title: centred, 黑体 22 pt; also the file's title property.
    pub fn title(&mut self, text: &str) -> &mut Docx {
        if self.title.is_none() {
            self.title = Some(text.to_string());
        }
        self.body
            .push_str(&paragraph(Some("Title"), None, &runs(text, false)));
        self
    }

    /// A centred line under the title (the issuing office, a document number, a date).
    pub fn subtitle(&mut self, text: &str) -> &mut Docx {
        self.body
            .push_str(&paragraph(Some("Subtitle"), None, &runs(text, false)));
        self
    }

    /// A first-level heading (黑体 16 pt).
    pub fn heading(&mut self, text: &str) -> &mut Docx {
        self.body
            .push_str(&paragraph(Some("Heading1"), None, &runs(text, false)));
        self
    }

    /// A second-level heading (黑体 14 pt).
    pub fn subheading(&mut self, text: &str) -> &mut Docx {
        self.body
            .push_str(&paragraph(Some("Heading2"), None, &runs(text, false)));
        self
    }

    /// A paragraph of body text (宋体 12 pt); `\n` breaks the line.
    pub fn para(&mut self, text: &str) -> &mut Docx {
        self.body
            .push_str(&paragraph(None, None, &runs(text, false)));
        self
    }

    /// A paragraph with the given alignment.
    pub fn para_aligned(&mut self, text: &str, align: Align) -> &mut Docx {
        self.body
            .push_str(&paragraph(None, Some(align), &runs(text, false)));
        self
    }

    /// `label：value`, the label in bold.
    pub fn field(&mut self, label: &str, value: &str) -> &mut Docx {
        let content = format!(
            "{}{}",
            runs(&format!("{label}："), true),
            runs(value, false)
        );
        self.body.push_str(&paragraph(None, None, &content));
        self
    }

    /// A table with borders: a shaded header row (repeated on every page) and the rows;
    /// column widths follow the contents. Rows shorter than the header are padded.
    pub fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) -> &mut Docx {
        let widths = column_widths(headers, rows);
        if widths.is_empty() {
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
            "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_W}\" w:type=\"dxa\"/><w:tblBorders>{borders}</w:tblBorders>\
             <w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"80\" w:type=\"dxa\"/>\
             <w:right w:w=\"80\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>"
        );
        for w in &widths {
            t.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
        }
        t.push_str("</w:tblGrid>");
        if !headers.is_empty() {
            t.push_str("<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>");
            for (i, w) in widths.iter().enumerate() {
                t.push_str(&cell(*w, headers.get(i).copied().unwrap_or(""), true));
            }
            t.push_str("</w:tr>");
        }
        for row in rows {
            t.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
            for (i, w) in widths.iter().enumerate() {
                t.push_str(&cell(*w, row.get(i).map_or("", String::as_str), false));
            }
            t.push_str("</w:tr>");
        }
        t.push_str("</w:tbl>");
        self.body.push_str(&t);
        // Word needs a paragraph between two tables, and after the last block of a cell.
        self.body.push_str(&paragraph(None, None, ""));
        self
    }

    /// The signature block at the end of a report: each label followed by a line to write
    /// on, two to a row, without borders (e.g. 单位负责人（签字） / 填报人 / 日期 / 单位（盖章）).
    pub fn signature_block(&mut self, labels: &[&str]) -> &mut Docx {
        let half = TEXT_W / 2;
        let mut t = format!(
            "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_W}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/></w:tblPr>\
             <w:tblGrid><w:gridCol w:w=\"{half}\"/><w:gridCol w:w=\"{half}\"/></w:tblGrid>"
        );
        for pair in labels.chunks(2) {
            t.push_str("<w:tr><w:trPr><w:trHeight w:val=\"720\"/><w:cantSplit/></w:trPr>");
            for i in 0..2 {
                let text = pair
                    .get(i)
                    .map_or(String::new(), |l| format!("{l}：　　　　　　　　"));
                t.push_str(&format!(
                    "<w:tc><w:tcPr><w:tcW w:w=\"{half}\" w:type=\"dxa\"/><w:vAlign w:val=\"bottom\"/></w:tcPr>{}</w:tc>",
                    paragraph(None, None, &runs(&text, false))
                ));
            }
            t.push_str("</w:tr>");
        }
        t.push_str("</w:tbl>");
        self.body.push_str(&t);
        self.body.push_str(&paragraph(None, None, ""));
        self
    }

    /// Starts a new page.
    pub fn page_break(&mut self) -> &mut Docx {
        self.body
            .push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>");
        self
    }

    /// `word/document.xml`.
    pub fn document_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <w:document xmlns:w=\"{W_NS}\"><w:body>{}<w:sectPr>\
             <w:pgSz w:w=\"{PAGE_W}\" w:h=\"{PAGE_H}\"/>\
             <w:pgMar w:top=\"{MARGIN}\" w:right=\"{MARGIN}\" w:bottom=\"{MARGIN}\" w:left=\"{MARGIN}\" \
             w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
            self.body
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
        let parts: [(&str, String); 6] = [
            ("[Content_Types].xml", CONTENT_TYPES.to_string()),
            ("_rels/.rels", ROOT_RELS.to_string()),
            ("docProps/core.xml", self.core_xml()),
            ("word/document.xml", self.document_xml()),
            ("word/styles.xml", STYLES.to_string()),
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

/// `word/document.xml` of a docx (to check what a written document says).
pub fn document_xml(docx: &[u8]) -> Result<String, ImportError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(docx)).map_err(zip_error)?;
    let mut part = archive.by_name("word/document.xml").map_err(zip_error)?;
    let mut xml = String::new();
    // A document part is text; 64 MB is far beyond any report.
    (&mut part).take(64 << 20).read_to_string(&mut xml)?;
    Ok(xml)
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

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
</Relationships>";

/// 宋体 12 pt (小四) body text with 1.5 line spacing; 黑体 for the title (22 pt, 二号) and
/// headings (16 pt 三号, 14 pt 四号); 10.5 pt (五号) in tables.
const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:docDefaults><w:rPrDefault><w:rPr>\
<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"宋体\" w:cs=\"Times New Roman\"/>\
<w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"360\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:jc w:val=\"both\"/></w:pPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:spacing w:before=\"240\" w:after=\"240\"/><w:jc w:val=\"center\"/><w:outlineLvl w:val=\"0\"/></w:pPr>\
<w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"黑体\"/><w:b/><w:sz w:val=\"44\"/><w:szCs w:val=\"44\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Subtitle\"><w:name w:val=\"Subtitle\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:spacing w:after=\"240\"/><w:jc w:val=\"center\"/></w:pPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"0\"/></w:pPr>\
<w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"黑体\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:name w:val=\"heading 2\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:keepNext/><w:spacing w:before=\"120\" w:after=\"60\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"1\"/></w:pPr>\
<w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"黑体\"/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"TableText\"><w:name w:val=\"Table Text\"/><w:basedOn w:val=\"Normal\"/><w:qFormat/>\
<w:pPr><w:spacing w:line=\"276\" w:lineRule=\"auto\"/><w:jc w:val=\"left\"/></w:pPr><w:rPr><w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/></w:rPr></w:style>\
<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/>\
<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>\
<w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
</w:styles>";

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
        let w = column_widths(&["序号", "问题描述"], &[vec!["1".into(), "很".repeat(30)]]);
        assert_eq!(w.iter().sum::<u32>(), TEXT_W);
        assert!(w[1] > w[0] * 5);
        assert!(column_widths(&[], &[]).is_empty());
    }
}
