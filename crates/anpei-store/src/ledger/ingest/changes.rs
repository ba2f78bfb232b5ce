//! What an update changed, for the import's audit entry: the fields before and after, masked
//! where personal, named in Chinese.

/// The fields an update changed, masked where personal, as `名称：旧 → 新`.
#[derive(Debug, Default)]
pub(super) struct Changes {
    pub(super) lines: Vec<String>,
    pub(super) total: u64,
}

impl Changes {
    const KEEP: usize = 200;

    pub(super) fn record(&mut self, what: String, fields: &[(&str, String, String)]) {
        let changed: Vec<String> = fields
            .iter()
            .filter(|(_, a, b)| a != b)
            .map(|(n, a, b)| format!("{n}：{} → {}", shown(a), shown(b)))
            .collect();
        if changed.is_empty() {
            return;
        }
        self.total += 1;
        if self.lines.len() < Self::KEEP {
            self.lines.push(format!("{what}（{}）", changed.join("；")));
        }
    }

    pub(super) fn summary(&self) -> String {
        if self.total == 0 {
            return String::new();
        }
        let more = self.total - self.lines.len() as u64;
        let tail = if more > 0 {
            format!("；另有{more}条变更未列出")
        } else {
            String::new()
        };
        format!(" 变更：{}{tail}", self.lines.join("；"))
    }
}

pub(super) fn shown(v: &str) -> &str {
    if v.is_empty() {
        "（空）"
    } else {
        v
    }
}

/// The Chinese name of a stored code (the audit is read by people), the code itself should
/// an old row hold one no longer in the vocabulary.
pub(super) fn label(known: Option<&'static str>, code: &str) -> String {
    known.map_or_else(|| code.to_string(), str::to_string)
}

pub(super) fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

pub(super) fn opt_date(v: &Option<chrono::NaiveDate>) -> String {
    v.map(|d| d.to_string()).unwrap_or_default()
}

pub(super) fn opt_num(v: &Option<f64>) -> String {
    v.map(|d| d.to_string()).unwrap_or_default()
}
