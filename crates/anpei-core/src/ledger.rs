//! Plain ledger records (台账) as they come from an import or the demo generator, already
//! validated: every layer behind the parser can trust their identifiers and vocabularies.

use crate::ids::{IdNumber, Uscc};
use crate::kinds::{CertType, Post, SubjectKind, TrainingForm, TrainingType};
use chrono::{NaiveDate, NaiveDateTime};

/// A supervised subject (单位).
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectRecord {
    pub uscc: Uscc,
    pub name: String,
    pub kind: SubjectKind,
    /// 行业; institutions (training, exam) may have none.
    pub industry: Option<String>,
    /// 行业主管部门; `None` means the department that supervises the industry.
    pub department: Option<String>,
    /// 所属镇街 (a known town or street).
    pub town: String,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// A person on a subject's ledger of key personnel (人员).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRecord {
    pub employer: Uscc,
    pub name: String,
    pub id_number: IdNumber,
    pub phone: Option<String>,
    pub post: Post,
    /// 作业类别 of a 特种作业人员 (one of `SPECIAL_OP_CATEGORIES`).
    pub special_category: Option<String>,
    /// 任职日期 (S in RULES.md §3).
    pub appointed_on: NaiveDate,
}

/// A certificate (证书), as held by a person or as listed in the registry (登记库).
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRecord {
    pub id_number: IdNumber,
    pub name: String,
    pub cert_type: CertType,
    /// 证书编号, normalised: a leading `T` before an ID number is dropped.
    pub cert_no: String,
    pub category: Option<String>,
    pub operation_item: Option<String>,
    pub first_issued: Option<NaiveDate>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub issuer: Option<String>,
}

/// A training record (培训).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingRecord {
    pub employer: Uscc,
    pub id_number: IdNumber,
    pub name: String,
    pub training_type: TrainingType,
    pub form: TrainingForm,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub theory_hours: f64,
    pub practical_hours: f64,
    pub institution: Option<String>,
    pub score: Option<f64>,
    /// 考核结果, e.g. 合格 / 不合格.
    pub result: Option<String>,
}

impl TrainingRecord {
    /// 理论学时 + 实操学时.
    pub fn hours(&self) -> f64 {
        self.theory_hours + self.practical_hours
    }
}

/// Normalises a certificate number: `T` + ID number and the ID number are one number.
pub fn normalize_cert_no(raw: &str) -> String {
    let s = crate::ids::trim_cell(raw).to_ascii_uppercase();
    match s.strip_prefix('T') {
        Some(rest) if IdNumber::parse(rest).is_ok() => rest.to_string(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_t_before_an_id_number_is_the_same_certificate_number() {
        assert_eq!(
            normalize_cert_no("T11010519491231002x"),
            "11010519491231002X"
        );
        assert_eq!(
            normalize_cert_no("11010519491231002X"),
            "11010519491231002X"
        );
        assert_eq!(normalize_cert_no("TX2021001"), "TX2021001");
    }
}
