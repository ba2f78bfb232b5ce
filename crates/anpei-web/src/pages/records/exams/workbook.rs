//! The exam-records workbook (考试计划, 考试场次, 考务人员, 考生成绩, 考试录像, 考务证件,
//! 考试设备): read with calamine into the store's typed rows, every wrong cell reported as
//! "考试场次 第12行 开始时间：…". Sheets may be missing (nothing to add); a present sheet
//! must have its required columns (optional ones, such as 考务证件's 联系电话, may be left
//! out: workbooks made before they were added still read).

use anpei_core::ids::{parse_phone, IdNumber};
use anpei_import::cells::{parse_date, parse_datetime, parse_number};
use anpei_store::records::exams::{
    role_from_label, system_from_label, CandidateRow, CredentialRow, EquipmentRow, PlanInput,
    PlanRow, Row, SessionRow, StaffRow, Upload, VideoRow,
};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;

/// The columns of each sheet: (sheet, required, optional).
pub const COLUMNS: &[(&str, &[&str], &[&str])] = &[
    (
        "考试计划",
        &["计划编号", "开始时间", "结束时间", "考试类别", "计划人数"],
        &["考试点"],
    ),
    (
        "考试场次",
        &[
            "场次编号",
            "考场",
            "开始时间",
            "结束时间",
            "考试系统",
            "考试类别",
        ],
        &["计划编号", "考试点", "高危行业负责人考试"],
    ),
    (
        "考务人员",
        &["场次编号", "姓名", "身份证号", "角色"],
        &["到岗时间", "离岗时间"],
    ),
    (
        "考生成绩",
        &["场次编号", "姓名", "身份证号", "是否合格"],
        &["成绩"],
    ),
    (
        "考试录像",
        &["场次编号", "文件名", "SHA-256", "时长（分钟）", "存储位置"],
        &["删除日期"],
    ),
    (
        "考务证件",
        &[
            "姓名",
            "身份证号",
            "证件类别",
            "证件编号",
            "有效期起",
            "有效期至",
        ],
        &["联系电话"],
    ),
    ("考试设备", &["设备名称", "检验合格证编号", "有效期至"], &[]),
];

/// One sheet's rows by column name, and where the errors go.
struct Sheet<'a> {
    name: &'a str,
    cols: HashMap<String, usize>,
    errors: &'a mut Vec<String>,
}

impl Sheet<'_> {
    fn cell<'r>(&self, row: &'r [String], col: &str) -> &'r str {
        self.cols
            .get(col)
            .and_then(|i| row.get(*i))
            .map_or("", String::as_str)
    }

    fn err(&mut self, line: usize, col: &str, msg: impl std::fmt::Display) {
        self.errors
            .push(format!("{} 第{line}行 {col}：{msg}", self.name));
    }

    fn required(&mut self, row: &[String], line: usize, col: &str) -> Option<String> {
        let v = self.cell(row, col).to_string();
        if v.is_empty() {
            self.err(line, col, "不能为空");
            None
        } else {
            Some(v)
        }
    }

    fn optional(&self, row: &[String], col: &str) -> Option<String> {
        Some(self.cell(row, col).to_string()).filter(|s| !s.is_empty())
    }

    fn datetime(&mut self, row: &[String], line: usize, col: &str) -> Option<NaiveDateTime> {
        let v = self.cell(row, col).to_string();
        self.datetime_of(&v, line, col)
    }

    fn datetime_of(&mut self, v: &str, line: usize, col: &str) -> Option<NaiveDateTime> {
        match parse_datetime(v) {
            Ok((d, Some(t))) => Some(d.and_time(t)),
            Ok((_, None)) => {
                self.err(line, col, "应写明时刻，如 2025-03-05 09:00");
                None
            }
            Err(e) => {
                self.err(line, col, e);
                None
            }
        }
    }

    fn opt_datetime(&mut self, row: &[String], line: usize, col: &str) -> Option<NaiveDateTime> {
        let v = self.optional(row, col)?;
        self.datetime_of(&v, line, col)
    }

    fn date(&mut self, row: &[String], line: usize, col: &str) -> Option<NaiveDate> {
        match parse_date(self.cell(row, col)) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(line, col, e);
                None
            }
        }
    }

    fn int(&mut self, row: &[String], line: usize, col: &str) -> Option<i32> {
        match parse_number(self.cell(row, col)) {
            Ok(n) if n.fract() == 0.0 && (0.0..=1e9).contains(&n) => Some(n as i32),
            Ok(_) => {
                self.err(line, col, "应为非负整数");
                None
            }
            Err(e) => {
                self.err(line, col, e);
                None
            }
        }
    }

    /// Minutes (a fraction allowed: the export writes 90.5 for 5430 seconds) as seconds.
    fn minutes(&mut self, row: &[String], line: usize, col: &str) -> Option<i32> {
        match parse_number(self.cell(row, col)) {
            Ok(n) if (0.0..=1e7).contains(&n) => Some((n * 60.0).round() as i32),
            Ok(_) => {
                self.err(line, col, "应为非负数");
                None
            }
            Err(e) => {
                self.err(line, col, e);
                None
            }
        }
    }

    /// An optional phone number (`Some(None)` when empty, `None` when wrong).
    fn phone(&mut self, row: &[String], line: usize, col: &str) -> Option<Option<String>> {
        let Some(v) = self.optional(row, col) else {
            return Some(None);
        };
        match parse_phone(&v) {
            Ok(p) => Some(Some(p)),
            Err(e) => {
                self.err(line, col, e);
                None
            }
        }
    }

    fn id_number(&mut self, row: &[String], line: usize, col: &str) -> Option<IdNumber> {
        let v = self.required(row, line, col)?;
        match IdNumber::parse(&v) {
            Ok(id) => Some(id),
            Err(e) => {
                self.err(line, col, e);
                None
            }
        }
    }

    fn yes_no(&mut self, row: &[String], line: usize, col: &str) -> Option<bool> {
        match self.cell(row, col) {
            "是" | "合格" | "通过" => Some(true),
            "否" | "不合格" | "未通过" | "" => Some(false),
            other => {
                let other = other.to_string();
                self.err(line, col, format!("应为“是”或“否”，实际为“{other}”"));
                None
            }
        }
    }

    fn site(
        &mut self,
        row: &[String],
        line: usize,
        sites: &HashMap<String, i32>,
    ) -> Option<Option<i32>> {
        match self.optional(row, "考试点") {
            None => Some(None),
            Some(n) => match sites.get(&n) {
                Some(id) => Some(Some(*id)),
                None => {
                    self.err(line, "考试点", format!("“{n}”不是本区登记的考试点"));
                    None
                }
            },
        }
    }
}

/// Reads the workbook; `Err` holds every message (the upload writes nothing then).
pub fn read(bytes: &[u8], sites: &HashMap<String, i32>) -> Result<Upload, Vec<String>> {
    let book = anpei_import::sheets::read_sheets(bytes).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut u = Upload::default();
    let mut found = 0;
    for (sheet, required, _) in COLUMNS {
        let Some((_, rows)) = book.iter().find(|(n, _)| n == sheet) else {
            continue;
        };
        found += 1;
        let mut rows = rows.iter();
        let Some(header) = rows.next() else { continue };
        let cols: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !cols.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            errors.push(format!("{sheet}：缺少列“{}”", missing.join("”“")));
            continue;
        }
        let mut sh = Sheet {
            name: sheet,
            cols,
            errors: &mut errors,
        };
        for (i, row) in rows.enumerate() {
            if row.iter().all(String::is_empty) {
                continue;
            }
            read_row(&mut sh, &mut u, row, i + 2, sites);
        }
    }
    if found == 0 {
        errors.push(format!(
            "工作簿中没有可导入的工作表，应为：{}",
            COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>().join("、")
        ));
    }
    if errors.is_empty() {
        Ok(u)
    } else {
        Err(errors)
    }
}

fn read_row(
    sh: &mut Sheet<'_>,
    u: &mut Upload,
    r: &[String],
    line: usize,
    sites: &HashMap<String, i32>,
) {
    match sh.name {
        "考试计划" => {
            let (k, site, s, e, c, n) = (
                sh.required(r, line, "计划编号"),
                sh.site(r, line, sites),
                sh.datetime(r, line, "开始时间"),
                sh.datetime(r, line, "结束时间"),
                sh.required(r, line, "考试类别"),
                sh.int(r, line, "计划人数"),
            );
            if let (
                Some(key),
                Some(site_id),
                Some(starts_at),
                Some(ends_at),
                Some(category),
                Some(n),
            ) = (k, site, s, e, c, n)
            {
                u.plans.push(Row {
                    line,
                    v: PlanRow {
                        key,
                        plan: PlanInput {
                            site_id,
                            starts_at,
                            ends_at,
                            category,
                            planned_candidates: n,
                        },
                    },
                });
            }
        }
        "考试场次" => {
            let system = match system_from_label(sh.cell(r, "考试系统")) {
                Some(s) => Some(s),
                None => {
                    let v = sh.cell(r, "考试系统").to_string();
                    sh.err(
                        line,
                        "考试系统",
                        format!("应为“国家考试系统”或“纸质”，实际为“{v}”"),
                    );
                    None
                }
            };
            let (k, site, room, s, e, c, hr) = (
                sh.required(r, line, "场次编号"),
                sh.site(r, line, sites),
                sh.required(r, line, "考场"),
                sh.datetime(r, line, "开始时间"),
                sh.datetime(r, line, "结束时间"),
                sh.required(r, line, "考试类别"),
                sh.yes_no(r, line, "高危行业负责人考试"),
            );
            if let (
                Some(key),
                Some(site_id),
                Some(room),
                Some(started_at),
                Some(ended_at),
                Some(category),
                Some(hr),
                Some(system),
            ) = (k, site, room, s, e, c, hr, system)
            {
                u.sessions.push(Row {
                    line,
                    v: SessionRow {
                        key,
                        plan_key: sh.optional(r, "计划编号"),
                        site_id,
                        room,
                        started_at,
                        ended_at,
                        system,
                        category,
                        high_risk_manager: hr,
                    },
                });
            }
        }
        "考务人员" => {
            let role = role_label_cell(sh, r, line, "角色");
            let (k, n, id, f, t) = (
                sh.required(r, line, "场次编号"),
                sh.required(r, line, "姓名"),
                sh.id_number(r, line, "身份证号"),
                sh.opt_datetime(r, line, "到岗时间"),
                sh.opt_datetime(r, line, "离岗时间"),
            );
            if let (Some(session_key), Some(name), Some(id_number), Some(role)) = (k, n, id, role) {
                u.staff.push(Row {
                    line,
                    v: StaffRow {
                        session_key,
                        name,
                        id_number,
                        role,
                        present_from: f,
                        present_to: t,
                    },
                });
            }
        }
        "考生成绩" => {
            let score = match sh.optional(r, "成绩") {
                None => Some(None),
                Some(_) => sh.int(r, line, "成绩").map(Some),
            };
            let (k, n, id, p) = (
                sh.required(r, line, "场次编号"),
                sh.required(r, line, "姓名"),
                sh.id_number(r, line, "身份证号"),
                sh.yes_no(r, line, "是否合格"),
            );
            if let (Some(session_key), Some(name), Some(id_number), Some(passed), Some(score)) =
                (k, n, id, p, score)
            {
                u.candidates.push(Row {
                    line,
                    v: CandidateRow {
                        session_key,
                        name,
                        id_number,
                        score,
                        passed,
                    },
                });
            }
        }
        "考试录像" => {
            let sha = sh
                .required(r, line, "SHA-256")
                .map(|s| s.to_ascii_lowercase());
            let sha = match sha {
                Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => Some(s),
                Some(_) => {
                    sh.err(line, "SHA-256", "应为64位十六进制摘要");
                    None
                }
                None => None,
            };
            let deleted = match sh.optional(r, "删除日期") {
                None => Some(None),
                Some(_) => sh.date(r, line, "删除日期").map(Some),
            };
            let (k, f, m, loc) = (
                sh.required(r, line, "场次编号"),
                sh.required(r, line, "文件名"),
                sh.minutes(r, line, "时长（分钟）"),
                sh.required(r, line, "存储位置"),
            );
            if let (
                Some(session_key),
                Some(file_name),
                Some(sha256),
                Some(m),
                Some(location),
                Some(deleted_at),
            ) = (k, f, sha, m, loc, deleted)
            {
                u.videos.push(Row {
                    line,
                    v: VideoRow {
                        session_key,
                        file_name,
                        sha256,
                        duration_secs: m,
                        location,
                        deleted_at,
                    },
                });
            }
        }
        "考务证件" => {
            let kind = role_label_cell(sh, r, line, "证件类别");
            let (n, id, num, from, until, phone) = (
                sh.required(r, line, "姓名"),
                sh.id_number(r, line, "身份证号"),
                sh.required(r, line, "证件编号"),
                sh.date(r, line, "有效期起"),
                sh.date(r, line, "有效期至"),
                sh.phone(r, line, "联系电话"),
            );
            if let (Some(f), Some(u2)) = (from, until) {
                if u2 < f {
                    sh.err(line, "有效期至", "应不早于有效期起");
                    return;
                }
            }
            if let (
                Some(name),
                Some(id_number),
                Some(kind),
                Some(number),
                Some(valid_from),
                Some(valid_until),
                Some(phone),
            ) = (n, id, kind, num, from, until, phone)
            {
                if let Some(p) = phone {
                    u.credential_phones.insert(line, p);
                }
                u.credentials.push(Row {
                    line,
                    v: CredentialRow {
                        name,
                        id_number,
                        kind,
                        number,
                        valid_from,
                        valid_until,
                    },
                });
            }
        }
        _ => {
            let (n, c, v) = (
                sh.required(r, line, "设备名称"),
                sh.required(r, line, "检验合格证编号"),
                sh.date(r, line, "有效期至"),
            );
            if let (Some(name), Some(cert_number), Some(valid_until)) = (n, c, v) {
                u.equipment.push(Row {
                    line,
                    v: EquipmentRow {
                        name,
                        cert_number,
                        valid_until,
                    },
                });
            }
        }
    }
}

fn role_label_cell(
    sh: &mut Sheet<'_>,
    r: &[String],
    line: usize,
    col: &str,
) -> Option<&'static str> {
    let v = sh.cell(r, col).to_string();
    match role_from_label(&v) {
        Some(role) => Some(role),
        None => {
            sh.err(
                line,
                col,
                format!("应为巡考员、监考员或考评员，实际为“{v}”"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(name: &str, rows: &[&[&str]]) -> Vec<u8> {
        let rows = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        anpei_import::sheets::write_sheets(&[(name.to_string(), rows)]).unwrap()
    }

    const SESSION_HEADER: &[&str] = &[
        "场次编号",
        "考场",
        "开始时间",
        "结束时间",
        "考试系统",
        "考试类别",
        "考试点",
    ];

    #[test]
    fn reads_a_session_with_an_excel_serial_and_a_known_site() {
        let sites = HashMap::from([("某考试点".to_string(), 7)]);
        let bytes = book(
            "考试场次",
            &[
                SESSION_HEADER,
                &[
                    "S1",
                    "第一考场",
                    "45721.375",
                    "2025/3/5 11:00",
                    "纸质",
                    "主要负责人",
                    "某考试点",
                ],
            ],
        );
        let u = read(&bytes, &sites).unwrap();
        let s = &u.sessions[0].v;
        assert_eq!(s.started_at.to_string(), "2025-03-05 09:00:00");
        assert_eq!(s.system, "paper");
        assert_eq!(s.site_id, Some(7));
        assert!(!s.high_risk_manager);
    }

    #[test]
    fn names_sheet_row_and_column_of_each_bad_cell() {
        let bytes = book(
            "考试场次",
            &[
                SESSION_HEADER,
                &[
                    "S1",
                    "第一考场",
                    "2025-03-05",
                    "2025-03-05 11:00",
                    "机考",
                    "电工作业",
                    "不存在的考试点",
                ],
            ],
        );
        let errors = read(&bytes, &HashMap::new()).unwrap_err();
        assert!(
            errors
                .contains(&"考试场次 第2行 开始时间：应写明时刻，如 2025-03-05 09:00".to_string()),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("考试场次 第2行 考试系统：")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("考试场次 第2行 考试点：")),
            "{errors:?}"
        );
    }

    #[test]
    fn reports_a_missing_column_and_a_workbook_without_known_sheets() {
        let bytes = book("考试设备", &[&["设备名称", "有效期至"]]);
        let errors = read(&bytes, &HashMap::new()).unwrap_err();
        assert_eq!(errors, vec!["考试设备：缺少列“检验合格证编号”".to_string()]);
        let bytes = book("Sheet1", &[&["a"]]);
        let errors = read(&bytes, &HashMap::new()).unwrap_err();
        assert!(
            errors[0].starts_with("工作簿中没有可导入的工作表"),
            "{errors:?}"
        );
    }

    const CREDENTIAL_HEADER: &[&str] = &[
        "姓名",
        "身份证号",
        "证件类别",
        "证件编号",
        "有效期起",
        "有效期至",
        "联系电话",
    ];

    #[test]
    fn reads_a_credentials_phone_and_names_a_bad_one() {
        let bytes = book(
            "考务证件",
            &[
                CREDENTIAL_HEADER,
                &[
                    "王五",
                    "11010519491231002X",
                    "监考员证",
                    "JK1",
                    "2024-01-01",
                    "2026-12-31",
                    "138 0013 8000",
                ],
                &[
                    "赵六",
                    "11010519491231002X",
                    "考评员证",
                    "KP1",
                    "2024-01-01",
                    "2026-12-31",
                    "",
                ],
            ],
        );
        let u = read(&bytes, &HashMap::new()).unwrap();
        assert_eq!(u.credentials.len(), 2);
        assert_eq!(
            u.credential_phones,
            HashMap::from([(2, "13800138000".to_string())])
        );
        let bytes = book(
            "考务证件",
            &[
                CREDENTIAL_HEADER,
                &[
                    "王五",
                    "11010519491231002X",
                    "监考员证",
                    "JK1",
                    "2024-01-01",
                    "2026-12-31",
                    "12345",
                ],
            ],
        );
        assert_eq!(
            read(&bytes, &HashMap::new()).unwrap_err(),
            vec!["考务证件 第2行 联系电话：应为11位手机号或带区号的固定电话".to_string()]
        );
    }

    #[test]
    fn reads_a_credentials_sheet_without_the_phone_column() {
        let bytes = book(
            "考务证件",
            &[
                &CREDENTIAL_HEADER[..6],
                &[
                    "王五",
                    "11010519491231002X",
                    "监考员证",
                    "JK1",
                    "2024-01-01",
                    "2026-12-31",
                ],
            ],
        );
        let u = read(&bytes, &HashMap::new()).unwrap();
        assert_eq!(u.credentials.len(), 1);
        assert!(u.credential_phones.is_empty());
    }

    #[test]
    fn refuses_an_unknown_staff_role() {
        let bytes = book(
            "考务人员",
            &[
                &["场次编号", "姓名", "身份证号", "角色"],
                &["S1", "王五", "11010519491231002X", "保安"],
            ],
        );
        let errors = read(&bytes, &HashMap::new()).unwrap_err();
        assert_eq!(
            errors,
            vec!["考务人员 第2行 角色：应为巡考员、监考员或考评员，实际为“保安”".to_string()]
        );
    }
}
