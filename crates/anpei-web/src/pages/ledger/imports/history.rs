//! The import history an account may see.

use super::*;

/// One import of the history, for the table.
pub struct HistoryRow {
    pub at: String,
    pub username: String,
    pub file_name: String,
    pub kind: &'static str,
    pub mode: &'static str,
    pub outcome: &'static str,
    pub outcome_class: &'static str,
    pub counts: String,
}

pub fn outcome_label(code: &str) -> (&'static str, &'static str) {
    match code {
        "stored" => ("全部导入", "badge-ok"),
        "partial" => ("部分导入", "badge-warn"),
        "aborted" => ("未导入（严格模式）", "badge-danger"),
        "validated" => ("仅校验", "badge-muted"),
        _ => ("未知", "badge-muted"),
    }
}

pub(super) fn mode_label(code: &str) -> &'static str {
    match code {
        "normal" => "正式导入",
        "strict" => "严格模式",
        "dry-run" => "试运行",
        _ => "—",
    }
}

pub(super) fn counts_text(json: &str) -> String {
    let map: std::collections::BTreeMap<String, TableCounts> =
        serde_json::from_str(json).unwrap_or_default();
    map.iter()
        .map(|(t, c)| {
            format!(
                "{t}：读取{} 新增{} 更新{} 未变{} 拒绝{}",
                c.read, c.inserted, c.updated, c.unchanged, c.rejected
            )
        })
        .collect::<Vec<_>>()
        .join("；")
}

pub(super) fn local_time(at: i64) -> String {
    anpei_store::clock::china_time(at)
}

/// The latest imports the caller may see: all for district users, else their own.
pub(super) async fn history(
    st: &AppState,
    user: &CurrentUser,
) -> Result<Vec<HistoryRow>, AppError> {
    Ok(
        anpei_store::ledger::ingest::history_seen_by(&st.store, &user.scope, &user.username, 20)
            .await?
            .into_iter()
            .map(|m| {
                let (outcome, outcome_class) = outcome_label(&m.outcome);
                HistoryRow {
                    at: local_time(m.at),
                    kind: ImportKind::from_code(&m.kind).map_or("—", ImportKind::label),
                    mode: mode_label(&m.mode),
                    counts: counts_text(&m.counts),
                    username: m.username,
                    file_name: m.file_name,
                    outcome,
                    outcome_class,
                }
            })
            .collect(),
    )
}
