//! The part of reading that does not care about the file format: finding a sheet's header,
//! validating each row, checking it against rows rejected earlier in the same workbook, and
//! handing it to the sink.

use crate::cells::trim;
use crate::schema::{
    self, columns, person as pc, required_columns, subject as sc, training as tc, HeaderMap,
};
use crate::validate::{self, RowView};
use crate::{ImportError, ReadSummary, Reference, Row, Sink};
use anpei_core::ids::{IdNumber, Uscc};
use anpei_core::ledger::{Fault, RowError, SheetHeader, Table};
use std::collections::{HashMap, HashSet};

/// How many non-empty rows may stand above the header (a title, a date line …).
const HEADER_SEARCH_ROWS: usize = 10;
/// Cells past this column are ignored (no format has more than a dozen columns).
pub(crate) const MAX_CELLS: usize = 256;

/// One row as a file reader hands it over; its strings are reused from row to row.
#[derive(Debug, Default)]
pub(crate) struct RowBuf {
    cells: Vec<String>,
    len: usize,
    /// Bit `i`: cell `i` came from a numeric xlsx cell.
    pub numeric: u64,
    /// Some cell held bytes that are not text in the file's encoding.
    pub bad_text: bool,
}

impl RowBuf {
    pub fn clear(&mut self) {
        for c in &mut self.cells[..self.len] {
            c.clear();
        }
        self.len = 0;
        self.numeric = 0;
        self.bad_text = false;
    }

    /// Cell `i`, for appending its text (`i` < [`MAX_CELLS`]).
    pub fn cell_mut(&mut self, i: usize) -> &mut String {
        if i >= self.cells.len() {
            self.cells.resize_with(i + 1, String::new);
        }
        self.len = self.len.max(i + 1);
        &mut self.cells[i]
    }

    fn cells(&self) -> &[String] {
        &self.cells[..self.len]
    }

    fn is_blank(&self) -> bool {
        self.cells().iter().all(|c| trim(c).is_empty())
    }

    fn is_blank_in(&self, map: &HeaderMap) -> bool {
        (0..schema::MAX_COLUMNS)
            .filter_map(|col| map.get(col))
            .all(|i| self.cells().get(i).is_none_or(|c| trim(c).is_empty()))
    }

    fn pad_to(&mut self, width: usize) {
        if width > self.len {
            self.cell_mut(width - 1);
        }
    }
}

/// A sheet being read.
pub(crate) struct Sheet {
    table: Table,
    name: String,
    header: Option<HeaderMap>,
    /// Non-empty rows seen above the header.
    above_header: usize,
}

/// Keys of rows rejected in this workbook, so that rows referring to them are rejected too.
#[derive(Default)]
struct Links {
    enabled: bool,
    rejected_subjects: HashMap<Uscc, usize>,
    accepted_subjects: HashSet<Uscc>,
    rejected_persons: HashMap<IdNumber, usize>,
    accepted_persons: HashSet<IdNumber>,
}

impl Links {
    /// The first reference of an accepted row to a rejected row.
    fn check(&self, table: Table, row: &Row) -> Option<Fault> {
        if self.rejected_subjects.is_empty() && self.rejected_persons.is_empty() {
            return None;
        }
        let subject = |uscc: &Uscc, column: &str| {
            self.rejected_subjects.get(uscc).map(|n| {
                Fault::new(
                    column,
                    format!("所属单位在“单位”表第{n}行已被拒绝，应先改正该行"),
                )
            })
        };
        let person = |id: &IdNumber, column: &str| {
            self.rejected_persons.get(id).map(|n| {
                Fault::new(
                    column,
                    format!("该人员在“人员”表第{n}行已被拒绝，应先改正该行"),
                )
            })
        };
        match row {
            Row::Person(p) => subject(&p.employer, pc::COLUMNS[pc::USCC]),
            Row::Certificate(c) if table == Table::Certificates => {
                person(&c.id_number, schema::certificate::COLUMNS[0])
            }
            Row::Training(t) => subject(&t.employer, tc::COLUMNS[tc::USCC])
                .or_else(|| person(&t.id_number, tc::COLUMNS[tc::ID])),
            _ => None,
        }
    }

    fn accept(&mut self, row: &Row) {
        match row {
            Row::Subject(s) => {
                self.rejected_subjects.remove(&s.uscc);
                self.accepted_subjects.insert(s.uscc.clone());
            }
            Row::Person(p) => {
                self.rejected_persons.remove(&p.id_number);
                self.accepted_persons.insert(p.id_number.clone());
            }
            _ => {}
        }
    }

    /// Remembers the key of a rejected 单位 or 人员 row, if its key itself is valid.
    fn reject(&mut self, table: Table, view: &RowView, row_no: usize) {
        let cell = |col: usize| {
            view.map
                .get(col)
                .and_then(|i| view.cells.get(i))
                .map_or("", |s| trim(s))
        };
        match table {
            Table::Subjects => {
                if let Ok(k) = Uscc::parse(&validate::compact(cell(sc::USCC))) {
                    if !self.accepted_subjects.contains(&k) {
                        self.rejected_subjects.entry(k).or_insert(row_no);
                    }
                }
            }
            Table::Persons => {
                if let Ok(k) = IdNumber::parse(&validate::compact(cell(pc::ID))) {
                    if !self.accepted_persons.contains(&k) {
                        self.rejected_persons.entry(k).or_insert(row_no);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Turns rows into records or errors for a sink, and keeps the summary.
pub(crate) struct Engine<'a> {
    reference: &'a Reference,
    sink: &'a mut dyn Sink,
    read: [usize; Table::ALL.len()],
    rejected: [usize; Table::ALL.len()],
    sheets: Vec<String>,
    warnings: usize,
    links: Links,
}

fn slot(t: Table) -> usize {
    Table::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

impl<'a> Engine<'a> {
    pub fn new(reference: &'a Reference, sink: &'a mut dyn Sink) -> Self {
        Self {
            reference,
            sink,
            read: [0; Table::ALL.len()],
            rejected: [0; Table::ALL.len()],
            sheets: Vec::new(),
            warnings: 0,
            links: Links::default(),
        }
    }

    /// Checks rows against the 单位 and 人员 rows rejected earlier in the same file (a
    /// workbook; a CSV holds one table and has nothing to link).
    pub fn link_rows(&mut self) {
        self.links.enabled = true;
    }

    pub fn warn(&mut self, message: String) {
        self.warnings += 1;
        self.sink.warning(message);
    }

    pub fn begin(&mut self, table: Table, name: &str) -> Sheet {
        self.sheets.push(name.to_string());
        Sheet {
            table,
            name: name.to_string(),
            header: None,
            above_header: 0,
        }
    }

    /// Takes the next row of `sheet` (`row_no` counts from 1 as spreadsheets do).
    pub fn row(
        &mut self,
        sheet: &mut Sheet,
        row_no: usize,
        row: &mut RowBuf,
    ) -> Result<(), ImportError> {
        match &sheet.header {
            // A row with nothing in the table's columns is no row: templates often number
            // (序号) hundreds of rows ahead.
            Some(map) if row.is_blank_in(map) => Ok(()),
            None if row.is_blank() => Ok(()),
            Some(map) => {
                row.pad_to(map.width);
                self.data_row(sheet, map, row_no, row);
                Ok(())
            }
            None => self.header_row(sheet, row),
        }
    }

    /// Ends `sheet`: a sheet without a header is an error unless it is empty.
    pub fn end(&mut self, sheet: Sheet) -> Result<(), ImportError> {
        if sheet.header.is_some() {
            return Ok(());
        }
        if sheet.above_header == 0 {
            self.warn(format!("工作表“{}”为空，已跳过", sheet.name));
            return Ok(());
        }
        Err(missing(&sheet, required_columns(sheet.table).to_vec()))
    }

    pub fn finish(self) -> ReadSummary {
        let per_table = |counts: [usize; Table::ALL.len()]| {
            Table::ALL
                .into_iter()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .collect::<HashMap<_, _>>()
        };
        ReadSummary {
            read: per_table(self.read),
            rejected: per_table(self.rejected),
            sheets: self.sheets,
            warnings: self.warnings,
        }
    }

    fn header_row(&mut self, sheet: &mut Sheet, row: &RowBuf) -> Result<(), ImportError> {
        if !schema::is_header(sheet.table, row.cells()) {
            sheet.above_header += 1;
            if sheet.above_header >= HEADER_SEARCH_ROWS {
                return Err(missing(sheet, required_columns(sheet.table).to_vec()));
            }
            return Ok(());
        }
        let header = schema::map_header(sheet.table, row.cells());
        if !header.missing.is_empty() {
            return Err(missing(sheet, header.missing));
        }
        let name = &sheet.name;
        if sheet.above_header > 0 {
            self.warn(format!(
                "工作表“{name}”表头之前的{}行已跳过",
                sheet.above_header
            ));
        }
        if !header.unknown.is_empty() {
            let list: Vec<String> = header.unknown.iter().map(|c| format!("“{c}”")).collect();
            self.warn(format!(
                "工作表“{name}”的列{}不在导入格式中，已忽略",
                list.join("、")
            ));
        }
        for column in &header.duplicated {
            self.warn(format!(
                "工作表“{name}”的列“{column}”出现多次，只读取第一列"
            ));
        }
        sheet.header = Some(header.map);
        self.sink.header(SheetHeader {
            name: sheet.name.clone(),
            table: sheet.table,
            cells: row.cells().to_vec(),
        });
        Ok(())
    }

    fn data_row(&mut self, sheet: &Sheet, map: &HeaderMap, row_no: usize, row: &RowBuf) {
        let table = sheet.table;
        self.read[slot(table)] += 1;
        let view = RowView {
            cells: row.cells(),
            map,
            names: columns(table),
            numeric: row.numeric,
        };
        let mut result = if row.bad_text {
            Err(vec![Fault::new(
                "",
                "含有无法识别的字符：请把文件另存为“CSV UTF-8”格式后重新导入",
            )])
        } else {
            match table {
                Table::Subjects => validate::subject(&view, self.reference).map(Row::Subject),
                Table::Persons => validate::person(&view).map(Row::Person),
                Table::Certificates | Table::Registry => {
                    validate::certificate(&view).map(Row::Certificate)
                }
                Table::Trainings => validate::training(&view).map(Row::Training),
                Table::Sessions => validate::session(&view).map(Row::Session),
                Table::FaceChecks => validate::face_check(&view).map(Row::FaceCheck),
                Table::Courses => validate::course(&view).map(Row::Course),
                Table::OnlineExams => validate::online_exam(&view).map(Row::OnlineExam),
            }
        };
        if self.links.enabled {
            if let Ok(record) = &result {
                if let Some(fault) = self.links.check(table, record) {
                    result = Err(vec![fault]);
                }
            }
        }
        match result {
            Ok(record) => {
                if self.links.enabled {
                    self.links.accept(&record);
                }
                self.sink.row(table, row_no, record, view.cells);
            }
            Err(faults) => {
                if self.links.enabled {
                    self.links.reject(table, &view, row_no);
                }
                self.rejected[slot(table)] += 1;
                self.sink.error(RowError {
                    sheet: sheet.name.clone(),
                    row: row_no,
                    faults,
                    cells: view.cells.to_vec(),
                });
            }
        }
    }
}

fn missing(sheet: &Sheet, columns: Vec<&str>) -> ImportError {
    ImportError::MissingColumns {
        sheet: sheet.name.clone(),
        columns: columns.into_iter().map(String::from).collect(),
    }
}
