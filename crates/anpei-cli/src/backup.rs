//! `anpei backup FILE` and `anpei restore FILE` (等保 2.0 level 3): the work is in
//! `anpei_store::platform::backup`; this prints what was done. Exit 0 on success, 1 on any failure
//! (a tampered backup, a non-empty target, a failed check).

use anpei_store::platform::audit::Actor;
use anpei_store::platform::backup::{self, Manifest};
use anpei_store::Store;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;

fn engine_label(engine: &str) -> &str {
    match engine {
        "sqlite" => "SQLite",
        "postgres" => "PostgreSQL（pg_dump 归档）",
        other => other,
    }
}

fn print_counts(counts: &BTreeMap<String, u64>) {
    println!("  各表行数：");
    for (table, n) in counts {
        println!("    {table:<24} {n:>10}");
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

fn print_manifest(m: &Manifest) {
    println!(
        "  数据库：{}，迁移版本 {}",
        engine_label(&m.engine),
        m.migrations.last().map(String::as_str).unwrap_or("（无）")
    );
    println!(
        "  数据：{}，SHA-256 {}",
        size(m.payload.bytes),
        m.payload.sha256
    );
    match (m.audit.last_id, &m.audit.last_hash) {
        (Some(id), Some(hash)) => println!(
            "  审计日志：{} 条，最后一条 id={id}，哈希 {hash}",
            m.audit.entries
        ),
        _ => println!("  审计日志：0 条"),
    }
}

pub async fn backup(store: &Store, file: &Path, database_url: Option<&str>) -> Result<()> {
    let t = std::time::Instant::now();
    let m = backup::create(store, &Actor::system("cli"), file, database_url).await?;
    println!(
        "已备份到 {}（{}，用时 {:.1} 秒）：清单已用本机主密钥签名（HMAC-SHA-256）。",
        file.display(),
        m.created_at,
        t.elapsed().as_secs_f64()
    );
    print_manifest(&m);
    print_counts(&m.counts);
    println!("恢复时需要同一个主密钥：请把主密钥与备份分开妥善保管。");
    Ok(())
}

pub async fn restore(store: &Store, file: &Path, database_url: Option<&str>) -> Result<()> {
    let t = std::time::Instant::now();
    let r = backup::restore(store, &Actor::system("cli"), file, database_url).await?;
    let m = &r.manifest;
    println!(
        "已从 {} 恢复（备份时间 {}，用时 {:.1} 秒）。",
        file.display(),
        m.created_at,
        t.elapsed().as_secs_f64()
    );
    let integrity = if m.engine == "sqlite" {
        "数据库完整性（PRAGMA integrity_check、外键）"
    } else {
        "pg_restore 在单个事务中完成"
    };
    println!(
        "已校验：清单签名、数据 SHA-256、{integrity}、各表行数与清单一致、审计日志哈希链完整。"
    );
    print_manifest(m);
    print_counts(&r.counts);
    println!("  （审计日志多出的 1 条是本次恢复的记录。）");
    if !r.pending_migrations.is_empty() {
        let how = if m.engine == "sqlite" {
            "下次启动时自动执行"
        } else {
            "请运行 `anpei migrate`"
        };
        println!(
            "备份早于本程序：有 {} 个迁移尚未执行（{}），{how}。",
            r.pending_migrations.len(),
            r.pending_migrations.join("、")
        );
    }
    Ok(())
}
