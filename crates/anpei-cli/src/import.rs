//! `anpei import KIND FILE`: streams a workbook or CSV through the validating reader into one
//! database transaction, then reports counts that reconcile and the rejected rows. Exit codes
//! (scripts depend on them): 0 every row accepted, 3 some rows rejected (valid ones stored), 2
//! `--strict` stored nothing, 1 any other failure.

use anpei_store::ledger::import_kind::ImportKind;
use anpei_store::ledger::{IngestReport, Mode, Provenance};
use anpei_store::platform::audit::Actor;
use anpei_store::{Scope, Store};
use anpei_web::ingest_file::{ingest_file, FileIngest};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Parses the KIND argument: ledger, subjects, persons, certificates, training, registry,
/// online.
pub fn parse_kind(s: &str) -> Result<ImportKind, String> {
    ImportKind::from_code(s).ok_or_else(|| {
        format!(
            "未知导入内容“{s}”，应为 ledger、subjects、persons、certificates、training、registry 或 online"
        )
    })
}

pub struct ImportArgs {
    pub kind: ImportKind,
    pub file: PathBuf,
    pub dry_run: bool,
    pub strict: bool,
    pub errors: Option<PathBuf>,
}

/// SHA-256 of a file, streamed.
pub fn file_sha256(path: &Path) -> Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("无法打开 {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

pub async fn run(store: &Store, args: ImportArgs) -> Result<ExitCode> {
    let sha256 = file_sha256(&args.file)?;
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.strict {
        Mode::Strict
    } else {
        Mode::Normal
    };
    let actor = Actor::system("cli");
    let job = FileIngest {
        store,
        scope: Scope::district_wide(),
        actor: &actor,
        path: args.file.clone(),
        only: anpei_web::ingest_file::select(args.kind),
        mode,
        provenance: Provenance {
            file_name: args
                .file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256,
            kind: args.kind.code().into(),
        },
    };
    let progress = std::io::stderr().is_terminal();
    let (report, outcome) = ingest_file(job, |n| {
        if progress {
            eprint!("\r已处理 {n} 行…");
        }
    })
    .await
    .map_err(anyhow::Error::new)?;
    if progress {
        eprintln!();
    }
    print_report(&report, outcome);
    if let Some(out) = &args.errors {
        anpei_import::write_error_report(out, &report.rejections, &report.sheets)?;
        println!(
            "错误报告已写入 {}（{} 行）。",
            out.display(),
            report.rejections.len()
        );
        if report.rejections_dropped() > 0 {
            println!(
                "错误报告只列出前 {} 行；共有 {} 行被拒绝，请先改正这些行再重新导入。",
                report.rejections.len(),
                report.rejected()
            );
        }
    }
    Ok(match outcome {
        "aborted" => ExitCode::from(2),
        _ if report.rejected() > 0 => ExitCode::from(3),
        _ => ExitCode::SUCCESS,
    })
}

fn print_report(report: &IngestReport, outcome: &str) {
    println!(
        "{:<8} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "工作表", "读取", "新增", "更新", "未变", "拒绝"
    );
    for (t, c) in &report.counts {
        println!(
            "{:<8} {:>12} {:>12} {:>12} {:>12} {:>12}",
            t.sheet(),
            c.read,
            c.inserted,
            c.updated,
            c.unchanged,
            c.rejected
        );
    }
    for w in &report.warnings {
        println!("提示：{w}");
    }
    for e in report.rejections.iter().take(20) {
        eprintln!("拒绝：{e}");
    }
    if report.rejected() > 20 {
        eprintln!(
            "……另有 {} 行被拒绝，请用 --errors 文件.xlsx 导出错误报告。",
            report.rejected() - 20
        );
    }
    let verdict = match outcome {
        "stored" => "全部行已导入。",
        "partial" => "有效行已导入，被拒绝的行未导入。",
        "aborted" => "严格模式：存在被拒绝的行，本次未导入任何数据。",
        _ => "试运行：仅校验，未导入任何数据。",
    };
    println!("{verdict}");
}
