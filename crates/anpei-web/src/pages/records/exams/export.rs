//! A subject's exam records as a workbook with the upload's sheets and columns, in the
//! template's order ([`COLUMNS`]): plans and sessions keyed by their database ids, ID
//! numbers and phones masked — or, for the full export, in full, so that the workbook
//! uploads again as the same records. The masked export adds 保存至 to the videos (the
//! upload computes it).

use super::workbook::COLUMNS;
use anpei_store::records::exams::{credential_label, role_label, system_label, Export};
use chrono::Timelike;
use std::collections::HashMap;

/// A date-time as the upload reads it (seconds only when there are any).
fn dt(t: &chrono::NaiveDateTime) -> String {
    if t.second() == 0 {
        t.format("%Y-%m-%d %H:%M").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

fn opt_dt(t: &Option<chrono::NaiveDateTime>) -> String {
    t.as_ref().map_or_else(String::new, dt)
}

/// One sheet: its columns (the upload's, plus `extra`) and rows given as (column, value).
struct SheetOut {
    name: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl SheetOut {
    fn new(name: &'static str, extra: &[&'static str]) -> SheetOut {
        let header = COLUMNS
            .iter()
            .find(|c| c.0 == name)
            .map(|(_, req, opt)| req.iter().chain(opt.iter()).copied().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        SheetOut {
            name,
            header,
            rows: Vec::new(),
        }
    }

    fn push(&mut self, cells: &[(&str, String)]) {
        let by: HashMap<&str, &String> = cells.iter().map(|(k, v)| (*k, v)).collect();
        self.rows.push(
            self.header
                .iter()
                .map(|h| by.get(h).map_or_else(String::new, |v| (*v).clone()))
                .collect(),
        );
    }

    fn into_sheet(self) -> anpei_import::sheets::Sheet {
        let mut rows = vec![self.header.iter().map(|h| h.to_string()).collect()];
        rows.extend(self.rows);
        (self.name.to_string(), rows)
    }
}

/// Rows per sheet, for the audit trail.
pub fn counts(x: &Export) -> String {
    format!(
        "计划{} 场次{} 考务人员{} 考生{} 录像{} 证件{} 设备{}",
        x.o.plans.len(),
        x.o.sessions.len(),
        x.staff.len(),
        x.candidates.len(),
        x.videos.len(),
        x.credentials.len(),
        x.o.equipment.len()
    )
}

pub fn workbook(x: &Export) -> Result<Vec<u8>, String> {
    let skey = |id: i32| format!("S{id}");
    let mut plans = SheetOut::new("考试计划", &[]);
    for p in &x.o.plans {
        plans.push(&[
            ("计划编号", format!("P{}", p.id)),
            ("开始时间", dt(&p.starts_at)),
            ("结束时间", dt(&p.ends_at)),
            ("考试类别", p.category.clone()),
            ("计划人数", p.planned_candidates.to_string()),
            ("考试点", x.site_ref(p.site_id)),
        ]);
    }
    let mut sessions = SheetOut::new("考试场次", &[]);
    for s in &x.o.sessions {
        sessions.push(&[
            ("场次编号", skey(s.id)),
            (
                "计划编号",
                s.plan_id.map_or_else(String::new, |p| format!("P{p}")),
            ),
            ("考试点", x.site_ref(s.site_id)),
            ("考场", s.room.clone()),
            ("开始时间", dt(&s.started_at)),
            ("结束时间", dt(&s.ended_at)),
            ("考试系统", system_label(&s.system).to_string()),
            ("考试类别", s.category.clone()),
            (
                "高危行业负责人考试",
                if s.high_risk_manager { "是" } else { "否" }.to_string(),
            ),
        ]);
    }
    let mut staff = SheetOut::new("考务人员", &[]);
    for s in &x.staff {
        staff.push(&[
            ("场次编号", skey(s.m.session_id)),
            ("姓名", s.m.name.clone()),
            ("身份证号", s.id_number.clone()),
            ("角色", role_label(&s.m.role).to_string()),
            ("到岗时间", opt_dt(&s.m.present_from)),
            ("离岗时间", opt_dt(&s.m.present_to)),
        ]);
    }
    let mut candidates = SheetOut::new("考生成绩", &[]);
    for c in &x.candidates {
        candidates.push(&[
            ("场次编号", skey(c.m.session_id)),
            ("姓名", c.m.name.clone()),
            ("身份证号", c.id_number.clone()),
            (
                "成绩",
                c.m.score.map_or_else(String::new, |s| s.to_string()),
            ),
            (
                "是否合格",
                if c.m.passed { "合格" } else { "不合格" }.to_string(),
            ),
        ]);
    }
    let mut videos = SheetOut::new("考试录像", if x.full { &[] } else { &["保存至"] });
    for v in &x.videos {
        videos.push(&[
            ("场次编号", skey(v.session_id)),
            ("文件名", v.file_name.clone()),
            ("SHA-256", v.sha256.clone()),
            (
                "时长（分钟）",
                format!("{}", f64::from(v.duration_secs) / 60.0),
            ),
            ("存储位置", v.location.clone()),
            ("保存至", v.keep_until.to_string()),
            (
                "删除日期",
                v.deleted_at.map_or_else(String::new, |d| d.to_string()),
            ),
        ]);
    }
    let mut credentials = SheetOut::new("考务证件", &[]);
    for c in &x.credentials {
        credentials.push(&[
            ("姓名", c.m.name.clone()),
            ("身份证号", c.id_number.clone()),
            ("证件类别", credential_label(&c.m.kind).to_string()),
            ("证件编号", c.m.number.clone()),
            ("有效期起", c.m.valid_from.to_string()),
            ("有效期至", c.m.valid_until.to_string()),
            ("联系电话", c.phone.clone()),
        ]);
    }
    let mut equipment = SheetOut::new("考试设备", &[]);
    for e in &x.o.equipment {
        equipment.push(&[
            ("设备名称", e.name.clone()),
            ("检验合格证编号", e.cert_number.clone()),
            ("有效期至", e.valid_until.to_string()),
        ]);
    }
    let sheets: Vec<anpei_import::sheets::Sheet> = [
        plans,
        sessions,
        staff,
        candidates,
        videos,
        credentials,
        equipment,
    ]
    .into_iter()
    .map(SheetOut::into_sheet)
    .collect();
    anpei_import::sheets::write_sheets(&sheets)
}
