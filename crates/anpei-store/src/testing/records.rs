//! Test support — Training and exam records, ledgers and their checks.

use crate::entity::{
    exam_candidate, exam_equipment, exam_plan, exam_session, exam_session_staff,
    exam_staff_credential, exam_video, finding, training_attendance, training_class,
    training_class_session, training_equipment, training_teacher, training_trainee, training_venue,
};
use crate::model;
use crate::Store;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Select};

/// A training institution's stored records (or every institution's), each list by id.
#[derive(Debug, Clone, Default)]
pub struct TrainingRecords {
    pub teachers: Vec<model::TrainingTeacher>,
    pub venues: Vec<model::TrainingVenue>,
    pub equipment: Vec<model::TrainingEquipment>,
    pub classes: Vec<model::TrainingClass>,
    pub sessions: Vec<model::TrainingClassSession>,
    pub trainees: Vec<model::TrainingTrainee>,
    pub attendance: Vec<model::TrainingAttendance>,
}

/// An exam site's or exam institution's stored records (or every one's), each list by id.
#[derive(Debug, Clone, Default)]
pub struct ExamRecords {
    pub plans: Vec<model::ExamPlan>,
    pub sessions: Vec<model::ExamSession>,
    pub staff: Vec<model::ExamSessionStaff>,
    pub candidates: Vec<model::ExamCandidate>,
    pub videos: Vec<model::ExamVideo>,
    pub credentials: Vec<model::ExamStaffCredential>,
    pub equipment: Vec<model::ExamEquipment>,
}

/// Every row of `E` whose subject column is `subject` (every row with `None`), by id.
async fn rows_of<E, C>(
    store: &Store,
    subject_col: C,
    id_col: C,
    subject: Option<i32>,
) -> Vec<E::Model>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
{
    let mut q: Select<E> = E::find();
    if let Some(s) = subject {
        q = q.filter(subject_col.eq(s));
    }
    q.order_by_asc(id_col)
        .all(&store.db)
        .await
        .expect("read records")
}

/// The training records of institution `subject`, or of every institution with `None`, as stored.
pub async fn training_records(store: &Store, subject: Option<i32>) -> TrainingRecords {
    use training_attendance as att;
    use training_class as class;
    use training_class_session as ses;
    use training_equipment as equip;
    use training_teacher as teacher;
    use training_trainee as trainee;
    use training_venue as venue;
    TrainingRecords {
        teachers: rows_of::<teacher::Entity, _>(
            store,
            teacher::Column::SubjectId,
            teacher::Column::Id,
            subject,
        )
        .await,
        venues: rows_of::<venue::Entity, _>(
            store,
            venue::Column::SubjectId,
            venue::Column::Id,
            subject,
        )
        .await,
        equipment: rows_of::<equip::Entity, _>(
            store,
            equip::Column::SubjectId,
            equip::Column::Id,
            subject,
        )
        .await,
        classes: rows_of::<class::Entity, _>(
            store,
            class::Column::SubjectId,
            class::Column::Id,
            subject,
        )
        .await,
        sessions: rows_of::<ses::Entity, _>(
            store,
            ses::Column::SubjectId,
            ses::Column::Id,
            subject,
        )
        .await,
        trainees: rows_of::<trainee::Entity, _>(
            store,
            trainee::Column::SubjectId,
            trainee::Column::Id,
            subject,
        )
        .await,
        attendance: rows_of::<att::Entity, _>(
            store,
            att::Column::SubjectId,
            att::Column::Id,
            subject,
        )
        .await,
    }
}

/// The exam records of exam site or institution `subject`, or of every one with `None`, as stored.
pub async fn exam_records(store: &Store, subject: Option<i32>) -> ExamRecords {
    use exam_candidate as candidate;
    use exam_equipment as equip;
    use exam_plan as plan;
    use exam_session as session;
    use exam_session_staff as staff;
    use exam_staff_credential as credential;
    use exam_video as video;
    ExamRecords {
        plans: rows_of::<plan::Entity, _>(
            store,
            plan::Column::SubjectId,
            plan::Column::Id,
            subject,
        )
        .await,
        sessions: rows_of::<session::Entity, _>(
            store,
            session::Column::SubjectId,
            session::Column::Id,
            subject,
        )
        .await,
        staff: rows_of::<staff::Entity, _>(
            store,
            staff::Column::SubjectId,
            staff::Column::Id,
            subject,
        )
        .await,
        candidates: rows_of::<candidate::Entity, _>(
            store,
            candidate::Column::SubjectId,
            candidate::Column::Id,
            subject,
        )
        .await,
        videos: rows_of::<video::Entity, _>(
            store,
            video::Column::SubjectId,
            video::Column::Id,
            subject,
        )
        .await,
        credentials: rows_of::<credential::Entity, _>(
            store,
            credential::Column::SubjectId,
            credential::Column::Id,
            subject,
        )
        .await,
        equipment: rows_of::<equip::Entity, _>(
            store,
            equip::Column::SubjectId,
            equip::Column::Id,
            subject,
        )
        .await,
    }
}

/// Moves the certificate expiry of every piece of a subject's exam equipment to `valid_until`, as a renewal outside any upload would.
pub async fn renew_exam_equipment(store: &Store, subject: i32, valid_until: chrono::NaiveDate) {
    exam_equipment::Entity::update_many()
        .col_expr(
            exam_equipment::Column::ValidUntil,
            sea_orm::sea_query::Expr::value(valid_until),
        )
        .filter(exam_equipment::Column::SubjectId.eq(subject))
        .exec(&store.db)
        .await
        .expect("renew exam equipment");
}

/// Every finding of the checks in `status` (`open`, `resolved`), every column as stored, by id.
pub async fn findings_in_status(store: &Store, status: &str) -> Vec<model::Finding> {
    finding::Entity::find()
        .filter(finding::Column::Status.eq(status))
        .order_by_asc(finding::Column::Id)
        .all(&store.db)
        .await
        .expect("read findings")
}

/// An open finding of the subject with a key of its own (`n` tells several apart), as a scan
/// leaves one: for tests that act on findings.
pub async fn add_finding(store: &Store, subject_id: i32, n: u32) -> i32 {
    use crate::entity::finding;
    use sea_orm::{ActiveModelTrait, Set};
    let today = store.today();
    finding::ActiveModel {
        rule: Set("CERT_EXPIRED".into()),
        severity: Set("high".into()),
        subject_id: Set(subject_id),
        finding_key: Set(format!("CERT_EXPIRED:test:{subject_id}:{n}")),
        records: Set("[]".into()),
        detail: Set(format!("测试线索{n}：证书已过期")),
        first_seen: Set(today),
        last_seen: Set(today),
        status: Set(crate::ledger::leads::FindingStatus::Open),
        ..Default::default()
    }
    .insert(&store.db)
    .await
    .expect("insert a finding")
    .id
}
