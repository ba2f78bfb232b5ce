//! `anpei demo --export DIR`: the demo district in exactly the import formats, as five CSVs
//! and one workbook, so that they re-import cleanly and serve as the import benchmark.

use super::{write_sheets, Cell, Mode};
use crate::cells::{format_date, format_datetime, format_number, to_excel_serial};
use crate::schema::columns;
use crate::ImportError;
use anpei_core::demo::DemoDistrict;
use anpei_core::ledger::{CertificateRecord, PersonRecord, SubjectRecord, Table, TrainingRecord};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_xlsxwriter::Workbook;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The workbook [`export_district`] writes beside the CSVs.
pub const LEDGER_WORKBOOK: &str = "ledger.xlsx";

/// What [`export_district`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// The files written: `单位.csv`, `人员.csv`, `证书.csv`, `培训.csv`, `登记库.csv`,
    /// `ledger.xlsx`.
    pub files: Vec<PathBuf>,
    /// Data rows written per table (each in its CSV and again in the workbook).
    pub rows: HashMap<Table, usize>,
}

/// Writes the demo district to `dir` (created if missing): one CSV per table (UTF-8 with
/// BOM, named after the table) and [`LEDGER_WORKBOOK`] with the sheets 单位, 人员, 证书, 培训
/// (continued on 培训2 … past 1,000,000 rows) and 登记库, dates as true date cells. Rows
/// stream out: the workbook's sheets are written in low-memory mode (only the shared
/// strings are held, as in a workbook Excel saves), and the CSVs are written on a second
/// thread meanwhile.
pub fn export_district(dir: &Path, d: &DemoDistrict) -> Result<ExportSummary, ImportError> {
    std::fs::create_dir_all(dir)?;
    let csv_paths: Vec<PathBuf> = Table::LEDGER
        .iter()
        .map(|t| dir.join(format!("{}.csv", t.sheet())))
        .collect();
    let workbook_path = dir.join(LEDGER_WORKBOOK);
    let csv_result = std::thread::scope(|s| {
        let csvs = s.spawn(|| -> Result<(), ImportError> {
            for (table, path) in Table::LEDGER.iter().zip(&csv_paths) {
                write_csv(path, *table, d)?;
            }
            Ok(())
        });
        let xlsx = write_workbook(&workbook_path, d);
        let csvs = csvs
            .join()
            .unwrap_or_else(|_| Err(ImportError::Io(std::io::Error::other("CSV"))));
        xlsx.and(csvs)
    });
    csv_result?;
    let mut files = csv_paths;
    files.push(workbook_path);
    let rows = Table::LEDGER
        .into_iter()
        .map(|t| (t, count(t, d)))
        .collect();
    Ok(ExportSummary { files, rows })
}

fn count(table: Table, d: &DemoDistrict) -> usize {
    match table {
        Table::Subjects => d.subjects.len(),
        Table::Persons => d.persons.len(),
        Table::Certificates => d.certificates.len(),
        Table::Trainings => d.trainings.len(),
        Table::Registry => d.registry.len(),
        Table::Sessions | Table::FaceChecks | Table::Courses | Table::OnlineExams => 0,
    }
}

/// A record's value in one column, before it becomes CSV text or an xlsx cell.
enum Field<'a> {
    Text(&'a str),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Number(f64),
    Empty,
}

fn opt(s: &Option<String>) -> Field<'_> {
    s.as_deref().map_or(Field::Empty, Field::Text)
}

fn opt_date(d: Option<NaiveDate>) -> Field<'static> {
    d.map_or(Field::Empty, Field::Date)
}

fn subject_fields(s: &SubjectRecord) -> Vec<Field<'_>> {
    vec![
        Field::Text(s.uscc.as_str()),
        Field::Text(&s.name),
        Field::Text(s.kind.label()),
        opt(&s.industry),
        Field::Text(&s.town),
        opt(&s.department),
        opt(&s.address),
        opt(&s.contact_name),
        opt(&s.contact_phone),
        opt(&s.district),
    ]
}

fn person_fields(p: &PersonRecord) -> Vec<Field<'_>> {
    vec![
        Field::Text(p.employer.as_str()),
        Field::Text(&p.name),
        Field::Text(p.id_number.as_str()),
        opt(&p.phone),
        Field::Text(p.post.label()),
        opt(&p.special_category),
        Field::Date(p.appointed_on),
    ]
}

fn certificate_fields(c: &CertificateRecord) -> Vec<Field<'_>> {
    vec![
        Field::Text(c.id_number.as_str()),
        Field::Text(&c.name),
        Field::Text(c.cert_type.label()),
        Field::Text(&c.cert_no),
        opt(&c.category),
        opt(&c.operation_item),
        opt_date(c.first_issued),
        opt_date(c.valid_from),
        opt_date(c.valid_until),
        opt_date(c.review_due),
        opt_date(c.reviewed_on),
        opt(&c.issuer),
    ]
}

fn training_fields(t: &TrainingRecord) -> Vec<Field<'_>> {
    vec![
        Field::Text(t.employer.as_str()),
        Field::Text(t.id_number.as_str()),
        Field::Text(&t.name),
        Field::Text(t.training_type.label()),
        Field::Text(t.form.label()),
        Field::DateTime(t.start),
        Field::DateTime(t.end),
        Field::Number(t.theory_hours),
        Field::Number(t.practical_hours),
        opt(&t.institution),
        t.score.map_or(Field::Empty, Field::Number),
        opt(&t.result),
    ]
}

/// The rows of `table`, field by field.
fn rows(table: Table, d: &DemoDistrict) -> Box<dyn Iterator<Item = Vec<Field<'_>>> + '_> {
    match table {
        Table::Subjects => Box::new(d.subjects.iter().map(subject_fields)),
        Table::Persons => Box::new(d.persons.iter().map(person_fields)),
        Table::Certificates => Box::new(d.certificates.iter().map(certificate_fields)),
        Table::Trainings => Box::new(d.trainings.iter().map(training_fields)),
        Table::Registry => Box::new(d.registry.iter().map(certificate_fields)),
        Table::Sessions | Table::FaceChecks | Table::Courses | Table::OnlineExams => {
            Box::new(std::iter::empty())
        }
    }
}

fn write_csv(path: &Path, table: Table, d: &DemoDistrict) -> Result<(), ImportError> {
    let mut out = BufWriter::with_capacity(1 << 16, File::create(path)?);
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut w = csv::Writer::from_writer(out);
    let err = |e: csv::Error| ImportError::Io(std::io::Error::other(e.to_string()));
    w.write_record(columns(table)).map_err(err)?;
    let mut scratch = String::new();
    for fields in rows(table, d) {
        for f in fields {
            scratch.clear();
            let text: &str = match f {
                Field::Text(t) => t,
                Field::Date(v) => {
                    format_date(v, &mut scratch);
                    &scratch
                }
                Field::DateTime(v) => {
                    format_datetime(v, &mut scratch);
                    &scratch
                }
                Field::Number(v) => {
                    format_number(v, &mut scratch);
                    &scratch
                }
                Field::Empty => "",
            };
            w.write_field(text).map_err(err)?;
        }
        w.write_record(None::<&[u8]>).map_err(err)?;
    }
    w.flush()?;
    Ok(())
}

fn write_workbook(path: &Path, d: &DemoDistrict) -> Result<(), ImportError> {
    let mut workbook = Workbook::new();
    for table in Table::LEDGER {
        let cells =
            rows(table, d).map(|fields| fields.into_iter().map(to_cell).collect::<Vec<_>>());
        write_sheets(
            &mut workbook,
            table.sheet(),
            columns(table),
            cells,
            Mode::LowMemory,
        )?;
    }
    workbook.save(path)?;
    Ok(())
}

fn to_cell(f: Field<'_>) -> Cell<'_> {
    match f {
        Field::Text(t) => Cell::Text(Cow::Borrowed(t)),
        Field::Date(v) => Cell::Date(to_excel_serial(v.and_time(NaiveTime::MIN))),
        Field::DateTime(v) => Cell::DateTime(to_excel_serial(v)),
        Field::Number(v) => Cell::Number(v),
        Field::Empty => Cell::Empty,
    }
}
