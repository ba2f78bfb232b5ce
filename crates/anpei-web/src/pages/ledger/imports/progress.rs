//! The progress of a running import, polled by its page.

use super::*;

/// An import whose progress a page may poll.
pub(super) struct Tracked {
    pub(super) user_id: i32,
    pub(super) since: Instant,
    /// The confirmed import (else the dry run of an upload).
    pub(super) confirm: bool,
    pub(super) progress: Arc<ImportProgress>,
}

/// Imports in progress or lately ended, by key: the upload form's random `progress` field,
/// or for a confirmation the pending upload's id. In this process's memory only (a page
/// polls the server that runs its import); at most [`BOARD_MAX`], none older than a day.
pub(super) static BOARD: LazyLock<Mutex<HashMap<String, Tracked>>> = LazyLock::new(Mutex::default);
pub(super) const BOARD_MAX: usize = 256;

/// The progress of the import keyed `key` for `user_id` (a fresh handle that nobody polls
/// when another user holds the key).
pub(super) fn track(key: &str, user_id: i32, confirm: bool) -> Arc<ImportProgress> {
    let progress = Arc::new(ImportProgress::default());
    let Ok(mut board) = BOARD.lock() else {
        return progress;
    };
    board.retain(|_, t| t.since.elapsed() < PENDING_TTL);
    if board.get(key).is_some_and(|t| t.user_id != user_id) {
        return progress;
    }
    if board.len() >= BOARD_MAX {
        if let Some(oldest) = board
            .iter()
            .min_by_key(|(_, t)| t.since)
            .map(|(k, _)| k.clone())
        {
            board.remove(&oldest);
        }
    }
    board.insert(
        key.to_string(),
        Tracked {
            user_id,
            since: Instant::now(),
            confirm,
            progress: progress.clone(),
        },
    );
    progress
}

#[derive(Deserialize, Default)]
pub struct ProgressKey {
    pub(super) key: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger/imports/progress.html")]
pub(super) struct ProgressView {
    pub(super) key: String,
    /// Poll again in a second.
    pub(super) polling: bool,
    /// (value, max) of the bar; none: an indeterminate bar.
    pub(super) bar: Option<(u64, u64)>,
    pub(super) text: String,
}

pub(super) fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

pub(super) fn percent(part: u64, whole: u64) -> u64 {
    (part.min(whole) * 100).checked_div(whole).unwrap_or(0)
}

impl ProgressView {
    pub(super) fn of(
        key: String,
        tracked: Option<(bool, crate::ingest_file::ProgressSnapshot)>,
    ) -> Self {
        let Some((confirm, p)) = tracked else {
            // The upload may not have reached the server yet.
            return ProgressView {
                polling: !key.is_empty(),
                bar: None,
                text: if key.is_empty() {
                    "没有进行中的导入。".into()
                } else {
                    "正在上传，请稍候…".into()
                },
                key,
            };
        };
        let verb = if confirm {
            "正在导入"
        } else {
            "正在校验"
        };
        let (bar, text) = match p.stage {
            Stage::Receiving if p.expected > 0 => (
                Some((p.received.min(p.expected), p.expected)),
                format!(
                    "正在上传：{} / {}（{}%）",
                    mb(p.received),
                    mb(p.expected),
                    percent(p.received, p.expected)
                ),
            ),
            Stage::Receiving => (None, format!("正在上传：已收到 {}", mb(p.received))),
            Stage::Checking => (None, "文件已上传，正在检查文件类型…".into()),
            Stage::Reading if p.size > 0 => (
                Some((p.read.min(p.size), p.size)),
                format!(
                    "{verb}：已处理 {} 行，已读取 {} / {}（{}%）",
                    p.rows,
                    mb(p.read),
                    mb(p.size),
                    percent(p.read, p.size)
                ),
            ),
            Stage::Reading => (None, format!("{verb}：已处理 {} 行", p.rows)),
            Stage::Finishing if confirm => (None, format!("已处理 {} 行，正在写入数据库…", p.rows)),
            Stage::Finishing => (None, format!("已处理 {} 行，正在汇总校验结果…", p.rows)),
            Stage::Done => (
                Some((1, 1)),
                format!("已完成：共处理 {} 行，正在打开结果…", p.rows),
            ),
            Stage::Failed => (None, "未能完成，请查看页面上的提示。".into()),
        };
        ProgressView {
            polling: !matches!(p.stage, Stage::Done | Stage::Failed),
            bar,
            text,
            key,
        }
    }
}

/// The progress of the caller's import keyed `key`, as a fragment that polls itself every
/// second until the import ends (htmx swaps it in place).
pub async fn progress(user: CurrentUser, Query(q): Query<ProgressKey>) -> Response {
    let key = q.key.unwrap_or_default();
    let key = if valid_id(&key) { key } else { String::new() };
    let tracked = BOARD.lock().ok().and_then(|board| {
        board
            .get(&key)
            .filter(|t| t.user_id == user.id)
            .map(|t| (t.confirm, t.progress.snapshot()))
    });
    let mut res = render(ProgressView::of(key, tracked));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
