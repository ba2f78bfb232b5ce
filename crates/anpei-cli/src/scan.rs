//! `anpei scan`: runs the rule engine over the district or one subject and prints the
//! findings as a table, JSON (a stable contract for scripts) or CSV. A scan as of today is also
//! merged into the stored findings (new, still open, resolved).

use anpei_core::ledger::rules::{Finding, Rule};
use anpei_store::ledger::{findings, scan};
use anpei_store::platform::audit::Actor;
use anpei_store::Store;
use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    severity: &'static str,
    subject_uscc: &'a str,
    subject_name: &'a str,
    person_name: &'a str,
    id_number_masked: &'a str,
    detail: &'a str,
}

pub struct ScanArgs {
    pub as_of: Option<NaiveDate>,
    pub subject: Option<String>,
    /// A district's name or code.
    pub district: Option<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
}

pub async fn run(store: &Store, args: ScanArgs) -> Result<()> {
    let subject_id = match &args.subject {
        Some(code) => {
            let code = code.trim().to_ascii_uppercase();
            let s = anpei_store::registry::subjects::find_by_uscc(
                store,
                &anpei_store::Scope::district_wide(),
                &code,
            )
            .await?;
            Some(
                s.ok_or_else(|| anyhow!("统一社会信用代码为 {code} 的单位不存在"))?
                    .id,
            )
        }
        None => None,
    };
    let district = match &args.district {
        Some(d) => {
            let d = d.trim();
            let all = anpei_store::registry::reference::all_districts(store).await?;
            Some(
                all.iter()
                    .find(|x| x.name == d || x.code == d)
                    .ok_or_else(|| {
                        anyhow!("区县“{d}”不存在（请写名称或代码，如 渝北区 或 500112）")
                    })?
                    .id,
            )
        }
        None => None,
    };
    let today = store.today();
    let as_of = args.as_of.unwrap_or(today);
    let t = std::time::Instant::now();
    let actor = Actor::system("cli");
    let save = (as_of == today).then_some(&actor);
    // Written as the findings come (a whole scan part by part, in bounded memory), into a
    // temporary file renamed at the end: a failed scan leaves no half report behind.
    let (mut out, tmp): (Box<dyn Write>, Option<PathBuf>) = match &args.output {
        Some(p) => {
            let tmp = p.with_extension("partial");
            let f = std::fs::File::create(&tmp)
                .with_context(|| format!("无法写入 {}", tmp.display()))?;
            (Box::new(std::io::BufWriter::new(f)), Some(tmp))
        }
        None => (Box::new(std::io::BufWriter::new(std::io::stdout())), None),
    };
    let mut report = Report::begin(&mut out, args.format, as_of)?;
    let merged = match subject_id {
        None => {
            let w = scan::run_whole_in(
                store,
                district,
                save,
                as_of,
                scan::PART_PERSONS,
                async |f| {
                    let names = findings::report_names(store, f).await?;
                    report.rows(f, &names).map_err(anyhow::Error::from)
                },
            )
            .await?;
            save.map(|_| w.merge)
        }
        Some(_) => {
            let found = scan::run(store, subject_id, as_of).await?;
            let names = findings::report_names(store, &found).await?;
            report.rows(&found, &names)?;
            match save {
                Some(a) => Some(findings::merge(store, a, subject_id, as_of, &found).await?),
                None => None,
            }
        }
    };
    let total = report.end()?;
    out.flush()?;
    drop(out);
    if let (Some(tmp), Some(p)) = (tmp, &args.output) {
        std::fs::rename(&tmp, p).with_context(|| format!("无法写入 {}", p.display()))?;
    }
    tracing::info!(
        findings = total,
        total_ms = t.elapsed().as_millis() as u64,
        "scan"
    );
    match merged {
        Some(m) => eprintln!(
            "已保存扫描结果：新发现 {} 条，仍存在 {} 条，已消除 {} 条。",
            m.new, m.still_open, m.resolved
        ),
        None => {
            eprintln!("按 {as_of} 扫描的结果仅输出，不保存（只有按当天扫描的结果会保存）。")
        }
    }
    Ok(())
}

/// A report written as the findings come: the JSON object (`as_of`, `findings`, `counts`),
/// the CSV with its header, or the table with its counts at the end.
struct Report<'w> {
    out: &'w mut dyn Write,
    format: Format,
    as_of: NaiveDate,
    counts: BTreeMap<&'static str, usize>,
    total: usize,
}

impl<'w> Report<'w> {
    fn begin(out: &'w mut dyn Write, format: Format, as_of: NaiveDate) -> std::io::Result<Self> {
        match format {
            Format::Json => write!(out, "{{\n  \"as_of\": \"{as_of}\",\n  \"findings\": [")?,
            Format::Csv => out.write_all(
                "\u{feff}规则,严重程度,统一社会信用代码,单位名称,姓名,身份证号,情况\n".as_bytes(),
            )?,
            Format::Table => {}
        }
        Ok(Report {
            out,
            format,
            as_of,
            counts: Rule::ALL.iter().map(|r| (r.code(), 0)).collect(),
            total: 0,
        })
    }

    fn rows(
        &mut self,
        found: &[Finding],
        (subjects, persons): &findings::ReportNames,
    ) -> std::io::Result<()> {
        let empty = (String::new(), String::new());
        for f in found {
            let (uscc, sname) = subjects.get(&f.subject_id).unwrap_or(&empty);
            let (pname, masked) = match (&f.person_id, &f.who) {
                (Some(p), _) => {
                    let (n, m) = persons.get(p).unwrap_or(&empty);
                    (n, m)
                }
                (None, Some(w)) => (&w.name, &w.id_masked),
                (None, None) => (&empty.0, &empty.1),
            };
            let r = JsonFinding {
                rule: f.rule.code(),
                severity: f.rule.severity().code(),
                subject_uscc: uscc,
                subject_name: sname,
                person_name: pname,
                id_number_masked: masked,
                detail: &f.detail,
            };
            *self.counts.entry(r.rule).or_default() += 1;
            let out = &mut *self.out;
            match self.format {
                Format::Json => {
                    let sep = if self.total == 0 { "" } else { "," };
                    write!(out, "{sep}\n    ")?;
                    serde_json::to_writer(&mut *out, &r)?;
                }
                Format::Csv => {
                    let cells = [
                        r.rule,
                        r.severity,
                        r.subject_uscc,
                        r.subject_name,
                        r.person_name,
                        r.id_number_masked,
                        r.detail,
                    ];
                    writeln!(
                        out,
                        "{}",
                        cells
                            .iter()
                            .map(|c| csv_cell(c))
                            .collect::<Vec<_>>()
                            .join(",")
                    )?;
                }
                Format::Table => writeln!(
                    out,
                    "{:<22} {:<6} {:<20} {:<8} {:<18} {}",
                    r.rule, r.severity, r.subject_name, r.person_name, r.id_number_masked, r.detail
                )?,
            }
            self.total += 1;
        }
        Ok(())
    }

    /// Closes the report; returns how many findings it holds.
    fn end(self) -> std::io::Result<usize> {
        let out = self.out;
        match self.format {
            Format::Json => {
                let close = if self.total == 0 { "]" } else { "\n  ]" };
                write!(out, "{close},\n  \"counts\": ")?;
                serde_json::to_writer(&mut *out, &self.counts)?;
                writeln!(out, "\n}}")?;
            }
            Format::Csv => {}
            Format::Table => {
                writeln!(
                    out,
                    "\n按 {} 检查，共 {} 条问题线索：",
                    self.as_of, self.total
                )?;
                for rule in Rule::ALL {
                    writeln!(
                        out,
                        "  {:<24} {:>6}  {}",
                        rule.code(),
                        self.counts[rule.code()],
                        rule.name()
                    )?;
                }
            }
        }
        Ok(self.total)
    }
}

/// Quotes a CSV cell and neutralises formula injection (a leading = + - @).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub fn parse_date(s: &str) -> Result<NaiveDate> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) => Ok(d),
        Err(_) => bail!("日期格式应为 YYYY-MM-DD，实际为“{s}”"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("普通"), "普通");
    }
}
