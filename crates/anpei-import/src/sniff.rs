//! What an uploaded file really is, told by its content and never by its name, and whether
//! it may be accepted (等保 2.0 三级: size limits, type checked by content, zip-bomb limits).
//!
//! - [`sniff`] names the kind of a file from its magic bytes; a zip is told apart by its
//!   entries (`[Content_Types].xml` with `xl/workbook.xml` is an xlsx workbook, with
//!   `word/document.xml` a docx document …), an OLE2 compound file by its streams
//!   (`Workbook` is a legacy xls, `WordDocument` a doc, `EncryptedPackage` an Office file with
//!   an opening password); text is a CSV when it decodes as UTF-8 (with or without BOM),
//!   GB18030 or BOM-marked UTF-16 and holds no NUL.
//! - [`check_upload`] (and [`check_upload_path`] for a file on disk) refuses with a Chinese
//!   reason ([`UploadError`]) a file that is empty or too large, whose content is not of an
//!   allowed kind, whose name's extension says another kind than its content, or — for a zip
//!   container — whose central directory declares too many entries, too many bytes once
//!   unpacked, an entry compressed beyond a plausible ratio, or entries that overlap (the
//!   "zip bomb" tricks).
//!
//! Nothing is ever decompressed: the zip checks read the central directory only (declared
//! sizes), a few kilobytes at the end of the file. A file on disk is read in bounded chunks;
//! only a text file is read whole (to check its encoding), streaming.
//!
//! What the declared sizes cannot tell: an entry whose deflate stream inflates to more than
//! its declared size. The ratio check bounds the honest case; the reader that finally
//! inflates an entry must not trust the declared size either.

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// A kind of file, as its content tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Office Open XML workbook (Excel 2007+).
    Xlsx,
    /// Office Open XML document (Word 2007+).
    Docx,
    /// Office Open XML presentation (PowerPoint 2007+).
    Pptx,
    /// Any other zip archive.
    Zip,
    /// Excel 97–2003 workbook (OLE2 with a `Workbook` stream).
    Xls,
    /// Word 97–2003 document (OLE2 with a `WordDocument` stream).
    Doc,
    /// PowerPoint 97–2003 presentation.
    Ppt,
    /// An Office file with an opening password (OLE2 with an `EncryptedPackage` stream).
    EncryptedOffice,
    /// Any other OLE2 compound file.
    Ole,
    Pdf,
    Png,
    Jpeg,
    Gif,
    Rar,
    SevenZip,
    /// HTML, XML or SVG text: markup, never a table.
    Markup,
    /// Text: UTF-8 (with or without BOM), GB18030, or UTF-16 with a BOM, without NUL.
    Csv,
}

impl FileKind {
    /// Every kind, in the order the extension table is searched.
    pub const ALL: [FileKind; 17] = [
        FileKind::Xlsx,
        FileKind::Docx,
        FileKind::Pptx,
        FileKind::Zip,
        FileKind::Xls,
        FileKind::Doc,
        FileKind::Ppt,
        FileKind::Pdf,
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Gif,
        FileKind::Rar,
        FileKind::SevenZip,
        FileKind::Markup,
        FileKind::Csv,
        FileKind::EncryptedOffice,
        FileKind::Ole,
    ];

    /// What the kind is called in a Chinese message.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Xlsx => "xlsx工作簿",
            FileKind::Docx => "docx文档",
            FileKind::Pptx => "pptx演示文稿",
            FileKind::Zip => "ZIP压缩包",
            FileKind::Xls => "旧版Excel（.xls）工作簿",
            FileKind::Doc => "旧版Word（.doc）文档",
            FileKind::Ppt => "旧版PowerPoint（.ppt）演示文稿",
            FileKind::EncryptedOffice => "设有打开密码的Office文件",
            FileKind::Ole => "Office 97-2003格式的文件",
            FileKind::Pdf => "PDF文件",
            FileKind::Png => "PNG图片",
            FileKind::Jpeg => "JPEG图片",
            FileKind::Gif => "GIF图片",
            FileKind::Rar => "RAR压缩包",
            FileKind::SevenZip => "7z压缩包",
            FileKind::Markup => "网页或XML文件",
            FileKind::Csv => "CSV文件",
        }
    }

    /// The file name extensions (lower case, no dot) a file of this kind may carry; the
    /// first is the usual one.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Xlsx => &["xlsx"],
            FileKind::Docx => &["docx"],
            FileKind::Pptx => &["pptx"],
            FileKind::Zip => &["zip"],
            FileKind::Xls => &["xls"],
            FileKind::Doc => &["doc"],
            FileKind::Ppt => &["ppt"],
            FileKind::EncryptedOffice => &["xlsx", "docx", "pptx", "xls", "doc", "ppt"],
            FileKind::Ole => &["xls", "doc", "ppt", "msg"],
            FileKind::Pdf => &["pdf"],
            FileKind::Png => &["png"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Gif => &["gif"],
            FileKind::Rar => &["rar"],
            FileKind::SevenZip => &["7z"],
            FileKind::Markup => &["html", "htm", "xml", "svg"],
            // Excel's "Unicode 文本" is tab-separated UTF-16 saved as .txt.
            FileKind::Csv => &["csv", "txt", "tsv"],
        }
    }

    /// The usual extension (no dot).
    pub fn extension(self) -> &'static str {
        self.extensions()[0]
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileKind::Zip => "application/zip",
            FileKind::Xls => "application/vnd.ms-excel",
            FileKind::Doc => "application/msword",
            FileKind::Ppt => "application/vnd.ms-powerpoint",
            FileKind::EncryptedOffice | FileKind::Ole => "application/x-ole-storage",
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Rar => "application/vnd.rar",
            FileKind::SevenZip => "application/x-7z-compressed",
            FileKind::Markup => "text/html",
            FileKind::Csv => "text/csv",
        }
    }

    /// The kind a file name's extension claims (`报表.XLSX` → xlsx), if it is one we know.
    pub fn from_name(name: &str) -> Option<FileKind> {
        let ext = extension_of(name)?;
        Self::ALL
            .into_iter()
            .find(|k| k.extensions().contains(&ext.as_str()))
    }

    /// Whether the content is a zip container (the zip-bomb limits apply).
    pub fn is_zip(self) -> bool {
        matches!(
            self,
            FileKind::Xlsx | FileKind::Docx | FileKind::Pptx | FileKind::Zip
        )
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The lower-case extension of a file name (after the last dot of its last component).
fn extension_of(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = last.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.trim().to_ascii_lowercase())
}

/// Limits an upload must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Most entries in a zip container's central directory.
    pub max_zip_entries: u64,
    /// Largest sum of the declared uncompressed sizes of a zip's entries, in bytes.
    pub max_uncompressed_total: u64,
    /// Largest uncompressed:compressed ratio of one entry (entries under
    /// [`RATIO_MIN_SIZE`] unpacked are not held to it: tiny parts compress absurdly well).
    pub max_ratio: u64,
}

/// Entries smaller than this, unpacked, are not held to [`UploadLimits::max_ratio`].
pub const RATIO_MIN_SIZE: u64 = 1 << 20;

const MIB: u64 = 1 << 20;

impl UploadLimits {
    /// The default limits for files of up to `max_bytes`: the unpacked total grows with
    /// the file (25 times it, never under the default 1 GiB), since a workbook's sheets
    /// compress some 10–20 times as a whole.
    pub fn for_size(max_bytes: u64) -> Self {
        let d = UploadLimits::default();
        UploadLimits {
            max_bytes,
            max_uncompressed_total: d.max_uncompressed_total.max(max_bytes.saturating_mul(25)),
            ..d
        }
    }
}

impl Default for UploadLimits {
    /// 50 MiB, 10,000 entries, 1 GiB unpacked, 200:1 per entry. Real workbooks stay far
    /// below: the sheet XML of an xlsx compresses some 5–20 times, and deflate cannot do
    /// better than about 1,000:1 whatever the data.
    fn default() -> Self {
        UploadLimits {
            max_bytes: 50 * MIB,
            max_zip_entries: 10_000,
            max_uncompressed_total: 1 << 30,
            max_ratio: 200,
        }
    }
}

/// Why a zip container is taken for a zip bomb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipBomb {
    /// More entries than allowed (as declared or as counted).
    TooManyEntries { entries: u64, max: u64 },
    /// The declared uncompressed sizes add up to more than allowed.
    TooLargeUnpacked { total: u64, max: u64 },
    /// One entry is compressed beyond a plausible ratio.
    Ratio { entry: String, ratio: u64, max: u64 },
    /// Two entries share bytes (the overlapping-files bomb), or an entry runs into the
    /// central directory.
    Overlap,
}

impl fmt::Display for ZipBomb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZipBomb::TooManyEntries { entries, max } => {
                write!(f, "压缩包内文件过多（{entries} 个，上限 {max} 个）")
            }
            ZipBomb::TooLargeUnpacked { total, max } => write!(
                f,
                "压缩包解压后过大（声明共 {}，上限 {}）",
                human_size(*total),
                human_size(*max)
            ),
            ZipBomb::Ratio { entry, ratio, max } => write!(
                f,
                "压缩包内“{entry}”的压缩比异常（{ratio}:1，上限 {max}:1）"
            ),
            ZipBomb::Overlap => f.write_str("压缩包结构异常（条目相互重叠）"),
        }
    }
}

/// Why an upload is refused. `Display` is the Chinese message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    /// No bytes.
    Empty { file: String },
    /// Over [`UploadLimits::max_bytes`].
    TooLarge { file: String, size: u64, max: u64 },
    /// The content is of one kind, the name's extension claims another.
    Mismatch {
        file: String,
        claimed: FileKind,
        found: FileKind,
    },
    /// The name's extension claims a kind the content is not, and the content is of no
    /// kind we know (a damaged file, or something else renamed).
    NotClaimedKind { file: String, claimed: FileKind },
    /// A name whose extension is missing or names no kind we know.
    BadExtension {
        file: String,
        allowed: Vec<FileKind>,
    },
    /// Content and name agree, but the kind is not accepted here.
    NotAllowed {
        file: String,
        found: FileKind,
        allowed: Vec<FileKind>,
    },
    /// An Office file with an opening password: it cannot be read.
    Encrypted { file: String },
    /// A zip container whose central directory cannot be read.
    Corrupt { file: String, claimed: FileKind },
    /// A zip container beyond the zip-bomb limits.
    ZipBomb { file: String, reason: ZipBomb },
    /// The file could not be read (an upload on disk).
    Io { file: String, message: String },
}

fn alternatives(kinds: &[FileKind], with_ext: bool) -> String {
    let parts: Vec<String> = kinds
        .iter()
        .map(|k| {
            if with_ext {
                format!("{}（.{}）", k.label(), k.extension())
            } else {
                k.label().to_string()
            }
        })
        .collect();
    if parts.is_empty() {
        "允许的文件".into()
    } else {
        parts.join("或")
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadError::Empty { file } => write!(f, "“{file}”是空文件，请重新选择文件上传。"),
            UploadError::TooLarge { file, size, max } => write!(
                f,
                "文件超过 {} 上限（“{file}”为 {}），请拆分为几个文件后分别上传。",
                human_size(*max),
                human_size(*size)
            ),
            UploadError::Mismatch {
                file,
                claimed,
                found,
            } => write!(
                f,
                "文件内容与扩展名不符：上传的“{file}”是{found}，不是{claimed}。请上传真正的{claimed}，不要只修改扩展名。"
            ),
            UploadError::NotClaimedKind { file, claimed } => write!(
                f,
                "文件内容与扩展名不符：“{file}”不是{claimed}（文件可能已损坏，或是改了扩展名的其他文件）。"
            ),
            UploadError::BadExtension { file, allowed } => write!(
                f,
                "“{file}”的扩展名不受支持，请上传{}。",
                alternatives(allowed, true)
            ),
            UploadError::NotAllowed {
                file,
                found,
                allowed,
            } => write!(
                f,
                "“{file}”是{found}，不是{}，请上传{}。",
                alternatives(allowed, false),
                alternatives(allowed, true)
            ),
            UploadError::Encrypted { file } => write!(
                f,
                "“{file}”设有打开密码，无法读取，请在Office中取消密码、重新保存后再上传。"
            ),
            UploadError::Corrupt { file, claimed } => write!(
                f,
                "“{file}”已损坏，无法作为{claimed}读取，请在原软件中打开后重新保存再上传。"
            ),
            UploadError::ZipBomb { file, reason } => write!(
                f,
                "“{file}”被拒绝：{reason}，疑似压缩炸弹。如确为正常文件，请拆分后分别上传。"
            ),
            UploadError::Io { file, .. } => {
                write!(f, "无法读取上传的文件“{file}”，请重新上传。")
            }
        }
    }
}

impl std::error::Error for UploadError {}

impl UploadError {
    /// Whether the refusal is about size (the file's, or a zip's unpacked): HTTP 413.
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            UploadError::TooLarge { .. } | UploadError::ZipBomb { .. }
        )
    }
}

/// `50 MB`, `1 GB`, `3.5 MB` (binary units, named as people name them).
fn human_size(n: u64) -> String {
    const GIB: u64 = 1 << 30;
    let (unit, name) = if n >= GIB { (GIB, "GB") } else { (MIB, "MB") };
    if n.is_multiple_of(unit) {
        format!("{} {name}", n / unit)
    } else if n < MIB / 10 {
        format!("{} KB", n.div_ceil(1024))
    } else {
        format!("{:.1} {name}", n as f64 / unit as f64)
    }
}

// ---- sources ------------------------------------------------------------------------------

/// Random access to the file being checked: bytes in memory, or a file on disk.
trait Source {
    fn size(&self) -> u64;
    /// Reads at `offset` into `buf`, fewer bytes only at the end; returns the count.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Exactly `buf.len()` bytes at `offset`, or `UnexpectedEof`.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if self.read_at(offset, buf)? == buf.len() {
            Ok(())
        } else {
            Err(io::ErrorKind::UnexpectedEof.into())
        }
    }
}

impl Source for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

struct FileSource {
    file: RefCell<File>,
    len: u64,
}

impl Source for FileSource {
    fn size(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut f = self.file.borrow_mut();
        f.seek(SeekFrom::Start(offset))?;
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
}

// ---- sniffing -----------------------------------------------------------------------------

/// What a file is, by its content: `None` for an empty file or one of no kind we know.
/// A zip whose central directory cannot be read (or is too large to look through) is a
/// plain [`FileKind::Zip`].
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    inspect(bytes, UploadLimits::default().max_zip_entries)
        .ok()
        .and_then(|i| i.kind)
}

/// [`sniff`] for a file on disk (read in bounded chunks).
pub fn sniff_path(path: &Path) -> io::Result<Option<FileKind>> {
    let src = open(path)?;
    Ok(inspect(&src, UploadLimits::default().max_zip_entries)?.kind)
}

fn open(path: &Path) -> io::Result<FileSource> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    Ok(FileSource {
        file: RefCell::new(file),
        len,
    })
}

/// What inspecting a file found.
struct Inspection {
    kind: Option<FileKind>,
    /// For a zip: its central directory, or why it could not be read.
    zip: Option<Result<ZipIndex, ZipProblem>>,
}

fn inspect(src: &(impl Source + ?Sized), max_entries: u64) -> io::Result<Inspection> {
    let mut head = [0u8; 1024];
    let n = src.read_at(0, &mut head)?;
    let head = &head[..n];
    let simple = |kind| {
        Ok(Inspection {
            kind: Some(kind),
            zip: None,
        })
    };
    if head.is_empty() {
        return Ok(Inspection {
            kind: None,
            zip: None,
        });
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let zip = zip_index(src, max_entries);
        let kind = match &zip {
            Ok(ix) => ix.kind(),
            Err(_) => FileKind::Zip,
        };
        return Ok(Inspection {
            kind: Some(kind),
            zip: Some(zip),
        });
    }
    if head.starts_with(&OLE_MAGIC) {
        return simple(ole_kind(src));
    }
    if head.starts_with(b"%PDF-") {
        return simple(FileKind::Pdf);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return simple(FileKind::Png);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return simple(FileKind::Jpeg);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return simple(FileKind::Gif);
    }
    if head.starts_with(b"Rar!\x1a\x07") {
        return simple(FileKind::Rar);
    }
    if head.starts_with(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        return simple(FileKind::SevenZip);
    }
    // PDF readers accept the header anywhere in the first kilobyte.
    if head.windows(5).any(|w| w == b"%PDF-") {
        return simple(FileKind::Pdf);
    }
    if is_markup(head) {
        return simple(FileKind::Markup);
    }
    Ok(Inspection {
        kind: is_text(src)?.then_some(FileKind::Csv),
        zip: None,
    })
}

fn is_markup(head: &[u8]) -> bool {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let lower: Vec<u8> = body[start..]
        .iter()
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect();
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<?xml",
        b"<svg",
        b"<script",
        b"<head",
        b"<body",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

// ---- text ---------------------------------------------------------------------------------

/// Whether the file is text: it decodes as UTF-8 (BOM or not), GB18030 or BOM-marked
/// UTF-16, holds no NUL, and the undecodable bytes and control characters (other than tab,
/// CR, LF) stay rare — the CSV reader rejects a row with undecodable bytes, not the file,
/// so a few are tolerated here too.
fn is_text(src: &(impl Source + ?Sized)) -> io::Result<bool> {
    let mut bom = [0u8; 3];
    let n = src.read_at(0, &mut bom)?;
    let bom = &bom[..n];
    let budget = 8 + src.size() / 1000;
    let tolerable = |s: Scan| matches!(s, Scan::Done { bad, controls } if bad + controls <= budget);
    if bom.starts_with(&[0xFF, 0xFE]) {
        return Ok(tolerable(decode_scan(src, 2, UTF_16LE, budget)?));
    }
    if bom.starts_with(&[0xFE, 0xFF]) {
        return Ok(tolerable(decode_scan(src, 2, UTF_16BE, budget)?));
    }
    if bom.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(tolerable(decode_scan(src, 3, UTF_8, budget)?));
    }
    // UTF-8 first; a file that is not (nearly) UTF-8 is tried as GB18030.
    match decode_scan(src, 0, UTF_8, budget)? {
        Scan::Binary => Ok(false),
        s @ Scan::Done { .. } if tolerable(s) => Ok(true),
        _ => Ok(tolerable(decode_scan(src, 0, GB18030, budget)?)),
    }
}

#[derive(Debug, Clone, Copy)]
enum Scan {
    /// Read through: undecodable sequences and control characters seen.
    Done { bad: u64, controls: u64 },
    /// A NUL.
    Binary,
    /// More undecodable sequences than the budget.
    GaveUp,
}

fn decode_scan(
    src: &(impl Source + ?Sized),
    skip: u64,
    enc: &'static Encoding,
    budget: u64,
) -> io::Result<Scan> {
    use encoding_rs::DecoderResult;
    const CHUNK: usize = 64 * 1024;
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut input = vec![0u8; CHUNK];
    let mut output = vec![0u8; CHUNK * 3 + 16];
    let mut offset = skip;
    let (mut bad, mut controls) = (0u64, 0u64);
    loop {
        let n = src.read_at(offset, &mut input)?;
        offset += n as u64;
        let last = n < CHUNK;
        let mut chunk = &input[..n];
        loop {
            let (result, read, written) =
                decoder.decode_to_utf8_without_replacement(chunk, &mut output, last);
            for &b in &output[..written] {
                if b == 0 {
                    return Ok(Scan::Binary);
                }
                if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
                    controls += 1;
                }
            }
            chunk = &chunk[read..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(..) => {
                    bad += 1;
                    if bad > budget {
                        return Ok(Scan::GaveUp);
                    }
                }
            }
        }
        if last {
            return Ok(Scan::Done { bad, controls });
        }
    }
}

// ---- OLE2 compound files ------------------------------------------------------------------

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The kind of an OLE2 compound file, by the names in its directory (the first sectors of
/// the directory chain only: the streams that matter come first).
fn ole_kind(src: &(impl Source + ?Sized)) -> FileKind {
    let names = ole_names(src).unwrap_or_default();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("EncryptedPackage") {
        FileKind::EncryptedOffice
    } else if has("Workbook") || has("Book") {
        FileKind::Xls
    } else if has("WordDocument") {
        FileKind::Doc
    } else if has("PowerPoint Document") {
        FileKind::Ppt
    } else {
        FileKind::Ole
    }
}

fn ole_names(src: &(impl Source + ?Sized)) -> Option<Vec<String>> {
    const END: u32 = 0xFFFF_FFFA;
    let mut header = [0u8; 512];
    src.read_exact_at(0, &mut header).ok()?;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let shift = u16::from_le_bytes([header[0x1E], header[0x1F]]);
    if !(7..=16).contains(&shift) {
        return None;
    }
    let sector_size = 1u64 << shift;
    let per_fat_sector = sector_size / 4;
    let fat_sectors: Vec<u32> = (0..109).map(|i| u32_at(&header, 0x4C + i * 4)).collect();
    let mut sector = u32_at(&header, 0x30);
    let mut names = Vec::new();
    let mut buf = vec![0u8; sector_size as usize];
    for _ in 0..64 {
        if sector >= END {
            break;
        }
        src.read_exact_at((u64::from(sector) + 1) << shift, &mut buf)
            .ok()?;
        for entry in buf.chunks_exact(128) {
            let len = usize::from(u16::from_le_bytes([entry[0x40], entry[0x41]])).min(64);
            let units: Vec<u16> = entry[..len]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect();
            if !units.is_empty() {
                names.push(String::from_utf16_lossy(&units));
            }
        }
        // Next directory sector: the FAT entry of this one.
        let fat_index = u64::from(sector) / per_fat_sector;
        let Some(&fat_sector) = fat_sectors.get(fat_index as usize) else {
            break;
        };
        if fat_sector >= END {
            break;
        }
        let mut next = [0u8; 4];
        let at = ((u64::from(fat_sector) + 1) << shift) + (u64::from(sector) % per_fat_sector) * 4;
        src.read_exact_at(at, &mut next).ok()?;
        sector = u32::from_le_bytes(next);
    }
    Some(names)
}

// ---- zip central directory ----------------------------------------------------------------

/// What a zip's central directory declares.
#[derive(Debug, Default)]
struct ZipIndex {
    entries: u64,
    /// Sum of the declared uncompressed sizes (saturating).
    total_uncompressed: u64,
    /// The entry (of at least [`RATIO_MIN_SIZE`] unpacked) with the highest declared ratio:
    /// name, uncompressed, compressed size.
    worst_ratio: Option<(String, u64, u64)>,
    /// Two entries' local data overlap, or one runs into the central directory.
    overlap: bool,
    content_types: bool,
    workbook: bool,
    document: bool,
    presentation: bool,
}

impl ZipIndex {
    fn kind(&self) -> FileKind {
        if !self.content_types {
            FileKind::Zip
        } else if self.workbook {
            FileKind::Xlsx
        } else if self.document {
            FileKind::Docx
        } else if self.presentation {
            FileKind::Pptx
        } else {
            FileKind::Zip
        }
    }

    /// The first zip-bomb limit the declared directory breaks.
    fn bomb(&self, limits: &UploadLimits) -> Option<ZipBomb> {
        if self.entries > limits.max_zip_entries {
            return Some(ZipBomb::TooManyEntries {
                entries: self.entries,
                max: limits.max_zip_entries,
            });
        }
        if self.total_uncompressed > limits.max_uncompressed_total {
            return Some(ZipBomb::TooLargeUnpacked {
                total: self.total_uncompressed,
                max: limits.max_uncompressed_total,
            });
        }
        if let Some((name, u, c)) = &self.worst_ratio {
            if u128::from(*u) > u128::from(*c) * u128::from(limits.max_ratio) {
                return Some(ZipBomb::Ratio {
                    entry: name.clone(),
                    ratio: u.checked_div(*c).unwrap_or(u64::MAX),
                    max: limits.max_ratio,
                });
            }
        }
        self.overlap.then_some(ZipBomb::Overlap)
    }
}

#[derive(Debug)]
enum ZipProblem {
    /// The directory cannot be found or parsed.
    Malformed,
    /// More entries than the inspection looks through (declared or counted).
    TooManyEntries(u64),
}

/// Bytes from a region of the source, through a 64 KiB window.
struct Window<'a, S: Source + ?Sized> {
    src: &'a S,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl<'a, S: Source + ?Sized> Window<'a, S> {
    fn new(src: &'a S, start: u64, end: u64) -> Self {
        Window {
            src,
            pos: start,
            end,
            buf: Vec::new(),
            buf_start: start,
        }
    }

    /// The next `n` bytes, or `None` past the region's end.
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let want_end = self.pos.checked_add(n as u64)?;
        if want_end > self.end {
            return None;
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if self.pos < self.buf_start || want_end > buf_end {
            let len = (self.end - self.pos).min((n as u64).max(64 * 1024));
            self.buf.resize(len as usize, 0);
            self.src.read_exact_at(self.pos, &mut self.buf).ok()?;
            self.buf_start = self.pos;
        }
        let from = (self.pos - self.buf_start) as usize;
        self.pos = want_end;
        Some(&self.buf[from..from + n])
    }
}

fn le16(b: &[u8], i: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[i], b[i + 1]]))
}

fn le32(b: &[u8], i: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]))
}

fn le64(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

/// Reads the central directory (never an entry's data): at most `max_entries` entries.
fn zip_index(src: &(impl Source + ?Sized), max_entries: u64) -> Result<ZipIndex, ZipProblem> {
    use ZipProblem::Malformed;
    let len = src.size();
    // The end-of-central-directory record: 22 bytes and a comment of up to 65,535.
    let tail_len = len.min(22 + 65_535);
    let tail_start = len - tail_len;
    let mut tail = vec![0u8; tail_len as usize];
    src.read_exact_at(tail_start, &mut tail)
        .map_err(|_| Malformed)?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| {
            tail[i..].starts_with(b"PK\x05\x06")
                && i + 22 + le16(&tail, i + 20) as usize <= tail.len()
        })
        .ok_or(Malformed)?;
    let eocd_pos = tail_start + eocd as u64;
    let e = &tail[eocd..eocd + 22];
    let (mut declared, mut cd_size, mut cd_offset) = (le16(e, 10), le32(e, 12), le32(e, 16));
    let mut cd_end_limit = eocd_pos;
    if declared == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        // Zip64: the locator sits just before the record and points at the zip64 record.
        let loc_pos = eocd_pos.checked_sub(20).ok_or(Malformed)?;
        let mut loc = [0u8; 20];
        src.read_exact_at(loc_pos, &mut loc)
            .map_err(|_| Malformed)?;
        if !loc.starts_with(b"PK\x06\x07") {
            return Err(Malformed);
        }
        let rec_pos = le64(&loc, 8);
        let mut rec = [0u8; 56];
        src.read_exact_at(rec_pos, &mut rec)
            .map_err(|_| Malformed)?;
        if !rec.starts_with(b"PK\x06\x06") || rec_pos >= loc_pos {
            return Err(Malformed);
        }
        declared = le64(&rec, 32);
        cd_size = le64(&rec, 40);
        cd_offset = le64(&rec, 48);
        cd_end_limit = rec_pos;
    }
    if declared > max_entries {
        return Err(ZipProblem::TooManyEntries(declared));
    }
    let cd_end = cd_offset.checked_add(cd_size).ok_or(Malformed)?;
    if cd_end > cd_end_limit {
        return Err(Malformed);
    }
    let mut ix = ZipIndex::default();
    let mut spans: Vec<(u64, u64)> = Vec::new();
    let mut w = Window::new(src, cd_offset, cd_end);
    while w.pos < cd_end {
        let fixed = w.take(46).ok_or(Malformed)?;
        if !fixed.starts_with(b"PK\x01\x02") {
            return Err(Malformed);
        }
        let (mut csize, mut usize_, mut offset) =
            (le32(fixed, 20), le32(fixed, 24), le32(fixed, 42));
        let (name_len, extra_len, comment_len) = (
            le16(fixed, 28) as usize,
            le16(fixed, 30) as usize,
            le16(fixed, 32) as usize,
        );
        let var = w
            .take(name_len + extra_len + comment_len)
            .ok_or(Malformed)?;
        let name = String::from_utf8_lossy(&var[..name_len]).into_owned();
        // The zip64 extra field holds, in this order, each of the three that is all ones.
        let mut extra = &var[name_len..name_len + extra_len];
        while extra.len() >= 4 {
            let (id, size) = (le16(extra, 0), le16(extra, 2) as usize);
            let data = extra.get(4..4 + size).ok_or(Malformed)?;
            if id == 1 {
                let mut at = 0;
                for field in [&mut usize_, &mut csize, &mut offset] {
                    if *field == 0xFFFF_FFFF {
                        *field = le64(data.get(at..at + 8).ok_or(Malformed)?, 0);
                        at += 8;
                    }
                }
            }
            extra = &extra[4 + size..];
        }
        ix.entries += 1;
        if ix.entries > max_entries {
            return Err(ZipProblem::TooManyEntries(ix.entries));
        }
        ix.total_uncompressed = ix.total_uncompressed.saturating_add(usize_);
        if usize_ >= RATIO_MIN_SIZE {
            let worse = match &ix.worst_ratio {
                None => true,
                Some((_, u, c)) => {
                    u128::from(usize_) * u128::from(*c) > u128::from(*u) * u128::from(csize)
                }
            };
            if worse {
                let shown: String = name.chars().take(80).collect();
                ix.worst_ratio = Some((shown, usize_, csize));
            }
        }
        spans.push((offset, csize));
        let n = name.trim_start_matches('/');
        ix.content_types |= n.eq_ignore_ascii_case("[Content_Types].xml");
        ix.workbook |= n.eq_ignore_ascii_case("xl/workbook.xml");
        ix.document |= n.eq_ignore_ascii_case("word/document.xml");
        ix.presentation |= n.eq_ignore_ascii_case("ppt/presentation.xml");
    }
    // Each entry is a 30-byte local header (plus name and extra) and its data; none may
    // reach into the next one or into the central directory.
    spans.sort_unstable();
    for (i, &(offset, csize)) in spans.iter().enumerate() {
        let next = spans.get(i + 1).map_or(cd_offset, |s| s.0);
        let end = offset.saturating_add(30).saturating_add(csize);
        if end > next {
            ix.overlap = true;
        }
    }
    Ok(ix)
}

// ---- checking an upload -------------------------------------------------------------------

/// Checks an upload held in memory: not empty, within `limits.max_bytes`, its content of
/// one of the `allowed` kinds and agreeing with the extension of `declared_name`, and — for
/// a zip container — within the zip-bomb limits. Returns the kind found.
pub fn check_upload(
    bytes: &[u8],
    declared_name: &str,
    allowed: &[FileKind],
    limits: &UploadLimits,
) -> Result<FileKind, UploadError> {
    check(bytes, declared_name, allowed, limits)
}

/// [`check_upload`] for a file on disk: reads its head and, for a zip, its central
/// directory; a text file is read through (streaming) to check its encoding.
pub fn check_upload_path(
    path: &Path,
    declared_name: &str,
    allowed: &[FileKind],
    limits: &UploadLimits,
) -> Result<FileKind, UploadError> {
    let io_error = |e: io::Error| UploadError::Io {
        file: declared_name.to_string(),
        message: e.to_string(),
    };
    let src = open(path).map_err(io_error)?;
    check(&src, declared_name, allowed, limits)
}

fn check(
    src: &(impl Source + ?Sized),
    declared_name: &str,
    allowed: &[FileKind],
    limits: &UploadLimits,
) -> Result<FileKind, UploadError> {
    let file = declared_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(declared_name)
        .to_string();
    let size = src.size();
    if size == 0 {
        return Err(UploadError::Empty { file });
    }
    if size > limits.max_bytes {
        return Err(UploadError::TooLarge {
            file,
            size,
            max: limits.max_bytes,
        });
    }
    let found = inspect(src, limits.max_zip_entries).map_err(|e| UploadError::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    // A zip is held to the bomb limits before anything else is said of it.
    match &found.zip {
        Some(Err(ZipProblem::TooManyEntries(entries))) => {
            return Err(UploadError::ZipBomb {
                file,
                reason: ZipBomb::TooManyEntries {
                    entries: *entries,
                    max: limits.max_zip_entries,
                },
            })
        }
        Some(Ok(ix)) => {
            if let Some(reason) = ix.bomb(limits) {
                return Err(UploadError::ZipBomb { file, reason });
            }
        }
        _ => {}
    }
    let claimed = FileKind::from_name(&file);
    let Some(kind) = found.kind else {
        return Err(match claimed {
            Some(claimed) => UploadError::NotClaimedKind { file, claimed },
            None => UploadError::BadExtension {
                file,
                allowed: allowed.to_vec(),
            },
        });
    };
    let ext = extension_of(&file);
    let ext_agrees = ext
        .as_deref()
        .is_some_and(|e| kind.extensions().contains(&e));
    if !ext_agrees {
        return Err(match claimed {
            // A damaged zip named as a zip-based kind: damaged, not renamed.
            Some(claimed) if claimed.is_zip() && matches!(found.zip, Some(Err(_))) => {
                UploadError::Corrupt { file, claimed }
            }
            Some(claimed) => UploadError::Mismatch {
                file,
                claimed,
                found: kind,
            },
            None => UploadError::BadExtension {
                file,
                allowed: allowed.to_vec(),
            },
        });
    }
    if kind == FileKind::EncryptedOffice {
        return Err(UploadError::Encrypted { file });
    }
    if matches!(found.zip, Some(Err(_))) {
        return Err(UploadError::Corrupt {
            file,
            claimed: claimed.unwrap_or(FileKind::Zip),
        });
    }
    if !allowed.contains(&kind) {
        return Err(UploadError::NotAllowed {
            file,
            found: kind,
            allowed: allowed.to_vec(),
        });
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const SHEETS: &[FileKind] = &[FileKind::Xlsx, FileKind::Csv];

    fn limits() -> UploadLimits {
        UploadLimits::default()
    }

    fn real_xlsx() -> Vec<u8> {
        crate::write_table_xlsx(
            "人员",
            &["姓名", "身份证号"],
            (0..50).map(|i| vec![format!("测试{i}"), format!("50011219900101{i:04}")]),
        )
        .unwrap()
    }

    /// A zip written by the zip crate: `(name, bytes, deflated)` entries.
    fn zip_of(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, bytes, deflated) in entries {
            let method = if *deflated {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .large_file(bytes.len() as u64 >= u32::MAX as u64);
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// A hand-made zip: local headers with `data_len` bytes of data each, and a central
    /// directory declaring `(name, compressed, uncompressed, local offset or None)`.
    fn raw_zip(entries: &[(&str, u64, u64, Option<u64>)], data_len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        for (name, ..) in entries {
            offsets.push(out.len() as u64);
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&(data_len as u32).to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend(std::iter::repeat_n(0u8, data_len));
        }
        let cd_start = out.len() as u64;
        for (i, (name, c, u, at)) in entries.iter().enumerate() {
            let big = *c >= u32::MAX as u64 || *u >= u32::MAX as u64;
            out.extend_from_slice(b"PK\x01\x02");
            out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            let (c32, u32_) = if big {
                (u32::MAX, u32::MAX)
            } else {
                (*c as u32, *u as u32)
            };
            out.extend_from_slice(&c32.to_le_bytes());
            out.extend_from_slice(&u32_.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(if big { 20u16 } else { 0 }).to_le_bytes());
            out.extend_from_slice(&[0; 6]);
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(at.unwrap_or(offsets[i]) as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            if big {
                out.extend_from_slice(&1u16.to_le_bytes());
                out.extend_from_slice(&16u16.to_le_bytes());
                out.extend_from_slice(&u.to_le_bytes());
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        let cd_size = out.len() as u64 - cd_start;
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd_size as u32).to_le_bytes());
        out.extend_from_slice(&(cd_start as u32).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

    #[test]
    fn a_real_workbook_is_an_xlsx_and_passes() {
        let x = real_xlsx();
        assert_eq!(sniff(&x), Some(FileKind::Xlsx));
        assert_eq!(
            check_upload(&x, "人员台账.xlsx", SHEETS, &limits()),
            Ok(FileKind::Xlsx)
        );
        assert_eq!(
            check_upload(&x, "人员台账.XLSX", SHEETS, &limits()),
            Ok(FileKind::Xlsx),
            "extensions compare without case"
        );
        let template = crate::template_workbook(&crate::Reference::default()).unwrap();
        assert_eq!(
            check_upload(&template, "模板.xlsx", SHEETS, &limits()),
            Ok(FileKind::Xlsx)
        );
    }

    #[test]
    fn a_file_on_disk_is_checked_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload");
        std::fs::write(&path, real_xlsx()).unwrap();
        assert_eq!(sniff_path(&path).unwrap(), Some(FileKind::Xlsx));
        assert_eq!(
            check_upload_path(&path, "a.xlsx", SHEETS, &limits()),
            Ok(FileKind::Xlsx)
        );
        std::fs::write(&path, PDF).unwrap();
        assert!(matches!(
            check_upload_path(&path, "a.xlsx", SHEETS, &limits()),
            Err(UploadError::Mismatch { .. })
        ));
        std::fs::write(&path, "姓名,身份证号\n张三,1\n").unwrap();
        assert_eq!(
            check_upload_path(&path, "人员.csv", SHEETS, &limits()),
            Ok(FileKind::Csv)
        );
    }

    #[test]
    fn a_pdf_renamed_xlsx_is_refused_with_a_chinese_reason() {
        assert_eq!(sniff(PDF), Some(FileKind::Pdf));
        let e = check_upload(PDF, "台账.xlsx", SHEETS, &limits()).unwrap_err();
        assert_eq!(
            e,
            UploadError::Mismatch {
                file: "台账.xlsx".into(),
                claimed: FileKind::Xlsx,
                found: FileKind::Pdf
            }
        );
        let m = e.to_string();
        assert!(
            m.contains("文件内容与扩展名不符") && m.contains("PDF") && m.contains("不是xlsx工作簿"),
            "{m}"
        );
        // Named as what it is, it is still not a spreadsheet.
        let e = check_upload(PDF, "台账.pdf", SHEETS, &limits()).unwrap_err();
        assert!(matches!(
            e,
            UploadError::NotAllowed {
                found: FileKind::Pdf,
                ..
            }
        ));
        assert!(e.to_string().contains("不是xlsx工作簿或CSV文件"), "{e}");
    }

    #[test]
    fn images_and_renamed_files_are_told_by_content() {
        assert_eq!(sniff(PNG), Some(FileKind::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), Some(FileKind::Jpeg));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some(FileKind::Gif));
        assert_eq!(sniff(b"Rar!\x1a\x07\x01\0"), Some(FileKind::Rar));
        assert_eq!(
            sniff(b"<!DOCTYPE html><html><script>alert(1)</script>"),
            Some(FileKind::Markup)
        );
        let e = check_upload(PNG, "照片.png", SHEETS, &limits()).unwrap_err();
        assert!(
            e.to_string().contains("PNG图片，不是xlsx工作簿或CSV文件"),
            "{e}"
        );
        let e = check_upload(PNG, "人员.csv", SHEETS, &limits()).unwrap_err();
        assert!(matches!(
            e,
            UploadError::Mismatch {
                claimed: FileKind::Csv,
                found: FileKind::Png,
                ..
            }
        ));
        // An xlsx renamed .csv, and a CSV renamed .xlsx.
        let e = check_upload(&real_xlsx(), "人员.csv", SHEETS, &limits()).unwrap_err();
        assert!(matches!(
            e,
            UploadError::Mismatch {
                claimed: FileKind::Csv,
                found: FileKind::Xlsx,
                ..
            }
        ));
        let e =
            check_upload("姓名\n张三\n".as_bytes(), "人员.xlsx", SHEETS, &limits()).unwrap_err();
        assert!(matches!(
            e,
            UploadError::Mismatch {
                claimed: FileKind::Xlsx,
                found: FileKind::Csv,
                ..
            }
        ));
        // A script page renamed .csv is markup, not a table.
        let e = check_upload(
            b"<html><body>x</body></html>",
            "人员.csv",
            SHEETS,
            &limits(),
        )
        .unwrap_err();
        assert!(matches!(
            e,
            UploadError::Mismatch {
                found: FileKind::Markup,
                ..
            }
        ));
        // No extension, or an unknown one.
        let e = check_upload(&real_xlsx(), "台账", SHEETS, &limits()).unwrap_err();
        assert!(matches!(e, UploadError::BadExtension { .. }));
        assert!(
            e.to_string()
                .contains("xlsx工作簿（.xlsx）或CSV文件（.csv）"),
            "{e}"
        );
        let e = check_upload(&real_xlsx(), "台账.dat", SHEETS, &limits()).unwrap_err();
        assert!(matches!(e, UploadError::BadExtension { .. }));
        // Binary junk named .xlsx.
        let e = check_upload(&[0u8, 1, 2, 3, 0, 0], "台账.xlsx", SHEETS, &limits()).unwrap_err();
        assert!(matches!(
            e,
            UploadError::NotClaimedKind {
                claimed: FileKind::Xlsx,
                ..
            }
        ));
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert_eq!(sniff(b""), None);
        let e = check_upload(b"", "人员.csv", SHEETS, &limits()).unwrap_err();
        assert_eq!(
            e,
            UploadError::Empty {
                file: "人员.csv".into()
            }
        );
        assert!(e.to_string().contains("空文件"));
    }

    #[test]
    fn a_file_over_the_size_limit_is_refused() {
        let small = UploadLimits {
            max_bytes: 1024,
            ..limits()
        };
        let csv = "姓名\n".repeat(300);
        let e = check_upload(csv.as_bytes(), "人员.csv", SHEETS, &small).unwrap_err();
        assert!(e.is_too_large());
        assert!(e.to_string().contains("文件超过"), "{e}");
        assert!(check_upload(&csv.as_bytes()[..1024], "人员.csv", SHEETS, &small).is_ok());
        assert!(UploadError::TooLarge {
            file: "a.csv".into(),
            size: 60 * MIB,
            max: 50 * MIB
        }
        .to_string()
        .contains("文件超过 50 MB 上限"),);
    }

    #[test]
    fn csv_text_in_utf8_gb18030_or_utf16_passes_and_binary_does_not() {
        let text = "统一社会信用代码,姓名\n91500112MA5U7W1X2K,张三\n";
        let (gb, _, bad) = GB18030.encode(text);
        assert!(!bad);
        assert!(std::str::from_utf8(&gb).is_err(), "really not UTF-8");
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        for bytes in [text.as_bytes(), &gb[..], &bom[..], &utf16[..]] {
            assert_eq!(sniff(bytes), Some(FileKind::Csv), "{bytes:?}");
            assert_eq!(
                check_upload(bytes, "人员.csv", SHEETS, &limits()),
                Ok(FileKind::Csv)
            );
        }
        let cut = &text.as_bytes()[..text.len() - 1];
        assert_eq!(
            sniff(cut),
            Some(FileKind::Csv),
            "a cut last character is tolerated"
        );
        assert_eq!(sniff(b"a,b\n\0\0\0\x01binary"), None, "NUL is binary");
        assert_eq!(sniff(&[0x81, 0x20].repeat(100)), None, "undecodable");
        let ctrl: Vec<u8> = (1u8..0x20).cycle().take(500).collect();
        assert_eq!(sniff(&ctrl), None, "control characters");
    }

    #[test]
    fn a_zip_with_a_highly_compressible_100_mb_entry_is_a_bomb() {
        let zeros = vec![0u8; 100 * 1024 * 1024];
        let bomb = zip_of(&[
            ("[Content_Types].xml", b"<Types/>", true),
            ("xl/workbook.xml", b"<workbook/>", true),
            ("xl/worksheets/sheet1.xml", &zeros, true),
        ]);
        drop(zeros);
        assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
        assert_eq!(
            sniff(&bomb),
            Some(FileKind::Xlsx),
            "still an xlsx by its entries"
        );
        let e = check_upload(&bomb, "台账.xlsx", SHEETS, &limits()).unwrap_err();
        match &e {
            UploadError::ZipBomb {
                reason: ZipBomb::Ratio { entry, ratio, .. },
                ..
            } => {
                assert_eq!(entry, "xl/worksheets/sheet1.xml");
                assert!(*ratio > 200, "{ratio}");
            }
            other => panic!("{other:?}"),
        }
        assert!(e.is_too_large());
        assert!(e.to_string().contains("疑似压缩炸弹"), "{e}");
    }

    #[test]
    fn a_directory_declaring_huge_sizes_is_refused_without_inflating_anything() {
        // 3 GiB claimed behind 2 MiB of data per entry: total over 1 GiB.
        let claims = raw_zip(
            &[
                ("[Content_Types].xml", 10, 10, None),
                ("xl/workbook.xml", 10, 10, None),
                ("xl/worksheets/sheet1.xml", 4 << 20, 3 << 30, None),
            ],
            16,
        );
        let e = check_upload(&claims, "台账.xlsx", SHEETS, &limits()).unwrap_err();
        assert!(
            matches!(
                e,
                UploadError::ZipBomb {
                    reason: ZipBomb::TooLargeUnpacked { .. },
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("压缩包解压后过大"), "{e}");
        // Zip64 sizes (over 4 GiB) are read from the extra field.
        let zip64 = raw_zip(
            &[
                ("[Content_Types].xml", 10, 10, None),
                ("xl/workbook.xml", 10, 10, None),
                ("xl/sharedStrings.xml", 5 << 30, 6 << 30, None),
            ],
            16,
        );
        match check_upload(&zip64, "台账.xlsx", SHEETS, &limits()).unwrap_err() {
            UploadError::ZipBomb {
                reason: ZipBomb::TooLargeUnpacked { total, .. },
                ..
            } => assert_eq!(total, (6 << 30) + 20),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn overlapping_entries_are_a_bomb() {
        let overlap = raw_zip(
            &[
                ("[Content_Types].xml", 16, 16, Some(0)),
                ("xl/workbook.xml", 16, 16, Some(0)),
            ],
            16,
        );
        let e = check_upload(&overlap, "台账.xlsx", SHEETS, &limits()).unwrap_err();
        assert!(
            matches!(
                e,
                UploadError::ZipBomb {
                    reason: ZipBomb::Overlap,
                    ..
                }
            ),
            "{e:?}"
        );
        let fine = raw_zip(
            &[
                ("[Content_Types].xml", 16, 16, None),
                ("xl/workbook.xml", 16, 16, None),
            ],
            16,
        );
        assert_eq!(
            check_upload(&fine, "台账.xlsx", SHEETS, &limits()),
            Ok(FileKind::Xlsx)
        );
    }

    #[test]
    fn too_many_entries_are_refused_from_the_declared_count() {
        let names: Vec<String> = (0..50).map(|i| format!("f{i}.txt")).collect();
        let entries: Vec<(&str, &[u8], bool)> = names
            .iter()
            .map(|n| (n.as_str(), &b""[..], false))
            .collect();
        let many = zip_of(&entries);
        let few = UploadLimits {
            max_zip_entries: 49,
            ..limits()
        };
        let e = check_upload(&many, "a.zip", &[FileKind::Zip], &few).unwrap_err();
        assert_eq!(
            e,
            UploadError::ZipBomb {
                file: "a.zip".into(),
                reason: ZipBomb::TooManyEntries {
                    entries: 50,
                    max: 49
                }
            }
        );
        assert_eq!(
            check_upload(&many, "a.zip", &[FileKind::Zip], &limits()),
            Ok(FileKind::Zip)
        );
    }

    #[test]
    fn office_containers_are_told_apart() {
        let docx = zip_of(&[
            ("[Content_Types].xml", b"<Types/>", true),
            ("word/document.xml", b"<document/>", true),
        ]);
        assert_eq!(sniff(&docx), Some(FileKind::Docx));
        let e = check_upload(&docx, "台账.xlsx", SHEETS, &limits()).unwrap_err();
        assert!(e.to_string().contains("是docx文档，不是xlsx工作簿"), "{e}");
        let plain = zip_of(&[("人员.csv", b"a,b", true)]);
        assert_eq!(sniff(&plain), Some(FileKind::Zip));
        // A truncated workbook: a zip without its central directory.
        let x = real_xlsx();
        let cut = &x[..x.len() / 2];
        assert_eq!(sniff(cut), Some(FileKind::Zip));
        let e = check_upload(cut, "台账.xlsx", SHEETS, &limits()).unwrap_err();
        assert!(
            matches!(
                e,
                UploadError::Corrupt {
                    claimed: FileKind::Xlsx,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    /// A minimal OLE2 file whose one directory sector holds `names`.
    fn ole(names: &[&str]) -> Vec<u8> {
        let mut f = vec![0u8; 512 * 3];
        f[..8].copy_from_slice(&OLE_MAGIC);
        f[0x1E] = 9; // 512-byte sectors
        f[0x2C] = 1; // one FAT sector
        f[0x30..0x34].copy_from_slice(&1u32.to_le_bytes()); // directory at sector 1
        f[0x4C..0x50].copy_from_slice(&0u32.to_le_bytes()); // FAT at sector 0
        for i in 1..109 {
            f[0x4C + i * 4..0x50 + i * 4].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        // FAT (sector 0, at 512): sector 0 is FAT, sector 1 ends its chain.
        f[512..516].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
        f[516..520].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        for (i, name) in names.iter().enumerate() {
            let at = 1024 + i * 128;
            let units: Vec<u16> = name.encode_utf16().collect();
            for (j, u) in units.iter().enumerate() {
                f[at + j * 2..at + j * 2 + 2].copy_from_slice(&u.to_le_bytes());
            }
            let len = (units.len() as u16 + 1) * 2;
            f[at + 0x40..at + 0x42].copy_from_slice(&len.to_le_bytes());
        }
        f
    }

    #[test]
    fn legacy_and_encrypted_office_files_are_told_by_their_streams() {
        let xls = ole(&["Root Entry", "Workbook"]);
        assert_eq!(sniff(&xls), Some(FileKind::Xls));
        let e = check_upload(&xls, "台账.xls", SHEETS, &limits()).unwrap_err();
        assert!(matches!(
            e,
            UploadError::NotAllowed {
                found: FileKind::Xls,
                ..
            }
        ));
        assert_eq!(
            sniff(&ole(&["Root Entry", "WordDocument"])),
            Some(FileKind::Doc)
        );
        let enc = ole(&["Root Entry", "EncryptionInfo", "EncryptedPackage"]);
        assert_eq!(sniff(&enc), Some(FileKind::EncryptedOffice));
        let e = check_upload(&enc, "台账.xlsx", SHEETS, &limits()).unwrap_err();
        assert_eq!(
            e,
            UploadError::Encrypted {
                file: "台账.xlsx".into()
            }
        );
        assert!(e.to_string().contains("打开密码"));
        assert_eq!(sniff(&ole(&["Root Entry"])), Some(FileKind::Ole));
    }

    #[test]
    fn kinds_name_their_extensions_and_media_types() {
        for k in FileKind::ALL {
            assert!(!k.label().is_empty());
            assert!(k.mime().contains('/'));
            assert!(!k.extension().is_empty());
        }
        assert_eq!(FileKind::from_name("a.b.XLSX"), Some(FileKind::Xlsx));
        assert_eq!(FileKind::from_name(".xlsx"), None);
        assert_eq!(FileKind::from_name("x"), None);
        assert_eq!(FileKind::from_name("人员.txt"), Some(FileKind::Csv));
        assert_eq!(human_size(50 * MIB), "50 MB");
        assert_eq!(
            UploadLimits::for_size(50 * MIB),
            UploadLimits {
                max_uncompressed_total: 1250 * MIB,
                ..UploadLimits::default()
            }
        );
        assert_eq!(
            UploadLimits::for_size(MIB),
            UploadLimits {
                max_bytes: MIB,
                ..UploadLimits::default()
            }
        );
        assert_eq!(human_size(1 << 30), "1 GB");
    }
}
