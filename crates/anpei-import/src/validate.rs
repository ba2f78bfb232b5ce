//! Row validation: one row's cells, read through its file's header, into a validated record
//! or the first problem found, scanning the columns in the order of the import format.

use crate::cells::{self, fold_fullwidth, trim, CellError};
use crate::schema::{certificate as cc, person as pc, subject as sc, training as tc, HeaderMap};
use crate::Reference;
use anpei_core::ids::{parse_phone, IdError, IdNumber, Uscc};
use anpei_core::kinds::{
    special_op_category, CertType, Post, SubjectKind, TrainingForm, TrainingType,
    SPECIAL_OP_CATEGORIES,
};
use anpei_core::ledger::{
    normalize_cert_no, CertificateRecord, PersonRecord, SubjectRecord, TrainingRecord,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::borrow::Cow;

/// The first problem of a row: the column (its name in the format) and the Chinese reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub column: &'static str,
    pub reason: String,
}

type V<T> = Result<T, Fault>;

/// One data row seen through its file's header.
pub(crate) struct RowView<'a> {
    pub cells: &'a [String],
    pub map: &'a HeaderMap,
    /// The table's column names (canonical order).
    pub names: &'static [&'static str],
    /// Bit `i`: file column `i` came from a numeric xlsx cell.
    pub numeric: u64,
}

impl<'a> RowView<'a> {
    /// The trimmed text of canonical column `col` ("" when absent or empty).
    fn text(&self, col: usize) -> &'a str {
        self.map
            .get(col)
            .and_then(|i| self.cells.get(i))
            .map_or("", |s| trim(s))
    }

    fn was_number(&self, col: usize) -> bool {
        self.map
            .get(col)
            .is_some_and(|i| i < 64 && self.numeric & (1 << i) != 0)
    }

    fn fault(&self, col: usize, reason: impl Into<String>) -> Fault {
        Fault {
            column: self.names[col],
            reason: reason.into(),
        }
    }

    fn required(&self, col: usize) -> V<&'a str> {
        match self.text(col) {
            "" => Err(self.fault(col, "不能为空")),
            t => Ok(t),
        }
    }

    fn optional(&self, col: usize) -> Option<String> {
        Some(self.text(col))
            .filter(|t| !t.is_empty())
            .map(String::from)
    }

    fn name(&self, col: usize) -> V<String> {
        self.required(col).map(normalize_name)
    }

    fn uscc(&self, col: usize) -> V<Uscc> {
        let t = self.required(col)?;
        Uscc::parse(&compact(t)).map_err(|e| self.fault(col, self.id_reason(col, e)))
    }

    fn id_number(&self, col: usize) -> V<IdNumber> {
        let t = self.required(col)?;
        IdNumber::parse(&compact(t)).map_err(|e| self.fault(col, self.id_reason(col, e)))
    }

    fn id_reason(&self, col: usize, e: IdError) -> String {
        if self.was_number(col) {
            // Excel keeps 15 significant digits of a number: an 18-character code typed into a
            // General cell has lost its last digits, and no correction can bring them back.
            "被Excel存成了数字，末几位已丢失：请把该列设为文本格式后重新填写".into()
        } else {
            e.to_string()
        }
    }

    fn phone(&self, col: usize) -> V<Option<String>> {
        match self.text(col) {
            "" => Ok(None),
            t => parse_phone(&fold_fullwidth(t))
                .map(Some)
                .map_err(|e| self.fault(col, e)),
        }
    }

    fn date(&self, col: usize) -> V<Option<NaiveDate>> {
        match cells::parse_date(self.text(col)) {
            Ok(d) => Ok(Some(d)),
            Err(CellError::Empty) => Ok(None),
            Err(e) => Err(self.fault(col, e.to_string())),
        }
    }

    fn required_date(&self, col: usize) -> V<NaiveDate> {
        self.required(col)?;
        self.date(col).map(Option::unwrap_or_default)
    }

    /// A date-time; a bare date means the start (`end_of_day` false) or the end of that day.
    fn datetime(&self, col: usize, end_of_day: bool) -> V<NaiveDateTime> {
        let t = self.required(col)?;
        let (date, time) = cells::parse_datetime(t).map_err(|e| self.fault(col, e.to_string()))?;
        let default = if end_of_day {
            NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
        } else {
            NaiveTime::MIN
        };
        Ok(date.and_time(time.unwrap_or(default)))
    }

    /// 学时: a number ≥ 0; empty is 0 where `empty_is_zero`.
    fn hours(&self, col: usize, empty_is_zero: bool) -> V<f64> {
        match cells::parse_number(self.text(col)) {
            Ok(v) if v >= 0.0 => Ok(v),
            Err(CellError::Empty) if empty_is_zero => Ok(0.0),
            Err(CellError::Empty) => Err(self.fault(col, "不能为空")),
            _ => Err(self.fault(col, "学时应为不小于0的数字")),
        }
    }

    fn category(&self, col: usize) -> V<Option<String>> {
        match self.text(col) {
            "" => Ok(None),
            t => match special_op_category(t) {
                Some(c) => Ok(Some(c.name.to_string())),
                None => {
                    let names: Vec<&str> = SPECIAL_OP_CATEGORIES.iter().map(|c| c.name).collect();
                    Err(self.fault(col, format!("未知作业类别“{t}”，应为{}", choices(&names))))
                }
            },
        }
    }

    fn vocabulary<T: Copy>(
        &self,
        col: usize,
        what: &str,
        parse: fn(&str) -> Option<T>,
        all: &[T],
        label: fn(T) -> &'static str,
    ) -> V<T> {
        let t = self.required(col)?;
        parse(t).ok_or_else(|| {
            let labels: Vec<&str> = all.iter().map(|v| label(*v)).collect();
            self.fault(col, format!("未知{what}“{t}”，应为{}", choices(&labels)))
        })
    }
}

/// A code as typed: full-width characters folded, and the spaces some people put between
/// its groups (`110105 19491231 002X`) dropped.
pub(crate) fn compact(t: &str) -> Cow<'_, str> {
    match fold_fullwidth(t) {
        Cow::Borrowed(b) if !b.contains(char::is_whitespace) => Cow::Borrowed(b),
        folded => Cow::Owned(folded.chars().filter(|c| !c.is_whitespace()).collect()),
    }
}

/// `a、b、c或d`.
fn choices(labels: &[&str]) -> String {
    match labels.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{}或{last}", rest.join("、")),
        None => String::new(),
    }
}

/// A person's name: trimmed, and the spaces that pad Chinese names for alignment
/// (`张  三`) dropped, so that the same person reads the same in every ledger and the
/// registry. Spaces between Latin letters (`John Smith`) stay.
pub(crate) fn normalize_name(raw: &str) -> String {
    let t = trim(raw);
    if t.is_ascii() || !t.chars().any(|c| c.is_whitespace() || c == '\u{3000}') {
        return t.to_string();
    }
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    let is_space = |c: char| c.is_whitespace() || c == '\u{3000}';
    let mut i = 0;
    while i < chars.len() {
        if is_space(chars[i]) {
            let start = i;
            while i < chars.len() && is_space(chars[i]) {
                i += 1;
            }
            let cjk_side =
                !chars[start - 1].is_ascii() || chars.get(i).is_some_and(|c| !c.is_ascii());
            if !cjk_side {
                out.push(' ');
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A 单位 row.
pub(crate) fn subject(r: &RowView, reference: &Reference) -> V<SubjectRecord> {
    let uscc = r.uscc(sc::USCC)?;
    let name = r.required(sc::NAME)?.to_string();
    let kind = r.vocabulary(
        sc::KIND,
        "单位类型",
        SubjectKind::from_label,
        SubjectKind::ALL,
        SubjectKind::label,
    )?;
    let industry = match r.text(sc::INDUSTRY) {
        "" if kind == SubjectKind::Enterprise => {
            return Err(r.fault(sc::INDUSTRY, "生产经营单位必须填写行业"))
        }
        "" => None,
        t if reference.industries.contains_key(t) => Some(t.to_string()),
        t => return Err(r.fault(sc::INDUSTRY, format!("行业“{t}”不在监管行业名单中"))),
    };
    let town = r.required(sc::TOWN)?;
    if !reference.towns.contains(town) {
        return Err(r.fault(sc::TOWN, format!("所属镇街“{town}”不是本区的镇街")));
    }
    let department = match r.text(sc::DEPARTMENT) {
        "" => None,
        t if reference.departments.contains(t) => Some(t.to_string()),
        t => return Err(r.fault(sc::DEPARTMENT, format!("行业主管部门“{t}”不是本区的部门"))),
    };
    Ok(SubjectRecord {
        uscc,
        name,
        kind,
        industry,
        department,
        town: town.to_string(),
        address: r.optional(sc::ADDRESS),
        contact_name: r.optional(sc::CONTACT).map(|n| normalize_name(&n)),
        contact_phone: r.phone(sc::PHONE)?,
    })
}

/// A 人员 row.
pub(crate) fn person(r: &RowView) -> V<PersonRecord> {
    Ok(PersonRecord {
        employer: r.uscc(pc::USCC)?,
        name: r.name(pc::NAME)?,
        id_number: r.id_number(pc::ID)?,
        phone: r.phone(pc::PHONE)?,
        post: r.vocabulary(
            pc::POST,
            "岗位类别",
            Post::from_label,
            Post::ALL,
            Post::label,
        )?,
        special_category: r.category(pc::CATEGORY)?,
        appointed_on: r.required_date(pc::APPOINTED)?,
    })
}

/// A 证书 or 登记库 row.
pub(crate) fn certificate(r: &RowView) -> V<CertificateRecord> {
    let id_number = r.id_number(cc::ID)?;
    let name = r.name(cc::NAME)?;
    let cert_type = r.vocabulary(
        cc::TYPE,
        "证书类型",
        CertType::from_label,
        CertType::ALL,
        CertType::label,
    )?;
    let raw_no = compact(r.required(cc::NUMBER)?);
    let category = r.category(cc::CATEGORY)?;
    let operation_item = r.optional(cc::ITEM);
    let first_issued = r.date(cc::FIRST_ISSUED)?;
    let valid_from = r.date(cc::VALID_FROM)?;
    let valid_until = r.date(cc::VALID_UNTIL)?;
    if first_issued.is_none() && valid_from.is_none() && valid_until.is_none() {
        return Err(r.fault(cc::VALID_FROM, "有效期起、初领日期、有效期止至少填写一项"));
    }
    if let (Some(from), Some(until)) = (valid_from, valid_until) {
        if until < from {
            return Err(r.fault(cc::VALID_UNTIL, "有效期止早于有效期起"));
        }
    }
    Ok(CertificateRecord {
        id_number,
        name,
        cert_type,
        cert_no: normalize_cert_no(&raw_no),
        category,
        operation_item,
        first_issued,
        valid_from,
        valid_until,
        review_due: r.date(cc::REVIEW_DUE)?,
        reviewed_on: r.date(cc::REVIEWED)?,
        issuer: r.optional(cc::ISSUER),
    })
}

/// A 培训 row.
pub(crate) fn training(r: &RowView) -> V<TrainingRecord> {
    let employer = r.uscc(tc::USCC)?;
    let id_number = r.id_number(tc::ID)?;
    let name = r.name(tc::NAME)?;
    let training_type = r.vocabulary(
        tc::TYPE,
        "培训类型",
        TrainingType::from_label,
        TrainingType::ALL,
        TrainingType::label,
    )?;
    let form = r.vocabulary(
        tc::FORM,
        "培训形式",
        TrainingForm::from_label,
        TrainingForm::ALL,
        TrainingForm::label,
    )?;
    let start = r.datetime(tc::START, false)?;
    let end = r.datetime(tc::END, true)?;
    if end < start {
        return Err(r.fault(tc::END, "结束时间早于开始时间"));
    }
    let theory_hours = r.hours(tc::THEORY, false)?;
    let practical_hours = r.hours(tc::PRACTICAL, true)?;
    let institution = r.optional(tc::INSTITUTION);
    let score = match cells::parse_number(r.text(tc::SCORE)) {
        Ok(v) if (0.0..=100.0).contains(&v) => Some(v),
        Err(CellError::Empty) => None,
        _ => return Err(r.fault(tc::SCORE, "考核成绩应为0到100之间的数字")),
    };
    Ok(TrainingRecord {
        employer,
        id_number,
        name,
        training_type,
        form,
        start,
        end,
        theory_hours,
        practical_hours,
        institution,
        score,
        result: r.optional(tc::RESULT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{columns, map_header};
    use anpei_core::ledger::Table;
    use proptest::prelude::*;

    #[test]
    fn drops_the_padding_of_chinese_names_but_not_latin_spaces() {
        assert_eq!(normalize_name(" 张  三 "), "张三");
        assert_eq!(normalize_name("张\u{3000}三"), "张三");
        assert_eq!(normalize_name("John  Smith"), "John  Smith");
        assert_eq!(normalize_name("阿依古丽·买买提"), "阿依古丽·买买提");
        assert_eq!(normalize_name("李 John"), "李John");
    }

    #[test]
    fn codes_lose_their_inner_spaces_and_full_width_forms() {
        assert_eq!(compact("110105 19491231\u{3000}002X"), "11010519491231002X");
        assert_eq!(compact("１１０１０５"), "110105");
        assert!(matches!(compact("11010519491231002X"), Cow::Borrowed(_)));
    }

    #[test]
    fn lists_choices_the_chinese_way() {
        assert_eq!(choices(&["线下", "线上"]), "线下或线上");
        assert_eq!(choices(&["甲", "乙", "丙"]), "甲、乙或丙");
    }

    fn reference() -> Reference {
        Reference::new(
            ["龙兴镇".to_string()],
            &[("区应急管理局".into(), vec!["危险化学品".into()])],
        )
    }

    proptest! {
        #[test]
        fn validation_never_panics_on_arbitrary_cells(
            cells in proptest::collection::vec("\\PC{0,20}|[0-9xX年月日:/. -]{0,20}", 12),
            numeric in any::<u64>(),
        ) {
            for table in Table::ALL {
                let header: Vec<String> = columns(table).iter().map(|c| c.to_string()).collect();
                let map = map_header(table, &header).map;
                let view = RowView { cells: &cells, map: &map, names: columns(table), numeric };
                let _ = match table {
                    Table::Subjects => subject(&view, &reference()).map(|_| ()),
                    Table::Persons => person(&view).map(|_| ()),
                    Table::Certificates | Table::Registry => certificate(&view).map(|_| ()),
                    Table::Trainings => training(&view).map(|_| ()),
                };
            }
        }
    }
}
