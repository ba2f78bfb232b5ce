//! What the review page shows of a run: counts per table and the rejected rows, their cells
//! masked.

use super::*;

/// What the review page shows of one run (rejected cells masked).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub outcome: String,
    pub counts: Vec<(String, TableCounts)>,
    pub warnings: Vec<String>,
    pub rejected_total: usize,
    pub rejections: Vec<Rejection>,
    /// The rejected rows the error report holds (it keeps the first few thousand).
    #[serde(default)]
    pub in_report: usize,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct TableCounts {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejection {
    pub sheet: String,
    pub row: usize,
    /// The columns at fault, `、`-joined.
    pub column: String,
    /// Every problem of the row, `列名：问题` each.
    #[serde(default)]
    pub faults: Vec<String>,
    /// Every problem, `；`-joined (what pages saved before `faults` show).
    pub reason: String,
    pub cells: String,
}

/// Masks what looks like an ID or certificate number (with or without the `T`, right length
/// or not) or a phone number: the page shows rejected rows masked like every other page;
/// the downloaded error report gives the uploader's own cells back as they were. A USCC,
/// which has letters, and a date, which has eight digits, stay readable.
pub(super) fn mask_cell(c: &str) -> String {
    let t = c.trim();
    let core = t.strip_prefix(['T', 't']).unwrap_or(t);
    let body = core.strip_suffix(['X', 'x']).unwrap_or(core);
    let id_like = (14..=19).contains(&core.len()) && body.bytes().all(|b| b.is_ascii_digit());
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let phone_like = digits >= 10 && t.bytes().all(|b| b.is_ascii_digit() || b"-+ ".contains(&b));
    if id_like || phone_like {
        mask_id(t)
    } else {
        c.to_string()
    }
}

impl Summary {
    pub(super) fn of(report: &IngestReport, outcome: &str) -> Summary {
        Summary {
            outcome: outcome.into(),
            counts: report
                .counts
                .iter()
                .map(|(t, c)| {
                    let c = TableCounts {
                        read: c.read,
                        inserted: c.inserted,
                        updated: c.updated,
                        unchanged: c.unchanged,
                        rejected: c.rejected,
                    };
                    (t.sheet().to_string(), c)
                })
                .collect(),
            warnings: report.warnings.clone(),
            rejected_total: report.rejected() as usize,
            in_report: report.rejections.len(),
            rejections: report
                .rejections
                .iter()
                .take(SHOWN_REJECTIONS)
                .map(|e| Rejection {
                    sheet: e.sheet.clone(),
                    row: e.row,
                    column: e.columns(),
                    faults: e.faults.iter().map(ToString::to_string).collect(),
                    reason: e.message(),
                    cells: e
                        .cells
                        .iter()
                        .map(|c| mask_cell(c))
                        .collect::<Vec<_>>()
                        .join(" | "),
                })
                .collect(),
        }
    }
}
