//! Loads the facts the checks on training and exam records read, for the whole
//! district: those checks compare across institutions (a teacher double-booked at two
//! institutions, exam staff who also teach, pass rates against the district's), so even a
//! one-subject scan reads them all and keeps only that subject's findings. The records are
//! small next to the ledger (classes and sessions, not persons).

use super::facts::{parse_sqlite_datetime, sqlite_bulk_rows_halves};
use crate::entity::{
    exam_candidate, exam_equipment, exam_plan, exam_session, exam_session_staff,
    exam_staff_credential, exam_video, person, subject, training_attendance, training_class,
    training_class_session, training_teacher, training_trainee, training_venue,
};
use crate::{Store, StoreResult};
use anpei_core::kinds::SubjectKind;
use anpei_core::ledger::rules::records::*;
use chrono::NaiveDateTime;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;

fn role(code: &str) -> Option<StaffRole> {
    match code {
        "patrol" => Some(StaffRole::Patrol),
        "proctor" => Some(StaffRole::Proctor),
        "examiner" => Some(StaffRole::Examiner),
        _ => None,
    }
}

/// Every record the fifteen checks read.
#[tracing::instrument(skip_all)]
pub async fn load(store: &Store) -> StoreResult<Records> {
    let db = &store.db;
    let institutions = [
        SubjectKind::TrainingInstitution,
        SubjectKind::ExamSite,
        SubjectKind::ExamInstitution,
    ]
    .map(|k| k.code().to_string());
    let subjects: Vec<SubjectFacts> = subject::Entity::find()
        .filter(subject::Column::Kind.is_in(institutions))
        .all(db)
        .await?
        .into_iter()
        .map(|s| SubjectFacts {
            id: s.id.into(),
            side: match s.kind {
                SubjectKind::TrainingInstitution => Side::Training,
                SubjectKind::ExamSite => Side::ExamSite,
                SubjectKind::ExamInstitution => Side::ExamInstitution,
                _ => Side::Other,
            },
            name: s.name,
        })
        .collect();
    let training_ids: Vec<i32> = subjects
        .iter()
        .filter(|s| s.side == Side::Training)
        .map(|s| s.id as i32)
        .collect();
    let venues: HashMap<i32, i32> = training_venue::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.capacity))
        .collect();
    let classes = training_class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| ClassFacts {
            id: c.id.into(),
            subject_id: c.subject_id.into(),
            venue_capacity: c.venue_id.and_then(|v| venues.get(&v)).map(|&n| n.into()),
            code: c.code,
            course_type: c.course_type,
            syllabus_hours: c.syllabus_hours,
            start_on: c.start_on,
            end_on: c.end_on,
            capacity: c.capacity.into(),
        })
        .collect();
    let class_sessions = training_class_session::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| ClassSessionFacts {
            id: s.id.into(),
            subject_id: s.subject_id.into(),
            class_id: s.class_id.into(),
            seq: s.seq.into(),
            start: s.start_at,
            end: s.end_at,
            teacher_id: s.teacher_id.map(Into::into),
            online: s.mode == "online",
        })
        .collect();
    let teachers = training_teacher::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| TeacherFacts {
            id: t.id.into(),
            subject_id: t.subject_id.into(),
            name: t.name,
            id_masked: t.id_masked,
            id_key: t.id_bidx,
            phone_key: t.phone_bidx,
        })
        .collect();
    let (trainees, attendance) = tokio::try_join!(load_trainees(store), load_attendance(store))?;
    let plans = exam_plan::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| ExamPlanFacts {
            id: p.id.into(),
            subject_id: p.subject_id.into(),
            site_id: p.site_id.into(),
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            category: p.category,
        })
        .collect();
    let exam_sessions = exam_session::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| ExamSessionFacts {
            id: s.id.into(),
            subject_id: s.subject_id.into(),
            plan_id: s.plan_id.map(Into::into),
            site_id: s.site_id.into(),
            room: s.room,
            started_at: s.started_at,
            ended_at: s.ended_at,
            national_system: s.system == "national",
            category: s.category,
            high_risk_manager: s.high_risk_manager,
        })
        .collect();
    let exam_staff = exam_session_staff::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| {
            Some(ExamStaffFacts {
                id: s.id.into(),
                session_id: s.session_id.into(),
                subject_id: s.subject_id.into(),
                role: role(&s.role)?,
                name: s.name,
                id_masked: s.id_masked,
                id_key: s.id_bidx,
                present_from: s.present_from,
                present_to: s.present_to,
            })
        })
        .collect();
    let candidates = load_candidates(store).await?;
    let videos = exam_video::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|v| VideoFacts {
            id: v.id.into(),
            session_id: v.session_id.into(),
            file_name: v.file_name,
            duration_secs: v.duration_secs.into(),
            deleted_on: v.deleted_at,
        })
        .collect();
    let credentials = exam_staff_credential::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| {
            Some(CredentialFacts {
                id: c.id.into(),
                subject_id: c.subject_id.into(),
                role: role(&c.kind)?,
                name: c.name,
                id_masked: c.id_masked,
                id_key: c.id_bidx,
                phone_key: c.phone_bidx,
                number: c.number,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
            })
        })
        .collect();
    let equipment = exam_equipment::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|e| EquipmentFacts {
            id: e.id.into(),
            subject_id: e.subject_id.into(),
            name: e.name,
            cert_number: e.cert_number,
            valid_until: e.valid_until,
        })
        .collect();
    // The training institutions' own staff on the ledger; their phone numbers are only
    // stored encrypted, so the index is computed here (a handful of persons).
    let training_staff = person::Entity::find()
        .filter(person::Column::SubjectId.is_in(training_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| StaffPersonFacts {
            id: p.id.into(),
            subject_id: p.subject_id.into(),
            phone_key: p
                .phone_enc
                .as_deref()
                .and_then(|e| store.crypto.decrypt(e).ok())
                .map(|phone| store.crypto.phone_index(&phone)),
            name: p.name,
            id_masked: p.id_masked,
            id_key: p.id_bidx,
        })
        .collect();
    Ok(Records {
        subjects,
        classes,
        class_sessions,
        teachers,
        trainees,
        attendance,
        plans,
        exam_sessions,
        exam_staff,
        candidates,
        videos,
        credentials,
        equipment,
        training_staff,
    })
}

/// The three big tables (trainees, sign-ins, candidates) are read the bulk way on SQLite
/// (rows as text in few round trips, see `facts::sqlite_bulk_rows`), and as plain tuples
/// elsewhere; a district's sign-ins run to millions.
fn sqlite(store: &Store) -> bool {
    store.backend() == sea_orm::DbBackend::Sqlite
}

async fn load_trainees(store: &Store) -> StoreResult<Vec<TraineeFacts>> {
    if sqlite(store) {
        let cols = [
            "id",
            "subject_id",
            "class_id",
            "id_bidx",
            "score",
            "id_masked",
            "name",
        ];
        let rows = sqlite_bulk_rows_halves(store, "training_trainees", &cols).await?;
        return Ok(rows
            .rows()
            .filter_map(|r| {
                let mut f = r.splitn(7, '\u{1f}');
                Some(TraineeFacts {
                    id: f.next()?.parse().ok()?,
                    subject_id: f.next()?.parse().ok()?,
                    class_id: f.next()?.parse().ok()?,
                    id_key: f.next()?.to_string(),
                    score: f.next().and_then(|s| s.parse().ok()),
                    id_masked: f.next()?.to_string(),
                    name: f.next()?.to_string(),
                })
            })
            .collect());
    }
    Ok(training_trainee::Entity::find()
        .select_only()
        .columns([
            training_trainee::Column::Id,
            training_trainee::Column::SubjectId,
            training_trainee::Column::ClassId,
            training_trainee::Column::Name,
            training_trainee::Column::IdMasked,
            training_trainee::Column::IdBidx,
            training_trainee::Column::Score,
        ])
        .into_tuple::<(i32, i32, i32, String, String, String, Option<f64>)>()
        .all(&store.db)
        .await?
        .into_iter()
        .map(|(id, s, c, name, id_masked, id_key, score)| TraineeFacts {
            id: id.into(),
            subject_id: s.into(),
            class_id: c.into(),
            name,
            id_masked,
            id_key,
            score,
        })
        .collect())
}

async fn load_attendance(store: &Store) -> StoreResult<Vec<AttendanceFacts>> {
    if sqlite(store) {
        let cols = ["session_id", "trainee_id", "sign_in", "sign_out"];
        let rows = sqlite_bulk_rows_halves(store, "training_attendance", &cols).await?;
        let mut out = Vec::with_capacity(rows.estimate());
        out.extend(rows.rows().filter_map(|r| {
            let mut f = r.split('\u{1f}');
            Some(AttendanceFacts {
                session_id: f.next()?.parse().ok()?,
                trainee_id: f.next()?.parse().ok()?,
                sign_in: parse_sqlite_datetime(f.next()?),
                sign_out: parse_sqlite_datetime(f.next()?),
            })
        }));
        return Ok(out);
    }
    Ok(training_attendance::Entity::find()
        .select_only()
        .columns([
            training_attendance::Column::SessionId,
            training_attendance::Column::TraineeId,
            training_attendance::Column::SignIn,
            training_attendance::Column::SignOut,
        ])
        .into_tuple::<(i32, i32, Option<NaiveDateTime>, Option<NaiveDateTime>)>()
        .all(&store.db)
        .await?
        .into_iter()
        .map(|(session, trainee, sign_in, sign_out)| AttendanceFacts {
            session_id: session.into(),
            trainee_id: trainee.into(),
            sign_in,
            sign_out,
        })
        .collect())
}

async fn load_candidates(store: &Store) -> StoreResult<Vec<CandidateFacts>> {
    if sqlite(store) {
        let cols = ["id", "session_id", "passed", "score", "id_bidx"];
        let rows = sqlite_bulk_rows_halves(store, "exam_candidates", &cols).await?;
        return Ok(rows
            .rows()
            .filter_map(|r| {
                let mut f = r.splitn(5, '\u{1f}');
                Some(CandidateFacts {
                    id: f.next()?.parse().ok()?,
                    session_id: f.next()?.parse().ok()?,
                    passed: matches!(f.next()?, "1" | "true"),
                    score: f.next().and_then(|s| s.parse().ok()),
                    id_key: f.next()?.to_string(),
                })
            })
            .collect());
    }
    Ok(exam_candidate::Entity::find()
        .select_only()
        .columns([
            exam_candidate::Column::Id,
            exam_candidate::Column::SessionId,
            exam_candidate::Column::IdBidx,
            exam_candidate::Column::Score,
            exam_candidate::Column::Passed,
        ])
        .into_tuple::<(i32, i32, String, Option<i32>, bool)>()
        .all(&store.db)
        .await?
        .into_iter()
        .map(|(id, session, id_key, score, passed)| CandidateFacts {
            id: id.into(),
            session_id: session.into(),
            id_key,
            score: score.map(f64::from),
            passed,
        })
        .collect())
}
