//! Commands of the `anpei` binary. Their names, flags and exit codes are a contract:
//! operators' scripts depend on them.

use crate::config::{redact_url, Config};
use anpei_core::demo::DemoConfig;
use anpei_store::platform::accounts::{self, NewUser};
use anpei_store::platform::audit::{self, Actor, Verdict};
use anpei_store::{demo, registry::reference, ConnectConfig, Crypto, Role, Store, SystemClock};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "anpei", version, about = "安培：安全生产培训考试监管平台")]
struct Cli {
    /// Data directory: SQLite database, key file, configuration.
    #[arg(long, global = true, default_value = "data", env = "ANPEI_DATA_DIR")]
    data_dir: PathBuf,
    /// Database URL (`sqlite://…` or `postgres://…`); default: SQLite in the data directory.
    #[arg(long, global = true, env = "ANPEI_DATABASE_URL")]
    database_url: Option<String>,
    /// Configuration file (default: anpei.toml in the data directory, if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web interface and the API.
    Serve {
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations (and seed the default reference lists).
    Migrate,
    /// Load the demo district (an empty database only), create demo accounts, then serve.
    Demo {
        #[arg(long, default_value_t = 6000)]
        persons: usize,
        #[arg(long, default_value_t = 300)]
        subjects: usize,
        #[arg(long, default_value_t = 20211201)]
        seed: u64,
        /// A demo city of this many districts: 渝北区 as the demo district, the others
        /// from the city's list with generated towns and ledgers, a `city` account and one
        /// district account each (printed at start).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=38))]
        districts: u16,
        /// Load and exit instead of serving.
        #[arg(long)]
        no_serve: bool,
        /// Instead of loading, write the generated ledger as import files (CSVs and ledger.xlsx) into this directory.
        #[arg(long)]
        export: Option<PathBuf>,
        #[arg(long)]
        bind: Option<String>,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Import a ledger workbook or one table's CSV (exit 0 all accepted, 3 some rejected, 2 strict abort, 1 failure).
    Import {
        #[arg(value_parser = crate::import::parse_kind)]
        kind: anpei_store::ledger::import_kind::ImportKind,
        file: PathBuf,
        /// Validate against the database and report; store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Store nothing if any row is rejected.
        #[arg(long)]
        strict: bool,
        /// Write the rejected rows to this report (.xlsx or .csv): the file's own sheets and
        /// headers, only the rejected rows, and a last column 错误原因; corrected, it imports
        /// as it is.
        #[arg(long)]
        errors: Option<PathBuf>,
    },
    /// Run the rule engine and print the findings; a scan as of today is stored.
    Scan {
        /// Evaluate as of this date (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::scan::parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// Only this subject (统一社会信用代码).
        #[arg(long)]
        subject: Option<String>,
        /// Only this district of a city (name or GB/T 2260 code): its persons, and of the
        /// records checks its subjects' findings (e.g. after the district's import).
        #[arg(long, conflicts_with = "subject")]
        district: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: crate::scan::Format,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// 提醒：运行一次每日提醒（自查将截止、问题将到期、问题已逾期），并打印发送的消息。
    ///
    /// Run the daily reminders once, as the server does after 08:00, and print what was
    /// sent (exit 0). A date already run by an instance is skipped unless --force (messages
    /// already sent are never sent again).
    Remind {
        /// Remind as of this date (YYYY-MM-DD); default today.
        #[arg(long, value_parser = crate::scan::parse_date)]
        date: Option<chrono::NaiveDate>,
        /// Run even if this date's reminders were already run.
        #[arg(long)]
        force: bool,
    },
    /// Reference lists (towns/streets, departments and their industries).
    Reference {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// 备份：在线一致性备份到 FILE（SQLite 用 VACUUM INTO，PostgreSQL 用 pg_dump），附各表行数、SHA-256 和签名清单。
    ///
    /// Consistent online backup into FILE (must not exist): the database snapshot, a manifest
    /// of row counts, the audit chain's head and a SHA-256, signed with a key derived from
    /// the master key. Restoring needs the same master key.
    Backup {
        /// The backup file to write (not overwritten if it exists).
        file: PathBuf,
    },
    /// 恢复：把 FILE 恢复到空库，并校验签名、SHA-256、完整性、行数和审计日志哈希链；被篡改的备份会被拒绝。
    ///
    /// Restore FILE into an empty database (a fresh data directory, or one where only
    /// `anpei migrate` has run), with the master key the backup was taken under. Stop the
    /// server first. Refused (exit 1, nothing restored) if the backup was tampered with, the
    /// target is not empty, or any check fails.
    Restore {
        /// The backup file written by `anpei backup`.
        file: PathBuf,
    },
    /// 迁移：把整个系统（全部表、原有编号、审计日志）复制到另一个空数据库，并核对各表行数和审计日志哈希链。
    ///
    /// Copy the whole installation from the configured database into the empty database at
    /// `--to` (SQLite to PostgreSQL when a district outgrows the embedded default, or back),
    /// every table row for row with its ids; then compare every table's row count and verify
    /// the audit chain on the target. A target holding any row is refused. Stop the server
    /// first; keep the same master key and evidence directory for the target.
    Transfer {
        /// The target database, e.g. postgres://anpei@db.example/anpei or sqlite:///path/new.db
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password is read from standard input.
    Add {
        name: String,
        /// district, department, town, subject, sysadmin, secadmin or auditor.
        #[arg(long)]
        role: String,
        /// District (name or code) for `district`; town/street or department name
        /// (`区县/名称` where two districts share it, `市级/名称` for a city department);
        /// subject USCC — as the role needs.
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set an account's password from standard input (ends its sessions).
    Passwd {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit 1 and name the first broken entry if it is broken.
    Verify,
}

#[derive(Subcommand)]
enum ReferenceCommand {
    /// Replace a reference list from a CSV (`名称,类型` or `名称,监管行业`).
    Import { file: PathBuf },
}

pub fn main() -> ExitCode {
    private_umask();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误：无法启动运行时：{e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(1)
        }
    }
}

/// Everything this process creates — the database and its companions, evidence files,
/// pending uploads, exports, backups — is for its own account only (0600 files, 0700
/// directories), whatever the code that creates it asks for.
fn private_umask() {
    #[cfg(unix)]
    {
        use rustix::fs::Mode;
        rustix::process::umask(Mode::from_raw_mode(0o077));
    }
}

fn init_logging(cfg: &Config) {
    let filter = cfg
        .log
        .clone()
        .unwrap_or_else(|| "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open(cli: &Cli, cfg: &Config) -> Result<Store> {
    anpei_store::platform::files::create_private_dir_all(&cli.data_dir)
        .with_context(|| format!("无法创建数据目录 {}", cli.data_dir.display()))?;
    let data_dir = cli.data_dir.canonicalize()?;
    // A data directory made by an earlier version (0755, files 0644): for this account only.
    let tightened = anpei_store::platform::files::tighten_data_dir(&data_dir)
        .with_context(|| format!("无法收紧数据目录 {} 的权限", data_dir.display()))?;
    let url = match cli
        .database_url
        .clone()
        .or_else(|| cfg.database_url.clone())
    {
        Some(u) => u,
        None => format!("sqlite://{}?mode=rwc", data_dir.join("anpei.db").display()),
    };
    // A SQLite file is created 0600 before SQLite creates it 0644 (its -wal and -shm take
    // the database file's mode).
    let db_file = anpei_store::platform::files::prepare_sqlite_file(&url)
        .with_context(|| format!("无法创建数据库文件 {}", redact_url(&url)))?;
    for t in tightened.iter().chain(&db_file) {
        tracing::warn!(
            path = %t.path.display(),
            from = %format!("{:04o}", t.from),
            to = %format!("{:04o}", t.to),
            "permissions tightened: only the account running anpei may read it"
        );
    }
    let crypto = match &cfg.master_key {
        Some(k) => Crypto::from_hex(k)?,
        None => Crypto::load_or_create(&data_dir)?,
    };
    let store = Store::connect(
        &ConnectConfig {
            url: url.clone(),
            max_connections: cfg.database_max_connections.filter(|n| *n > 0),
            read_url: cfg.database_read_url.clone(),
            ..Default::default()
        },
        crypto,
        cfg.params.clone(),
        Arc::new(SystemClock),
    )
    .await
    .with_context(|| format!("无法连接数据库 {}", redact_url(&url)))?;
    store.set_policy(cfg.security.policy()?);
    // The security administrator's saved settings over the configured baseline.
    anpei_store::platform::security::apply_saved_policy(&store)
        .await
        .context("无法读取安全管理员保存的安全策略")?;
    Ok(store)
}

/// Reads a password from standard input and checks it against the password policy in
/// force (configuration and the security administrator's saved settings).
fn read_password(store: &Store) -> Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let pw = s.trim_end_matches(['\r', '\n']).to_string();
    accounts::check_password_policy(&store.policy().password, &pw).map_err(|e| anyhow!(e))?;
    Ok(pw)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let cfg = Config::load(&cli.data_dir, cli.config.as_deref())?;
    init_logging(&cfg);
    if let Some(codes) = cfg.area_codes(&cli.data_dir)? {
        tracing::info!(codes = codes.len(), "行政区划代码：使用配置的文件");
        // Only this call installs a list: the first one always succeeds.
        let _ = anpei_core::areas::install(codes);
    }
    let store = open(&cli, &cfg).await?;
    match &cli.command {
        Command::Migrate => {
            store.migrate().await?;
            println!("数据库迁移完成。");
        }
        Command::Serve { bind } => {
            prepare_for_serving(&store).await?;
            serve(&store, &cfg, &cli.data_dir, bind.clone()).await?;
        }
        Command::Demo {
            persons,
            subjects,
            seed,
            districts,
            no_serve,
            bind,
            export,
        } => {
            store.migrate().await?;
            let demo_cfg = DemoConfig {
                seed: *seed,
                subjects: *subjects,
                persons: *persons,
                as_of: store.today(),
            };
            if let Some(dir) = export {
                export_demo(&store, &demo_cfg, dir).await?;
                return Ok(ExitCode::SUCCESS);
            }
            load_demo(&store, &demo_cfg, usize::from(*districts)).await?;
            if !no_serve {
                serve(&store, &cfg, &cli.data_dir, bind.clone()).await?;
            }
        }
        Command::User { command } => user(&store, command).await?,
        Command::Import {
            kind,
            file,
            dry_run,
            strict,
            errors,
        } => {
            store.migrate_if_sqlite().await?;
            let args = crate::import::ImportArgs {
                kind: *kind,
                file: file.clone(),
                dry_run: *dry_run,
                strict: *strict,
                errors: errors.clone(),
            };
            return crate::import::run(&store, args).await;
        }
        Command::Scan {
            as_of,
            subject,
            district,
            format,
            output,
        } => {
            store.migrate_if_sqlite().await?;
            let args = crate::scan::ScanArgs {
                as_of: *as_of,
                subject: subject.clone(),
                district: district.clone(),
                format: *format,
                output: output.clone(),
            };
            crate::scan::run(&store, args).await?;
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => match audit::verify(&store).await? {
            Verdict::Intact { entries } => {
                println!("审计日志完整：共 {entries} 条，哈希链校验通过。")
            }
            Verdict::Broken { entry_id, reason } => {
                eprintln!("审计日志被篡改：第一条异常记录 id={entry_id}，{reason}");
                return Ok(ExitCode::from(1));
            }
        },
        Command::Backup { file } => {
            let url = database_url(&cli, &cfg);
            crate::backup::backup(&store, file, url.as_deref()).await?;
        }
        Command::Restore { file } => {
            let url = database_url(&cli, &cfg);
            crate::backup::restore(&store, file, url.as_deref()).await?;
        }
        Command::Transfer { to } => {
            store.migrate_if_sqlite().await?;
            let url = if to.starts_with("sqlite:") && !to.contains("mode=") {
                format!("{to}?mode=rwc")
            } else {
                to.clone()
            };
            let target = Store::connect(
                &ConnectConfig {
                    url: url.clone(),
                    ..Default::default()
                },
                store.crypto.clone(),
                cfg.params.clone(),
                Arc::new(SystemClock),
            )
            .await
            .with_context(|| format!("无法连接目标数据库 {}", redact_url(&url)))?;
            let done = anpei_store::platform::transfer::transfer(&store, &target, |c| {
                println!("{:<28} {:>10} 行", c.table, c.rows);
            })
            .await?;
            println!(
                "迁移完成：{} 张表，共 {} 行；目标库各表行数与源库一致，审计日志哈希链完整（{} 条）。",
                done.tables.len(),
                done.rows(),
                done.audit_entries
            );
        }
        Command::Remind { date, force } => {
            store.migrate_if_sqlite().await?;
            crate::remind::run(&store, *date, *force).await?;
        }
        Command::Reference {
            command: ReferenceCommand::Import { file },
        } => {
            let text = read_text(file)?;
            let list = reference::parse_reference_csv(&text)
                .map_err(|e| anyhow!("{}：{e}", file.display()))?;
            let (n, kept) = reference::apply(&store, &Actor::system("cli"), &list).await?;
            println!("已导入 {n} 条；{kept} 条旧条目仍被使用，已保留。");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The database URL given on the command line or in the configuration (none: SQLite in
/// the data directory).
fn database_url(cli: &Cli, cfg: &Config) -> Option<String> {
    cli.database_url
        .clone()
        .or_else(|| cfg.database_url.clone())
}

fn read_text(file: &Path) -> Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("无法读取 {}", file.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{} 不是 UTF-8 编码的文本", file.display()))
}

/// SQLite databases are migrated at start-up; a PostgreSQL one must be migrated by
/// `anpei migrate` first (an operator decides when a shared database changes).
async fn prepare_for_serving(store: &Store) -> Result<()> {
    if store.backend() == sea_orm::DbBackend::Sqlite {
        store.migrate().await?;
    } else if store.pending_migrations().await? > 0 {
        bail!("数据库有未执行的迁移，请先运行 `anpei migrate`");
    }
    Ok(())
}

async fn export_demo(store: &Store, cfg: &DemoConfig, dir: &Path) -> Result<()> {
    let district = anpei_store::demo::generate(store, cfg).await?;
    let t = std::time::Instant::now();
    let summary = anpei_import::export_district(dir, &district)?;
    for f in &summary.files {
        println!("已写入 {}", f.display());
    }
    println!(
        "演示台账：{} 家单位、{} 名人员、{} 本证书、{} 条培训记录、登记库 {} 条（用时 {:.1} 秒）。",
        district.subjects.len(),
        district.persons.len(),
        district.certificates.len(),
        district.trainings.len(),
        district.registry.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn load_demo(store: &Store, cfg: &DemoConfig, districts: usize) -> Result<()> {
    let mut district_accounts: Vec<(String, String)> = Vec::new();
    if accounts::find_user(store, "district").await?.is_some() {
        println!("演示数据已存在，跳过载入。");
    } else {
        let t = std::time::Instant::now();
        let (loaded, district) = demo::load(store, cfg).await?;
        let accounts = demo::demo_accounts(&district);
        demo::create_accounts(store, &accounts).await?;
        // The district account takes tip-offs (举报受理); a few tip-offs to handle.
        anpei_store::enforcement::tipoffs::load_demo(store).await?;
        // Training institutions' class files.
        anpei_store::records::training::load_demo(store).await?;
        // Exam sites' and institutions' plans, sessions, credentials.
        anpei_store::demo::exams::load_demo(store).await?;
        anpei_store::demo::collusion::load_demo(store).await?;
        // The first institution's online-training platform logs.
        anpei_store::demo::online::load_demo(store).await?;
        println!(
            "已载入演示区县：{} 家单位、{} 名人员、{} 本证书、{} 条培训记录（用时 {:.1} 秒）。",
            loaded.subjects,
            loaded.persons,
            loaded.certificates,
            loaded.trainings,
            t.elapsed().as_secs_f64()
        );
        if districts > 1 {
            let names = demo::load_other_districts(store, cfg, districts).await?;
            let mut city = vec![demo::DemoAccount {
                username: "city".into(),
                role: Role::City,
                scope: String::new(),
            }];
            for (k, name) in names.iter().enumerate() {
                let username = format!("district{}", k + 2);
                city.push(demo::DemoAccount {
                    username: username.clone(),
                    role: Role::District,
                    scope: name.clone(),
                });
                district_accounts.push((username, name.clone()));
            }
            demo::create_accounts(store, &city).await?;
            // In a city the tip-off intake (举报受理) is the city's.
            if let Some(c) = accounts::find_user(store, "city").await? {
                use anpei_store::enforcement::tipoffs;
                tipoffs::set_grant(
                    store,
                    &Actor::system("demo"),
                    c.id,
                    tipoffs::INTAKE_GRANT,
                    true,
                )
                .await?;
            }
            println!(
                "已载入演示城市：{} 个区县（{}），市级部门“{}”。",
                names.len() + 1,
                std::iter::once(demo::DEMO_DISTRICT.1.to_string())
                    .chain(names)
                    .collect::<Vec<_>>()
                    .join("、"),
                demo::CITY_DEPARTMENT
            );
        }
        let m = anpei_store::ledger::scan::run_whole_saved(
            store,
            None,
            &Actor::system("demo"),
            store.today(),
        )
        .await?;
        println!("已完成首次扫描：发现问题线索 {} 条。", m.new);
        // The current campaign: self-inspection under way, submissions and their problems.
        if let Some(c) = demo::campaign::load_demo(store, &district).await? {
            let (mut inspections, mut submitted, mut problems) =
                (c.inspections, c.submitted, c.problems);
            // The other districts of a demo city run the same campaign, the city's.
            let all = anpei_store::registry::reference::all_districts(store).await?;
            if all.len() > 1 {
                demo::campaign::issue_as_city(store, c.campaign_id).await?;
            }
            if let (true, Some(first)) = (all.len() > 1, all.first()) {
                demo::campaign::district_follow_up(store, c.campaign_id, first.id).await?;
            }
            for d in all.iter().skip(1) {
                let m = demo::campaign::load_district(store, c.campaign_id, d.id).await?;
                inspections += m.inspections;
                submitted += m.submitted;
                problems += m.problems;
            }
            println!(
                "已创建当前专项整治：{inspections} 家单位已开始自查，其中 {submitted} 家已提交，问题清单 {problems} 条。"
            );
        }
    }
    println!("\n演示账号（密码均为 {}）：", demo::DEMO_PASSWORD);
    let city = !district_accounts.is_empty();
    let home = if city {
        demo::DEMO_DISTRICT.1
    } else {
        "全区"
    };
    for (name, role, scope) in [
        ("district", Role::District, home),
        ("department", Role::Department, "区应急管理局监管的行业"),
        ("town", Role::Town, "演示企业所在镇街"),
        (
            "enterprise",
            Role::Subject,
            anpei_core::demo::DEMO_ENTERPRISE_NAME,
        ),
        ("sysadmin", Role::Sysadmin, "账号与组织机构"),
        ("secadmin", Role::SecurityAdmin, "安全策略与角色授权"),
        ("auditor", Role::Auditor, "审计日志（查询与校验）"),
    ] {
        println!("  {name:<12} {:<10} {scope}", role.label());
    }
    if !district_accounts.is_empty() {
        println!("  {:<12} {:<10} 全市各区县", "city", Role::City.label());
        for (name, district) in &district_accounts {
            println!("  {name:<12} {:<10} {district}", Role::District.label());
        }
    }
    // The second factor (policy in force: `[security] mfa_roles`, ANPEI_SECURITY_MFA_ROLES).
    let policy = store.policy();
    let mfa: Vec<&str> = [
        ("district", Role::District),
        ("department", Role::Department),
        ("town", Role::Town),
        ("enterprise", Role::Subject),
        ("sysadmin", Role::Sysadmin),
        ("secadmin", Role::SecurityAdmin),
        ("auditor", Role::Auditor),
    ]
    .into_iter()
    .chain(city.then_some(("city", Role::City)))
    .filter(|(_, r)| policy.requires_mfa(*r))
    .map(|(n, _)| n)
    .collect();
    if mfa.is_empty() {
        println!(
            "两步验证：已关闭（ANPEI_SECURITY_MFA_ROLES 为空）；正式环境默认要求市级、区级和三个管理员账号首次登录时绑定手机身份验证器（TOTP）。"
        );
    } else {
        println!(
            "两步验证：{} 首次登录时须用手机身份验证器（TOTP）扫码绑定，之后登录须输入6位验证码；测试环境可设 ANPEI_SECURITY_MFA_ROLES=（留空）关闭。",
            mfa.join("、")
        );
    }
    Ok(())
}

async fn serve(store: &Store, cfg: &Config, data_dir: &Path, bind: Option<String>) -> Result<()> {
    let bind = bind
        .or_else(|| cfg.bind.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    // Certificate, key and proxies are checked before anything listens.
    let tls = match (&cfg.tls.cert_file, &cfg.tls.key_file) {
        (Some(cert), Some(key)) => Some(anpei_web::tls::load_server_config(cert, key)?),
        (None, None) => None,
        (Some(_), None) => bail!(
            "已配置证书文件（tls.cert_file / ANPEI_TLS_CERT_FILE），但未配置私钥文件（tls.key_file / ANPEI_TLS_KEY_FILE）"
        ),
        (None, Some(_)) => bail!(
            "已配置私钥文件（tls.key_file / ANPEI_TLS_KEY_FILE），但未配置证书文件（tls.cert_file / ANPEI_TLS_CERT_FILE）"
        ),
    };
    let trusted_proxies = anpei_web::proxy::TrustedProxies::parse(&cfg.security.trusted_proxies)
        .map_err(|e| anyhow!(e))?;
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("无法监听 {bind}"))?;
    let app = anpei_web::app(
        store.clone(),
        anpei_web::WebConfig {
            secure_cookies: cfg.secure_cookies,
            tls: tls.is_some(),
            trusted_proxies,
            uploads_dir: data_dir.join("uploads"),
            evidence_dir: data_dir.join("evidence"),
            ..Default::default()
        },
    );
    // The plain-HTTP redirect, only beside HTTPS; bound before serving so that a taken port
    // stops start-up with a message.
    if let Some(from) = &cfg.tls.redirect_from {
        if tls.is_none() {
            bail!("已配置 tls.redirect_from（ANPEI_TLS_REDIRECT_FROM），但未启用 HTTPS（tls.cert_file、tls.key_file）");
        }
        let https_port = listener.local_addr()?.port();
        let plain = tokio::net::TcpListener::bind(from)
            .await
            .with_context(|| format!("无法监听 {from}（HTTP 跳转）"))?;
        println!("HTTP 请求 {from} 将跳转到 HTTPS 端口 {https_port}。");
        tokio::spawn(async move {
            if let Err(e) =
                anpei_web::serve(plain, None, anpei_web::tls::redirect_app(https_port)).await
            {
                tracing::error!(error = %e, "HTTP redirect stopped");
            }
        });
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("\n安培已启动：{scheme}://{bind}  （Ctrl-C 停止）");
    tracing::info!(%bind, tls = tls.is_some(), "serving");
    anpei_web::spawn_scheduler(store.clone(), data_dir.join("evidence"));
    anpei_web::serve(listener, tls, app).await?;
    Ok(())
}

async fn user(store: &Store, cmd: &UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            name,
            role,
            scope,
            display_name,
            ..
        } => {
            let role = Role::from_code(role).ok_or_else(|| {
                anyhow!("未知角色“{role}”，应为 city、district、department、town、subject、sysadmin、secadmin 或 auditor")
            })?;
            // Before the password is read: a refused name needs no password typed.
            accounts::normalize_username(name).map_err(|e| anyhow!(e))?;
            let pw = read_password(store)?;
            let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&pw)).await?;
            // Set by the operator on the server: a final password, no forced change.
            let nu = NewUser {
                username: name.clone(),
                display_name: display_name.clone().unwrap_or_default(),
                role,
                scope: scope.clone(),
                password_hash: hash,
                must_change_password: false,
            };
            // The operator at the server's console: the account is in force at once (an
            // account made on the web waits for the security administrator's grant).
            // The name is stored normalised (NFKC, lower case; see `normalize_username`).
            let u = accounts::create_user(store, &Actor::system("cli"), nu).await?;
            println!("已创建账号 {}（{}）。", u.username, role.label());
        }
        UserCommand::Passwd { name, .. } => {
            let pw = read_password(store)?;
            // Checks the password history too, and records the new password in it.
            accounts::set_password(store, &Actor::system("cli"), name, &pw).await?;
            println!("已修改 {name} 的密码，其所有会话已结束。");
        }
    }
    Ok(())
}
