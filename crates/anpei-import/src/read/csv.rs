//! CSV files: encoding detection (UTF-8 with or without BOM, else GB18030; UTF-16 with a
//! BOM), delimiter detection (comma, or tab for Excel's "Unicode 文本"), then records
//! streamed into the engine.

use super::decode::DecodeReader;
use super::engine::{Engine, RowBuf, MAX_CELLS};
use super::pipe;
use super::read_up_to;
use crate::ImportError;
use anpei_core::ledger::Table;
use std::io::{BufRead, BufReader, Cursor, Read};

/// How much of the file decides its encoding: the header row, in Chinese, is in it.
const SNIFF: usize = 64 * 1024;

pub(crate) fn read_csv<R: Read + Send>(
    mut input: R,
    file: &str,
    table: Table,
    engine: &mut Engine,
) -> Result<(), ImportError> {
    let mut head = vec![0u8; SNIFF];
    let n = read_up_to(&mut input, &mut head)?;
    head.truncate(n);
    let (encoding, bom) = detect_encoding(&head);
    let file = file.to_string();
    pipe::run(
        engine,
        &[(table, table.sheet().to_string())],
        move |feeder| {
            let mut start = Cursor::new(head);
            start.set_position(bom as u64);
            let raw = start.chain(input);
            let text: Box<dyn Read> = match encoding {
                Some(enc) => Box::new(DecodeReader::new(raw, enc)),
                None => Box::new(raw),
            };
            let mut text = BufReader::with_capacity(SNIFF, text);
            let delimiter = detect_delimiter(text.fill_buf().map_err(ImportError::Io)?);
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .buffer_capacity(SNIFF)
                .from_reader(text);
            let mut record = csv::ByteRecord::new();
            let mut row = RowBuf::default();
            // The record's index is its row in Excel: Excel writes an empty row as `,,,` and a
            // cell with line breaks as one quoted field. (A truly empty line, which only a text
            // editor leaves, is skipped and not counted.)
            let mut row_no = 0;
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => return Err(csv_error(&file, row_no + 1, e).into()),
                }
                row_no += 1;
                for (i, field) in record.iter().take(MAX_CELLS).enumerate() {
                    match std::str::from_utf8(field) {
                        Ok(s) => row.cell_mut(i).push_str(s),
                        Err(_) => {
                            row.cell_mut(i).push_str(&String::from_utf8_lossy(field));
                            row.bad_text = true;
                        }
                    }
                }
                feeder.push(row_no, &mut row)?;
            }
            feeder.end_sheet()?;
            Ok(())
        },
    )
}

/// The encoding to decode from (`None`: UTF-8 as it is) and the length of the BOM to skip.
fn detect_encoding(head: &[u8]) -> (Option<&'static encoding_rs::Encoding>, usize) {
    if head.starts_with(b"\xEF\xBB\xBF") {
        (None, 3)
    } else if head.starts_with(b"\xFF\xFE") {
        (Some(encoding_rs::UTF_16LE), 2)
    } else if head.starts_with(b"\xFE\xFF") {
        (Some(encoding_rs::UTF_16BE), 2)
    } else {
        match std::str::from_utf8(head) {
            Ok(_) => (None, 0),
            // Cut in the middle of a character at the end of the window: still UTF-8.
            Err(e) if e.error_len().is_none() => (None, 0),
            Err(_) => (Some(encoding_rs::GB18030), 0),
        }
    }
}

/// Comma, unless the first line has tabs and no comma.
fn detect_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    if line.contains(&b'\t') && !line.contains(&b',') {
        b'\t'
    } else {
        b','
    }
}

fn csv_error(file: &str, row: usize, e: csv::Error) -> ImportError {
    if e.is_io_error() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return ImportError::Io(io);
        }
        return ImportError::Io(std::io::Error::other("CSV"));
    }
    ImportError::Csv {
        file: file.to_string(),
        row,
        source: e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_utf8_gb18030_and_boms() {
        assert_eq!(detect_encoding("姓名".as_bytes()), (None, 0));
        assert_eq!(detect_encoding("\u{feff}姓名".as_bytes()), (None, 3));
        let (gb, _, _) = encoding_rs::GB18030.encode("姓名,身份证号");
        assert_eq!(detect_encoding(&gb), (Some(encoding_rs::GB18030), 0));
        // A window that ends inside a character is still UTF-8.
        assert_eq!(detect_encoding(&"姓名".as_bytes()[..4]), (None, 0));
    }

    #[test]
    fn detects_tab_separated_text() {
        assert_eq!(detect_delimiter(b"a\tb\nc,d"), b'\t');
        assert_eq!(detect_delimiter(b"a,b\tc\n"), b',');
    }
}
