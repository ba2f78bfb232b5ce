//! `anpei remind [--date YYYY-MM-DD] [--force]`: runs the daily reminders once (as the
//! server's scheduler does after 08:00) and prints what was sent. Without `--force` the run
//! is claimed like any instance's, so a date another instance ran is not run again; with it
//! the reminders are sent regardless (each message still only once: dedupe keys).

use anpei_store::platform::inbox::kind_label;
use anpei_store::platform::jobs::{self, DailyRun, ReminderReport};
use anpei_store::{platform::accounts, Store};
use anyhow::Result;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

pub async fn run(store: &Store, date: Option<NaiveDate>, force: bool) -> Result<()> {
    let date = date.unwrap_or_else(|| store.today());
    let report = if force {
        jobs::send_reminders(store, date).await?
    } else {
        let instance = format!("cli:{}", std::process::id());
        match jobs::daily_reminders(store, date, &instance).await? {
            DailyRun::Ran(r) => r,
            DailyRun::Skipped => {
                println!(
                    "{date} 的提醒已由其他实例运行（或正在运行），本次未重复发送；如需补发，请加 --force（已发过的消息不会重复）。"
                );
                return Ok(());
            }
        }
    };
    print_report(store, date, &report).await
}

async fn print_report(store: &Store, date: NaiveDate, r: &ReminderReport) -> Result<()> {
    println!("{date} 的提醒：共发送 {} 条。", r.sent.len());
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &r.sent {
        *by_kind.entry(m.kind.as_str()).or_default() += 1;
    }
    for (kind, n) in &by_kind {
        println!("  {}：{n} 条", kind_label(kind));
    }
    if !r.overdue_recorded.is_empty() {
        println!("  新记录逾期问题：{} 个", r.overdue_recorded.len());
    }
    let mut names: HashMap<i32, String> = HashMap::new();
    for m in &r.sent {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(m.user_id) {
            let name = accounts::get_user(store, m.user_id)
                .await?
                .map_or_else(|| format!("#{}", m.user_id), |u| u.username);
            e.insert(name);
        }
        println!(
            "  [{}] {}：{}（{}）",
            kind_label(&m.kind),
            names[&m.user_id],
            m.title,
            m.link
        );
    }
    Ok(())
}
