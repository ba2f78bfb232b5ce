//! The import formats: the columns of each table in their canonical order, which
//! of them a file must have, and the mapping from a file's header row onto them.

use crate::cells::trim;
use anpei_core::ledger::Table;

/// Column indexes of 单位.
pub(crate) mod subject {
    pub const COLUMNS: &[&str] = &[
        "统一社会信用代码",
        "单位名称",
        "单位类型",
        "行业",
        "所属镇街",
        "行业主管部门",
        "地址",
        "联系人",
        "联系电话",
        "所属区县",
    ];
    pub const REQUIRED: &[&str] = &[
        "统一社会信用代码",
        "单位名称",
        "单位类型",
        "行业",
        "所属镇街",
    ];
    pub const USCC: usize = 0;
    pub const NAME: usize = 1;
    pub const KIND: usize = 2;
    pub const INDUSTRY: usize = 3;
    pub const TOWN: usize = 4;
    pub const DEPARTMENT: usize = 5;
    pub const ADDRESS: usize = 6;
    pub const CONTACT: usize = 7;
    pub const PHONE: usize = 8;
    pub const DISTRICT: usize = 9;
}

/// Column indexes of 人员.
pub(crate) mod person {
    pub const COLUMNS: &[&str] = &[
        "统一社会信用代码",
        "姓名",
        "身份证号",
        "手机号",
        "岗位类别",
        "作业类别",
        "任职日期",
    ];
    pub const REQUIRED: &[&str] = &[
        "统一社会信用代码",
        "姓名",
        "身份证号",
        "岗位类别",
        "任职日期",
    ];
    pub const USCC: usize = 0;
    pub const NAME: usize = 1;
    pub const ID: usize = 2;
    pub const PHONE: usize = 3;
    pub const POST: usize = 4;
    pub const CATEGORY: usize = 5;
    pub const APPOINTED: usize = 6;
}

/// Column indexes of 证书 and 登记库.
pub(crate) mod certificate {
    pub const COLUMNS: &[&str] = &[
        "身份证号",
        "姓名",
        "证书类型",
        "证书编号",
        "作业类别",
        "操作项目",
        "初领日期",
        "有效期起",
        "有效期止",
        "应复审日期",
        "实际复审日期",
        "发证机关",
    ];
    pub const REQUIRED: &[&str] = &["身份证号", "姓名", "证书类型", "证书编号"];
    /// A file needs at least one of these columns, and each row at least one of them filled.
    pub const ONE_OF_DATES: &str = "有效期起/初领日期/有效期止（至少一列）";
    pub const ID: usize = 0;
    pub const NAME: usize = 1;
    pub const TYPE: usize = 2;
    pub const NUMBER: usize = 3;
    pub const CATEGORY: usize = 4;
    pub const ITEM: usize = 5;
    pub const FIRST_ISSUED: usize = 6;
    pub const VALID_FROM: usize = 7;
    pub const VALID_UNTIL: usize = 8;
    pub const REVIEW_DUE: usize = 9;
    pub const REVIEWED: usize = 10;
    pub const ISSUER: usize = 11;
}

/// Column indexes of 培训.
pub(crate) mod training {
    pub const COLUMNS: &[&str] = &[
        "统一社会信用代码",
        "身份证号",
        "姓名",
        "培训类型",
        "培训形式",
        "开始时间",
        "结束时间",
        "理论学时",
        "实操学时",
        "培训机构",
        "考核成绩",
        "考核结果",
    ];
    pub const REQUIRED: &[&str] = &[
        "统一社会信用代码",
        "身份证号",
        "姓名",
        "培训类型",
        "培训形式",
        "开始时间",
        "结束时间",
        "理论学时",
        "实操学时",
    ];
    pub const USCC: usize = 0;
    pub const ID: usize = 1;
    pub const NAME: usize = 2;
    pub const TYPE: usize = 3;
    pub const FORM: usize = 4;
    pub const START: usize = 5;
    pub const END: usize = 6;
    pub const THEORY: usize = 7;
    pub const PRACTICAL: usize = 8;
    pub const INSTITUTION: usize = 9;
    pub const SCORE: usize = 10;
    pub const RESULT: usize = 11;
}

/// Column indexes of 学习记录 (one learning session of an online-training platform).
pub(crate) mod session {
    pub const COLUMNS: &[&str] = &[
        "平台名称",
        "统一社会信用代码",
        "身份证号",
        "姓名",
        "课程编号",
        "开始时间",
        "结束时间",
        "视频进度秒数",
        "设备标识",
        "IP地址",
    ];
    pub const REQUIRED: &[&str] = &[
        "平台名称",
        "统一社会信用代码",
        "身份证号",
        "姓名",
        "课程编号",
        "开始时间",
        "结束时间",
        "视频进度秒数",
    ];
    pub const PLATFORM: usize = 0;
    pub const USCC: usize = 1;
    pub const ID: usize = 2;
    pub const NAME: usize = 3;
    pub const COURSE: usize = 4;
    pub const START: usize = 5;
    pub const END: usize = 6;
    pub const PROGRESS: usize = 7;
    pub const DEVICE: usize = 8;
    pub const IP: usize = 9;
}

/// Column indexes of 人脸核验.
pub(crate) mod face {
    pub const COLUMNS: &[&str] = &["平台名称", "身份证号", "核验时间", "核验结果", "比对相似度"];
    pub const REQUIRED: &[&str] = &["平台名称", "身份证号", "核验时间", "核验结果"];
    pub const PLATFORM: usize = 0;
    pub const ID: usize = 1;
    pub const AT: usize = 2;
    pub const RESULT: usize = 3;
    pub const SIMILARITY: usize = 4;
}

/// Column indexes of 课程.
pub(crate) mod course {
    pub const COLUMNS: &[&str] = &["平台名称", "课程编号", "课程名称", "视频时长秒数", "学时"];
    pub const REQUIRED: &[&str] = COLUMNS;
    pub const PLATFORM: usize = 0;
    pub const NUMBER: usize = 1;
    pub const TITLE: usize = 2;
    pub const VIDEO: usize = 3;
    pub const HOURS: usize = 4;
}

/// Column indexes of 在线考试.
pub(crate) mod exam {
    pub const COLUMNS: &[&str] = &[
        "平台名称",
        "身份证号",
        "考试编号",
        "开始时间",
        "结束时间",
        "题量",
        "成绩",
    ];
    pub const REQUIRED: &[&str] = COLUMNS;
    pub const PLATFORM: usize = 0;
    pub const ID: usize = 1;
    pub const NUMBER: usize = 2;
    pub const START: usize = 3;
    pub const END: usize = 4;
    pub const QUESTIONS: usize = 5;
    pub const SCORE: usize = 6;
}

/// The last column of an error report: why its row was rejected. A corrected report is
/// uploaded as it is, so the importer passes over this column without a word.
pub const REASON_COLUMN: &str = "错误原因";

/// The most columns a table has.
pub(crate) const MAX_COLUMNS: usize = 12;

/// The columns of `table` in their canonical order (the template's and the export's).
pub fn columns(table: Table) -> &'static [&'static str] {
    match table {
        Table::Subjects => subject::COLUMNS,
        Table::Persons => person::COLUMNS,
        Table::Certificates | Table::Registry => certificate::COLUMNS,
        Table::Trainings => training::COLUMNS,
        Table::Sessions => session::COLUMNS,
        Table::FaceChecks => face::COLUMNS,
        Table::Courses => course::COLUMNS,
        Table::OnlineExams => exam::COLUMNS,
    }
}

/// The columns a file of `table` must have. Within them, a cell may still be empty where
/// the record allows it: 行业 of an institution, 实操学时 (empty means 0). A 证书 or 登记库
/// file must moreover have at least one of 有效期起, 初领日期 and 有效期止.
pub fn required_columns(table: Table) -> &'static [&'static str] {
    match table {
        Table::Subjects => subject::REQUIRED,
        Table::Persons => person::REQUIRED,
        Table::Certificates | Table::Registry => certificate::REQUIRED,
        Table::Trainings => training::REQUIRED,
        Table::Sessions => session::REQUIRED,
        Table::FaceChecks => face::REQUIRED,
        Table::Courses => course::REQUIRED,
        Table::OnlineExams => exam::REQUIRED,
    }
}

/// A header cell as compared with the column names: trimmed, inner spaces dropped.
fn header_name(cell: &str) -> String {
    trim(cell).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether a row looks like the header of `table`: it names at least one of its columns.
pub(crate) fn is_header(table: Table, cells: &[String]) -> bool {
    let known = columns(table);
    cells
        .iter()
        .any(|c| known.contains(&header_name(c).as_str()))
}

/// Where each canonical column of a table sits in a file's rows.
#[derive(Debug, Clone)]
pub(crate) struct HeaderMap {
    pos: [Option<usize>; MAX_COLUMNS],
    /// The number of cells of the header row (rows are padded to it).
    pub width: usize,
}

impl HeaderMap {
    /// The file column of canonical column `col`, if the file has it.
    pub fn get(&self, col: usize) -> Option<usize> {
        self.pos.get(col).copied().flatten()
    }
}

/// A header row read against a table's format.
pub(crate) struct Header {
    pub map: HeaderMap,
    /// Non-empty header cells that are no column of the table, in file order.
    pub unknown: Vec<String>,
    /// Columns named twice (the first one is used).
    pub duplicated: Vec<&'static str>,
    /// Required columns the file lacks.
    pub missing: Vec<&'static str>,
}

/// Maps a header row onto `table`'s columns.
pub(crate) fn map_header(table: Table, cells: &[String]) -> Header {
    let known = columns(table);
    let mut pos = [None; MAX_COLUMNS];
    let mut unknown = Vec::new();
    let mut duplicated = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let name = header_name(cell);
        match known.iter().position(|k| *k == name) {
            Some(k) if pos[k].is_some() => duplicated.push(known[k]),
            Some(k) => pos[k] = Some(i),
            None if name.is_empty() || name == REASON_COLUMN => {}
            None => unknown.push(name),
        }
    }
    let mut missing: Vec<&'static str> = required_columns(table)
        .iter()
        .copied()
        .filter(|r| {
            known
                .iter()
                .position(|k| k == r)
                .and_then(|k| pos[k])
                .is_none()
        })
        .collect();
    if matches!(table, Table::Certificates | Table::Registry) {
        use certificate::{FIRST_ISSUED, VALID_FROM, VALID_UNTIL};
        if [FIRST_ISSUED, VALID_FROM, VALID_UNTIL]
            .iter()
            .all(|&c| pos[c].is_none())
        {
            missing.push(certificate::ONE_OF_DATES);
        }
    }
    Header {
        map: HeaderMap {
            pos,
            width: cells.len(),
        },
        unknown,
        duplicated,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn maps_columns_in_any_order_with_spaces_around_names() {
        let h = map_header(
            Table::Persons,
            &row(&[
                "备注",
                " 姓名\u{3000}",
                "身份证号",
                "统一社会信用代码",
                "任职日期",
                "岗位类别",
                "",
                "身 份 证 号",
            ]),
        );
        assert!(h.missing.is_empty());
        assert_eq!(h.map.get(person::NAME), Some(1));
        assert_eq!(h.map.get(person::USCC), Some(3));
        assert_eq!(h.map.get(person::PHONE), None);
        assert_eq!(h.unknown, vec!["备注".to_string()]);
        let report = map_header(
            Table::Persons,
            &row(&[
                "统一社会信用代码",
                "姓名",
                "身份证号",
                "岗位类别",
                "任职日期",
                "错误原因",
            ]),
        );
        assert!(
            report.unknown.is_empty(),
            "an error report's reasons are passed over"
        );
        assert_eq!(h.duplicated, vec!["身份证号"]);
    }

    #[test]
    fn names_the_missing_required_columns() {
        let h = map_header(
            Table::Trainings,
            &row(&["统一社会信用代码", "身份证号", "姓名", "培训类型"]),
        );
        assert_eq!(
            h.missing,
            vec!["培训形式", "开始时间", "结束时间", "理论学时", "实操学时"]
        );
        let h = map_header(
            Table::Certificates,
            &row(&["身份证号", "姓名", "证书类型", "证书编号"]),
        );
        assert_eq!(h.missing, vec![certificate::ONE_OF_DATES]);
    }

    #[test]
    fn every_required_column_is_a_column() {
        for t in Table::ALL {
            for r in required_columns(t) {
                assert!(columns(t).contains(r), "{r}");
            }
            assert!(columns(t).len() <= MAX_COLUMNS);
        }
    }
}
