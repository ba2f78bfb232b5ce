//! Reading: format detection ([`read_path`], [`read_bytes`]), and the engine that turns the
//! rows of one sheet — whatever file they come from — into records or row errors.

mod csv;
mod decode;
mod engine;
mod pipe;
mod xlsx;

use crate::{ImportError, ReadSummary, Reference, Sink};
use anpei_core::ledger::Table;
use engine::Engine;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a file is read as: one table, the ledger's workbook (单位, 人员, 证书, 培训, 登记库), or
/// an online-training platform's logs (学习记录, 人脸核验, 课程, 在线考试).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    One(Table),
    Ledger,
    Online,
}

impl Select {
    /// The tables read, in the order a workbook's sheets are read.
    pub fn tables(self) -> Vec<Table> {
        match self {
            Select::One(t) => vec![t],
            Select::Ledger => Table::LEDGER.to_vec(),
            Select::Online => Table::ONLINE.to_vec(),
        }
    }

    pub fn includes(self, table: Table) -> bool {
        match self {
            Select::One(t) => t == table,
            Select::Ledger => !table.is_online(),
            Select::Online => table.is_online(),
        }
    }

    /// The one table, if only one is read.
    pub fn one(self) -> Option<Table> {
        match self {
            Select::One(t) => Some(t),
            _ => None,
        }
    }

    /// The names of the sheets read, as a message lists them: `单位、人员、证书、培训、登记库`.
    pub fn sheet_names(self) -> String {
        let names: Vec<&str> = self.tables().into_iter().map(Table::sheet).collect();
        names.join("、")
    }
}

/// `None` is the ledger's workbook, `Some` one table of it.
impl From<Option<Table>> for Select {
    fn from(t: Option<Table>) -> Select {
        t.map_or(Select::Ledger, Select::One)
    }
}

impl From<Table> for Select {
    fn from(t: Table) -> Select {
        Select::One(t)
    }
}

/// Reads the file at `path`: an xlsx workbook or a CSV holding one table. See [`read_bytes`]
/// for the formats. The file is streamed, never loaded whole.
pub fn read_path(
    path: &Path,
    table: impl Into<Select>,
    reference: &Reference,
    sink: &mut dyn Sink,
) -> Result<ReadSummary, ImportError> {
    read_path_counted(path, table, reference, sink, Arc::default())
}

/// [`read_path`], adding the bytes it reads from the file to `read` as it goes: with the
/// file's size, a measure of its progress for a progress bar.
pub fn read_path_counted(
    path: &Path,
    table: impl Into<Select>,
    reference: &Reference,
    sink: &mut dyn Sink,
    read: Arc<AtomicU64>,
) -> Result<ReadSummary, ImportError> {
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut file = File::open(path)?;
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut file, &mut magic)?;
    file.seek(SeekFrom::Start(0))?;
    let file = Counted { inner: file, read };
    let table = table.into();
    let mut engine = Engine::new(reference, sink);
    match kind_of(&magic[..n], &file_name)? {
        Kind::Xlsx => xlsx::read_workbook(
            BufReader::with_capacity(1 << 16, file),
            &file_name,
            table,
            &mut engine,
        )?,
        Kind::Csv => {
            let table = csv_table(table, &file_name)?;
            csv::read_csv(file, &file_name, table, &mut engine)?;
        }
    }
    Ok(engine.finish())
}

/// Reads an uploaded file held in memory.
///
/// - An xlsx workbook (detected by the zip signature `PK\x03\x04`, not by the name): the
///   sheets 单位, 人员, 证书, 培训 and 登记库 (or, for [`Select::Online`], 学习记录, 人脸核验, 课程
///   and 在线考试) are read in that order, so that a row can be
///   checked against the rows it refers to; a sheet named after a table with a number
///   (`培训2`, `培训(2)`) continues that table, since one sheet holds at most 1,048,576
///   rows. Other sheets are ignored with a warning (the template's 说明 and 下拉选项 silently).
///   With `table` given, only that table's sheets are read, and a workbook that has none
///   of them has its first sheet read as that table.
/// - Otherwise a CSV holding one table: `table`, or else the one named by the file name
///   (`人员.csv`). UTF-8 with or without BOM, or GB18030 as Chinese Excel writes it: a file
///   whose first 64 KiB (the Chinese header row and more) are not valid UTF-8 is taken as
///   GB18030. UTF-16 with a BOM and tab-separated text (Excel's "Unicode 文本") read too.
///   Decoding streams; a row that still holds undecodable bytes is rejected, not the file.
///   Rows are numbered by record, as Excel numbers the rows of a CSV it saved.
///
/// Parsing runs on a second thread while this one validates and calls `sink`, which need
/// not be `Send`; memory stays bounded by a few batches of rows (plus, for xlsx, the
/// workbook's shared-strings table).
///
/// The header is the first row naming a column of the table (title rows above it are
/// skipped with a warning); columns may come in any order; unknown columns are ignored with
/// one warning per sheet; a missing required column is an [`ImportError`].
pub fn read_bytes(
    bytes: &[u8],
    file_name: &str,
    table: impl Into<Select>,
    reference: &Reference,
    sink: &mut dyn Sink,
) -> Result<ReadSummary, ImportError> {
    let table = table.into();
    let mut engine = Engine::new(reference, sink);
    match kind_of(&bytes[..bytes.len().min(8)], file_name)? {
        Kind::Xlsx => xlsx::read_workbook(Cursor::new(bytes), file_name, table, &mut engine)?,
        Kind::Csv => {
            let table = csv_table(table, file_name)?;
            csv::read_csv(bytes, file_name, table, &mut engine)?;
        }
    }
    Ok(engine.finish())
}

/// The table a sheet (or CSV file stem) named `name` holds: `人员`, or a continuation sheet
/// of it such as `培训2`, `培训 (2)`, `培训_2`, `培训（2）`.
pub fn table_of_sheet(name: &str) -> Option<Table> {
    let name = crate::cells::trim(name);
    if let Some(t) = Table::from_sheet(name) {
        return Some(t);
    }
    Table::ALL.into_iter().find(|t| {
        name.strip_prefix(t.sheet()).is_some_and(|rest| {
            let rest = rest
                .trim_start_matches([' ', '_', '-', '(', '（'])
                .trim_end_matches([')', '）']);
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

enum Kind {
    Xlsx,
    Csv,
}

fn kind_of(magic: &[u8], file_name: &str) -> Result<Kind, ImportError> {
    let file = file_name.to_string();
    if magic.is_empty() {
        Err(ImportError::Empty { file })
    } else if magic.starts_with(b"PK\x03\x04") {
        Ok(Kind::Xlsx)
    } else if magic.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(ImportError::LegacyXls { file })
    } else if magic.starts_with(&[0xFF, 0xFE]) || magic.starts_with(&[0xFE, 0xFF]) {
        // UTF-16 text, as Excel's "Unicode 文本" writes it.
        Ok(Kind::Csv)
    } else if magic
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
        || magic.starts_with(b"PK")
        || magic.starts_with(b"%PDF")
    {
        Err(ImportError::NotSpreadsheet { file })
    } else {
        Ok(Kind::Csv)
    }
}

fn csv_table(select: Select, file_name: &str) -> Result<Table, ImportError> {
    let stem = Path::new(file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    select
        .one()
        .or_else(|| table_of_sheet(&stem).filter(|t| select.includes(*t)))
        .ok_or_else(|| ImportError::UnknownCsvTable {
            file: file_name.to_string(),
            tables: select.sheet_names(),
        })
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_sheets_belong_to_their_table() {
        assert_eq!(table_of_sheet("培训"), Some(Table::Trainings));
        assert_eq!(table_of_sheet(" 培训2 "), Some(Table::Trainings));
        assert_eq!(table_of_sheet("培训 (2)"), Some(Table::Trainings));
        assert_eq!(table_of_sheet("培训（3）"), Some(Table::Trainings));
        assert_eq!(table_of_sheet("登记库_2"), Some(Table::Registry));
        assert_eq!(table_of_sheet("培训记录"), None);
        assert_eq!(table_of_sheet("Sheet1"), None);
    }

    #[test]
    fn detects_the_format_by_content_not_name() {
        assert!(matches!(
            kind_of(b"PK\x03\x04rest", "a.csv"),
            Ok(Kind::Xlsx)
        ));
        assert!(matches!(
            kind_of("姓名,".as_bytes(), "a.xlsx"),
            Ok(Kind::Csv)
        ));
        assert!(matches!(
            kind_of(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], "a.xls"),
            Err(ImportError::LegacyXls { .. })
        ));
        assert!(matches!(
            kind_of(b"", "a.csv"),
            Err(ImportError::Empty { .. })
        ));
        assert!(matches!(
            kind_of(b"\x89PNG\r\n\x1a\n", "a.png"),
            Err(ImportError::NotSpreadsheet { .. })
        ));
    }
}
