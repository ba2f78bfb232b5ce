//! The fixtures both matrices drive (tests/authorization.rs reads, tests/write_matrix.rs
//! writes): one object of each kind per subject, and for a scope the object of each kind
//! it may reach and one it may not.

use super::Harness;
use anpei_store::entity::{finding, person, subject};
use anpei_store::platform::accounts;
use anpei_store::scope::{self, Scope};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

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
    use anpei_store::enforcement::tipoffs::{self, Assignee, NewTipoff, Viewer};
    use anpei_store::entity::evidence_file;
    use anpei_store::platform::audit::Actor;
    use sea_orm::{ActiveModelTrait, Set};
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
        let r = tipoffs::submit(
            h.store(),
            None,
            NewTipoff {
                channel: "web".into(),
                category: "other".into(),
                description: "授权矩阵测试用举报，描述不少于十个字。".into(),
                anonymous: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tipoffs::assign(h.store(), &system, Viewer::Intake, r.id, to)
            .await
            .unwrap();
        evidence_file::ActiveModel {
            owner_kind: Set("tipoff".into()),
            owner_id: Set(r.id),
            subject_id: Set(None),
            file_name: Set("照片.png".into()),
            mime: Set("image/png".into()),
            size: Set(png.len() as i64),
            sha256: Set(sha.clone()),
            stored_name: Set(sha.clone()),
            uploaded_by: Set(None),
            uploaded_at: Set(0),
            ..Default::default()
        }
        .insert(h.store().db())
        .await
        .unwrap();
    }
}

/// The tip-offs a scope's role may open (assigned to it; the district all) and one it may
/// not; and the attachment of each.
pub async fn tipoff_objects(h: &Harness, scope: &Scope) -> ((i32, Option<i32>), Vec<(i32, i32)>) {
    use anpei_store::entity::{evidence_file, tipoff};
    let all = tipoff::Entity::find().all(h.store().db()).await.unwrap();
    let mine = |t: &tipoff::Model| match scope.reach() {
        anpei_store::Reach::Town(x) => t.assigned_town_id == Some(x),
        anpei_store::Reach::Department(x) => t.assigned_department_id == Some(x),
        anpei_store::Reach::All => true,
        _ => false,
    };
    let inside = all.iter().find(|t| mine(t)).map_or(all[0].id, |t| t.id);
    let outside = all.iter().find(|t| !mine(t)).map(|t| t.id);
    let files = evidence_file::Entity::find()
        .filter(evidence_file::Column::OwnerKind.eq("tipoff"))
        .all(h.store().db())
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.owner_id, f.id))
        .collect();
    ((inside, outside), files)
}

/// One problem per subject (the problem list's routes).
pub async fn problem_fixtures(h: &Harness) {
    use anpei_store::campaign::problems::{insert_new, NewProblem, Source};
    let due = h.store().today() + chrono::Days::new(30);
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        insert_new(
            &*txn,
            &h.store().crypto,
            0,
            NewProblem {
                campaign_id: None,
                subject_id: s.id,
                source: Source::Enforcement,
                source_ref: None,
                item_code: None,
                description: "授权矩阵用问题".into(),
                measures: "整改".into(),
                deadline: due,
                responsible_name: "张三".into(),
                responsible_phone: None,
                created_by: None,
                by_name: "测试".into(),
            },
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// A supervisors' finding on the first town (a supervision problem for its close route).
pub async fn supervision_fixtures(h: &Harness) {
    use anpei_store::campaign::supervision::{self as sv, FindingInput, Unit};
    let c = sv::campaign_or_current(h.store(), None).await.unwrap();
    let town = anpei_store::registry::reference::towns(h.store())
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
        &anpei_store::platform::audit::Actor::system("test"),
        &c,
        Unit::Town(town),
        &input,
    )
    .await
    .unwrap();
}

/// One inspection per subject and one published typical case (the enforcement routes).
pub async fn enforcement_fixtures(h: &Harness) {
    use anpei_store::entity::{inspection, typical_case};
    use sea_orm::{ActiveModelTrait, Set};
    let today = h.store().today();
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        inspection::ActiveModel {
            subject_id: Set(s.id),
            inspected_on: Set(today),
            inspectors: Set("[]".into()),
            catalogue_version: Set(1),
            notes: Set(String::new()),
            status: Set("completed".into()),
            created_at: Set(0),
            updated_at: Set(0),
            ..Default::default()
        }
        .insert(&*txn)
        .await
        .unwrap();
    }
    typical_case::ActiveModel {
        title: Set("授权矩阵用案例".into()),
        body: Set("正文".into()),
        published: Set(true),
        published_on: Set(Some(today)),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(&*txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

/// One exam session per subject (the exam-records session page).
pub async fn exam_fixtures(h: &Harness) {
    use anpei_store::entity::exam_session;
    use sea_orm::{ActiveModelTrait, Set};
    let at = h.store().today().and_hms_opt(9, 0, 0).unwrap();
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        exam_session::ActiveModel {
            subject_id: Set(s.id),
            plan_id: Set(None),
            site_id: Set(s.id),
            room: Set("第一考场".into()),
            started_at: Set(at),
            ended_at: Set(at + chrono::Duration::hours(2)),
            system: Set("national".into()),
            category: Set("电工作业".into()),
            high_risk_manager: Set(false),
            created_at: Set(0),
            ..Default::default()
        }
        .insert(&*txn)
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// One training class per subject (the class-file page of 培训档案).
pub async fn training_fixtures(h: &Harness) {
    use anpei_store::entity::training_class;
    use sea_orm::{ActiveModelTrait, Set};
    let today = h.store().today();
    let txn = h.store().write().await.unwrap();
    for s in subject::Entity::find().all(&*txn).await.unwrap() {
        training_class::ActiveModel {
            subject_id: Set(s.id),
            code: Set("MATRIX-01".into()),
            course_type: Set("主要负责人初次培训".into()),
            syllabus_hours: Set(32.0),
            start_on: Set(today),
            end_on: Set(today),
            venue_id: Set(None),
            capacity: Set(30),
            created_at: Set(0),
            ..Default::default()
        }
        .insert(&*txn)
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

/// One evidence file per subject, stored where the test app keeps evidence.
/// One evidence file per subject, stored where the test app keeps evidence: a photo of a
/// rectification update (the first event of each subject's problem, `problem_fixtures`), so
/// it goes to whoever may open the problem.
pub async fn evidence_fixtures(h: &Harness) {
    use anpei_store::entity::{evidence_file, problem, problem_event};
    use sea_orm::{ActiveModelTrait, Set};
    let png = b"\x89PNG\r\n\x1a\n authorization matrix fixture";
    let sha = anpei_store::crypto::sha256_hex(png);
    let dir = super::test_config().evidence_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&sha), png).unwrap();
    let db = h.store().db();
    for p in problem::Entity::find().all(db).await.unwrap() {
        let event = problem_event::Entity::find()
            .filter(problem_event::Column::ProblemId.eq(p.id))
            .one(db)
            .await
            .unwrap()
            .expect("a new problem has its first event");
        evidence_file::ActiveModel {
            owner_kind: Set(anpei_store::campaign::problems::EVIDENCE_OWNER.into()),
            owner_id: Set(event.id),
            subject_id: Set(Some(p.subject_id)),
            file_name: Set("照片.png".into()),
            mime: Set("image/png".into()),
            size: Set(png.len() as i64),
            sha256: Set(sha.clone()),
            stored_name: Set(sha.clone()),
            uploaded_by: Set(None),
            uploaded_at: Set(0),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
}

pub async fn objects_for(h: &Harness, scope: &Scope) -> Objects {
    let db = h.store().db();
    let all_subjects: Vec<subject::Model> = subject::Entity::find().all(db).await.unwrap();
    let visible: Vec<i32> = scope::subjects(scope)
        .select_only()
        .column(subject::Column::Id)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    let pick_in = visible.first().copied().unwrap_or(all_subjects[0].id);
    let pick_out = all_subjects
        .iter()
        .map(|s| s.id)
        .find(|id| !visible.contains(id));
    let person_of = |sid: i32| async move {
        person::Entity::find()
            .filter(person::Column::SubjectId.eq(sid))
            .one(db)
            .await
            .unwrap()
            .map(|p| p.id)
    };
    let mut person_in = None;
    for sid in &visible {
        if let Some(p) = person_of(*sid).await {
            person_in = Some(p);
            break;
        }
    }
    let mut person_out = None;
    for s in all_subjects.iter().filter(|s| !visible.contains(&s.id)) {
        if let Some(p) = person_of(s.id).await {
            person_out = Some(p);
            break;
        }
    }
    let all_findings: Vec<finding::Model> = finding::Entity::find().all(db).await.unwrap();
    let finding_in = all_findings
        .iter()
        .find(|f| visible.contains(&f.subject_id))
        .map_or(1, |f| f.id);
    let finding_out = all_findings
        .iter()
        .find(|f| !visible.contains(&f.subject_id))
        .map(|f| f.id);
    let mut by_subject = std::collections::HashMap::new();
    let evidence: Vec<(i32, Option<i32>)> = anpei_store::entity::evidence_file::Entity::find()
        .select_only()
        .column(anpei_store::entity::evidence_file::Column::Id)
        .column(anpei_store::entity::evidence_file::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    let evidence: Vec<(i32, i32)> = evidence
        .into_iter()
        .filter_map(|(id, s)| s.map(|s| (id, s)))
        .collect();
    by_subject.insert("evidence", pick_by_subject(&evidence, &visible));
    // Campaigns are the district's, not scoped: every business role sees them.
    let campaign: i32 = anpei_store::entity::campaign::Entity::find()
        .select_only()
        .column(anpei_store::entity::campaign::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .unwrap()
        .expect("a migrated database has the notice's campaign");
    by_subject.insert("campaign", (campaign, None));
    let inspections: Vec<(i32, i32)> = anpei_store::entity::self_inspection::Entity::find()
        .select_only()
        .column(anpei_store::entity::self_inspection::Column::Id)
        .column(anpei_store::entity::self_inspection::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("self_inspection", pick_by_subject(&inspections, &visible));
    let problems: Vec<(i32, i32)> = anpei_store::entity::problem::Entity::find()
        .select_only()
        .column(anpei_store::entity::problem::Column::Id)
        .column(anpei_store::entity::problem::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("problem", pick_by_subject(&problems, &visible));
    let inspections: Vec<(i32, i32)> = anpei_store::entity::inspection::Entity::find()
        .select_only()
        .column(anpei_store::entity::inspection::Column::Id)
        .column(anpei_store::entity::inspection::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("inspection", pick_by_subject(&inspections, &visible));
    let sessions: Vec<(i32, i32)> = anpei_store::entity::exam_session::Entity::find()
        .select_only()
        .column(anpei_store::entity::exam_session::Column::Id)
        .column(anpei_store::entity::exam_session::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("exam_session", pick_by_subject(&sessions, &visible));
    let classes: Vec<(i32, i32)> = anpei_store::entity::training_class::Entity::find()
        .select_only()
        .column(anpei_store::entity::training_class::Column::Id)
        .column(anpei_store::entity::training_class::Column::SubjectId)
        .into_tuple()
        .all(db)
        .await
        .unwrap();
    by_subject.insert("training_class", pick_by_subject(&classes, &visible));
    // Typical cases are the district's (not scoped); a published one is public.
    let published: i32 = anpei_store::entity::typical_case::Entity::find()
        .filter(anpei_store::entity::typical_case::Column::Published.eq(true))
        .select_only()
        .column(anpei_store::entity::typical_case::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .unwrap()
        .expect("enforcement_fixtures published one");
    by_subject.insert("case", (published, None));
    by_subject.insert("public_case", (published, None));
    // Towns, departments and their supervision problems are the district's pages only
    // (Perm::District): one of each, none outside.
    let first_town = anpei_store::registry::reference::towns(h.store())
        .await
        .unwrap()[0]
        .id;
    let first_department = anpei_store::registry::reference::departments(h.store())
        .await
        .unwrap()[0]
        .0
        .id;
    by_subject.insert("town", (first_town, None));
    by_subject.insert("department", (first_department, None));
    let sp: i32 = anpei_store::entity::supervision_problem::Entity::find()
        .select_only()
        .column(anpei_store::entity::supervision_problem::Column::Id)
        .into_tuple()
        .one(db)
        .await
        .unwrap()
        .expect("supervision_fixtures made one");
    by_subject.insert("supervision_problem", (sp, None));
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
