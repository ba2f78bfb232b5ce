//! What an import did (counts per table, the rejected rows kept for the error report), how it
//! ends, where its file came from.

use super::*;

/// Per-table counts of one import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

impl Counts {
    pub fn reconciles(&self) -> bool {
        self.read == self.inserted + self.updated + self.unchanged + self.rejected
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub counts: BTreeMap<Table, Counts>,
    pub rejections: Vec<RowError>,
    pub warnings: Vec<String>,
    /// The sheets read, each with its header row as uploaded: the error report gives the
    /// rejected rows back under them.
    pub sheets: Vec<SheetHeader>,
}

impl IngestReport {
    /// Rejected rows kept with their cells for the error report; the rest are counted only,
    /// so that a file of junk cannot grow the server without bound.
    pub const KEEP_REJECTIONS: usize = 5000;
    pub const KEEP_WARNINGS: usize = 1000;

    pub fn rejected(&self) -> u64 {
        self.counts.values().map(|c| c.rejected).sum()
    }

    /// Rejections counted but not kept (beyond [`Self::KEEP_REJECTIONS`]).
    pub fn rejections_dropped(&self) -> u64 {
        self.rejected().saturating_sub(self.rejections.len() as u64)
    }

    /// The name of sheet `index` of the file, else the table's own sheet name.
    pub(super) fn sheet_name(&self, index: Option<usize>, table: Table) -> String {
        index
            .and_then(|i| self.sheets.get(i))
            .map_or_else(|| table.sheet().to_string(), |s| s.name.clone())
    }

    /// The table of the sheet named `name`, as it was read.
    pub(super) fn table_of(&self, name: &str) -> Option<Table> {
        self.sheets
            .iter()
            .rev()
            .find(|s| s.name == name)
            .map(|s| s.table)
    }

    pub(super) fn keep(&mut self, e: RowError) {
        if self.rejections.len() < Self::KEEP_REJECTIONS {
            self.rejections.push(e);
        }
    }

    pub fn counts_json(&self) -> String {
        let m: BTreeMap<&str, Counts> = self.counts.iter().map(|(t, c)| (t.sheet(), *c)).collect();
        serde_json::to_string(&m).unwrap_or_default()
    }
}

/// How an import ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Store the valid rows.
    Normal,
    /// Store nothing if any row is rejected.
    Strict,
    /// Validate against the database, store nothing.
    DryRun,
}

impl Mode {
    pub(super) fn code(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Strict => "strict",
            Mode::DryRun => "dry-run",
        }
    }
}

/// Where the file came from, for the import history and the audit log.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub file_name: String,
    pub sha256: String,
    /// ledger, subjects, persons, certificates, training, registry.
    pub kind: String,
}

/// The original cells of a row, for the error report should the row be rejected: kept
/// joined in one string (one allocation a row), split again only for a rejected row; and the
/// sheet of the file they come from (an index into [`IngestReport::sheets`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cells {
    joined: String,
    pub(super) sheet: Option<usize>,
}

pub(super) const SEP: char = '\u{1f}';

impl Cells {
    pub fn new(cells: &[String]) -> Cells {
        let mut joined = String::with_capacity(cells.iter().map(|c| c.len() + 1).sum());
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                joined.push(SEP);
            }
            joined.push_str(c);
        }
        Cells {
            joined,
            sheet: None,
        }
    }

    pub(super) fn split(self) -> Vec<String> {
        if self.joined.is_empty() {
            Vec::new()
        } else {
            self.joined.split(SEP).map(String::from).collect()
        }
    }
}

impl From<Vec<String>> for Cells {
    fn from(cells: Vec<String>) -> Cells {
        Cells::new(&cells)
    }
}
