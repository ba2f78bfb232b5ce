//! The fixtures both matrices drive (tests/platform/authorization.rs reads, tests/platform/write_matrix.rs
//! writes): one object of each kind per subject, and for a scope the object of each kind
//! it may reach and one it may not.

use super::Harness;
use anpei_store::platform::accounts;
use anpei_store::platform::audit::Actor;
use anpei_store::platform::evidence::Attachment;
use anpei_store::scope::Scope;
use anpei_store::testing::access;

/// Every fixture the matrices need, on a demo district: a rectification photo, the demo's
/// current campaign, a problem, an inspection, an exam session and a training class per
/// subject; a supervision problem, a published typical case, two assigned tip-offs.
pub async fn load_fixtures(h: &Harness) {
    anpei_store::demo::campaign::load_demo(h.store(), &h.district)
        .await
        .unwrap();
    problem_fixtures(h).await;
    evidence_fixtures(h).await;
    enforcement_fixtures(h).await;
    supervision_fixtures(h).await;
    tipoff_fixtures(h).await;
    training_fixtures(h).await;
    exam_fixtures(h).await;
}

/// What a scope reaches: of each kind, one object inside and (if any) one outside.
pub struct Objects {
    pub subject_in: i32,
    pub subject_out: Option<i32>,
    pub person_in: i32,
    pub person_out: Option<i32>,
    pub finding_in: i32,
    pub finding_out: Option<i32>,
    /// An account (the grants page acts on accounts, not on business data).
    pub user: i32,
    /// Other kinds of object by the subject they belong to: kind → (inside, outside).
    pub by_subject: std::collections::HashMap<&'static str, (i32, Option<i32>)>,
}

/// Ids of `(id, subject_id)` rows: one whose subject is visible, one whose subject is not.
pub fn pick_by_subject(rows: &[(i32, i32)], visible: &[i32]) -> (i32, Option<i32>) {
    let inside = rows
        .iter()
        .find(|(_, s)| visible.contains(s))
        .map_or(-1, |r| r.0);
    let outside = rows.iter().find(|(_, s)| !visible.contains(s)).map(|r| r.0);
    (inside, outside)
}

/// Two tip-offs, one assigned to the demo town and one to the demo department, each with an
/// attachment; the demo district account holds the intake duty.
pub async fn tipoff_fixtures(h: &Harness) {
    use anpei_store::enforcement::tipoffs::{self, Assignee, Viewer};
    let system = Actor::system("test");
    let district = accounts::find_user(h.store(), "district")
        .await
        .unwrap()
        .unwrap();
    tipoffs::set_grant(h.store(), &system, district.id, tipoffs::INTAKE_GRANT, true)
        .await
        .unwrap();
    let town = accounts::find_user(h.store(), "town")
        .await
        .unwrap()
        .unwrap();
    let dept = accounts::find_user(h.store(), "department")
        .await
        .unwrap()
        .unwrap();
    let png = b"\x89PNG\r\n\x1a\n tip-off matrix fixture";
    let sha = anpei_store::crypto::sha256_hex(png);
    let dir = super::test_config().evidence_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), png).unwrap();
    for to in [
        Assignee::Town(town.scope_town_id.unwrap()),
        Assignee::Department(dept.scope_department_id.unwrap()),
    ] {
        let r = anonymous_tipoff(h.store(), "授权矩阵测试用举报，描述不少于十个字。").await;
        tipoffs::assign(h.store(), &system, Viewer::Intake, r.id, to)
            .await
            .unwrap();
        tipoffs::attach(h.store(), &system, &r, &photo(png))
            .await
            .unwrap();
    }
}

/// An anonymous tip-off from the public web form, of category 其他.
pub async fn anonymous_tipoff(
    store: &anpei_store::Store,
    description: &str,
) -> anpei_store::enforcement::tipoffs::Receipt {
    use anpei_store::enforcement::tipoffs::{self, NewTipoff};
    tipoffs::submit(
        store,
        None,
        NewTipoff {
            channel: "web".into(),
            category: "other".into(),
            description: description.into(),
            anonymous: true,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// A checked photo, stored under its SHA-256 already.
fn photo(png: &[u8]) -> Attachment {
    let sha = anpei_store::crypto::sha256_hex(png);
    Attachment {
        file_name: "照片.png".into(),
        mime: "image/png".into(),
        size: png.len() as i64,
        sha256: sha,
    }
}

/// Whether the installation has several districts (a city).
pub async fn is_city(h: &Harness) -> bool {
    anpei_store::registry::reference::districts(h.store(), &Scope::district_wide())
        .await
        .unwrap()
        .len()
        > 1
}

/// The demo district made a city of two: a second district with its towns, subjects and
/// accounts (`city`, `district2`), the city's intake duty, and in the second district a
/// supervision finding on its first town and a tip-off the city handed to it. Load after
/// [`load_fixtures`].
pub async fn city_fixtures(h: &Harness) {
    use anpei_store::enforcement::tipoffs::{self, Assignee, Viewer};
    let store = h.store();
    let system = Actor::system("test");
    let city = accounts::find_user(store, "city").await.unwrap().unwrap();
    tipoffs::set_grant(store, &system, city.id, tipoffs::INTAKE_GRANT, true)
        .await
        .unwrap();
    let all = Scope::district_wide();
    let districts = anpei_store::registry::reference::districts(store, &all)
        .await
        .unwrap();
    let second = districts[1].id;
    let town = anpei_store::registry::reference::towns(store, &all)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.district_id == second)
        .unwrap()
        .id;
    use anpei_store::campaign::supervision::{self as sv, FindingInput, Unit};
    let c = sv::campaign_or_current(store, None).await.unwrap();
    sv::add_finding(
        store,
        &all,
        &system,
        &c,
        Unit::Town(town),
        &FindingInput {
            text: "授权矩阵用督查问题（第二区县）".into(),
            measures: "整改".into(),
            deadline: (store.today() + chrono::Days::new(30)).to_string(),
        },
    )
    .await
    .unwrap();
    let r = anonymous_tipoff(store, "授权矩阵测试用举报，转交第二区县。").await;
    tipoffs::assign(
        store,
        &system,
        Viewer::Intake,
        r.id,
        Assignee::District(second),
    )
    .await
    .unwrap();
    let png = b"\x89PNG\r\n\x1a\n tip-off matrix fixture, second district";
    let dir = super::test_config().evidence_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(anpei_store::crypto::sha256_hex(png)), png).unwrap();
    tipoffs::attach(store, &system, &r, &photo(png))
        .await
        .unwrap();
}

/// Makes the demo harness a city of two districts with the accounts `city` and `district2`.
pub async fn make_city(h: &Harness) {
    use anpei_store::demo::{self, DemoAccount};
    let cfg = anpei_core::demo::DemoConfig {
        seed: 11,
        subjects: 12,
        persons: 60,
        as_of: h.store().today(),
    };
    let names = demo::load_other_districts(h.store(), &cfg, 2)
        .await
        .unwrap();
    demo::create_accounts(
        h.store(),
        &[
            DemoAccount {
                username: "city".into(),
                role: anpei_store::Role::City,
                scope: String::new(),
            },
            DemoAccount {
                username: "district2".into(),
                role: anpei_store::Role::District,
                scope: names[0].clone(),
            },
        ],
    )
    .await
    .unwrap();
}

/// The tip-offs a scope's role may open (assigned to it; a one-district installation's
/// district and the city all; a city's district those of its district) and one it may not;
/// and the attachment of each.
pub async fn tipoff_objects(h: &Harness, scope: &Scope) -> ((i32, Option<i32>), Vec<(i32, i32)>) {
    let all = access::tipoffs(h.store()).await;
    let city = is_city(h).await;
    let mine = |t: &anpei_store::model::Tipoff| match scope.reach() {
        anpei_store::Reach::Town(x) => t.assigned_town_id == Some(x),
        anpei_store::Reach::Department(x) => t.assigned_department_id == Some(x),
        anpei_store::Reach::District(d) if city => t.district_id == Some(d),
        // A one-district installation's district is its own intake.
        anpei_store::Reach::All | anpei_store::Reach::District(_) => true,
        _ => false,
    };
    let inside = all.iter().find(|t| mine(t)).map_or(-1, |t| t.id);
    let outside = all.iter().find(|t| !mine(t)).map(|t| t.id);
    let files = access::evidence_files(h.store())
        .await
        .into_iter()
        .filter(|f| f.owner_kind == "tipoff")
        .map(|f| (f.owner_id, f.id))
        .collect();
    ((inside, outside), files)
}

/// One problem per subject (the problem list's routes), entered by the district.
pub async fn problem_fixtures(h: &Harness) {
    use anpei_store::campaign::problems::{self, ProblemInput};
    let due = h.store().today() + chrono::Days::new(30);
    for s in access::subjects(h.store()).await {
        problems::create(
            h.store(),
            &Scope::district_wide(),
            &Actor::system("test"),
            "测试",
            &ProblemInput {
                subject_id: s.id.to_string(),
                source: "enforcement".into(),
                description: "授权矩阵用问题".into(),
                measures: "整改".into(),
                deadline: due.to_string(),
                responsible_name: "张三".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
}

/// A supervisors' finding on the first town (a supervision problem for its close route).
pub async fn supervision_fixtures(h: &Harness) {
    use anpei_store::campaign::supervision::{self as sv, FindingInput, Unit};
    let c = sv::campaign_or_current(h.store(), None).await.unwrap();
    let town =
        anpei_store::registry::reference::towns(h.store(), &anpei_store::Scope::district_wide())
            .await
            .unwrap()[0]
            .id;
    let input = FindingInput {
        text: "授权矩阵用督查问题".into(),
        measures: "整改".into(),
        deadline: (h.store().today() + chrono::Days::new(30)).to_string(),
    };
    sv::add_finding(
        h.store(),
        &anpei_store::Scope::district_wide(),
        &Actor::system("test"),
        &c,
        Unit::Town(town),
        &input,
    )
    .await
    .unwrap();
}

/// One inspection per subject and one published typical case (the enforcement routes).
pub async fn enforcement_fixtures(h: &Harness) {
    let today = h.store().today();
    for s in access::subjects(h.store()).await {
        access::add_inspection(h.store(), s.id, today).await;
    }
    access::add_case(h.store(), "授权矩阵用案例", "正文", Some(today)).await;
}

/// One exam session per subject (the exam-records session page).
pub async fn exam_fixtures(h: &Harness) {
    let at = h.store().today().and_hms_opt(9, 0, 0).unwrap();
    for s in access::subjects(h.store()).await {
        access::add_exam_session(h.store(), s.id, at).await;
    }
}

/// One training class per subject (the class-file page of 培训档案).
pub async fn training_fixtures(h: &Harness) {
    let today = h.store().today();
    for s in access::subjects(h.store()).await {
        access::add_training_class(h.store(), s.id, "MATRIX-01", today).await;
    }
}

/// One evidence file per subject, stored where the test app keeps evidence.
/// One evidence file per subject, stored where the test app keeps evidence: a photo of a
/// rectification update (the first event of each subject's problem, `problem_fixtures`), so
/// it goes to whoever may open the problem.
pub async fn evidence_fixtures(h: &Harness) {
    use anpei_store::campaign::problems::{self, ProblemFilter, EVIDENCE_OWNER};
    use anpei_store::platform::evidence;
    let png = b"\x89PNG\r\n\x1a\n authorization matrix fixture";
    let sha = anpei_store::crypto::sha256_hex(png);
    let dir = super::test_config().evidence_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), png).unwrap();
    let all = Scope::district_wide();
    let mut list = problems::all(h.store(), &all, &ProblemFilter::default())
        .await
        .unwrap();
    list.sort_by_key(|p| p.id);
    for p in list {
        let event = problems::history(h.store(), &all, p.id)
            .await
            .unwrap()
            .into_iter()
            .next()
            .expect("a new problem has its first event")
            .event;
        evidence::attach(
            h.store(),
            &Actor::system("test"),
            &all,
            EVIDENCE_OWNER,
            event.id,
            Some(p.subject_id),
            &photo(png),
        )
        .await
        .unwrap();
    }
}

/// `(id, subject)` rows of the objects that belong to a subject, without those of none.
fn with_subject(rows: Vec<(i32, Option<i32>)>) -> Vec<(i32, i32)> {
    rows.into_iter()
        .filter_map(|(id, s)| s.map(|s| (id, s)))
        .collect()
}

pub async fn objects_for(h: &Harness, scope: &Scope) -> Objects {
    let store = h.store();
    let all_subjects = access::subjects(store).await;
    let oracle = access::Containment::load(store).await;
    let visible: Vec<i32> = all_subjects
        .iter()
        .filter(|s| oracle.contains(scope, s))
        .map(|s| s.id)
        .collect();
    let pick_in = visible.first().copied().unwrap_or(all_subjects[0].id);
    let pick_out = all_subjects
        .iter()
        .map(|s| s.id)
        .find(|id| !visible.contains(id));
    let all_persons = access::persons(store).await;
    let person_of = |sid: i32| {
        all_persons
            .iter()
            .find(|p| p.subject_id == sid)
            .map(|p| p.id)
    };
    let person_in = visible.iter().find_map(|sid| person_of(*sid));
    let person_out = all_subjects
        .iter()
        .filter(|s| !visible.contains(&s.id))
        .find_map(|s| person_of(s.id));
    let all_findings = anpei_store::ledger::findings::all(
        store,
        &Scope::district_wide(),
        &anpei_store::ledger::findings::FindingFilter::default(),
    )
    .await
    .unwrap();
    let finding_in = all_findings
        .iter()
        .find(|f| visible.contains(&f.subject_id))
        .map_or(1, |f| f.id);
    let finding_out = all_findings
        .iter()
        .find(|f| !visible.contains(&f.subject_id))
        .map(|f| f.id);
    let mut by_subject = std::collections::HashMap::new();
    let evidence = with_subject(
        access::evidence_files(store)
            .await
            .into_iter()
            .map(|f| (f.id, f.subject_id))
            .collect(),
    );
    by_subject.insert("evidence", pick_by_subject(&evidence, &visible));
    // Campaigns are the district's, not scoped: every business role sees them.
    let campaign: i32 =
        anpei_store::campaign::progress::campaigns(store, &anpei_store::Scope::district_wide())
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .min()
            .expect("a migrated database has the notice's campaign");
    by_subject.insert("campaign", (campaign, None));
    for (kind, table) in [
        ("self_inspection", "self_inspections"),
        ("problem", "problems"),
        ("inspection", "inspections"),
        ("exam_session", "exam_sessions"),
        ("training_class", "training_classes"),
    ] {
        let rows = with_subject(access::subject_rows(store, table).await);
        by_subject.insert(kind, pick_by_subject(&rows, &visible));
    }
    // Typical cases are the district's (not scoped); a published one is public.
    let published: i32 = anpei_store::enforcement::cases::published(store)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .min()
        .expect("enforcement_fixtures published one");
    // In a city, a district manages the cases of its subjects (and those of none).
    let case_pick = match scope.reach() {
        anpei_store::Reach::District(_) => {
            let ids = |sc: Scope| async move {
                anpei_store::enforcement::cases::list(store, &sc)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|c| c.published)
                    .map(|c| c.id)
                    .collect::<Vec<i32>>()
            };
            let mine = ids(*scope).await;
            let every = ids(Scope::district_wide()).await;
            (
                mine.iter().min().copied().unwrap_or(-1),
                every.into_iter().find(|id| !mine.contains(id)),
            )
        }
        _ => (published, None),
    };
    by_subject.insert("case", case_pick);
    by_subject.insert("public_case", (published, None));
    // Towns, departments, their supervision problems and districts are the district's and
    // the city's pages only (Perm::District): in a city, a district's are inside, another
    // district's outside; a district's sheet is the city's alone.
    let all = Scope::district_wide();
    let reference = anpei_store::registry::reference::towns(store, &all)
        .await
        .unwrap();
    let districts = anpei_store::registry::reference::districts(store, &all)
        .await
        .unwrap();
    let mine = match scope.reach() {
        anpei_store::Reach::District(d) if districts.len() > 1 => Some(d),
        _ => None,
    };
    let within = |district: Option<i32>| mine.is_none_or(|d| district == Some(d));
    let split = |rows: Vec<(i32, bool)>| -> (i32, Option<i32>) {
        (
            rows.iter().find(|r| r.1).map_or(-1, |r| r.0),
            rows.iter().find(|r| !r.1).map(|r| r.0),
        )
    };
    by_subject.insert(
        "town",
        split(
            reference
                .iter()
                .map(|t| (t.id, within(Some(t.district_id))))
                .collect(),
        ),
    );
    by_subject.insert(
        "department",
        split(
            anpei_store::registry::reference::departments(store, &all)
                .await
                .unwrap()
                .into_iter()
                .map(|(d, _)| (d.id, within(d.district_id)))
                .collect(),
        ),
    );
    let supervises = scope.reach() == anpei_store::Reach::All && districts.len() > 1;
    by_subject.insert(
        "district",
        split(districts.iter().map(|d| (d.id, supervises)).collect()),
    );
    // The supervision problems (supervision_fixtures' and city_fixtures'), by their town.
    let mut problems = Vec::new();
    {
        use anpei_store::campaign::supervision::{self as sv, Unit};
        let c = sv::campaign_or_current(store, None).await.unwrap();
        for t in &reference {
            for p in sv::sheet(store, &all, &c, Unit::Town(t.id))
                .await
                .unwrap()
                .problems
            {
                problems.push((p.id, within(Some(t.district_id))));
            }
        }
    }
    assert!(!problems.is_empty(), "supervision_fixtures made one");
    by_subject.insert("supervision_problem", split(problems));
    Objects {
        by_subject,
        subject_in: pick_in,
        subject_out: pick_out,
        person_in: person_in.unwrap_or(1),
        person_out,
        finding_in,
        finding_out,
        user: accounts::find_user(h.store(), "district")
            .await
            .unwrap()
            .unwrap()
            .id,
    }
}
