//! Rows of an online-training platform's logs: 学习记录, 人脸核验, 课程, 在线考试. Cells follow
//! the ledger's rules (codes, ID numbers, names, numbers); the moments of a log (start, end,
//! a face check) must carry a time of day, since the checks compare them to the second.

use super::{Checked, Faults, RowView, V};
use crate::cells::{self, CellError};
use crate::schema::{course as co, exam as ex, face as fc, session as se};
use anpei_core::ledger::{CourseRecord, FaceCheckRecord, OnlineExamRecord, SessionRecord};
use chrono::NaiveDateTime;

/// The longest code or name a log's text column takes (platform, course, exam, device).
const MAX_TEXT: usize = 100;

impl RowView<'_> {
    /// A required short text (a platform's name, a course's number).
    fn code(&self, col: usize) -> V<String> {
        let t = self.required(col)?;
        self.short_text(col, t).map(String::from)
    }

    /// A short text without control characters (a tab, a line break pasted into a cell).
    fn short_text<'t>(&self, col: usize, t: &'t str) -> V<&'t str> {
        if t.chars().count() > MAX_TEXT {
            return Err(self.fault(col, format!("过长，应不超过{MAX_TEXT}个字符")));
        }
        if t.chars().any(char::is_control) {
            return Err(self.fault(col, "含有换行、制表符等控制字符，应只填写可见的文字和数字"));
        }
        Ok(t)
    }

    /// A moment of a log: a date with its time of day.
    fn moment(&self, col: usize) -> V<NaiveDateTime> {
        let t = self.required(col)?;
        match cells::parse_datetime(t) {
            Ok((date, Some(time))) => Ok(date.and_time(time)),
            Ok((_, None)) => Err(self.fault(
                col,
                format!("“{t}”缺少时刻，应为日期时间，如2022-03-31 09:05:30"),
            )),
            Err(e) => Err(self.fault(col, e.to_string())),
        }
    }

    /// A whole number ≥ `min` (seconds, questions).
    fn whole(&self, col: usize, min: i64) -> V<i64> {
        let t = self.required(col)?;
        match cells::parse_number(t) {
            Ok(v) if v.fract() == 0.0 && v >= min as f64 && v < 1e12 => Ok(v as i64),
            _ => Err(self.fault(col, format!("“{t}”不是有效的数值，应为不小于{min}的整数"))),
        }
    }

    /// A score or percentage, 0–100; `None` when empty and not `required`.
    fn percent(&self, col: usize, required: bool) -> V<Option<f64>> {
        let t = self.text(col);
        match cells::parse_number(t) {
            Ok(v) if (0.0..=100.0).contains(&v) => Ok(Some(v)),
            Err(CellError::Empty) if !required => Ok(None),
            Err(CellError::Empty) => self.required(col).map(|_| None),
            _ => Err(self.fault(
                col,
                format!("“{t}”不是有效的数值，应为0到100之间的数字，如85"),
            )),
        }
    }

    /// An optional short text.
    fn short(&self, col: usize) -> V<Option<String>> {
        match self.text(col) {
            "" => Ok(None),
            t => self.short_text(col, t).map(|t| Some(t.to_string())),
        }
    }

    /// An end after (or at) its start.
    fn end_after(&self, f: &mut Faults, col: usize, start: NaiveDateTime, end: NaiveDateTime) {
        if end < start {
            let at = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
            f.push(self.fault(
                col,
                format!(
                    "结束时间{}早于开始时间{}，应晚于开始时间",
                    at(end),
                    at(start)
                ),
            ));
        }
    }
}

/// A 学习记录 row.
pub(crate) fn session(r: &RowView) -> Checked<SessionRecord> {
    let mut f = Faults::default();
    let platform = f.take(r.code(se::PLATFORM));
    let employer = f.take(r.uscc(se::USCC));
    let id_number = f.take_all(r.id_number(se::ID));
    let name = f.take(r.name(se::NAME));
    let course_no = f.take(r.code(se::COURSE));
    let start = f.take(r.moment(se::START));
    let end = f.take(r.moment(se::END));
    if let (Some(s), Some(e)) = (start, end) {
        r.end_after(&mut f, se::END, s, e);
    }
    let progress_secs = f.take(r.whole(se::PROGRESS, 0));
    let device = f.take(r.short(se::DEVICE));
    let ip = match r.text(se::IP) {
        "" => Some(None),
        t => match t.parse::<std::net::IpAddr>() {
            Ok(a) => Some(Some(a.to_string())),
            Err(_) => {
                f.push(r.fault(
                    se::IP,
                    format!("“{t}”不是有效的IP地址，应如10.1.2.3或2001:db8::1"),
                ));
                None
            }
        },
    };
    let (
        Some(platform),
        Some(employer),
        Some(id_number),
        Some(name),
        Some(course_no),
        Some(start),
        Some(end),
        Some(progress_secs),
        Some(device),
        Some(ip),
    ) = (
        platform,
        employer,
        id_number,
        name,
        course_no,
        start,
        end,
        progress_secs,
        device,
        ip,
    )
    else {
        return Err(f.sorted(r.names));
    };
    if !f.0.is_empty() {
        return Err(f.sorted(r.names));
    }
    Ok(SessionRecord {
        platform,
        employer,
        id_number,
        name,
        course_no,
        start,
        end,
        progress_secs,
        device,
        ip,
    })
}

/// A 人脸核验 row.
pub(crate) fn face_check(r: &RowView) -> Checked<FaceCheckRecord> {
    let mut f = Faults::default();
    let platform = f.take(r.code(fc::PLATFORM));
    let id_number = f.take_all(r.id_number(fc::ID));
    let at = f.take(r.moment(fc::AT));
    let passed = f.take(match r.required(fc::RESULT) {
        Ok("通过") => Ok(true),
        Ok("不通过" | "未通过") => Ok(false),
        Ok(t) => Err(r.fault(fc::RESULT, format!("“{t}”不是可选值，应为：通过/不通过"))),
        Err(e) => Err(e),
    });
    let similarity = f.take(r.percent(fc::SIMILARITY, false));
    let (Some(platform), Some(id_number), Some(at), Some(passed), Some(similarity)) =
        (platform, id_number, at, passed, similarity)
    else {
        return Err(f.sorted(r.names));
    };
    Ok(FaceCheckRecord {
        platform,
        id_number,
        at,
        passed,
        similarity,
    })
}

/// A 课程 row.
pub(crate) fn course(r: &RowView) -> Checked<CourseRecord> {
    let mut f = Faults::default();
    let platform = f.take(r.code(co::PLATFORM));
    let course_no = f.take(r.code(co::NUMBER));
    let title = f.take(r.code(co::TITLE));
    let video_secs = f.take(r.whole(co::VIDEO, 0));
    let hours = f.take(r.hours(co::HOURS, false));
    let (Some(platform), Some(course_no), Some(title), Some(video_secs), Some(hours)) =
        (platform, course_no, title, video_secs, hours)
    else {
        return Err(f.sorted(r.names));
    };
    Ok(CourseRecord {
        platform,
        course_no,
        title,
        video_secs,
        hours,
    })
}

/// An 在线考试 row.
pub(crate) fn online_exam(r: &RowView) -> Checked<OnlineExamRecord> {
    let mut f = Faults::default();
    let platform = f.take(r.code(ex::PLATFORM));
    let id_number = f.take_all(r.id_number(ex::ID));
    let exam_no = f.take(r.code(ex::NUMBER));
    let start = f.take(r.moment(ex::START));
    let end = f.take(r.moment(ex::END));
    if let (Some(s), Some(e)) = (start, end) {
        r.end_after(&mut f, ex::END, s, e);
    }
    let questions = f.take(r.whole(ex::QUESTIONS, 1));
    let score = f.take(r.percent(ex::SCORE, true)).flatten();
    let (
        Some(platform),
        Some(id_number),
        Some(exam_no),
        Some(start),
        Some(end),
        Some(questions),
        Some(score),
    ) = (platform, id_number, exam_no, start, end, questions, score)
    else {
        return Err(f.sorted(r.names));
    };
    if !f.0.is_empty() {
        return Err(f.sorted(r.names));
    }
    Ok(OnlineExamRecord {
        platform,
        id_number,
        exam_no,
        start,
        end,
        questions,
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{columns, map_header};
    use anpei_core::ledger::Table;

    fn check<T>(
        table: Table,
        cells: &[&str],
        f: fn(&RowView) -> Checked<T>,
    ) -> Result<T, Vec<String>> {
        let header: Vec<String> = columns(table).iter().map(|c| c.to_string()).collect();
        let map = map_header(table, &header).map;
        let cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
        let view = RowView {
            cells: &cells,
            map: &map,
            names: columns(table),
            numeric: 0,
        };
        f(&view).map_err(|fs| fs.iter().map(ToString::to_string).collect())
    }

    const ID: &str = "110101199003074477";
    const USCC: &str = "91500112MA5U3XXX0T";

    #[test]
    fn a_session_row_reads_every_column() {
        let s = check(
            Table::Sessions,
            &[
                "安全学习网",
                USCC,
                ID,
                "张 三",
                "K01",
                "2026-03-02 09:00:00",
                "2026-03-02 09:45:10",
                "2710",
                "DEV-1",
                "10.1.2.3",
            ],
            session,
        );
        match s {
            Ok(s) => {
                assert_eq!(s.name, "张三");
                assert_eq!(s.progress_secs, 2710);
                assert_eq!(s.device.as_deref(), Some("DEV-1"));
                assert_eq!((s.end - s.start).num_seconds(), 45 * 60 + 10);
            }
            // The sample USCC may not carry a valid check character; its message says so.
            Err(e) => assert!(e.iter().all(|m| m.starts_with("统一社会信用代码")), "{e:?}"),
        }
    }

    #[test]
    fn a_session_row_names_each_fault() {
        let e = check(
            Table::Sessions,
            &[
                "",
                USCC,
                ID,
                "张三",
                "K01",
                "2026-03-02",
                "2026-03-02 08:00:00",
                "-5",
                "",
                "10.1.2",
            ],
            session,
        )
        .unwrap_err();
        let joined = e.join("\n");
        assert!(joined.contains("平台名称：不能为空"), "{joined}");
        assert!(
            joined.contains("开始时间：“2026-03-02”缺少时刻"),
            "{joined}"
        );
        assert!(
            joined.contains("视频进度秒数：“-5”不是有效的数值"),
            "{joined}"
        );
        assert!(
            joined.contains("IP地址：“10.1.2”不是有效的IP地址"),
            "{joined}"
        );
    }

    #[test]
    fn an_end_before_its_start_is_refused() {
        let e = check(
            Table::OnlineExams,
            &[
                "安全学习网",
                ID,
                "E1",
                "2026-03-02 09:00:00",
                "2026-03-02 08:59:59",
                "100",
                "90",
            ],
            online_exam,
        )
        .unwrap_err();
        assert_eq!(
            e,
            vec!["结束时间：结束时间2026-03-02 08:59:59早于开始时间2026-03-02 09:00:00，应晚于开始时间"]
        );
    }

    #[test]
    fn face_results_and_similarity() {
        let ok = check(
            Table::FaceChecks,
            &["安全学习网", ID, "2026-03-02 09:05:00", "不通过", "41.5"],
            face_check,
        )
        .unwrap();
        assert!(!ok.passed);
        assert_eq!(ok.similarity, Some(41.5));
        let e = check(
            Table::FaceChecks,
            &["安全学习网", ID, "2026-03-02 09:05:00", "成功", "101"],
            face_check,
        )
        .unwrap_err();
        assert_eq!(
            e,
            vec![
                "核验结果：“成功”不是可选值，应为：通过/不通过",
                "比对相似度：“101”不是有效的数值，应为0到100之间的数字，如85"
            ]
        );
    }

    #[test]
    fn a_device_with_a_line_break_is_refused() {
        let e = check(
            Table::Sessions,
            &[
                "安全学习网",
                USCC,
                ID,
                "张三",
                "K01",
                "2026-03-02 09:00:00",
                "2026-03-02 09:30:00",
                "1700",
                "DEV\n1",
                "",
            ],
            session,
        )
        .unwrap_err();
        assert!(
            e.iter()
                .any(|m| m == "设备标识：含有换行、制表符等控制字符，应只填写可见的文字和数字"),
            "{e:?}"
        );
    }

    #[test]
    fn a_course_needs_whole_seconds() {
        let e = check(
            Table::Courses,
            &["安全学习网", "K01", "危化品安全", "1800.5", "2"],
            course,
        )
        .unwrap_err();
        assert_eq!(
            e,
            vec!["视频时长秒数：“1800.5”不是有效的数值，应为不小于0的整数"]
        );
    }
}
