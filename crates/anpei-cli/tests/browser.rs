//! Browser tests: headless Chromium, driven over W3C WebDriver by `chromedriver`, against
//! the real `anpei demo` binary. A district official logs in (enrolling the authenticator
//! app from the QR code page at his first sign-in, as the default security policy requires
//! of district users, then signing in again with a recovery code), opens the subjects list,
//! finds the demo enterprise, searches for it, and the pages are saved as screenshots under
//! `target/screenshots/`; then a town official (no second factor required) sees fewer
//! subjects, only his town's, and a foreign subject answers 404.
//! The second test walks the campaign's journey: an enterprise's self-inspection with one
//! 存在 (a problem), its Word report, the problem in the town's list, rectification with a photo, the
//! town's verification from its inbox, the district's progress counts.
//!
//! Runs when `ANPEI_BROWSER_TEST=1` or `CI=true`; otherwise it prints a note and passes.
//! `ANPEI_BROWSER_TEST=0` skips it even in CI (`.ci/run` runs it in a step of its own). Once it
//! is asked for, a missing `chromedriver` or Chromium fails the test instead of skipping it.
//! Needs Debian's `chromium` and `chromium-driver` (`ANPEI_CHROMIUM` and `ANPEI_CHROMEDRIVER`
//! override the paths).

use serde_json::{json, Value};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DEMO_ENTERPRISE: &str = "重庆两江精细化工有限公司";
const PASSWORD: &str = "Anpei@2021";
const SERVER_START: Duration = Duration::from_secs(120);
const DRIVER_START: Duration = Duration::from_secs(30);
const PAGE: Duration = Duration::from_secs(30);
/// The key W3C WebDriver uses for an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

#[test]
fn a_district_and_a_town_official_use_the_subjects_list_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-browser");
    let server = Server::start_demo(&tmp.path.join("data"), &tmp.path.join("server.log"));
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();

    let district_total;
    let (demo_town, foreign_subject);
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district"));
        b.log_in_enrolling(&server.base, "district", &shots);
        b.save_screenshot(&shots.join("dashboard.png"));

        b.open(&format!("{}/subjects", server.base));
        b.wait_for_element("#subjects-table");
        assert!(
            b.text_of("#subjects-table").contains(DEMO_ENTERPRISE),
            "the district's subjects list should show {DEMO_ENTERPRISE} on its first page:\n{}",
            b.text_of("#subjects-table")
        );
        district_total = b.list_total();
        let rows = b.subject_rows();

        b.search_subjects("两江");
        let found = b.subject_rows();
        let demo = found
            .iter()
            .find(|r| r.name == DEMO_ENTERPRISE)
            .unwrap_or_else(|| panic!("searching 两江 should keep {DEMO_ENTERPRISE}: {found:?}"));
        demo_town = demo.town.clone();
        b.save_screenshot(&shots.join("subjects.png"));

        foreign_subject = rows
            .iter()
            .find(|r| r.town != demo_town)
            .unwrap_or_else(|| panic!("the district list should span several towns: {rows:?}"))
            .clone();
    }
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-town"));
        b.log_in(&server.base, "town");
        b.open(&format!("{}/subjects", server.base));
        b.wait_for_element("#subjects-table");
        let town_total = b.list_total();
        assert!(
            town_total > 0 && town_total < district_total,
            "the town official should see some but not all subjects: town {town_total}, \
             district {district_total}"
        );
        let rows = b.subject_rows();
        assert!(
            rows.iter().all(|r| r.town == demo_town),
            "the town official's list should hold only {demo_town}'s subjects: {rows:?}"
        );
        b.search_subjects("两江");
        assert!(
            b.text_of("#subjects-table").contains(DEMO_ENTERPRISE),
            "{DEMO_ENTERPRISE} lies in {demo_town} and should be found by its town official"
        );
        b.save_screenshot(&shots.join("subjects-town.png"));

        b.open(&format!("{}{}", server.base, foreign_subject.href));
        let title = b.title();
        assert!(
            title.starts_with("404"),
            "{} ({}) is outside the town official's scope and should answer 404, got page {title:?}",
            foreign_subject.name,
            foreign_subject.town
        );
    }
}

/// The campaign's journey: an enterprise answers its checklist with one 不符合, submits and
/// downloads the Word report; the problem shows in its town's 问题清单; the enterprise adds a
/// rectification with a photo and asks for verification; the town verifies it (销号); the
/// district's progress page counts one more submitted self-inspection, problem and
/// rectified problem. The server runs without the second factor
/// (`ANPEI_SECURITY_MFA_ROLES=`), which the first test covers.
#[test]
fn an_enterprise_self_inspects_and_rectifies_and_the_town_verifies_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-journey");
    let server = Server::start_demo_with(
        &tmp.path.join("data"),
        &tmp.path.join("server.log"),
        &[("ANPEI_SECURITY_MFA_ROLES", "")],
    );
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();
    let base = &server.base;
    let photo = tmp.path.join("rectified.png");
    std::fs::write(&photo, PHOTO_PNG).expect("write the photo");
    let problem_text = "浏览器测试：三项岗位人员台账未建立";

    let before = {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-1"));
        b.log_in(base, "district");
        b.open(&format!("{base}/progress"));
        b.wait_for_element("#progress-totals");
        b.save_screenshot(&shots.join("journey-progress-before.png"));
        b.progress_totals()
    };

    let problem_href;
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-enterprise-1"));
        b.log_in(base, "enterprise");
        b.open(&format!("{base}/selfcheck"));
        b.wait_for_element("#selfcheck-form");
        let items = b.checklist_codes();
        assert!(items.len() >= 10, "the enterprise checklist: {items:?}");
        let deadline = "2099-12-31";
        for (i, code) in items.iter().enumerate() {
            if i == 0 {
                b.click_centered(&format!("input[name=answer_{code}][value=noncompliant]"));
                b.type_text(&format!("#explanation_{code}"), problem_text);
                b.type_text(&format!("#measures_{code}"), "建立台账并逐人核对证书");
                b.set_value(&format!("deadline_{code}"), deadline);
                b.type_text(&format!("#name_{code}"), "王安全");
                b.type_text(&format!("#phone_{code}"), "13900002222");
            } else {
                b.click_centered(&format!("input[name=answer_{code}][value=compliant]"));
                b.type_text(&format!("#explanation_{code}"), "经自查，符合要求");
            }
        }
        b.save_screenshot(&shots.join("journey-selfcheck.png"));
        // 检查并提交: every answer checked at once, then a confirmation that says what
        // submitting does.
        b.click("#submit-selfcheck");
        wait_for("the confirmation", PAGE, || {
            b.try_find("#confirm-submit").map(|_| ())
        });
        let confirm = b.element_text(&b.find("#submit-confirm"));
        assert!(confirm.contains("存在问题 1 项"), "{confirm}");
        b.click("#confirm-submit");
        // Across the navigation the submit starts: the status of the page being left may go
        // stale between finding it and reading it.
        wait_for("the self-inspection to be submitted", PAGE, || {
            match b.try_text("#selfcheck-status") {
                Ok(t) if t.contains("已提交") => Ok(()),
                Ok(t) => Err(t),
                Err(e) => Err(e),
            }
        });
        b.save_screenshot(&shots.join("journey-submitted.png"));

        let downloads = tmp.path.join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        b.allow_downloads(&downloads);
        b.click("#report-docx");
        let docx = wait_for("the Word report to download", PAGE, || {
            let found = std::fs::read_dir(&downloads)
                .map_err(|e| e.to_string())?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "docx"));
            found.ok_or_else(|| "no .docx yet".to_string())
        });
        let bytes = std::fs::read(&docx).unwrap();
        assert!(bytes.starts_with(b"PK"), "the report is a zip (docx)");
        assert!(
            bytes.windows(17).any(|w| w == b"word/document.xml"),
            "the report holds word/document.xml"
        );
    }

    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-town-1"));
        b.log_in(base, "town");
        b.open(&format!("{base}/problems"));
        b.wait_for_element("#problems-table");
        problem_href = b
            .problem_link(problem_text)
            .unwrap_or_else(|| panic!("the town's list shows the enterprise's problem"));
        b.save_screenshot(&shots.join("journey-town-problems.png"));
    }

    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-enterprise-2"));
        b.log_in(base, "enterprise");
        b.open(&format!("{base}{problem_href}"));
        b.wait_for_element("#rectify-form");
        b.type_text(
            "#rectify-text",
            "已建立三项岗位人员台账，逐人核对证书，附台账照片",
        );
        let input = b.find("#rectify-file");
        b.post(
            &format!("element/{input}/value"),
            json!({ "text": photo.display().to_string() }),
        );
        b.click("#rectify-complete");
        b.wait_for_element("#problem-message");
        assert!(b.text_of("#problem-status").contains("已整改待核验"));
        b.wait_for_element("#problem-history img.thumb");
        b.save_screenshot(&shots.join("journey-rectified.png"));
    }

    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-town-2"));
        b.log_in(base, "town");
        // The request for verification waits in the town's inbox (newest first).
        b.wait_for_element("#inbox-unread");
        b.click("#inbox-link");
        b.wait_for_element("#inbox-table");
        b.save_screenshot(&shots.join("journey-town-inbox.png"));
        b.click("#inbox-table tr[data-kind=problem_verify_requested] button");
        b.wait_for_url(
            "the problem page from the inbox",
            &format!("{base}{problem_href}"),
        );
        b.wait_for_element("#verify-form");
        b.type_text("#verify-text", "现场核实，台账已建立");
        b.click("#verify-submit");
        b.wait_for_element("#problem-message");
        assert!(b.text_of("#problem-status").contains("已销号"));
        b.save_screenshot(&shots.join("journey-verified.png"));
    }

    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-2"));
        b.log_in(base, "district");
        b.open(&format!("{base}/progress"));
        b.wait_for_element("#progress-totals");
        let after = b.progress_totals();
        b.save_screenshot(&shots.join("journey-progress-after.png"));
        assert_eq!(
            after.submitted,
            before.submitted + 1,
            "{before:?} → {after:?}"
        );
        assert_eq!(
            after.problems,
            before.problems + 1,
            "{before:?} → {after:?}"
        );
        assert_eq!(
            after.rectified,
            before.rectified + 1,
            "{before:?} → {after:?}"
        );
        assert_eq!(after.must, before.must);
    }
}

/// 问题线索 become work: the district opens the demo enterprise's findings, takes one rule's
/// findings in its town and 交办 them in bulk (the confirmation says how many); the town finds
/// them in its list, turns the enterprise's into a problem and dismisses another with a
/// reason; the enterprise rectifies with a photo, the town verifies, and the finding is closed
/// with its whole history; a district re-scan finds nothing new and leaves the dismissed one
/// dismissed.
#[test]
fn a_lead_is_assigned_in_bulk_handled_by_the_town_and_closed_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-leads");
    let server = Server::start_demo_with(
        &tmp.path.join("data"),
        &tmp.path.join("server.log"),
        &[("ANPEI_SECURITY_MFA_ROLES", "")],
    );
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();
    let base = &server.base;
    let photo = tmp.path.join("renewed.png");
    std::fs::write(&photo, PHOTO_PNG).expect("write the photo");
    let first_href = |b: &Browser<'_>| {
        let table = b.wait_for_element("#findings-table");
        let a = b
            .find_all_in(&table, "tbody tr td:first-child a")
            .into_iter()
            .next()
            .unwrap_or_else(|| {
                panic!(
                    "a finding in the list at {}: {}",
                    b.current_url(),
                    b.text_of("#findings-table")
                )
            });
        b.attribute(&a, "href")
    };

    // The district: the enterprise's first finding names the rule and the town.
    let (rule, subject_href);
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-1"));
        b.log_in(base, "district");
        b.open(&format!("{base}/subjects?q=两江"));
        b.wait_for_element("#subjects-table");
        subject_href = b
            .subject_rows()
            .into_iter()
            .find(|r| r.name == DEMO_ENTERPRISE)
            .map(|r| r.href)
            .expect("the demo enterprise in the subjects list");
        let subject_id = subject_href.trim_start_matches("/subjects/").to_string();
        b.open(&format!(
            "{base}/findings?subject_id={subject_id}&status=pending&per_page=100"
        ));
        let table = b.wait_for_element("#findings-table");
        let hrefs: Vec<String> = b
            .find_all_in(&table, "tbody tr td:first-child a")
            .iter()
            .map(|a| b.attribute(a, "href"))
            .collect();
        // A rule of the enterprise's with at least one more finding in its town.
        let mut chosen = None;
        for href in &hrefs {
            b.open(&format!("{base}{href}"));
            b.wait_for_element("#finding-actions");
            let r = b.text_of("#finding-rule");
            let t = b.attribute(&b.find("#finding-town"), "href");
            b.open(&format!("{base}{t}&status=pending"));
            let table = b.wait_for_element("#findings-table");
            // The list stays on this town's findings of the rule: the bulk form acts on it.
            if b.find_all_in(&table, "tbody tr td:first-child a").len() >= 2 {
                chosen = Some(r);
                break;
            }
        }
        rule = chosen.expect("a rule with two findings in the enterprise's town");
        b.wait_for_element("#bulk-form");
        b.save_screenshot(&shots.join("leads-list.png"));
        b.click("#bulk-submit");
        b.wait_for_element("#bulk-count");
        let count = b.text_of("#bulk-count");
        assert!(count.contains("交办给各自所属镇街"), "{count}");
        b.save_screenshot(&shots.join("leads-bulk-confirm.png"));
        b.click("#bulk-confirm");
        b.wait_for_element("#bulk-result");
        let result = b.text_of("#bulk-result");
        assert!(result.contains("已交办给各自所属镇街"), "{result}");
        let n: String = count
            .split_whitespace()
            .find(|w| w.chars().all(|c| c.is_ascii_digit()))
            .unwrap_or_default()
            .to_string();
        assert!(result.contains(&format!("{n} 条")), "{count} / {result}");
    }

    // The town: its assigned findings; the enterprise's becomes a problem, another is dismissed.
    let (problem_href, converted, dismissed);
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-town-1"));
        b.log_in(base, "town");
        let subject_id = subject_href.trim_start_matches("/subjects/");
        b.open(&format!(
            "{base}/findings?assigned=mine&status=assigned&rule={rule}&subject_id={subject_id}"
        ));
        converted = first_href(&b);
        b.open(&format!("{base}{converted}"));
        b.wait_for_element("#finding-actions");
        assert!(b.text_of("#finding-status").contains("已交办"));
        b.click("#to-problem");
        wait_for("the new problem's page", PAGE, || {
            let url = b.current_url();
            if url.contains("/problems/") {
                Ok(())
            } else {
                Err(url)
            }
        });
        problem_href = b
            .current_url()
            .trim_start_matches(base.as_str())
            .split('?')
            .next()
            .unwrap()
            .to_string();
        b.open(&format!(
            "{base}/findings?assigned=mine&status=assigned&rule={rule}"
        ));
        dismissed = first_href(&b);
        assert_ne!(dismissed, converted);
        b.open(&format!("{base}{dismissed}"));
        b.wait_for_element("#dismiss-form");
        b.type_text(
            "#dismiss-reason",
            "经核实该人员已调离特种作业岗位，不予处理",
        );
        b.click("#dismiss-submit");
        // The old page's element goes stale as the new one loads: ask again until it says so.
        wait_for("the dismissal", PAGE, || {
            let s = b.try_text("#finding-status")?;
            if s.contains("已排除") {
                Ok(())
            } else {
                Err(s)
            }
        });
        b.save_screenshot(&shots.join("leads-dismissed.png"));
    }

    // The enterprise rectifies; the town verifies.
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-enterprise-1"));
        b.log_in(base, "enterprise");
        b.open(&format!("{base}{problem_href}"));
        b.wait_for_element("#rectify-form");
        b.type_text(
            "#rectify-text",
            "已组织持证人员复审换证，台账已更新，附复审证明",
        );
        let input = b.find("#rectify-file");
        b.post(
            &format!("element/{input}/value"),
            json!({ "text": photo.display().to_string() }),
        );
        b.click("#rectify-complete");
        b.wait_for_element("#problem-message");
        assert!(b.text_of("#problem-status").contains("已整改待核验"));
    }
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-town-2"));
        b.log_in(base, "town");
        b.open(&format!("{base}{problem_href}"));
        b.wait_for_element("#verify-form");
        b.type_text("#verify-text", "现场核实，证书已复审，台账已更新");
        b.click("#verify-submit");
        b.wait_for_element("#problem-message");
        assert!(b.text_of("#problem-status").contains("已销号"));
        b.open(&format!("{base}{converted}"));
        b.wait_for_element("#finding-history");
        assert!(b.text_of("#finding-status").contains("已消除"));
        let kinds: Vec<String> = b
            .find_all_in(&b.find("#finding-history"), "tbody tr[data-kind]")
            .iter()
            .map(|tr| b.attribute(tr, "data-kind"))
            .collect();
        assert_eq!(kinds, ["assign", "to_problem", "problem_closed"]);
        b.save_screenshot(&shots.join("leads-closed.png"));
    }

    // The district re-scans: nothing new, the dismissed one still dismissed.
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-2"));
        b.log_in(base, "district");
        b.open(&format!("{base}/findings"));
        b.wait_for_element("#scan-district");
        b.click("#scan-district");
        wait_for("the scan's banner", PAGE, || {
            b.try_text(".alert-ok").and_then(|t| {
                if t.contains("扫描完成") {
                    Ok(t)
                } else {
                    Err(t)
                }
            })
        });
        let banner = b.text_of(".alert-ok");
        assert!(banner.contains("新发现 0 条"), "{banner}");
        b.open(&format!("{base}{dismissed}"));
        b.wait_for_element("#finding-history");
        assert!(b.text_of("#finding-status").contains("已排除"));
    }
}

/// The enforcement journey: a town officer records an inspection with a finding and a fine, a fine
/// out of range is refused with the article's range named, the district's 通报 counts the
/// fine; a member of the public reports a violation, the district's intake assigns it to the
/// town, the town closes it, the intake answers, and the reporter reads the answer back with
/// the receipt code and query password.
#[test]
fn an_inspection_with_a_fine_and_a_public_tip_off_go_through_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-enforcement");
    let server = Server::start_demo_with(
        &tmp.path.join("data"),
        &tmp.path.join("server.log"),
        &[("ANPEI_SECURITY_MFA_ROLES", "")],
    );
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();
    let base = &server.base;
    let finding = "浏览器测试：未制定年度安全培训计划";

    // The inspection is recorded for the notice's own campaign, whose enforcement phase
    // (2022-04-01 – 06-30) is the one that has started: coverage and the 通报 of that campaign
    // (seeded first: id 1) move.
    let inspected_on = "2022-05-10";
    let (coverage_before, bulletin_before) = {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-0"));
        b.log_in(base, "district");
        b.open(&format!("{base}/enforcement/coverage"));
        b.wait_for_element("#coverage-inspections");
        let coverage = b.text_of("#coverage-inspections");
        b.open(&format!("{base}/bulletin?campaign=1"));
        b.wait_for_element("#b-actions");
        (coverage, b.text_of("#b-actions"))
    };

    // The town inspects a subject of its own from the coverage page's list.
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-town-0"));
        b.log_in(base, "town");
        b.open(&format!("{base}/enforcement/coverage"));
        b.wait_for_element("#uncovered-table");
        b.click_centered("#uncovered-table tbody tr a.btn");
        b.wait_for_element("#inspection-form");
        b.set_value("inspected_on", inspected_on);
        b.set_value("inspectors", "王建国 50011220013\n刘思远 50011220027");
        b.execute(
            "var note = arguments[0]; \
             var rows = document.querySelectorAll('#checklist tbody tr'); \
             rows.forEach(function (tr, i) { \
               var v = i === 0 ? 'noncompliant' : 'compliant'; \
               tr.querySelector('input[value=' + v + ']').checked = true; \
               if (i === 0) { tr.querySelector('textarea').value = note; } \
             });",
            json!([finding]),
        );
        b.set_value("rectify_deadline", "2099-12-31");
        b.save_screenshot(&shots.join("enforcement-inspection-form.png"));
        b.click_centered("#inspection-save");
        b.wait_for_element("#inspection-items");
        assert!(b.text_of("#inspection-items").contains(finding));

        // Out of the article's range: refused, and the form says why.
        b.set_value("action-kind", "fine");
        b.set_value("fine_stage", "ordered");
        b.set_value("decision_no", "渝北应急罚〔2022〕91号");
        b.set_value("decided_on", inspected_on);
        b.set_value("amount_unit", "100001");
        b.set_value("action-text", "未按规定开展安全生产教育和培训");
        b.click_centered("#action-save");
        let errors = b.wait_for_element("#action-errors");
        let text = b.element_text(&errors);
        assert!(text.contains("第九十七条"), "{text}");
        b.save_screenshot(&shots.join("enforcement-fine-refused.png"));

        b.set_value("action-kind", "fine");
        b.set_value("fine_stage", "ordered");
        b.set_value("decision_no", "渝北应急罚〔2022〕91号");
        b.set_value("decided_on", inspected_on);
        b.set_value("amount_unit", "100000");
        b.set_value(
            "action-text",
            "未按规定开展安全生产教育和培训，处罚款10万元",
        );
        b.click_centered("#action-save");
        b.wait_for_element("#inspection-message");
        assert!(b.text_of("#inspection-actions").contains("10万元"));
        b.save_screenshot(&shots.join("enforcement-fine.png"));
    }

    // The district's coverage and 通报 count the inspection and the fine.
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-1"));
        b.log_in(base, "district");
        b.open(&format!("{base}/enforcement/coverage"));
        b.wait_for_element("#coverage-inspections");
        let coverage: u64 = b.text_of("#coverage-inspections").parse().unwrap();
        assert_eq!(coverage, coverage_before.parse::<u64>().unwrap() + 1);
        b.save_screenshot(&shots.join("enforcement-coverage.png"));
        b.open(&format!("{base}/bulletin?campaign=1"));
        b.wait_for_element("#b-actions");
        let after = b.text_of("#b-actions");
        assert_ne!(after, bulletin_before, "the bulletin's decisions move");
        assert!(after.contains("罚款"), "{after}");
        b.save_screenshot(&shots.join("enforcement-bulletin.png"));
    }

    // A member of the public reports, anonymously.
    let (code, password) = {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-public-1"));
        b.open(&format!("{base}/tipoff"));
        b.wait_for_element("#tipoff-form");
        b.set_value("category", "pass_guarantee");
        b.type_text(
            "#description",
            "浏览器测试：某培训机构承诺不用上课包过拿证，收费6800元。",
        );
        b.save_screenshot(&shots.join("tipoff-form.png"));
        b.click_centered("#tipoff-submit");
        b.wait_for_element("#tipoff-receipt");
        b.save_screenshot(&shots.join("tipoff-receipt.png"));
        (b.text_of("#receipt-code"), b.text_of("#query-password"))
    };

    // The district's intake assigns it to the demo town.
    let tipoff_href;
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-2"));
        b.log_in(base, "district");
        b.open(&format!("{base}/tipoffs"));
        let table = b.wait_for_element("#tipoffs-table");
        tipoff_href = b
            .find_all_in(&table, "tbody tr td:first-child a")
            .into_iter()
            .find(|a| b.element_text(a) == code)
            .map(|a| b.attribute(&a, "href"))
            .unwrap_or_else(|| panic!("the intake's list shows {code}"));
        b.open(&format!("{base}{tipoff_href}"));
        b.wait_for_element("#assign-form");
        let town = b
            .execute(
                "var o = Array.from(document.querySelectorAll('#assign-to option')) \
                   .find(function (o) { return o.textContent === '龙兴镇'; }); \
                 return o ? o.value : null;",
                json!([]),
            )
            .as_str()
            .expect("龙兴镇 is an assignee")
            .to_string();
        b.set_value("assign-to", &town);
        b.click_centered("#assign-submit");
        wait_for("the assignment", PAGE, || {
            let t = b.try_text("#tipoff-assignee")?;
            if t.contains("龙兴镇") {
                Ok(())
            } else {
                Err(t)
            }
        });
    }

    // The town closes it with its result.
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-town-1"));
        b.log_in(base, "town");
        b.open(&format!("{base}{tipoff_href}"));
        b.wait_for_element("#close-form");
        assert!(
            !b.source().contains("tipoff-reporter"),
            "the town never sees a reporter field"
        );
        b.click_centered("#close-form input[name=substantiated][value=yes]");
        b.type_text(
            "#result",
            "经现场核查，该机构确有承诺包过、压缩学时的行为，已立案调查。",
        );
        b.click_centered("#close-submit");
        wait_for("the tip-off to be closed", PAGE, || {
            let t = b.try_text("#tipoff-status")?;
            if t.contains("已办结") {
                Ok(())
            } else {
                Err(t)
            }
        });
    }

    // The intake answers the reporter.
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-district-3"));
        b.log_in(base, "district");
        b.open(&format!("{base}{tipoff_href}"));
        b.wait_for_element("#feedback-form");
        b.type_text("#feedback", "您举报的问题经核查属实，已依法立案处理。");
        b.click_centered("#feedback-submit");
        wait_for("the answer to be saved", PAGE, || {
            let t = b.try_text("#tipoff-detail")?;
            if t.contains("已依法立案处理") {
                Ok(())
            } else {
                Err(t)
            }
        });
        b.save_screenshot(&shots.join("tipoff-closed.png"));
    }

    // The reporter reads the answer with the receipt code and password.
    {
        let b = driver.new_session(&chromium, &tmp.path.join("profile-public-2"));
        b.open(&format!("{base}/tipoff/status"));
        b.wait_for_element("#status-form");
        b.type_text("#receipt_code", &code);
        b.type_text("#password", &password);
        b.click_centered("#status-submit");
        b.wait_for_element("#tipoff-status");
        assert_eq!(b.text_of("#status-label"), "已办结");
        assert!(b.text_of("#status-feedback").contains("已依法立案处理"));
        b.save_screenshot(&shots.join("tipoff-status.png"));
    }
}

/// 包过班 in the records: a department officer opens the training institutions' 关联关系 from their
/// pages and finds the demo's suspicious one — its trainees' pass rate far above the
/// district's, all 45 of a class passed at one exam site, a teacher who holds that site's
/// 监考员证 (same ID number: confirmed) and another who shares a 巡考员's phone (suspected).
#[test]
fn a_department_officer_sees_a_suspicious_institutions_relations_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-relations");
    let server = Server::start_demo_with(
        &tmp.path.join("data"),
        &tmp.path.join("server.log"),
        &[("ANPEI_SECURITY_MFA_ROLES", "")],
    );
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();
    let base = &server.base;
    let b = driver.new_session(&chromium, &tmp.path.join("profile-department"));
    b.log_in(base, "department");
    b.open(&format!("{base}/training"));
    let list = b.wait_for_element("#training-institutions");
    let pages: Vec<String> = b
        .find_all_in(&list, "tbody td:first-child a")
        .iter()
        .map(|a| b.attribute(a, "href"))
        .collect();
    assert!(
        !pages.is_empty(),
        "the department sees training institutions"
    );
    let mut found = None;
    for page in &pages {
        b.open(&format!("{base}{page}"));
        b.wait_for_element("#training-relations");
        b.click("#training-relations");
        b.wait_for_element("#shared-staff");
        if b.try_find("#shared-staff tr.shared-person").is_ok() {
            found = Some(b.current_url());
            break;
        }
    }
    let url = found.unwrap_or_else(|| {
        panic!("no training institution of {pages:?} shows shared staff in its 关联关系")
    });
    assert!(url.contains("/relations/"), "at {url}");
    b.save_screenshot(&shots.join("relations.png"));

    let staff = b.text_of("#shared-staff");
    assert!(
        staff.contains("周德华") && staff.contains("监考员证") && staff.contains("确认"),
        "the teacher holding the site's 监考员证 is shared staff: {staff}"
    );
    let phones = b.text_of("#shared-phones");
    assert!(
        phones.contains("吴秀兰") && phones.contains("郑美玲") && phones.contains("疑似"),
        "the shared phone is listed as suspected: {phones}"
    );
    assert!(
        phones.contains("136****4690") && !b.source().contains("13617724690"),
        "the phone is shown masked only: {phones}"
    );
    let gap = b.text_of("#pass-rate-summary");
    assert!(
        gap.contains("电工作业") && gap.contains("95.9%（n=49）") && gap.contains("通过率异常偏高"),
        "the trainees' pass rate against the rest of the district: {gap}"
    );
    let rest = gap
        .split("95.9%（n=49）")
        .nth(1)
        .and_then(|t| t.split('%').next())
        .and_then(|t| t.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("the rest of the district's rate follows: {gap}"));
    assert!(
        (55.0..70.0).contains(&rest),
        "the rest of the district passes about two thirds: {rest}"
    );
    let rates = b.text_of("#pass-rates");
    assert!(
        rates.contains("100.0%（n=45）"),
        "all 45 of the class passed at one exam site: {rates}"
    );
    assert!(
        b.try_find("#pass-rates svg.rate-bars").is_ok(),
        "each row has its bars"
    );
    let findings = b.text_of("#relations-findings");
    assert!(
        findings.contains("PASS_RATE_ANOMALY") && findings.contains("STAFF_CONFLICT"),
        "the scan's findings are listed: {findings}"
    );
}

/// The district opens 网络培训, goes to the training institution whose platform logs the demo
/// loaded, reads its findings and a person's day on the timeline, then follows the device used by
/// several persons to the device's page, where every one of them is listed day by day.
#[test]
fn the_district_follows_an_institutions_online_logs_to_a_shared_device_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-online");
    let server = Server::start_demo_with(
        &tmp.path.join("data"),
        &tmp.path.join("server.log"),
        &[("ANPEI_SECURITY_MFA_ROLES", "")],
    );
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();
    let base = &server.base;
    let b = driver.new_session(&chromium, &tmp.path.join("profile-district"));
    b.log_in(base, "district");
    b.open(&format!("{base}/online"));
    let list = b.wait_for_element("#online-subjects");
    // The institution (most sessions) comes first.
    let first = b.find_all_in(&list, "tbody td:first-child a");
    assert!(!first.is_empty(), "subjects with online logs are listed");
    let href = b.attribute(&first[0], "href");
    b.open(&format!("{base}{href}"));
    b.wait_for_element("#online-days");
    let findings = b.text_of("#record-findings");
    for rule in [
        "同一设备多人学习",
        "人脸核验缺失或未通过",
        "视频进度超过学习时长",
        "在线考试用时过短",
    ] {
        assert!(
            findings.contains(rule),
            "the institution's findings name {rule}: {findings}"
        );
    }
    assert!(
        b.try_find("#online-days svg.timeline rect.bar-flagged")
            .is_ok(),
        "a session named by a finding is drawn red on its day"
    );
    b.save_screenshot(&shots.join("online.png"));
    // The devices table marks a device several persons used; its link opens the device page.
    let shared = b.find("#online-devices tr.row-flagged a");
    let device = b.element_text(&shared);
    b.click("#online-devices tr.row-flagged a");
    b.wait_for_element("#device-persons");
    let persons: u32 = b.text_of("#device-persons").trim().parse().unwrap_or(0);
    assert!(persons >= 2, "{device} was used by {persons} persons");
    assert!(b.text_of("#device-shared").contains("代学"));
    let days = b.find_all_in(&b.find("#online-days"), "article.online-day");
    assert!(
        days.len() >= 2,
        "one timeline per person and day on {device}"
    );
    b.save_screenshot(&shots.join("online-device.png"));
}

/// A 16×16 red PNG (valid chunks and checksums), the "photo" of the rectification.
const PHOTO_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x91, 0x68,
    0x36, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xB8, 0x60, 0x60, 0x40,
    0x12, 0x62, 0x18, 0xD5, 0x30, 0xAA, 0x61, 0xF8, 0x6A, 0x00, 0x00, 0x3E, 0x5E, 0x30, 0x10, 0x79,
    0xCA, 0xC9, 0x14, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The district's totals on the progress page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Totals {
    must: u64,
    submitted: u64,
    problems: u64,
    rectified: u64,
}

// ---------------------------------------------------------------------------------------------
// Gate and tools

/// On a phone (390 px, Chromium's device emulation) and at a desktop's 1440 px: no page of
/// the enterprise's, the town's, the district's or the public's journeys is wider than the
/// screen; on the phone the menu is one button that opens a drawer and a list reads as cards;
/// a refused submit (the public's tip-off, the enterprise's self-inspection) keeps what was
/// typed. Screenshots `phone-*.png` and `desktop-*.png`.
#[test]
fn the_main_pages_fit_a_phone_and_a_desktop_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-widths");
    let server = Server::start_demo_with(
        &tmp.path.join("data"),
        &tmp.path.join("server.log"),
        &[("ANPEI_SECURITY_MFA_ROLES", "")],
    );
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();
    let mut too_wide = Vec::new();
    let journeys: [(&str, &[&str]); 3] = [
        (
            "enterprise",
            &[
                "/",
                "/selfcheck",
                "/problems",
                "/findings",
                "/unit",
                "/persons",
                "/training",
                "/inbox",
                "/imports",
            ],
        ),
        (
            "town",
            &[
                "/",
                "/problems",
                "/findings",
                "/subjects",
                "/progress",
                "/selfcheck",
                "/tipoffs",
                "/inspections",
                "/summary",
            ],
        ),
        (
            "district",
            &[
                "/",
                "/findings",
                "/progress",
                "/supervision",
                "/summaries",
                "/tipoffs",
                "/rules",
                "/online",
            ],
        ),
    ];
    for device in ["phone", "desktop"] {
        let phone = device == "phone";
        let session = |profile: &str| {
            let dir = tmp.path.join(format!("{device}-{profile}"));
            if phone {
                driver.new_phone_session(&chromium, &dir)
            } else {
                driver.new_desktop_session(&chromium, &dir)
            }
        };
        let mut check = |b: &Browser, who: &str, path: &str| {
            b.open(&format!("{}{path}", server.base));
            wait_for(&format!("{path} to load"), PAGE, || {
                match b.execute("return document.readyState", json!([])).as_str() {
                    Some("complete") => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            });
            // On a phone a page wider than the screen widens the layout viewport itself, so
            // the width is checked against the device's, and the widest elements named.
            let limit: u64 = if phone { 390 } else { 1440 };
            let w = b.execute(
                "var limit = arguments[0]; \
                 var out = [document.documentElement.scrollWidth, window.innerWidth]; \
                 var wide = []; document.querySelectorAll('body *').forEach(function (e) { \
                   var r = e.getBoundingClientRect(); \
                   if (r.right > limit + 1 && r.width > 0 && wide.length < 5) { \
                     wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
                       (e.className && e.className.baseVal === undefined ? '.' + e.className : '') + \
                       ' ' + Math.round(r.right)); } }); \
                 out.push(wide.join(', ')); return out;",
                json!([limit]),
            );
            let (scroll, inner) = (w[0].as_u64().unwrap(), w[1].as_u64().unwrap());
            let name = path.trim_matches('/').replace(['/', '?', '=', '&'], "-");
            let name = if name.is_empty() {
                "home".to_string()
            } else {
                name
            };
            b.save_screenshot(&shots.join(format!("{device}-{who}-{name}.png")));
            if scroll > limit.min(inner) || inner > limit {
                too_wide.push(format!(
                    "{device} {who} {path}: {} px wide ({})",
                    scroll.max(inner),
                    w[2].as_str().unwrap_or_default()
                ));
            }
        };
        for (who, pages) in journeys {
            let b = session(who);
            b.log_in(&server.base, who);
            if phone {
                // The menu is one button; the drawer opens on it.
                let hidden = b.execute(
                    "return document.getElementById('sidebar').offsetParent === null",
                    json!([]),
                );
                assert_eq!(hidden, json!(true), "{who}: the menu starts closed");
                b.click("#menu-toggle");
                let shown = b.execute(
                    "return document.getElementById('sidebar').offsetParent !== null",
                    json!([]),
                );
                assert_eq!(shown, json!(true), "{who}: the button opens the menu");
                b.save_screenshot(&shots.join(format!("phone-{who}-menu.png")));
            }
            for p in pages {
                check(&b, who, p);
            }
            // A problem's and a finding's own page, from their lists.
            for (list, link) in [("/problems", "/problems/"), ("/findings", "/findings/")] {
                b.open(&format!("{}{list}", server.base));
                let href = b.execute(
                    "var a = Array.from(document.querySelectorAll('#results a[href]')).find(function (x) { return /^\\/(problems|findings)\\/\\d+$/.test(x.getAttribute('href')); }); return a ? a.getAttribute('href') : null;",
                    json!([]),
                );
                if let Some(h) = href.as_str() {
                    assert!(h.starts_with(link), "{h}");
                    check(&b, who, h);
                }
            }
            if phone {
                // Lists read as cards: a row of a data table is a block, its header hidden.
                b.open(&format!("{}/problems", server.base));
                let layout = b.execute(
                    "var r = document.querySelector('table.data tbody tr'); var h = document.querySelector('table.data thead'); return r ? [getComputedStyle(r).display, getComputedStyle(h).display] : null;",
                    json!([]),
                );
                if !layout.is_null() {
                    assert_eq!(layout, json!(["block", "none"]), "{who}: the list as cards");
                }
            }
            if who == "enterprise" {
                // 检查并提交 with an answer left incomplete: refused, what was typed is kept.
                // (/selfcheck opens the unit's own self-inspection; the demo's is a draft.)
                b.open(&format!("{}/selfcheck", server.base));
                b.wait_for_element("#submit-selfcheck");
                let code = b.checklist_codes().remove(0);
                b.click_centered(&format!("input[name=answer_{code}][value=noncompliant]"));
                b.type_text(&format!("#explanation_{code}"), "培训签到表由他人代签");
                b.click_centered("#submit-selfcheck");
                b.wait_for_element("#selfcheck-errors");
                let kept = b.execute(
                    &format!("return document.getElementById('explanation_{code}').value"),
                    json!([]),
                );
                assert!(
                    kept.as_str()
                        .unwrap_or_default()
                        .contains("培训签到表由他人代签"),
                    "{device}: the refused self-inspection kept its text: {kept}"
                );
                b.save_screenshot(
                    &shots.join(format!("{device}-enterprise-selfcheck-refused.png")),
                );
            }
        }
        let b = session("public");
        for p in ["/login", "/tipoff", "/tipoff/status", "/cases"] {
            check(&b, "public", p);
        }
        // A refused tip-off keeps everything typed, the category included.
        b.open(&format!("{}/tipoff", server.base));
        b.wait_for_element("#tipoff-form");
        b.execute(
            "var s = document.getElementById('category'); s.value = 'no_certificate'; return 1;",
            json!([]),
        );
        b.type_text("#subject_text", "某某建材有限公司");
        b.type_text("#description", "太短");
        b.click_centered("#tipoff-submit");
        b.wait_for_element("#tipoff-error");
        let kept = b.execute(
            "return [document.getElementById('category').value, document.getElementById('subject_text').value, document.getElementById('description').value]",
            json!([]),
        );
        assert_eq!(
            kept,
            json!(["no_certificate", "某某建材有限公司", "太短"]),
            "{device}: the refused tip-off kept what was typed"
        );
        b.save_screenshot(&shots.join(format!("{device}-public-tipoff-refused.png")));
    }
    assert!(
        too_wide.is_empty(),
        "pages wider than the screen:\n{}",
        too_wide.join("\n")
    );
}

/// The city's journey over `anpei demo --districts 3`: the city official opens 工作进度, one
/// line per district, drills into a district other than 渝北区 and on into one of its towns;
/// 渝北区's office then opens the same two pages and gets 404 on both, and its own progress
/// has no line of another district.
#[test]
fn the_city_drills_into_a_district_and_a_town_another_district_gets_404_in_chromium() {
    let Some((chromium, chromedriver)) = browser_tools() else {
        return;
    };
    let tmp = TempDir::new("anpei-browser-city");
    let server = Server::start_demo_args(
        &tmp.path.join("data"),
        &tmp.path.join("server.log"),
        &["--districts", "3"],
        &[("ANPEI_SECURITY_MFA_ROLES", "")],
    );
    let driver = Driver::start(&chromedriver, &tmp.path.join("chromedriver.log"));
    let shots = screenshot_dir();

    let (district_name, district_url, town_name, town_url);
    {
        let b = driver.new_desktop_session(&chromium, &tmp.path.join("profile-city"));
        b.log_in(&server.base, "city");
        b.open(&format!("{}/progress", server.base));
        let table = b.wait_for_element("#progress-by-district");
        let links = b.find_all_in(&table, "a.drill");
        let names: Vec<String> = links.iter().map(|l| b.element_text(l)).collect();
        assert_eq!(names.len(), 3, "one line per district: {names:?}");
        assert!(names.iter().any(|n| n == "渝北区"), "{names:?}");
        assert!(
            b.try_find("#progress-by-town").is_err(),
            "the city reads districts, not every district's towns"
        );
        b.save_screenshot(&shots.join("city-progress.png"));

        let (i, other) = names
            .iter()
            .enumerate()
            .find(|(_, n)| n.as_str() != "渝北区")
            .expect("a district other than 渝北区");
        district_name = other.clone();
        b.post(&format!("element/{}/click", links[i]), json!({}));
        wait_for("the district's progress page", PAGE, || {
            let t = b.title();
            if t.contains(&format!("工作进度 · {district_name}")) {
                Ok(())
            } else {
                Err(t)
            }
        });
        district_url = b.current_url();
        let towns = b.wait_for_element("#progress-by-town");
        let town_links = b.find_all_in(&towns, "a.drill");
        assert!(!town_links.is_empty(), "{district_name} lists its towns");
        town_name = b.element_text(&town_links[0]);
        b.save_screenshot(&shots.join("city-progress-district.png"));
        b.post(&format!("element/{}/click", town_links[0]), json!({}));
        wait_for("the town's progress page", PAGE, || {
            let t = b.title();
            if t.contains(&town_name) && b.current_url() != district_url {
                Ok(())
            } else {
                Err(t)
            }
        });
        town_url = b.current_url();
        assert!(b.text_of("h1").contains(&town_name));
        b.save_screenshot(&shots.join("city-progress-town.png"));
    }
    {
        let b = driver.new_desktop_session(&chromium, &tmp.path.join("profile-yubei"));
        b.log_in(&server.base, "district");
        for (what, url) in [("district", &district_url), ("town", &town_url)] {
            b.open(url);
            let title = b.title();
            assert!(
                title.starts_with("404"),
                "渝北区's office opened {district_name}'s {what} page {url}: {title:?}"
            );
        }
        b.open(&format!("{}/progress", server.base));
        b.wait_for_element("#progress-by-town");
        assert!(b.try_find("#progress-by-district").is_err());
        assert!(
            !b.source().contains(&district_name),
            "渝北区's progress names {district_name}"
        );
    }
}

fn env_is(name: &str, value: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == value)
}

/// The Chromium binary and `chromedriver`, or `None` when the test should be skipped. Once the
/// test is asked for, missing tools fail it: a smoke test that silently skips proves nothing.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let asked = env_is("CI", "true") || env_is("ANPEI_BROWSER_TEST", "1");
    if env_is("ANPEI_BROWSER_TEST", "0") || !asked {
        eprintln!(
            "note: browser smoke test skipped; set ANPEI_BROWSER_TEST=1 to run it \
             (needs Debian's chromium and chromium-driver)"
        );
        return None;
    }
    let chromium = std::env::var_os("ANPEI_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.is_file(),
        "browser smoke test required but Chromium is not at {} \
         (apt-get install -y chromium chromium-driver)",
        chromium.display()
    );
    let driver = std::env::var_os("ANPEI_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path("chromedriver"))
        .unwrap_or_else(|| {
            panic!(
                "browser smoke test required but chromedriver is not on PATH \
                 (apt-get install -y chromium chromium-driver)"
            )
        });
    Some((chromium, driver))
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// `<workspace>/target/screenshots`, created.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir.canonicalize().unwrap_or(dir)
}

/// A port nobody listens on right now (bind port 0, read it, let it go).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Calls `probe` every 100 ms until it answers `Ok`; panics after `timeout` with the last
/// observation (`Err`).
fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let start = Instant::now();
    loop {
        match probe() {
            Ok(v) => return v,
            Err(last) if start.elapsed() >= timeout => {
                panic!("timed out after {timeout:?} waiting for {what}; last: {last}")
            }
            Err(_) => sleep(Duration::from_millis(100)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Processes and temporary files, cleaned up on drop (also when the test panics)

struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(prefix: &str) -> TempDir {
        let n = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{n:x}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} for inspection", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A child process killed on drop; when the test is failing, the tail of its log is printed.
struct Guard {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Guard {
    fn spawn(name: &'static str, cmd: &mut Command, log: &Path) -> Guard {
        let out = File::create(log).expect("create a log file");
        let err = out.try_clone().expect("clone the log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Guard {
            name,
            child,
            log: log.to_path_buf(),
        }
    }

    /// Panics with the log when the process has already ended.
    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited early ({status}); its output:\n{}",
                self.name,
                log_tail(&self.log)
            );
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- {} output ({}) ---\n{}",
                self.name,
                self.log.display(),
                log_tail(&self.log)
            );
        }
    }
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// `anpei demo` serving a small demo district on a free port.
struct Server {
    base: String,
    _process: Guard,
}

impl Server {
    fn start_demo(data_dir: &Path, log: &Path) -> Server {
        Server::start_demo_with(data_dir, log, &[])
    }

    /// [`Server::start_demo`] with extra environment variables.
    fn start_demo_with(data_dir: &Path, log: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_demo_args(data_dir, log, &[], env)
    }

    /// [`Server::start_demo_with`] with extra arguments to `anpei demo`.
    fn start_demo_args(data_dir: &Path, log: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_anpei"));
        cmd.arg("--data-dir")
            .arg(data_dir)
            .args(["demo", "--persons", "600", "--subjects", "40"])
            .args(args)
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .env_remove("ANPEI_DATABASE_URL")
            .env_remove("ANPEI_BIND")
            .envs(env.iter().copied());
        let mut process = Guard::spawn("anpei demo", &mut cmd, log);
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        wait_for("anpei demo to answer /healthz", SERVER_START, || {
            process.assert_running();
            match agent.get(&format!("{base}/healthz")).call() {
                Ok(r) if r.status() == 200 => Ok(()),
                Ok(r) => Err(format!("status {}", r.status())),
                Err(e) => Err(e.to_string()),
            }
        });
        Server {
            base,
            _process: process,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WebDriver

/// A running `chromedriver`.
struct Driver {
    url: String,
    agent: ureq::Agent,
    _process: Guard,
}

impl Driver {
    fn start(program: &Path, log: &Path) -> Driver {
        let port = free_port();
        let mut cmd = Command::new(program);
        cmd.arg(format!("--port={port}"));
        let mut process = Guard::spawn("chromedriver", &mut cmd, log);
        let url = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(90))
            .build();
        wait_for("chromedriver to be ready", DRIVER_START, || {
            process.assert_running();
            let status = call(&agent, "GET", &format!("{url}/status"), None)?;
            match status["ready"].as_bool() {
                Some(true) => Ok(()),
                _ => Err(status.to_string()),
            }
        });
        Driver {
            url,
            agent,
            _process: process,
        }
    }

    /// A new headless Chromium with its own fresh profile.
    fn new_session(&self, chromium: &Path, profile: &Path) -> Browser<'_> {
        self.session_with(chromium, profile, None)
    }

    /// A headless Chromium with a desktop's 1440 px wide window.
    fn new_desktop_session(&self, chromium: &Path, profile: &Path) -> Browser<'_> {
        self.session_with(
            chromium,
            profile,
            Some(json!({"deviceMetrics": {"width": 1440, "height": 900, "pixelRatio": 1.0, "touch": false}})),
        )
    }

    /// A headless Chromium emulating a phone 390 px wide (device emulation: viewport, pixel
    /// ratio, touch).
    fn new_phone_session(&self, chromium: &Path, profile: &Path) -> Browser<'_> {
        self.session_with(
            chromium,
            profile,
            Some(json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true}})),
        )
    }

    fn session_with(&self, chromium: &Path, profile: &Path, mobile: Option<Value>) -> Browser<'_> {
        std::fs::create_dir_all(profile).expect("create a browser profile directory");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1400,1000".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut options = json!({"binary": chromium, "args": args});
        if let Some(m) = mobile {
            options["mobileEmulation"] = m;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
        }}});
        let session = call(
            &self.agent,
            "POST",
            &format!("{}/session", self.url),
            Some(caps),
        )
        .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {session}"))
            .to_string();
        let b = Browser { driver: self, id };
        b.post(
            "timeouts",
            json!({"pageLoad": PAGE.as_millis() as u64, "script": 10_000, "implicit": 0}),
        );
        b
    }
}

/// One WebDriver request; answers the response's `value`, or the driver's error message.
fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let req = agent.request(method, url);
    let res = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let res = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let v: Value = r.into_json().unwrap_or(Value::Null);
            return Err(format!("{method} {url}: HTTP {code}: {}", v["value"]));
        }
        Err(e) => return Err(format!("{method} {url}: {e}")),
    };
    let mut v: Value = res
        .into_json()
        .map_err(|e| format!("{method} {url}: bad JSON: {e}"))?;
    Ok(v["value"].take())
}

/// One WebDriver session; deleted (Chromium closed) on drop.
struct Browser<'d> {
    driver: &'d Driver,
    id: String,
}

#[derive(Debug, Clone)]
struct Row {
    name: String,
    href: String,
    town: String,
}

impl Browser<'_> {
    fn url_of(&self, path: &str) -> String {
        format!("{}/session/{}/{path}", self.driver.url, self.id)
    }

    fn try_get(&self, path: &str) -> Result<Value, String> {
        call(&self.driver.agent, "GET", &self.url_of(path), None)
    }

    fn try_post(&self, path: &str, body: Value) -> Result<Value, String> {
        call(&self.driver.agent, "POST", &self.url_of(path), Some(body))
    }

    fn get(&self, path: &str) -> Value {
        self.try_get(path).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The text of an element, or why not (not there yet, or gone with a page being left):
    /// for waits across a navigation.
    fn try_text(&self, css: &str) -> Result<String, String> {
        let el = self.try_find(css)?;
        self.try_get(&format!("element/{el}/text"))
            .map(|v| v.as_str().unwrap_or_default().to_string())
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.try_post(path, body).unwrap_or_else(|e| panic!("{e}"))
    }

    fn open(&self, url: &str) {
        self.post("url", json!({ "url": url }));
    }

    fn current_url(&self) -> String {
        self.get("url").as_str().unwrap_or_default().to_string()
    }

    fn title(&self) -> String {
        self.get("title").as_str().unwrap_or_default().to_string()
    }

    fn source(&self) -> String {
        self.get("source").as_str().unwrap_or_default().to_string()
    }

    /// The element a CSS selector picks, if there is one now.
    fn try_find(&self, css: &str) -> Result<String, String> {
        let v = self.try_post("element", json!({"using": "css selector", "value": css}))?;
        element_id(&v).ok_or_else(|| format!("no element reference in {v}"))
    }

    fn find(&self, css: &str) -> String {
        self.try_find(css)
            .unwrap_or_else(|e| panic!("no element {css:?} on {}: {e}", self.current_url()))
    }

    fn find_all_in(&self, parent: &str, css: &str) -> Vec<String> {
        let path = format!("element/{parent}/elements");
        let v = self.post(&path, json!({"using": "css selector", "value": css}));
        v.as_array()
            .map(|a| a.iter().filter_map(element_id).collect())
            .unwrap_or_default()
    }

    fn wait_for_element(&self, css: &str) -> String {
        wait_for(&format!("element {css:?}"), PAGE, || self.try_find(css))
    }

    fn element_text(&self, element: &str) -> String {
        let v = self.get(&format!("element/{element}/text"));
        v.as_str().unwrap_or_default().to_string()
    }

    fn text_of(&self, css: &str) -> String {
        self.element_text(&self.find(css))
    }

    fn attribute(&self, element: &str, name: &str) -> String {
        let v = self.get(&format!("element/{element}/attribute/{name}"));
        v.as_str().unwrap_or_default().to_string()
    }

    fn click(&self, css: &str) {
        self.post(&format!("element/{}/click", self.find(css)), json!({}));
    }

    fn type_text(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.post(&format!("element/{el}/clear"), json!({}));
        self.post(&format!("element/{el}/value"), json!({ "text": text }));
    }

    /// Signs in through the login form and waits for the dashboard (工作台).
    fn log_in(&self, base: &str, username: &str) {
        self.open(&format!("{base}/login"));
        self.wait_for_element("#login-form");
        self.type_text("#username", username);
        self.type_text("#password", PASSWORD);
        self.click("#login-submit");
        self.wait_for_dashboard(base, username);
    }

    fn wait_for_dashboard(&self, base: &str, username: &str) {
        let home = format!("{base}/");
        wait_for(&format!("{username}'s dashboard after login"), PAGE, || {
            let url = self.current_url();
            if url == home && self.source().contains("工作台") {
                Ok(())
            } else {
                Err(format!("at {url}: {}", self.title()))
            }
        });
    }

    fn wait_for_url(&self, what: &str, want: &str) {
        wait_for(what, PAGE, || {
            let url = self.current_url();
            if url == want {
                Ok(())
            } else {
                Err(format!("at {url}: {}", self.title()))
            }
        });
    }

    /// Signs in as an account whose role must use a second factor, at its first sign-in:
    /// the password leads to the enrolment page, whose secret (shown for typing by hand)
    /// gives the code an authenticator app would show; the recovery codes are shown once.
    /// Then signs out and in again through the code page, with one of those recovery codes
    /// (a fresh TOTP code would mean waiting for the next 30-second step), and ends on the
    /// dashboard.
    fn log_in_enrolling(&self, base: &str, username: &str, shots: &Path) {
        self.open(&format!("{base}/login"));
        self.wait_for_element("#login-form");
        self.type_text("#username", username);
        self.type_text("#password", PASSWORD);
        self.click("#login-submit");
        self.wait_for_url(
            &format!("{username}'s enrolment page"),
            &format!("{base}/account/mfa"),
        );
        self.wait_for_element("#mfa-qr svg");
        let secret = anpei_core::totp::base32_decode(&self.text_of("#mfa-secret"))
            .expect("the enrolment page shows the secret in base32");
        self.save_screenshot(&shots.join("mfa-enrol.png"));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        self.type_text("#mfa-code", &anpei_core::totp::totp(&secret, now));
        self.click("#mfa-confirm");
        let list = self.wait_for_element("#recovery-codes");
        let codes: Vec<String> = self
            .find_all_in(&list, "li")
            .iter()
            .map(|li| self.element_text(li))
            .collect();
        assert_eq!(codes.len(), 10, "ten recovery codes: {codes:?}");
        self.click("#recovery-done");
        self.wait_for_dashboard(base, username);

        self.click("#logout");
        self.wait_for_element("#login-form");
        self.type_text("#username", username);
        self.type_text("#password", PASSWORD);
        self.click("#login-submit");
        self.wait_for_url(
            &format!("{username}'s code page"),
            &format!("{base}/login/mfa"),
        );
        self.type_text("#code", &codes[0]);
        self.click("#mfa-submit");
        self.wait_for_url(
            &format!("{username}'s account page after a recovery code"),
            &format!("{base}/account/mfa?recovery=1"),
        );
        self.open(&format!("{base}/"));
        self.wait_for_dashboard(base, username);
    }

    /// Types into the subject filter's keyword box, submits, and waits for the new results.
    fn search_subjects(&self, keyword: &str) {
        self.type_text("#subject-filters input[name=q]", keyword);
        self.click("#subject-filters button[type=submit]");
        wait_for(
            &format!("the subjects list filtered by {keyword:?}"),
            PAGE,
            || {
                let url = self.current_url();
                if !url.contains("q=") {
                    return Err(format!("still at {url}"));
                }
                self.try_find("#subjects-table").map(|_| ())
            },
        );
    }

    /// `N` of the list's "共 N 条" (`.pager-info`).
    fn list_total(&self) -> u64 {
        let info = self.text_of(".pager-info");
        parse_total(&info).unwrap_or_else(|| panic!("no \"共 N\" in the pager text {info:?}"))
    }

    /// Name, link and town/street (5th column) of each row of `#subjects-table`.
    fn subject_rows(&self) -> Vec<Row> {
        let table = self.find("#subjects-table");
        self.find_all_in(&table, "tbody tr")
            .into_iter()
            .filter_map(|tr| {
                let link = self
                    .find_all_in(&tr, "td:first-child a")
                    .into_iter()
                    .next()?;
                let town = self
                    .find_all_in(&tr, "td:nth-child(5)")
                    .into_iter()
                    .next()?;
                Some(Row {
                    name: self.element_text(&link),
                    href: self.attribute(&link, "href"),
                    town: self.element_text(&town),
                })
            })
            .collect()
    }

    fn save_screenshot(&self, file: &Path) {
        let v = self.get("screenshot");
        let b64 = v.as_str().expect("a base64 screenshot");
        let png = base64_decode(b64).expect("valid base64 from the screenshot endpoint");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(file, png).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
        eprintln!("screenshot saved: {}", file.display());
    }
}

/// What the campaign's journey needs beyond the subjects list.
impl Browser<'_> {
    /// Runs a script in the page (WebDriver's own channel: the page's CSP does not apply).
    fn execute(&self, script: &str, args: Value) -> Value {
        self.post("execute/sync", json!({ "script": script, "args": args }))
    }

    /// Sets an input's value directly (a date input's typing depends on the locale).
    fn set_value(&self, id: &str, value: &str) {
        self.execute(
            "var el = document.getElementById(arguments[0]); el.value = arguments[1]; \
             el.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([id, value]),
        );
    }

    /// Clicks an element after scrolling it to the middle of the window (the checklist's
    /// sticky action bar would take a click at the bottom edge).
    fn click_centered(&self, css: &str) {
        let el = self.find(css);
        self.execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            json!([{ ELEMENT_KEY: el }]),
        );
        self.post(&format!("element/{el}/click"), json!({}));
    }

    /// Lets downloads go to `dir` without asking (Chromium's DevTools command).
    fn allow_downloads(&self, dir: &Path) {
        self.post(
            "goog/cdp/execute",
            json!({"cmd": "Browser.setDownloadBehavior", "params": {
                "behavior": "allow", "downloadPath": dir.display().to_string(),
            }}),
        );
    }

    /// The item codes of the checklist form, in page order.
    fn checklist_codes(&self) -> Vec<String> {
        let v = self.execute(
            "return Array.from(document.querySelectorAll('section.check-item')).map(s => s.id.replace('item-', ''));",
            json!([]),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The link of the problem list's row whose text contains `text`.
    fn problem_link(&self, text: &str) -> Option<String> {
        let table = self.find("#problems-table");
        self.find_all_in(&table, "tbody tr")
            .into_iter()
            .find(|tr| self.element_text(tr).contains(text))
            .and_then(|tr| self.find_all_in(&tr, "td:first-child a").into_iter().next())
            .map(|a| self.attribute(&a, "href"))
    }

    fn number(&self, css: &str) -> u64 {
        let t = self.text_of(css);
        t.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{css} is not a number: {t:?}"))
    }

    fn progress_totals(&self) -> Totals {
        Totals {
            must: self.number("#total-must"),
            submitted: self.number("#total-submitted"),
            problems: self.number("#total-problems"),
            rectified: self.number("#total-rectified"),
        }
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.driver.url, self.id);
        let _ = call(&self.driver.agent, "DELETE", &url, None);
    }
}

fn element_id(v: &Value) -> Option<String> {
    v.get(ELEMENT_KEY)?.as_str().map(str::to_string)
}

/// The number after "共 " in e.g. "共 40 条，第 1/2 页".
fn parse_total(text: &str) -> Option<u64> {
    let rest = text.split_once('共')?.1.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Standard base64 (RFC 4648, padded or not, whitespace ignored).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let body = clean
        .strip_suffix(b"==")
        .or_else(|| clean.strip_suffix(b"="));
    let body = body.unwrap_or(&clean);
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= sextet(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => return None,
        }
    }
    Some(out)
}

#[test]
fn base64_decodes_what_webdriver_sends() {
    assert_eq!(base64_decode("").unwrap(), b"");
    assert_eq!(base64_decode("Zg==").unwrap(), b"f");
    assert_eq!(base64_decode("Zm8=").unwrap(), b"fo");
    assert_eq!(base64_decode("Zm9v").unwrap(), b"foo");
    assert_eq!(base64_decode("Zm9vYmFy\n").unwrap(), b"foobar");
    assert_eq!(base64_decode("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
    assert!(base64_decode("Zm9v!").is_none());
}

#[test]
fn the_pager_total_is_read_from_its_text() {
    assert_eq!(parse_total("共 40 条，第 1/2 页"), Some(40));
    assert_eq!(parse_total("共 7 家单位"), Some(7));
    assert_eq!(parse_total("第 1 页"), None);
}
