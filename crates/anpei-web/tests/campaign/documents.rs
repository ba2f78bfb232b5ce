//! The three documents people sign and stamp — the 通报, a 自查报告 and the 问题清单 — as a
//! reader sees them: each is downloaded through the application, converted to PDF by
//! LibreOffice (`soffice --headless --convert-to pdf`) and checked from the PDF with
//! poppler's tools: A4 (landscape for the 问题清单), a CJK font embedded, the title, a date
//! written the Chinese way and the page number “— 1 —” in the text, and the text area where
//! official documents have it (28 mm from the left edge, 37 mm from the top). The first page of each
//! is saved as `target/screenshots/docx-*.png` to be looked at.
//!
//! LibreOffice puts its own fonts in place of the official ones (仿宋_GB2312 and the others
//! are not on a build machine): what the documents name is checked from their XML by the
//! writer's unit tests, the layout here.
//!
//! Needs `soffice` (libreoffice-writer-nogui) and poppler-utils. Without them the test says
//! why and passes — unless `CI=true`, where a missing tool fails it.

use crate::common;

use anpei_import::docx::chinese_date;
use anpei_store::demo;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Days;
use common::{Harness, Session};
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Points per millimetre.
const PT_PER_MM: f64 = 72.0 / 25.4;

const TOOLS: [&str; 5] = ["soffice", "pdfinfo", "pdffonts", "pdftotext", "pdftoppm"];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether the tools are there; a missing one skips the test with a note, or fails it when
/// `CI=true`.
fn tools_present() -> bool {
    let missing: Vec<&str> = TOOLS.into_iter().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let hint = "apt-get install -y --no-install-recommends libreoffice-writer-nogui poppler-utils";
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "CI=true and {} missing: the documents cannot be rendered ({hint})",
        missing.join(", ")
    );
    eprintln!(
        "note: document rendering test skipped: {} not installed ({hint})",
        missing.join(", ")
    );
    false
}

/// Runs a program to its end (at most `limit`), panicking with its output on failure.
fn run(program: &str, args: &[&str], limit: Duration) -> String {
    let dir = std::env::temp_dir();
    let out = dir.join(format!(
        "anpei-docs-{}.out",
        &anpei_store::crypto::random_token()[..12]
    ));
    let file = std::fs::File::create(&out).unwrap();
    let mut child = Command::new(program)
        .args(args)
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} took more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    assert!(status.success(), "{program} {args:?}: {status}\n{text}");
    text
}

async fn download(h: &Harness, s: &Session, path: &str) -> Vec<u8> {
    let req = Request::get(path)
        .header(header::COOKIE, &s.cookie)
        .body(Body::empty())
        .unwrap();
    let res = h.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.into_body().collect().await.unwrap().to_bytes().to_vec()
}

/// The enterprise's self-inspection, answered (two items 不符合) and submitted.
async fn submitted_self_inspection(h: &Harness, s: &Session) -> i32 {
    let r = h.get(Some(s), "/selfcheck").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let si: i32 = r
        .location()
        .trim_start_matches("/selfcheck/")
        .parse()
        .unwrap();
    let due = (h.store().today() + Days::new(30)).to_string();
    let mut form: Vec<(String, String)> = Vec::new();
    for n in 1..=10 {
        let c = format!("E{n:02}");
        let (answer, explanation) = match n {
            3 => ("noncompliant", "2名特种作业人员证书过期仍在岗"),
            9 => ("noncompliant", "签到表笔迹相同，培训档案不全"),
            _ => ("compliant", "经核查符合要求"),
        };
        form.push((format!("answer_{c}"), answer.into()));
        form.push((format!("explanation_{c}"), explanation.into()));
        let bad = answer == "noncompliant";
        let field = |v: &str| if bad { v.to_string() } else { String::new() };
        form.push((
            format!("measures_{c}"),
            field("停止作业，组织复审，补全档案"),
        ));
        form.push((format!("deadline_{c}"), field(&due)));
        form.push((format!("name_{c}"), field("张三")));
        form.push((format!("phone_{c}"), field("13812345678")));
    }
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = h
        .post_form(Some(s), &format!("/selfcheck/{si}/submit"), &refs)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    si
}

/// A directory of the test's own, removed when the test ends, failed or not.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `<workspace>/target/screenshots`, created.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir.canonicalize().unwrap_or(dir)
}

/// A word of `pdftotext -bbox`: its box in points (x from the left, y from the top).
#[derive(Debug)]
struct Word {
    x_min: f64,
    y_min: f64,
    x_max: f64,
    text: String,
}

fn attr(tag: &str, name: &str) -> f64 {
    let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    tag[at..tag[at..].find('"').unwrap() + at].parse().unwrap()
}

/// The words of the first page.
fn first_page_words(pdf: &str) -> Vec<Word> {
    let html = run(
        "pdftotext",
        &["-bbox", "-f", "1", "-l", "1", pdf, "-"],
        Duration::from_secs(60),
    );
    html.split("<word ")
        .skip(1)
        .map(|w| {
            let tag = &w[..w.find('>').unwrap()];
            let text = &w[w.find('>').unwrap() + 1..w.find("</word>").unwrap()];
            Word {
                x_min: attr(tag, "xMin"),
                y_min: attr(tag, "yMin"),
                x_max: attr(tag, "xMax"),
                text: text.to_string(),
            }
        })
        .collect()
}

/// What a document is checked for.
struct Expect {
    name: &'static str,
    landscape: bool,
    /// In the first page's text (whitespace ignored).
    title: &'static str,
    /// Where the first line of text starts, mm from the top edge.
    top_mm: f64,
}

fn check(pdf: &Path, e: &Expect, date: &str, shots: &Path) {
    let pdf_s = pdf.to_str().unwrap();
    let limit = Duration::from_secs(60);

    let info = run("pdfinfo", &[pdf_s], limit);
    let size = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .unwrap_or_else(|| panic!("{}: no page size in {info}", e.name));
    let nums: Vec<f64> = size
        .split_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    let (w, h) = (nums[0], nums[1]);
    let (want_w, want_h) = if e.landscape {
        (842.0, 595.0)
    } else {
        (595.0, 842.0)
    };
    assert!(
        (w - want_w).abs() <= 1.0 && (h - want_h).abs() <= 1.0,
        "{}: page {w} × {h} pt, A4 is {want_w} × {want_h}",
        e.name
    );

    // A CJK font is embedded (whichever LibreOffice put in place of the official ones).
    let fonts = run("pdffonts", &[pdf_s], limit);
    let cjk = fonts.lines().skip(2).any(|l| {
        let t: Vec<&str> = l.split_whitespace().collect();
        let name = t.first().copied().unwrap_or("");
        let cjk_name = [
            "CJK",
            "Song",
            "Hei",
            "Kai",
            "Fang",
            "Ming",
            "WenQuanYi",
            "Droid",
        ]
        .iter()
        .any(|k| name.contains(k));
        cjk_name && t.len() >= 5 && t[t.len() - 5] == "yes"
    });
    assert!(cjk, "{}: no CJK font embedded:\n{fonts}", e.name);

    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let page1 = squeeze(&run(
        "pdftotext",
        &["-layout", "-f", "1", "-l", "1", pdf_s, "-"],
        limit,
    ));
    let all = squeeze(&run("pdftotext", &["-layout", pdf_s, "-"], limit));
    assert!(
        page1.contains("—1—"),
        "{}: no page number — 1 — on page 1:\n{page1}",
        e.name
    );
    assert!(
        page1.contains(&squeeze(e.title)),
        "{}: no title in {page1}",
        e.name
    );
    assert!(
        all.contains(&squeeze(date)),
        "{}: no date {date} in {all}",
        e.name
    );

    // The text area: the leftmost text at 28 mm, the first line at the expected height.
    let words = first_page_words(pdf_s);
    let body: Vec<&Word> = words.iter().filter(|w| !w.text.contains('—')).collect();
    let left = body.iter().map(|w| w.x_min).fold(f64::MAX, f64::min);
    let top = body.iter().map(|w| w.y_min).fold(f64::MAX, f64::min);
    let right = body.iter().map(|w| w.x_max).fold(0.0, f64::max);
    let page_w = if e.landscape { 842.0 } else { 595.3 };
    assert!(
        (left - 28.0 * PT_PER_MM).abs() <= 6.0,
        "{}: text starts at {left:.1} pt, the left margin is {:.1}",
        e.name,
        28.0 * PT_PER_MM
    );
    assert!(
        right <= page_w - 26.0 * PT_PER_MM + 3.0,
        "{}: text reaches {right:.1} pt, past the right margin",
        e.name
    );
    // The glyphs of the first line sit inside its 28.95 pt, a few points under its top.
    let line_top = e.top_mm * PT_PER_MM;
    assert!(
        top >= line_top - 3.0 && top <= line_top + 12.0,
        "{}: the first line's text is at {top:.1} pt, the line starts at {line_top:.1}",
        e.name
    );

    let png = shots.join(format!("docx-{}", e.name));
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf_s,
            png.to_str().unwrap(),
        ],
        limit,
    );
    assert!(png.with_extension("png").is_file());
}

#[tokio::test]
async fn the_documents_print_on_a4_with_the_standards_margins_fonts_and_page_numbers() {
    if !tools_present() {
        return;
    }
    let h = Harness::with_demo(30, 120).await;
    demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap()
        .expect("a campaign runs on the test day");
    let today = h.store().today();
    let date = chinese_date(today);

    let ent = h.login("enterprise").await;
    let si = submitted_self_inspection(&h, &ent).await;
    let report = download(&h, &ent, &format!("/selfcheck/{si}/report.docx")).await;
    let district = h.login("district").await;
    let bulletin = download(
        &h,
        &district,
        "/bulletin.docx?doc_number=%E6%B8%9D%E5%8C%97%E5%AE%89%E5%8A%9E%E3%80%942022%E3%80%9512%E5%8F%B7",
    )
    .await;
    let list = download(&h, &district, "/problems/export.docx").await;
    h.db.cleanup().await;

    let scratch = Scratch(std::env::temp_dir().join(format!(
        "anpei-docs-{}",
        &anpei_store::crypto::random_token()[..16]
    )));
    let dir = scratch.0.clone();
    std::fs::create_dir_all(&dir).unwrap();
    let docs = [
        ("bulletin", bulletin),
        ("selfcheck-report", report),
        ("problems", list),
    ];
    let mut args: Vec<String> = vec![
        "--headless".into(),
        "--norestore".into(),
        // A profile of its own: nothing shared with a desktop session or another run.
        format!("-env:UserInstallation=file://{}/profile", dir.display()),
        "--convert-to".into(),
        "pdf".into(),
        "--outdir".into(),
        dir.display().to_string(),
    ];
    for (name, bytes) in &docs {
        let path = dir.join(format!("{name}.docx"));
        std::fs::write(&path, bytes).unwrap();
        args.push(path.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("soffice", &args, Duration::from_secs(300));

    let shots = screenshot_dir();
    // The bulletin's first line is the office's mark, 35 mm into the text area; the report
    // and the list start with their titles.
    let expect = [
        Expect {
            name: "bulletin",
            landscape: false,
            title: "工作情况的通报",
            top_mm: 37.0 + 35.0,
        },
        Expect {
            name: "selfcheck-report",
            landscape: false,
            title: "安全生产培训自查报告",
            top_mm: 37.0,
        },
        Expect {
            name: "problems",
            landscape: true,
            title: "问题清单",
            top_mm: 37.0,
        },
    ];
    for e in &expect {
        check(&dir.join(format!("{}.pdf", e.name)), e, &date, &shots);
    }
}
