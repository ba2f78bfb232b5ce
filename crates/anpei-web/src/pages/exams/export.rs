//! A subject's exam records as a workbook with the upload's sheets and columns (ID numbers
//! masked; plans and sessions keyed by their database ids).

use anpei_store::exam_records::{credential_label, role_label, system_label, Export};
use std::collections::HashMap;

fn dt(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn opt_dt(t: &Option<chrono::NaiveDateTime>) -> String {
    t.as_ref().map_or_else(String::new, dt)
}

fn header(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

pub fn workbook(x: &Export) -> Result<Vec<u8>, String> {
    let session_key: HashMap<i32, String> =
        x.o.sessions
            .iter()
            .map(|s| (s.id, format!("S{}", s.id)))
            .collect();
    let key = |id: i32| session_key.get(&id).cloned().unwrap_or_default();
    let mut plans = vec![header(&[
        "计划编号",
        "开始时间",
        "结束时间",
        "考试类别",
        "计划人数",
    ])];
    for p in &x.o.plans {
        plans.push(vec![
            format!("P{}", p.id),
            dt(&p.starts_at),
            dt(&p.ends_at),
            p.category.clone(),
            p.planned_candidates.to_string(),
        ]);
    }
    let mut sessions = vec![header(&[
        "场次编号",
        "计划编号",
        "考场",
        "开始时间",
        "结束时间",
        "考试系统",
        "考试类别",
        "高危行业负责人考试",
    ])];
    for s in &x.o.sessions {
        sessions.push(vec![
            key(s.id),
            s.plan_id.map_or_else(String::new, |p| format!("P{p}")),
            s.room.clone(),
            dt(&s.started_at),
            dt(&s.ended_at),
            system_label(&s.system).to_string(),
            s.category.clone(),
            if s.high_risk_manager { "是" } else { "否" }.to_string(),
        ]);
    }
    let mut staff = vec![header(&[
        "场次编号",
        "姓名",
        "身份证号",
        "角色",
        "到岗时间",
        "离岗时间",
    ])];
    for s in &x.staff {
        staff.push(vec![
            key(s.session_id),
            s.name.clone(),
            s.id_masked.clone(),
            role_label(&s.role).to_string(),
            opt_dt(&s.present_from),
            opt_dt(&s.present_to),
        ]);
    }
    let mut candidates = vec![header(&[
        "场次编号",
        "姓名",
        "身份证号",
        "成绩",
        "是否合格",
    ])];
    for c in &x.candidates {
        candidates.push(vec![
            key(c.session_id),
            c.name.clone(),
            c.id_masked.clone(),
            c.score.map_or_else(String::new, |s| s.to_string()),
            if c.passed { "合格" } else { "不合格" }.to_string(),
        ]);
    }
    let mut videos = vec![header(&[
        "场次编号",
        "文件名",
        "SHA-256",
        "时长（分钟）",
        "存储位置",
        "保存至",
        "删除日期",
    ])];
    for v in &x.videos {
        videos.push(vec![
            key(v.session_id),
            v.file_name.clone(),
            v.sha256.clone(),
            (v.duration_secs / 60).to_string(),
            v.location.clone(),
            v.keep_until.to_string(),
            v.deleted_at.map_or_else(String::new, |d| d.to_string()),
        ]);
    }
    let mut credentials = vec![header(&[
        "姓名",
        "身份证号",
        "证件类别",
        "证件编号",
        "有效期起",
        "有效期至",
    ])];
    for c in &x.o.credentials {
        credentials.push(vec![
            c.name.clone(),
            c.id_masked.clone(),
            credential_label(&c.kind).to_string(),
            c.number.clone(),
            c.valid_from.to_string(),
            c.valid_until.to_string(),
        ]);
    }
    let mut equipment = vec![header(&["设备名称", "检验合格证编号", "有效期至"])];
    for e in &x.o.equipment {
        equipment.push(vec![
            e.name.clone(),
            e.cert_number.clone(),
            e.valid_until.to_string(),
        ]);
    }
    let sheets: Vec<anpei_import::sheets::Sheet> = [
        ("考试计划", plans),
        ("考试场次", sessions),
        ("考务人员", staff),
        ("考生成绩", candidates),
        ("考试录像", videos),
        ("考务证件", credentials),
        ("考试设备", equipment),
    ]
    .into_iter()
    .map(|(n, r)| (n.to_string(), r))
    .collect();
    anpei_import::sheets::write_sheets(&sheets)
}
