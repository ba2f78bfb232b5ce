//! `anpei import KIND FILE`: streams a workbook or CSV through the validating reader into one
//! database transaction, then reports counts that reconcile and the rejected rows. Exit codes
//! (DESIGN.md): 0 every row accepted, 3 some rows rejected (valid ones stored), 2 `--strict`
//! stored nothing, 1 any other failure.

use anpei_core::ledger::{RowError, Table};
use anpei_import::{Reference, Row, Sink};
use anpei_store::audit::Actor;
use anpei_store::ledger::{Ingest, IngestReport, Mode, Provenance};
use anpei_store::{reference, Scope, Store};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A workbook with the sheets 单位, 人员, 证书, 培训 (and 登记库).
    Ledger,
    Subjects,
    Persons,
    Certificates,
    Training,
    Registry,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Ledger => "ledger",
            Kind::Subjects => "subjects",
            Kind::Persons => "persons",
            Kind::Certificates => "certificates",
            Kind::Training => "training",
            Kind::Registry => "registry",
        }
    }

    fn table(self) -> Option<Table> {
        match self {
            Kind::Ledger => None,
            Kind::Subjects => Some(Table::Subjects),
            Kind::Persons => Some(Table::Persons),
            Kind::Certificates => Some(Table::Certificates),
            Kind::Training => Some(Table::Trainings),
            Kind::Registry => Some(Table::Registry),
        }
    }
}

pub struct ImportArgs {
    pub kind: Kind,
    pub file: PathBuf,
    pub dry_run: bool,
    pub strict: bool,
    pub errors: Option<PathBuf>,
}

enum Msg {
    Row(Table, usize, Row, Vec<String>),
    Error(RowError),
    Warning(String),
}

struct ChannelSink {
    tx: mpsc::Sender<Msg>,
    only: Option<Table>,
    skipped: usize,
}

impl Sink for ChannelSink {
    fn row(&mut self, table: Table, row_no: usize, row: Row, cells: &[String]) {
        if self.only.is_some_and(|t| t != table) {
            self.skipped += 1;
            return;
        }
        let _ = self
            .tx
            .blocking_send(Msg::Row(table, row_no, row, cells.to_vec()));
    }

    fn error(&mut self, err: RowError) {
        let _ = self.tx.blocking_send(Msg::Error(err));
    }

    fn warning(&mut self, message: String) {
        let _ = self.tx.blocking_send(Msg::Warning(message));
    }
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

pub async fn load_reference(store: &Store) -> Result<Reference> {
    let towns = reference::towns(store).await?.into_iter().map(|t| t.name);
    let deps: Vec<(String, Vec<String>)> = reference::departments(store)
        .await?
        .into_iter()
        .map(|(d, i)| (d.name, i))
        .collect();
    Ok(Reference::new(towns, &deps))
}

pub async fn run(store: &Store, args: ImportArgs) -> Result<ExitCode> {
    let sha256 = file_sha256(&args.file)?;
    let reference = load_reference(store).await?;
    let mode = if args.dry_run {
        Mode::DryRun
    } else if args.strict {
        Mode::Strict
    } else {
        Mode::Normal
    };
    let (tx, mut rx) = mpsc::channel::<Msg>(4096);
    let path = args.file.clone();
    let only = args.kind.table();
    let reader = tokio::task::spawn_blocking(move || {
        let mut sink = ChannelSink {
            tx,
            only,
            skipped: 0,
        };
        let r = anpei_import::read_path(&path, only, &reference, &mut sink);
        (r, sink.skipped)
    });

    let mut ingest = Ingest::begin(store, Scope::All).await?;
    let progress = std::io::stderr().is_terminal();
    let mut n = 0u64;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Row(table, row_no, row, cells) => {
                match (table, row) {
                    (Table::Subjects, Row::Subject(s)) => ingest.subject(row_no, s, cells).await?,
                    (Table::Persons, Row::Person(p)) => ingest.person(row_no, p, cells).await?,
                    (Table::Registry, Row::Certificate(c)) => {
                        ingest.registry(row_no, c, cells).await?
                    }
                    (_, Row::Certificate(c)) => ingest.certificate(row_no, c, cells).await?,
                    (_, Row::Training(t)) => ingest.training(row_no, t, cells).await?,
                    (t, _) => {
                        ingest.warning(format!("{}表中出现了不属于该表的行，已忽略", t.sheet()))
                    }
                }
                n += 1;
                if progress && n % 20_000 == 0 {
                    eprint!("\r已处理 {n} 行…");
                }
            }
            Msg::Error(e) => ingest.parse_error(e),
            Msg::Warning(w) => ingest.warning(w),
        }
    }
    if progress && n >= 20_000 {
        eprintln!("\r已处理 {n} 行。    ");
    }
    let (read, skipped) = reader.await?;
    if let Err(e) = read {
        // A file-level failure: nothing is stored (the transaction is dropped unused).
        drop(ingest);
        return Err(anyhow::Error::new(e));
    }
    if skipped > 0 {
        ingest.warning(format!(
            "工作簿中其他工作表的 {skipped} 行未导入（本次只导入{}）",
            only.map_or("", |t| t.sheet())
        ));
    }
    let prov = Provenance {
        file_name: args
            .file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256,
        kind: args.kind.code().into(),
    };
    let (report, outcome) = ingest.finish(&Actor::system("cli"), mode, &prov).await?;
    print_report(&report, outcome);
    if let Some(out) = &args.errors {
        anpei_import::write_error_report(out, &report.rejections)?;
        println!(
            "错误报告已写入 {}（{} 行）。",
            out.display(),
            report.rejections.len()
        );
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
    if report.rejections.len() > 20 {
        eprintln!(
            "……另有 {} 行被拒绝，请用 --errors 文件.xlsx 导出完整的错误报告。",
            report.rejections.len() - 20
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
