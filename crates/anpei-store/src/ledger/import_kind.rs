//! The kinds of ledger import (a whole workbook, or one table's sheet or CSV): their codes on
//! forms and the command line, their labels, the table each reads and who may import it.
//! The web pages, the API and the CLI all take the kind from here.

use crate::Role;
use anpei_core::ledger::Table;

/// What an upload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Ledger,
    Subjects,
    Persons,
    Certificates,
    Training,
    Registry,
    /// An online-training platform's logs: 学习记录, 人脸核验, 课程, 在线考试.
    Online,
}

impl ImportKind {
    pub const ALL: [ImportKind; 7] = [
        ImportKind::Ledger,
        ImportKind::Subjects,
        ImportKind::Persons,
        ImportKind::Certificates,
        ImportKind::Training,
        ImportKind::Registry,
        ImportKind::Online,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ImportKind::Ledger => "ledger",
            ImportKind::Subjects => "subjects",
            ImportKind::Persons => "persons",
            ImportKind::Certificates => "certificates",
            ImportKind::Training => "training",
            ImportKind::Registry => "registry",
            ImportKind::Online => "online",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Ledger => "整本台账（工作簿）",
            ImportKind::Subjects => "单位",
            ImportKind::Persons => "人员",
            ImportKind::Certificates => "证书",
            ImportKind::Training => "培训",
            ImportKind::Registry => "证书登记库",
            ImportKind::Online => "网络培训平台日志（学习记录、人脸核验、课程、在线考试）",
        }
    }

    pub fn from_code(code: &str) -> Option<ImportKind> {
        Self::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    /// The one table to read, or every sheet of a workbook (of the ledger, or of the online
    /// logs).
    pub fn table(self) -> Option<Table> {
        match self {
            ImportKind::Ledger | ImportKind::Online => None,
            ImportKind::Subjects => Some(Table::Subjects),
            ImportKind::Persons => Some(Table::Persons),
            ImportKind::Certificates => Some(Table::Certificates),
            ImportKind::Training => Some(Table::Trainings),
            ImportKind::Registry => Some(Table::Registry),
        }
    }

    /// The registry (登记库) is the installation's one list of issued certificates: the
    /// district imports it, and in a city (`city`) the city alone — a district's office
    /// would otherwise rewrite the certificates of every other district's workers.
    pub fn allowed_for(self, role: Role, city: bool) -> bool {
        self != ImportKind::Registry || role == Role::City || (role == Role::District && !city)
    }
}
