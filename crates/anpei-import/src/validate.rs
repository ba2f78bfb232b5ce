//! Row validation: one row's cells, read through its file's header, into a validated record
//! or every problem found in it. Each column is checked on its own, so that a row with five
//! faults shows five messages and the user fixes them in one pass; a check across columns
//! (a date range, 行业 of an enterprise) runs when the columns it needs are themselves valid.
//! Every message names what is expected: the form of a value, or the values to choose from.

use crate::cells::{self, fold_fullwidth, trim, CellError};
use crate::schema::{certificate as cc, person as pc, subject as sc, training as tc, HeaderMap};
use crate::Reference;
use anpei_core::areas;
use anpei_core::ids::{parse_phone, IdError, IdNumber, Uscc};
use anpei_core::kinds::{
    special_op_category, CertType, Post, SubjectKind, TrainingForm, TrainingType,
    SPECIAL_OP_CATEGORIES,
};
use anpei_core::ledger::{
    normalize_cert_no, CertificateRecord, Fault, PersonRecord, SubjectRecord, TrainingRecord,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::borrow::Cow;

mod online;
pub(crate) use online::{course, face_check, online_exam, session};

/// One cell's check: its value, or its problem.
type V<T> = Result<T, Fault>;
/// A row's check: its record, or all its problems.
pub(crate) type Checked<T> = Result<T, Vec<Fault>>;

/// Said of an 18-character code that came from a number cell: Excel keeps 15 significant
/// digits of a number, so the code typed into a General cell has lost its last digits, and no
/// correction can bring them back.
const LOST_DIGITS: &str = "被Excel存成了数字，末几位已丢失：请把该列设为文本格式后重新填写";

/// An example of a date, as the messages give it.
const DATE_EXAMPLE: &str = "2022-03-31";

/// The problems found so far in a row.
#[derive(Default)]
struct Faults(Vec<Fault>);

impl Faults {
    /// The value of a cell, keeping its problem if it has one.
    fn take<T>(&mut self, v: V<T>) -> Option<T> {
        v.map_err(|f| self.0.push(f)).ok()
    }

    /// The value of a cell that can have several problems.
    fn take_all<T>(&mut self, v: Checked<T>) -> Option<T> {
        v.map_err(|f| self.0.extend(f)).ok()
    }

    fn push(&mut self, f: Fault) {
        self.0.push(f);
    }

    /// The problems in the order of the format's columns (a check across columns found them
    /// later); a problem of the row as a whole first.
    fn sorted(mut self, names: &[&str]) -> Vec<Fault> {
        let pos = |f: &Fault| {
            names
                .iter()
                .position(|n| *n == f.column)
                .map_or(0, |p| p + 1)
        };
        self.0.sort_by_key(pos);
        self.0
    }
}

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
    /// The trimmed text of canonical column `col` ("" when absent or empty). A leading
    /// apostrophe is dropped: it is how spreadsheet users mark a cell as text (`'5001…`), and
    /// how the error report keeps a cell that starts like a formula from being taken for one.
    fn text(&self, col: usize) -> &'a str {
        let t = self
            .map
            .get(col)
            .and_then(|i| self.cells.get(i))
            .map_or("", |s| trim(s));
        match t.strip_prefix('\'') {
            Some(rest) if !rest.is_empty() => trim(rest),
            _ => t,
        }
    }

    fn was_number(&self, col: usize) -> bool {
        self.map
            .get(col)
            .is_some_and(|i| i < 64 && self.numeric & (1 << i) != 0)
    }

    fn fault(&self, col: usize, reason: impl Into<String>) -> Fault {
        Fault::new(self.names[col], reason)
    }

    fn required(&self, col: usize) -> V<&'a str> {
        match self.text(col) {
            "" => Err(self.fault(col, format!("不能为空，应填写{}", hint(self.names[col])))),
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

    /// An ID number: every problem of it (area code, date of birth, check digit) at once.
    fn id_number(&self, col: usize) -> Checked<IdNumber> {
        let t = self.required(col).map_err(|f| vec![f])?;
        IdNumber::parse_with_areas(&compact(t), areas::current()).map_err(|errors| {
            if self.was_number(col) {
                return vec![self.fault(col, LOST_DIGITS)];
            }
            errors
                .into_iter()
                .map(|e| self.fault(col, e.to_string()))
                .collect()
        })
    }

    fn id_reason(&self, col: usize, e: IdError) -> String {
        if self.was_number(col) {
            LOST_DIGITS.into()
        } else {
            e.to_string()
        }
    }

    fn phone(&self, col: usize) -> V<Option<String>> {
        match self.text(col) {
            "" => Ok(None),
            t => parse_phone(&fold_fullwidth(t)).map(Some).map_err(|e| {
                self.fault(
                    col,
                    format!("“{t}”不是有效的电话号码，{e}，如13812345678或023-67824066"),
                )
            }),
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
        let t = self.text(col);
        match cells::parse_number(t) {
            Ok(v) if v >= 0.0 => Ok(v),
            Err(CellError::Empty) if empty_is_zero => Ok(0.0),
            Err(CellError::Empty) => {
                Err(self.fault(col, format!("不能为空，应填写{}", hint(self.names[col]))))
            }
            _ => Err(self.fault(
                col,
                format!("“{t}”不是有效的学时，应为不小于0的数字，如8或1.5"),
            )),
        }
    }

    fn category(&self, col: usize) -> V<Option<String>> {
        match self.text(col) {
            "" => Ok(None),
            t => match special_op_category(t) {
                Some(c) => Ok(Some(c.name.to_string())),
                None => {
                    let names: Vec<&str> = SPECIAL_OP_CATEGORIES.iter().map(|c| c.name).collect();
                    Err(self.fault(col, not_a_choice(t, &names)))
                }
            },
        }
    }

    fn vocabulary<T: Copy>(
        &self,
        col: usize,
        parse: fn(&str) -> Option<T>,
        all: &[T],
        label: fn(T) -> &'static str,
    ) -> V<T> {
        let labels: Vec<&str> = all.iter().map(|v| label(*v)).collect();
        match self.text(col) {
            "" => Err(self.fault(col, format!("不能为空，应为：{}", choices(&labels)))),
            t => parse(t).ok_or_else(|| self.fault(col, not_a_choice(t, &labels))),
        }
    }
}

/// What a column holds, for the message of an empty required cell.
fn hint(column: &str) -> &'static str {
    match column {
        "统一社会信用代码" => "18位统一社会信用代码",
        "身份证号" => "18位居民身份证号码",
        "单位名称" => "单位全称",
        "姓名" => "姓名",
        "证书编号" => "证书上的编号",
        "任职日期" => "日期，如2022-03-31",
        "开始时间" => "日期时间，如2022-03-31 09:00",
        "结束时间" => "日期时间，如2022-03-31 17:00",
        "理论学时" | "实操学时" => "不小于0的数字，如8",
        "平台名称" => "网络培训平台的名称",
        "课程编号" => "平台上的课程编号",
        "课程名称" => "课程名称",
        "考试编号" => "平台上的考试编号",
        "核验时间" => "日期时间，如2022-03-31 09:05:30",
        "核验结果" => "通过或不通过",
        "视频进度秒数" | "视频时长秒数" => "不小于0的整数秒数，如1800",
        "学时" => "不小于0的数字，如2",
        "题量" => "正整数，如100",
        "成绩" => "0到100之间的数字，如85",
        _ => "内容",
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

/// `a/b/c`: the values a column takes, as the messages list them.
fn choices(labels: &[&str]) -> String {
    labels.join("/")
}

/// `“企业”不是可选值，应为：生产经营单位/安全培训机构/考试点/考试机构`.
fn not_a_choice(value: &str, labels: &[&str]) -> String {
    format!("“{value}”不是可选值，应为：{}", choices(labels))
}

/// The names of a reference list, sorted, for a message.
fn sorted<'a>(names: impl Iterator<Item = &'a String>) -> Vec<&'a str> {
    let mut v: Vec<&str> = names.map(String::as_str).collect();
    v.sort_unstable();
    v
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
pub(crate) fn subject(r: &RowView, reference: &Reference) -> Checked<SubjectRecord> {
    let mut f = Faults::default();
    let uscc = f.take(r.uscc(sc::USCC));
    let name = f.take(r.required(sc::NAME).map(String::from));
    let kind = f.take(r.vocabulary(
        sc::KIND,
        SubjectKind::from_label,
        SubjectKind::ALL,
        SubjectKind::label,
    ));
    let industries = || sorted(reference.industries.keys());
    let industry = match r.text(sc::INDUSTRY) {
        "" if kind == Some(SubjectKind::Enterprise) => {
            f.push(r.fault(
                sc::INDUSTRY,
                format!("生产经营单位必须填写行业，应为：{}", choices(&industries())),
            ));
            None
        }
        "" => None,
        t if reference.industries.contains_key(t) => Some(t.to_string()),
        // An old name of an industry of the list (交通运输 for 道路运输).
        t if reference
            .industries
            .contains_key(anpei_core::kinds::canonical_industry(t)) =>
        {
            Some(anpei_core::kinds::canonical_industry(t).to_string())
        }
        t => {
            f.push(r.fault(
                sc::INDUSTRY,
                format!("“{t}”不在监管行业名单中，应为：{}", choices(&industries())),
            ));
            None
        }
    };
    let towns = || choices(&sorted(reference.towns.iter()));
    let town = match r.text(sc::TOWN) {
        "" => {
            f.push(r.fault(sc::TOWN, format!("不能为空，应为本区的镇街：{}", towns())));
            None
        }
        t if reference.towns.contains(t) => Some(t.to_string()),
        t => {
            f.push(r.fault(sc::TOWN, format!("“{t}”不是本区的镇街，应为：{}", towns())));
            None
        }
    };
    let department = match r.text(sc::DEPARTMENT) {
        "" => None,
        t if reference.departments.contains(t) => Some(t.to_string()),
        t => {
            let all = choices(&sorted(reference.departments.iter()));
            f.push(r.fault(
                sc::DEPARTMENT,
                format!("“{t}”不是本区的部门，应为：{all}（不填则按行业确定）"),
            ));
            None
        }
    };
    let district = match r.text(sc::DISTRICT) {
        "" => None,
        t if reference.districts.is_empty() || reference.knows_district(t) => Some(t.to_string()),
        t => {
            let all = choices(&sorted(reference.districts.keys()));
            f.push(r.fault(
                sc::DISTRICT,
                format!("“{t}”不是您管辖的区县，应为区县名称或6位行政区划代码：{all}（镇街名称不重复时可不填）"),
            ));
            None
        }
    };
    let contact_phone = f.take(r.phone(sc::PHONE));
    let (Some(uscc), Some(name), Some(kind), Some(town), Some(contact_phone)) =
        (uscc, name, kind, town, contact_phone)
    else {
        return Err(f.sorted(r.names));
    };
    if !f.0.is_empty() {
        return Err(f.sorted(r.names));
    }
    Ok(SubjectRecord {
        uscc,
        name,
        kind,
        industry,
        department,
        town,
        district,
        address: r.optional(sc::ADDRESS),
        contact_name: r.optional(sc::CONTACT).map(|n| normalize_name(&n)),
        contact_phone,
    })
}

/// A 人员 row.
pub(crate) fn person(r: &RowView) -> Checked<PersonRecord> {
    let mut f = Faults::default();
    let employer = f.take(r.uscc(pc::USCC));
    let name = f.take(r.name(pc::NAME));
    let id_number = f.take_all(r.id_number(pc::ID));
    let phone = f.take(r.phone(pc::PHONE));
    let post = f.take(r.vocabulary(pc::POST, Post::from_label, Post::ALL, Post::label));
    let special_category = f.take(r.category(pc::CATEGORY));
    let appointed_on = f.take(r.required_date(pc::APPOINTED));
    let (
        Some(employer),
        Some(name),
        Some(id_number),
        Some(phone),
        Some(post),
        Some(special_category),
        Some(appointed_on),
    ) = (
        employer,
        name,
        id_number,
        phone,
        post,
        special_category,
        appointed_on,
    )
    else {
        return Err(f.sorted(r.names));
    };
    Ok(PersonRecord {
        employer,
        name,
        id_number,
        phone,
        post,
        special_category,
        appointed_on,
    })
}

/// A 证书 or 登记库 row.
pub(crate) fn certificate(r: &RowView) -> Checked<CertificateRecord> {
    let mut f = Faults::default();
    let id_number = f.take_all(r.id_number(cc::ID));
    let name = f.take(r.name(cc::NAME));
    let cert_type = f.take(r.vocabulary(
        cc::TYPE,
        CertType::from_label,
        CertType::ALL,
        CertType::label,
    ));
    let raw_no = f.take(r.required(cc::NUMBER).map(compact));
    let category = f.take(r.category(cc::CATEGORY));
    let operation_item = r.optional(cc::ITEM);
    let first_issued = f.take(r.date(cc::FIRST_ISSUED));
    let valid_from = f.take(r.date(cc::VALID_FROM));
    let valid_until = f.take(r.date(cc::VALID_UNTIL));
    let review_due = f.take(r.date(cc::REVIEW_DUE));
    let reviewed_on = f.take(r.date(cc::REVIEWED));
    let blank = |c: usize| r.text(c).is_empty();
    if blank(cc::FIRST_ISSUED) && blank(cc::VALID_FROM) && blank(cc::VALID_UNTIL) {
        f.push(r.fault(
            cc::VALID_FROM,
            format!("有效期起、初领日期、有效期止至少填写一项，应为日期，如{DATE_EXAMPLE}"),
        ));
    }
    if let (Some(Some(from)), Some(Some(until))) = (valid_from, valid_until) {
        if until < from {
            f.push(r.fault(
                cc::VALID_UNTIL,
                format!("有效期止{until}早于有效期起{from}，应不早于有效期起"),
            ));
        }
    }
    let (
        Some(id_number),
        Some(name),
        Some(cert_type),
        Some(raw_no),
        Some(category),
        Some(first_issued),
        Some(valid_from),
        Some(valid_until),
        Some(review_due),
        Some(reviewed_on),
    ) = (
        id_number,
        name,
        cert_type,
        raw_no,
        category,
        first_issued,
        valid_from,
        valid_until,
        review_due,
        reviewed_on,
    )
    else {
        return Err(f.sorted(r.names));
    };
    if !f.0.is_empty() {
        return Err(f.sorted(r.names));
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
        review_due,
        reviewed_on,
        issuer: r.optional(cc::ISSUER),
    })
}

/// A 培训 row.
pub(crate) fn training(r: &RowView) -> Checked<TrainingRecord> {
    let mut f = Faults::default();
    let employer = f.take(r.uscc(tc::USCC));
    let id_number = f.take_all(r.id_number(tc::ID));
    let name = f.take(r.name(tc::NAME));
    let training_type = f.take(r.vocabulary(
        tc::TYPE,
        TrainingType::from_label,
        TrainingType::ALL,
        TrainingType::label,
    ));
    let form = f.take(r.vocabulary(
        tc::FORM,
        TrainingForm::from_label,
        TrainingForm::ALL,
        TrainingForm::label,
    ));
    let start = f.take(r.datetime(tc::START, false));
    let end = f.take(r.datetime(tc::END, true));
    if let (Some(start), Some(end)) = (start, end) {
        if end < start {
            let at = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
            f.push(r.fault(
                tc::END,
                format!(
                    "结束时间{}早于开始时间{}，应晚于开始时间",
                    at(end),
                    at(start)
                ),
            ));
        }
    }
    let theory_hours = f.take(r.hours(tc::THEORY, false));
    let practical_hours = f.take(r.hours(tc::PRACTICAL, true));
    let institution = r.optional(tc::INSTITUTION);
    let score_text = r.text(tc::SCORE);
    let score = match cells::parse_number(score_text) {
        Ok(v) if (0.0..=100.0).contains(&v) => Some(Some(v)),
        Err(CellError::Empty) => Some(None),
        _ => {
            f.push(r.fault(
                tc::SCORE,
                format!("“{score_text}”不是有效的成绩，应为0到100之间的数字，如85"),
            ));
            None
        }
    };
    let (
        Some(employer),
        Some(id_number),
        Some(name),
        Some(training_type),
        Some(form),
        Some(start),
        Some(end),
        Some(theory_hours),
        Some(practical_hours),
        Some(score),
    ) = (
        employer,
        id_number,
        name,
        training_type,
        form,
        start,
        end,
        theory_hours,
        practical_hours,
        score,
    )
    else {
        return Err(f.sorted(r.names));
    };
    if !f.0.is_empty() {
        return Err(f.sorted(r.names));
    }
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
        assert_eq!(choices(&["线下", "线上"]), "线下/线上");
        assert_eq!(
            not_a_choice(
                "企业",
                &["生产经营单位", "安全培训机构", "考试点", "考试机构"]
            ),
            "“企业”不是可选值，应为：生产经营单位/安全培训机构/考试点/考试机构"
        );
    }

    fn reference() -> Reference {
        Reference::new(
            ["龙兴镇".to_string()],
            &[("区应急管理局".into(), vec!["危险化学品".into()])],
        )
    }

    /// A 人员 row in the format's own column order.
    fn person_row(cells: [&str; 7]) -> Checked<PersonRecord> {
        let header: Vec<String> = columns(Table::Persons)
            .iter()
            .map(|c| c.to_string())
            .collect();
        let map = map_header(Table::Persons, &header).map;
        let cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        let view = RowView {
            cells: &cells,
            map: &map,
            names: columns(Table::Persons),
            numeric: 0,
        };
        person(&view)
    }

    #[test]
    fn an_old_name_of_an_industry_is_read_as_the_lists_name() {
        let reference = Reference::new(
            ["龙兴镇".to_string()],
            &[("区交通局".into(), vec!["道路运输".into()])],
        );
        let header: Vec<String> = columns(Table::Subjects)
            .iter()
            .map(|c| c.to_string())
            .collect();
        let map = map_header(Table::Subjects, &header).map;
        let uscc = format!(
            "91500112MA5U7Q4X1{}",
            Uscc::check_char("91500112MA5U7Q4X1").unwrap()
        );
        let row = |industry: &str| {
            let cells: Vec<String> = [
                uscc.as_str(),
                "重庆某某运业有限公司",
                "生产经营单位",
                industry,
                "龙兴镇",
                "",
                "",
                "",
                "",
            ]
            .iter()
            .map(|c| c.to_string())
            .collect();
            let view = RowView {
                cells: &cells,
                map: &map,
                names: columns(Table::Subjects),
                numeric: 0,
            };
            subject(&view, &reference).map(|s| s.industry)
        };
        for old in ["交通运输", "道路交通", "道路运输"] {
            assert_eq!(
                row(old).ok().flatten().as_deref(),
                Some("道路运输"),
                "{old}"
            );
        }
        assert!(row("魔法").is_err());
    }

    #[test]
    fn a_district_is_named_by_its_name_or_its_code_and_may_be_left_out() {
        let reference = Reference::new(
            ["城关镇".to_string()],
            &[("区应急管理局".into(), vec!["危险化学品".into()])],
        )
        .with_districts([
            ("500101".to_string(), "万州区".to_string()),
            ("500102".to_string(), "涪陵区".to_string()),
        ]);
        let header: Vec<String> = columns(Table::Subjects)
            .iter()
            .map(|c| c.to_string())
            .collect();
        let map = map_header(Table::Subjects, &header).map;
        let uscc = format!(
            "91500112MA5U7Q4X1{}",
            Uscc::check_char("91500112MA5U7Q4X1").unwrap()
        );
        let row = |district: &str| {
            let cells: Vec<String> = [
                uscc.as_str(),
                "重庆某某化工有限公司",
                "生产经营单位",
                "危险化学品",
                "城关镇",
                "",
                "",
                "",
                "",
                district,
            ]
            .iter()
            .map(|c| c.to_string())
            .collect();
            let view = RowView {
                cells: &cells,
                map: &map,
                names: columns(Table::Subjects),
                numeric: 0,
            };
            subject(&view, &reference).map(|s| s.district)
        };
        assert_eq!(row("万州区").unwrap().as_deref(), Some("万州区"));
        assert_eq!(row("500102").unwrap().as_deref(), Some("500102"));
        assert_eq!(row("").unwrap(), None);
        let e = row("渝北区").unwrap_err();
        let text = format!("{e:?}");
        assert!(text.contains("所属区县"), "{text}");
        assert!(text.contains("“渝北区”不是您管辖的区县"), "{text}");
        assert!(text.contains("万州区/涪陵区"), "{text}");
    }

    fn id_of(first17: &str) -> String {
        format!("{first17}{}", IdNumber::check_char(first17).unwrap())
    }

    #[test]
    fn a_row_with_five_faulty_columns_gets_five_messages_in_column_order() {
        let faults = person_row([
            "",
            "张三",
            "5001121990010100",
            "138",
            "保安",
            "",
            "2021-13-01",
        ])
        .unwrap_err();
        let text: Vec<String> = faults.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "统一社会信用代码：不能为空，应填写18位统一社会信用代码",
                "身份证号：应为18位，实际为16位",
                "手机号：“138”不是有效的电话号码，应为11位手机号或带区号的固定电话，如13812345678或023-67824066",
                "岗位类别：“保安”不是可选值，应为：主要负责人/安全生产管理人员/特种作业人员/一般从业人员",
                "任职日期：日期2021-13-01不存在，应为日历上有的日期，如2022-03-31",
            ]
        );
        let ok = person_row([
            "91110000600037341L",
            "张三",
            &id_of("50011219900101001"),
            "",
            "一般从业人员",
            "",
            "2021-03-05",
        ]);
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn a_leading_apostrophe_marks_text_and_is_no_part_of_the_value() {
        let ok = person_row([
            "'91110000600037341L",
            "张三",
            &format!("'{}", id_of("50011219900101001")),
            "",
            "一般从业人员",
            "",
            "'2021-03-05",
        ]);
        assert!(ok.is_ok(), "{ok:?}");
    }

    /// Area codes of the built-in list.
    fn any_area() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec!["500112", "500221", "110105", "510113", "440305"])
    }

    proptest! {
        #[test]
        fn a_valid_id_passes_and_any_one_digit_changed_names_the_check_digit_it_now_needs(
            area in any_area(),
            (y, m, d) in (1950i32..2005, 1u32..=12, 1u32..=28),
            seq in 0u32..1000,
            pos in 0usize..17,
            delta in 1u8..10,
        ) {
            let first17 = format!("{area}{y:04}{m:02}{d:02}{seq:03}");
            let valid = id_of(&first17);
            let row = |id: &str| person_row(["91110000600037341L", "张三", id, "", "一般从业人员", "", "2021-03-05"]);
            prop_assert!(row(&valid).is_ok());
            let mut changed = first17.into_bytes();
            changed[pos] = b'0' + (changed[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(changed).unwrap();
            let expected = IdNumber::check_char(&changed).unwrap();
            let faults = row(&format!("{changed}{}", &valid[17..])).unwrap_err();
            let want = format!("身份证号：校验位错误（按GB 11643计算应为{expected}）");
            prop_assert!(faults.iter().any(|f| f.to_string() == want), "{:?}", faults);
            prop_assert!(faults.iter().all(|f| f.column == "身份证号"), "{:?}", faults);
        }

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
                    Table::Sessions => session(&view).map(|_| ()),
                    Table::FaceChecks => face_check(&view).map(|_| ()),
                    Table::Courses => course(&view).map(|_| ()),
                    Table::OnlineExams => online_exam(&view).map(|_| ()),
                };
            }
        }
    }
}
