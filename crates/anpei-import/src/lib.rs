//! Ledger import and export: streaming readers for xlsx workbooks and CSV files (UTF-8 with or
//! without BOM, GB18030) that turn rows into validated `anpei_core::ledger` records or
//! row-level Chinese errors, and writers for error reports, template workbooks and exports.
//!
//! Reading never holds a sheet: xlsx cells come from calamine's streaming cell reader (only
//! the workbook's shared-strings table is in memory), CSV records from a buffered reader,
//! and each row goes to a [`Sink`] as soon as it is validated. What the reader cannot know
//! (whether an employer or a person already exists in the database, duplicates across
//! imports) is the sink's business; what it can know inside one workbook it checks: a row
//! that refers to a 单位 or 人员 row rejected earlier in the same workbook is rejected too.
//!
//! The formats are those of [`columns`] and [`required_columns`]; cells are normalised
//! (trimmed, full-width characters folded, Excel dates read) by [`cells`].
#![forbid(unsafe_code)]

pub mod cells;
mod error;
mod read;
mod schema;
pub mod sheets;
pub mod sniff;
pub mod training;
mod validate;
mod write;

use anpei_core::ledger::{
    CertificateRecord, CourseRecord, FaceCheckRecord, OnlineExamRecord, PersonRecord, RowError,
    SessionRecord, SheetHeader, SubjectRecord, Table, TrainingRecord,
};
use std::collections::{HashMap, HashSet};

pub use error::ImportError;
pub use read::{read_bytes, read_path, read_path_counted, table_of_sheet, Select};
pub use schema::{columns, required_columns, REASON_COLUMN};
pub use write::docx;
pub use write::problems::{
    problem_list_docx, problem_list_xlsx, ProblemListRow, PROBLEM_LIST_COLUMNS,
};
pub use write::{
    error_report_csv, error_report_xlsx, export_district, online_template_workbook,
    template_workbook, write_error_report, write_table_xlsx, ExportSummary, LEDGER_WORKBOOK,
};

/// What the importer knows of the district: the reference lists a row is checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reference {
    /// Names of the district's towns and streets (所属镇街).
    pub towns: HashSet<String>,
    /// Supervised industries (行业) → the department that supervises each.
    pub industries: HashMap<String, String>,
    /// Names of the district's departments (行业主管部门).
    pub departments: HashSet<String>,
    /// The districts the importer reaches (所属区县): name → GB/T 2260 code (empty when the
    /// district has none yet). Empty: the column is not checked here.
    pub districts: HashMap<String, String>,
}

impl Reference {
    /// Builds the reference from the lists a deployment loads: town names, and departments
    /// with the industries each supervises (`data/towns.csv`, `data/departments.csv`).
    pub fn new(
        towns: impl IntoIterator<Item = String>,
        departments: &[(String, Vec<String>)],
    ) -> Self {
        let mut industries = HashMap::new();
        for (department, list) in departments {
            for industry in list {
                industries
                    .entry(industry.clone())
                    .or_insert_with(|| department.clone());
            }
        }
        Self {
            towns: towns.into_iter().collect(),
            industries,
            departments: departments.iter().map(|(d, _)| d.clone()).collect(),
            districts: HashMap::new(),
        }
    }

    /// The reference with the districts the importer reaches, as (code, name).
    pub fn with_districts(mut self, districts: impl IntoIterator<Item = (String, String)>) -> Self {
        self.districts = districts.into_iter().map(|(c, n)| (n, c)).collect();
        self
    }

    /// Whether `text` names a district of the reference, by name or by code.
    pub fn knows_district(&self, text: &str) -> bool {
        self.districts.contains_key(text)
            || self.districts.values().any(|c| !c.is_empty() && c == text)
    }

    /// The department that supervises `industry`, if it is a supervised industry.
    pub fn department_of(&self, industry: &str) -> Option<&str> {
        self.industries.get(industry).map(String::as_str)
    }
}

/// One validated ledger row.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Subject(SubjectRecord),
    Person(PersonRecord),
    /// A certificate of the 证书 sheet or of the registry (登记库): the table says which.
    Certificate(CertificateRecord),
    Training(TrainingRecord),
    /// Rows of an online-training platform's logs.
    Session(SessionRecord),
    FaceCheck(FaceCheckRecord),
    Course(CourseRecord),
    OnlineExam(OnlineExamRecord),
}

/// Where the reader delivers rows, in file order (单位 before 人员 before 证书 before 培训
/// before 登记库 in a workbook).
pub trait Sink {
    /// A valid row: its table (registry rows come as [`Row::Certificate`] with
    /// [`Table::Registry`]), its spreadsheet row number (header = 1), the record, and the
    /// original cells in the file's column order (for an error report if a later stage
    /// rejects it).
    fn row(&mut self, table: Table, row_no: usize, row: Row, cells: &[String]);
    /// A rejected row.
    fn error(&mut self, err: RowError);
    /// Something the user should know that rejects nothing (ignored sheet or columns …), in
    /// Chinese.
    fn warning(&mut self, message: String);
    /// The header row of a sheet about to be read, as the file has it: the rows that follow,
    /// up to the next header, are that sheet's. Whoever writes an error report keeps it, to
    /// give the rejected rows back under their own headers.
    fn header(&mut self, header: SheetHeader) {
        let _ = header;
    }
}

/// What a read saw: per table, the data rows read (empty rows are not counted) and how many
/// of them were rejected, so that `read = accepted + rejected`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSummary {
    pub read: HashMap<Table, usize>,
    pub rejected: HashMap<Table, usize>,
    /// Sheets (or, for a CSV, the file) actually read, in order.
    pub sheets: Vec<String>,
    /// Number of warnings given to the sink.
    pub warnings: usize,
}

impl ReadSummary {
    /// Rows of `table` read.
    pub fn read_of(&self, table: Table) -> usize {
        self.read.get(&table).copied().unwrap_or(0)
    }

    /// Rows of `table` rejected.
    pub fn rejected_of(&self, table: Table) -> usize {
        self.rejected.get(&table).copied().unwrap_or(0)
    }

    /// Rows of `table` accepted (given to [`Sink::row`]).
    pub fn accepted_of(&self, table: Table) -> usize {
        self.read_of(table) - self.rejected_of(table)
    }
}
