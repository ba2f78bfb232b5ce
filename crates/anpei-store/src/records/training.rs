//! Training institutions' records: conditions (teachers, venues, equipment) and
//! classes kept as 一期一档. Every read goes through the scope filter on the institution
//! (`scope::subjects`): an institution account sees its own records, a department or town
//! those of the institutions it supervises, the district all; anything else is `None`
//! (the pages answer 404). An upload is one transaction, all or nothing, and audited.
//! ID numbers (and teachers' phones) are encrypted with a blind index and leave this module
//! masked, except in the full export ([`export`] with `full`), which the web layer grants
//! only to the roles the policy lets export personal data, and audits.

use crate::entity::{
    subject, training_attendance as att, training_class as class, training_class_session as ses,
    training_equipment as equip, training_teacher as teacher, training_trainee as trainee,
    training_venue as venue,
};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::{self, Scope};
use crate::{Store, StoreError, StoreResult};
use anpei_core::class_file::{ClassFile, Problem, SHEETS};
use anpei_core::kinds::SubjectKind;
use chrono::NaiveDateTime;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// The institution with this id, if it lies in `scope`.
pub async fn institution(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
) -> StoreResult<Option<subject::Model>> {
    Ok(scope::subjects(scope)
        .filter(subject::Column::Id.eq(subject_id))
        .one(&store.db)
        .await?)
}

/// Training institutions in `scope`, by name.
pub async fn institutions(store: &Store, scope: &Scope) -> StoreResult<Vec<subject::Model>> {
    Ok(scope::subjects(scope)
        .filter(subject::Column::Kind.eq(SubjectKind::TrainingInstitution.code()))
        .order_by_asc(subject::Column::Name)
        .all(&store.db)
        .await?)
}

/// A class in the institution's list.
pub struct ClassRowView {
    pub class: class::Model,
    pub sessions: usize,
    pub trainees: usize,
    pub scheduled_hours: f64,
}

/// An institution's page: its conditions and its classes.
pub struct Overview {
    pub institution: subject::Model,
    pub teachers: Vec<teacher::Model>,
    pub venues: Vec<venue::Model>,
    pub equipment: Vec<equip::Model>,
    pub classes: Vec<ClassRowView>,
}

fn session_hours(p: &anpei_core::Params, s: &ses::Model) -> f64 {
    let minutes = (s.end_at - s.start_at).num_minutes() as f64;
    minutes / p.minutes_per_class_hour(s.mode == "online")
}

pub async fn overview(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
) -> StoreResult<Option<Overview>> {
    let Some(institution) = institution(store, scope, subject_id).await? else {
        return Ok(None);
    };
    let db = &store.db;
    let teachers = teacher::Entity::find()
        .filter(teacher::Column::SubjectId.eq(subject_id))
        .order_by_asc(teacher::Column::Id)
        .all(db)
        .await?;
    let venues = venue::Entity::find()
        .filter(venue::Column::SubjectId.eq(subject_id))
        .order_by_asc(venue::Column::Id)
        .all(db)
        .await?;
    let equipment = equip::Entity::find()
        .filter(equip::Column::SubjectId.eq(subject_id))
        .order_by_asc(equip::Column::Id)
        .all(db)
        .await?;
    let sessions = ses::Entity::find()
        .filter(ses::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?;
    let trainees = trainee::Entity::find()
        .filter(trainee::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?;
    let classes = class::Entity::find()
        .filter(class::Column::SubjectId.eq(subject_id))
        .order_by_desc(class::Column::StartOn)
        .order_by_asc(class::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            let own: Vec<&ses::Model> = sessions.iter().filter(|s| s.class_id == c.id).collect();
            ClassRowView {
                sessions: own.len(),
                trainees: trainees.iter().filter(|t| t.class_id == c.id).count(),
                scheduled_hours: own.iter().map(|s| session_hours(&store.params, s)).sum(),
                class: c,
            }
        })
        .collect();
    Ok(Some(Overview {
        institution,
        teachers,
        venues,
        equipment,
        classes,
    }))
}

pub struct SessionView {
    pub session: ses::Model,
    pub teacher: Option<String>,
    pub hours: f64,
}

pub struct TraineeView {
    pub trainee_id: i32,
    pub name: String,
    pub id_masked: String,
    pub score: Option<f64>,
    /// Per session (in the order of `ClassView::sessions`): sign-in and sign-out, if any.
    pub marks: Vec<Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)>>,
    /// 学时 between sign-in and sign-out, within each session's time.
    pub attended_hours: f64,
}

/// One class's file (一期一档).
pub struct ClassView {
    pub class: class::Model,
    pub institution: subject::Model,
    pub venue: Option<venue::Model>,
    pub sessions: Vec<SessionView>,
    pub roster: Vec<TraineeView>,
    pub scheduled_hours: f64,
}

pub async fn class_file(
    store: &Store,
    scope: &Scope,
    class_id: i32,
) -> StoreResult<Option<ClassView>> {
    let db = &store.db;
    let Some(c) = class::Entity::find_by_id(class_id).one(db).await? else {
        return Ok(None);
    };
    let Some(institution) = institution(store, scope, c.subject_id).await? else {
        return Ok(None);
    };
    let venue = match c.venue_id {
        Some(v) => venue::Entity::find_by_id(v).one(db).await?,
        None => None,
    };
    let teachers: HashMap<i32, String> = teacher::Entity::find()
        .filter(teacher::Column::SubjectId.eq(c.subject_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let sessions: Vec<SessionView> = ses::Entity::find()
        .filter(ses::Column::ClassId.eq(c.id))
        .order_by_asc(ses::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(|s| SessionView {
            teacher: s.teacher_id.and_then(|t| teachers.get(&t).cloned()),
            hours: session_hours(&store.params, &s),
            session: s,
        })
        .collect();
    let ids: Vec<i32> = sessions.iter().map(|s| s.session.id).collect();
    let marks = att::Entity::find()
        .filter(att::Column::SessionId.is_in(ids))
        .all(db)
        .await?;
    let roster = trainee::Entity::find()
        .filter(trainee::Column::ClassId.eq(c.id))
        .order_by_asc(trainee::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            let mut attended = 0.0;
            let marks = sessions
                .iter()
                .map(|s| {
                    let m = marks
                        .iter()
                        .find(|a| a.session_id == s.session.id && a.trainee_id == t.id)?;
                    if let (Some(a), Some(b)) = (m.sign_in, m.sign_out) {
                        let from = a.max(s.session.start_at);
                        let to = b.min(s.session.end_at);
                        if to > from {
                            attended += (to - from).num_minutes() as f64
                                / store
                                    .params
                                    .minutes_per_class_hour(s.session.mode == "online");
                        }
                    }
                    Some((m.sign_in, m.sign_out))
                })
                .collect();
            TraineeView {
                trainee_id: t.id,
                name: t.name,
                id_masked: t.id_masked,
                score: t.score,
                marks,
                attended_hours: attended,
            }
        })
        .collect();
    Ok(Some(ClassView {
        scheduled_hours: sessions.iter().map(|s| s.hours).sum(),
        class: c,
        institution,
        venue,
        sessions,
        roster,
    }))
}

/// What an upload stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub teachers: usize,
    pub venues: usize,
    pub equipment: usize,
    pub classes: usize,
    pub sessions: usize,
    pub trainees: usize,
}

/// Stores a class file for one institution, all or nothing: teachers are matched by ID
/// number, venues and equipment by name, and a class whose code already exists is
/// replaced with everything in it. `Ok(Err(..))` lists the rows that refer to something
/// neither in the workbook nor recorded (nothing is stored then).
pub async fn import(
    store: &Store,
    actor: &Actor,
    scope: &Scope,
    subject_id: i32,
    file: &ClassFile,
) -> StoreResult<Result<Imported, Vec<Problem>>> {
    let Some(inst) = institution(store, scope, subject_id).await? else {
        return Err(StoreError::NotFound);
    };
    if inst.kind != SubjectKind::TrainingInstitution {
        return Err(StoreError::Validation(format!(
            "“{}”不是安全培训机构，不能导入培训档案",
            inst.name
        )));
    }
    let now = store.now();
    let txn = store.write().await?;
    let db = &*txn;
    let mut problems = Vec::new();
    for t in &file.teachers {
        let bidx = store.crypto.blind_index(t.id.as_str());
        let employment = if t.full_time { "full" } else { "part" };
        // A row without a phone (or an older workbook without the column) keeps the one
        // recorded.
        let phone = file.teacher_phone(t).map(|p| {
            (
                store.crypto.encrypt(p),
                store.crypto.phone_index(p),
                anpei_core::mask::mask_phone(p),
            )
        });
        match teacher::Entity::find()
            .filter(teacher::Column::SubjectId.eq(subject_id))
            .filter(teacher::Column::IdBidx.eq(&bidx))
            .one(db)
            .await?
        {
            Some(old) => {
                let mut m: teacher::ActiveModel = old.into();
                m.name = Set(t.name.clone());
                m.employment = Set(employment.into());
                m.qualification = Set(t.qualification.clone());
                if let Some((enc, bidx, masked)) = phone {
                    m.phone_enc = Set(Some(enc));
                    m.phone_bidx = Set(Some(bidx));
                    m.phone_masked = Set(Some(masked));
                }
                m.update(db).await?;
            }
            None => {
                let (phone_enc, phone_bidx, phone_masked) = match phone {
                    Some((e, b, m)) => (Some(e), Some(b), Some(m)),
                    None => (None, None, None),
                };
                teacher::ActiveModel {
                    subject_id: Set(subject_id),
                    name: Set(t.name.clone()),
                    employment: Set(employment.into()),
                    qualification: Set(t.qualification.clone()),
                    id_enc: Set(store.crypto.encrypt(t.id.as_str())),
                    id_bidx: Set(bidx),
                    id_masked: Set(t.id.masked()),
                    created_at: Set(now),
                    phone_enc: Set(phone_enc),
                    phone_bidx: Set(phone_bidx),
                    phone_masked: Set(phone_masked),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    for v in &file.venues {
        match venue::Entity::find()
            .filter(venue::Column::SubjectId.eq(subject_id))
            .filter(venue::Column::Name.eq(&v.name))
            .one(db)
            .await?
        {
            Some(old) => {
                let mut m: venue::ActiveModel = old.into();
                m.capacity = Set(v.capacity);
                m.update(db).await?;
            }
            None => {
                venue::ActiveModel {
                    subject_id: Set(subject_id),
                    name: Set(v.name.clone()),
                    capacity: Set(v.capacity),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    for e in &file.equipment {
        match equip::Entity::find()
            .filter(equip::Column::SubjectId.eq(subject_id))
            .filter(equip::Column::Name.eq(&e.name))
            .one(db)
            .await?
        {
            Some(old) => {
                let mut m: equip::ActiveModel = old.into();
                m.quantity = Set(e.quantity);
                m.update(db).await?;
            }
            None => {
                equip::ActiveModel {
                    subject_id: Set(subject_id),
                    name: Set(e.name.clone()),
                    quantity: Set(e.quantity),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    let mut teacher_ids: HashMap<String, Vec<i32>> = HashMap::new();
    for t in teacher::Entity::find()
        .filter(teacher::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?
    {
        teacher_ids.entry(t.name).or_default().push(t.id);
    }
    let venue_ids: HashMap<String, i32> = venue::Entity::find()
        .filter(venue::Column::SubjectId.eq(subject_id))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.name, v.id))
        .collect();
    for c in &file.classes {
        if let Some(v) = &c.venue {
            if !venue_ids.contains_key(v) {
                problems.push(Problem::at(
                    "培训班",
                    c.row,
                    "场地",
                    format!("本机构没有场地“{v}”，请先在场地表中填写"),
                ));
            }
        }
    }
    for s in &file.sessions {
        if let Some(name) = &s.teacher {
            match teacher_ids.get(name).map(Vec::len) {
                Some(1) => {}
                Some(_) => problems.push(Problem::at(
                    "课次",
                    s.row,
                    "授课教师",
                    format!("本机构有多名教师叫“{name}”，无法确定"),
                )),
                None => problems.push(Problem::at(
                    "课次",
                    s.row,
                    "授课教师",
                    format!("本机构师资中没有“{name}”，请先在师资表中填写"),
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let mut class_ids = HashMap::new();
    for c in &file.classes {
        if let Some(old) = class::Entity::find()
            .filter(class::Column::SubjectId.eq(subject_id))
            .filter(class::Column::Code.eq(&c.code))
            .one(db)
            .await?
        {
            delete_class(db, old.id).await?;
        }
        let m = class::ActiveModel {
            subject_id: Set(subject_id),
            code: Set(c.code.clone()),
            course_type: Set(c.course_type.clone()),
            syllabus_hours: Set(c.syllabus_hours),
            start_on: Set(c.start_on),
            end_on: Set(c.end_on),
            venue_id: Set(c.venue.as_ref().and_then(|v| venue_ids.get(v).copied())),
            capacity: Set(c.capacity),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        class_ids.insert(c.code.as_str(), m.id);
    }
    let mut session_ids = HashMap::new();
    for s in &file.sessions {
        let class_id = class_ids[s.class_code.as_str()];
        let m = ses::ActiveModel {
            subject_id: Set(subject_id),
            class_id: Set(class_id),
            seq: Set(s.seq),
            start_at: Set(s.start_at),
            end_at: Set(s.end_at),
            teacher_id: Set(s.teacher.as_ref().map(|n| teacher_ids[n][0])),
            mode: Set(if s.online { "online" } else { "offline" }.into()),
            video_file: Set(s.video_file.clone()),
            video_sha256: Set(s.video_sha256.clone()),
            video_seconds: Set(s.video_seconds),
            ..Default::default()
        }
        .insert(db)
        .await?;
        session_ids.insert((s.class_code.as_str(), s.seq), m.id);
    }
    let mut trainee_ids = HashMap::new();
    for t in &file.trainees {
        let m = trainee::ActiveModel {
            subject_id: Set(subject_id),
            class_id: Set(class_ids[t.class_code.as_str()]),
            name: Set(t.name.clone()),
            id_enc: Set(store.crypto.encrypt(t.id.as_str())),
            id_bidx: Set(store.crypto.blind_index(t.id.as_str())),
            id_masked: Set(t.id.masked()),
            score: Set(t.score),
            ..Default::default()
        }
        .insert(db)
        .await?;
        trainee_ids.insert((t.class_code.as_str(), t.id.as_str()), m.id);
    }
    for a in &file.attendance {
        att::ActiveModel {
            subject_id: Set(subject_id),
            session_id: Set(session_ids[&(a.class_code.as_str(), a.seq)]),
            trainee_id: Set(trainee_ids[&(a.class_code.as_str(), a.id.as_str())]),
            sign_in: Set(a.sign_in),
            sign_out: Set(a.sign_out),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let done = Imported {
        teachers: file.teachers.len(),
        venues: file.venues.len(),
        equipment: file.equipment.len(),
        classes: file.classes.len(),
        sessions: file.sessions.len(),
        trainees: file.trainees.len(),
    };
    audit::append(
        db,
        now,
        actor,
        &Event::ok("training_records.import", format!("subject:{subject_id}")).with_detail(
            format!(
                "师资{}名，场地{}处，设备{}项，培训班{}个，课次{}次，学员{}名，签到{}条",
                done.teachers,
                done.venues,
                done.equipment,
                done.classes,
                done.sessions,
                done.trainees,
                file.attendance.len()
            ),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(done))
}

async fn delete_class<C: ConnectionTrait>(db: &C, class_id: i32) -> StoreResult<()> {
    let sessions: Vec<i32> = ses::Entity::find()
        .filter(ses::Column::ClassId.eq(class_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    att::Entity::delete_many()
        .filter(att::Column::SessionId.is_in(sessions))
        .exec(db)
        .await?;
    ses::Entity::delete_many()
        .filter(ses::Column::ClassId.eq(class_id))
        .exec(db)
        .await?;
    trainee::Entity::delete_many()
        .filter(trainee::Column::ClassId.eq(class_id))
        .exec(db)
        .await?;
    class::Entity::delete_by_id(class_id).exec(db).await?;
    Ok(())
}

/// One sheet of an export: name, columns, rows.
pub type Sheet = (&'static str, Vec<&'static str>, Vec<Vec<String>>);

/// A date-time as the upload reads it (seconds only when there are any).
fn dt(v: NaiveDateTime) -> String {
    use chrono::Timelike;
    if v.second() == 0 {
        v.format("%Y-%m-%d %H:%M").to_string()
    } else {
        v.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

fn columns(sheet: &str) -> Vec<&'static str> {
    SHEETS
        .iter()
        .find(|s| s.0 == sheet)
        .map(|s| s.1.to_vec())
        .unwrap_or_default()
}

/// How an export writes ID numbers and phones: masked as the pages show them, or (the
/// re-importable export) decrypted in full.
#[derive(Clone, Copy)]
pub(crate) struct Disclosure<'a> {
    store: &'a Store,
    full: bool,
}

impl<'a> Disclosure<'a> {
    pub(crate) fn new(store: &'a Store, full: bool) -> Self {
        Disclosure { store, full }
    }

    /// An encrypted value with its masked form.
    pub(crate) fn value(&self, enc: &[u8], masked: &str) -> StoreResult<String> {
        Ok(if self.full {
            self.store.crypto.decrypt(enc)?
        } else {
            masked.to_string()
        })
    }

    /// An optional phone (empty when none is recorded).
    pub(crate) fn phone(&self, enc: Option<&[u8]>, masked: Option<&str>) -> StoreResult<String> {
        match enc {
            Some(enc) => self.value(enc, masked.unwrap_or_default()),
            None => Ok(masked.unwrap_or_default().to_string()),
        }
    }
}

/// An institution's records as the sheets of the class-file workbook, in the upload's
/// sheets, columns and formats. Masked (ID numbers and phones as the pages show them)
/// unless `full`: then with the full ID numbers and phones, so that uploading the export
/// for the same institution in another database gives the same records. `None` when the
/// institution is outside `scope`.
#[tracing::instrument(skip_all)]
pub async fn export(
    store: &Store,
    scope: &Scope,
    subject_id: i32,
    full: bool,
) -> StoreResult<Option<Vec<Sheet>>> {
    let Some(o) = overview(store, scope, subject_id).await? else {
        return Ok(None);
    };
    let shown = Disclosure::new(store, full);
    let mut teachers = Vec::with_capacity(o.teachers.len());
    for t in &o.teachers {
        teachers.push(vec![
            t.name.clone(),
            shown.value(&t.id_enc, &t.id_masked)?,
            if t.employment == "full" {
                "专职"
            } else {
                "兼职"
            }
            .into(),
            t.qualification.clone(),
            shown.phone(t.phone_enc.as_deref(), t.phone_masked.as_deref())?,
        ]);
    }
    let venues = o
        .venues
        .iter()
        .map(|v| vec![v.name.clone(), v.capacity.to_string()])
        .collect();
    let equipment = o
        .equipment
        .iter()
        .map(|e| vec![e.name.clone(), e.quantity.to_string()])
        .collect();
    let venue_name = |id: Option<i32>| {
        id.and_then(|id| o.venues.iter().find(|v| v.id == id))
            .map(|v| v.name.clone())
            .unwrap_or_default()
    };
    let classes: Vec<&class::Model> = o.classes.iter().map(|c| &c.class).collect();
    let class_rows = classes
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                c.course_type.clone(),
                c.syllabus_hours.to_string(),
                c.start_on.to_string(),
                c.end_on.to_string(),
                venue_name(c.venue_id),
                c.capacity.to_string(),
            ]
        })
        .collect();
    let [sessions, trainees, marks] = class_sheets(store, scope, &classes, shown).await?;
    Ok(Some(
        [
            ("师资", teachers),
            ("场地", venues),
            ("设备", equipment),
            ("培训班", class_rows),
            ("课次", sessions),
            ("学员", trainees),
            ("签到", marks),
        ]
        .into_iter()
        .map(|(name, rows)| (name, columns(name), rows))
        .collect(),
    ))
}

/// The rows of 课次, 学员 and 签到 for `classes`.
async fn class_sheets(
    store: &Store,
    scope: &Scope,
    classes: &[&class::Model],
    shown: Disclosure<'_>,
) -> StoreResult<[Vec<Vec<String>>; 3]> {
    let enrolled: HashMap<i32, trainee::Model> = trainee::Entity::find()
        .filter(trainee::Column::ClassId.is_in(classes.iter().map(|c| c.id)))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let (mut sessions, mut trainees, mut marks) = (Vec::new(), Vec::new(), Vec::new());
    for c in classes {
        let Some(f) = class_file(store, scope, c.id).await? else {
            continue;
        };
        for s in &f.sessions {
            let x = &s.session;
            sessions.push(vec![
                c.code.clone(),
                x.seq.to_string(),
                dt(x.start_at),
                dt(x.end_at),
                s.teacher.clone().unwrap_or_default(),
                if x.mode == "online" {
                    "线上"
                } else {
                    "线下"
                }
                .into(),
                x.video_file.clone().unwrap_or_default(),
                x.video_sha256.clone().unwrap_or_default(),
                x.video_seconds
                    .map(|v| format!("{}", f64::from(v) / 60.0))
                    .unwrap_or_default(),
            ]);
        }
        for t in &f.roster {
            let id = match enrolled.get(&t.trainee_id) {
                Some(m) => shown.value(&m.id_enc, &t.id_masked)?,
                None => t.id_masked.clone(),
            };
            trainees.push(vec![
                c.code.clone(),
                t.name.clone(),
                id.clone(),
                t.score.map(|v| v.to_string()).unwrap_or_default(),
            ]);
            for (s, m) in f.sessions.iter().zip(&t.marks) {
                if let Some((a, b)) = m {
                    marks.push(vec![
                        c.code.clone(),
                        s.session.seq.to_string(),
                        id.clone(),
                        a.map(dt).unwrap_or_default(),
                        b.map(dt).unwrap_or_default(),
                    ]);
                }
            }
        }
    }
    Ok([sessions, trainees, marks])
}

/// A valid demo ID number from a serial (area 110105, born 1970–1999).
fn demo_id(n: u32) -> anpei_core::ids::IdNumber {
    let first17 = format!(
        "110105{}{:02}{:02}{:03}",
        1970 + n % 30,
        1 + n % 12,
        1 + n % 28,
        100 + n % 900
    );
    let check = anpei_core::ids::IdNumber::check_char(&first17).unwrap_or('0');
    anpei_core::ids::IdNumber::parse(&format!("{first17}{check}"))
        .expect("demo ID numbers are built valid")
}

/// The demo's class files for the first training institutions: each with teachers, a
/// venue, equipment and two classes; at the first one the 复训 class's sessions add up to
/// fewer hours than its syllabus (and its trainees leave early), and one teacher is booked
/// in both classes at the same time (the records checks will find both). Does nothing
/// when any class exists.
pub async fn load_demo(store: &Store) -> StoreResult<usize> {
    use anpei_core::class_file::*;
    use chrono::{Days, NaiveTime};
    if class::Entity::find().one(&store.db).await?.is_some() {
        return Ok(0);
    }
    let insts = institutions(store, &Scope::district_wide()).await?;
    let actor = Actor::system("demo");
    let at = |d: chrono::NaiveDate, h: u32, m: u32| {
        d.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default())
    };
    let mut n = 0;
    for (k, inst) in insts.iter().take(3).enumerate() {
        let k32 = k as u32;
        let start = store.today() - Days::new(40 + 10 * k as u64);
        let teachers: Vec<TeacherRow> = ["王建国", "李秀英", "赵立新"]
            .iter()
            .enumerate()
            .map(|(i, name)| TeacherRow {
                row: i + 2,
                name: (*name).into(),
                id: demo_id(7000 + k32 * 10 + i as u32),
                full_time: i < 2,
                qualification: if i < 2 {
                    "注册安全工程师"
                } else {
                    "高级电工技师"
                }
                .into(),
            })
            .collect();
        let mut file = ClassFile {
            teachers,
            venues: vec![VenueRow {
                row: 2,
                name: "一号教室".into(),
                capacity: 60,
            }],
            equipment: vec![
                EquipmentRow {
                    row: 2,
                    name: "心肺复苏模拟人".into(),
                    quantity: 4,
                },
                EquipmentRow {
                    row: 3,
                    name: "灭火器实操训练装置".into(),
                    quantity: 2,
                },
            ],
            ..Default::default()
        };
        // (code, type, syllabus hours, sessions, first teacher, leaves early)
        let classes = [
            (
                format!("{}-01", start.format("%Y%m")),
                "主要负责人初次培训",
                32.0,
                8,
                "王建国",
                false,
            ),
            (
                format!("{}-02", start.format("%Y%m")),
                "安全生产管理人员再培训",
                16.0,
                4,
                "李秀英",
                k == 0,
            ),
        ];
        for (ci, (code, ty, hours, count, first_teacher, early)) in classes.iter().enumerate() {
            file.classes.push(ClassRow {
                row: ci + 2,
                code: code.clone(),
                course_type: (*ty).into(),
                syllabus_hours: *hours,
                start_on: start,
                end_on: start + Days::new(*count as u64 - 1),
                venue: Some("一号教室".into()),
                capacity: 40,
            });
            for s in 0..*count {
                let day = start + Days::new(s as u64);
                // 09:00–12:00 is 4 学时 offline.
                let teacher = if k == 0 && ci == 1 && s == 0 {
                    // 王建国 teaches the first class's first session at this very time.
                    "王建国"
                } else if ci == 1 || s % 2 == 0 {
                    first_teacher
                } else {
                    "赵立新"
                };
                let sha = crate::crypto::sha256_hex(format!("{}{code}{s}", inst.id).as_bytes());
                file.sessions.push(SessionRow {
                    row: file.sessions.len() + 2,
                    class_code: code.clone(),
                    seq: s + 1,
                    start_at: at(day, 9, 0),
                    end_at: at(day, 12, 0),
                    teacher: Some(teacher.into()),
                    online: false,
                    video_file: Some(format!("{code}-{:02}.mp4", s + 1)),
                    video_sha256: Some(sha),
                    video_seconds: Some(if *early { 5400 } else { 10_800 }),
                });
            }
            for t in 0..6u32 {
                let id = demo_id(100 + k32 * 100 + ci as u32 * 20 + t);
                let names = ["张伟", "刘洋", "陈静", "杨帆", "黄磊", "周敏"];
                file.trainees.push(TraineeRow {
                    row: file.trainees.len() + 2,
                    class_code: code.clone(),
                    name: names[t as usize].into(),
                    id: id.clone(),
                    score: Some(f64::from(78 + (t * 7 + ci as u32 * 3) % 22)),
                });
                for s in 0..*count {
                    let day = start + Days::new(s as u64);
                    file.attendance.push(AttendanceRow {
                        row: file.attendance.len() + 2,
                        class_code: code.clone(),
                        seq: s + 1,
                        id: id.clone(),
                        sign_in: Some(at(day, 8, 55)),
                        sign_out: Some(if *early {
                            at(day, 10, 30)
                        } else {
                            at(day, 12, 2)
                        }),
                    });
                }
            }
        }
        if let Ok(done) = import(store, &actor, &Scope::district_wide(), inst.id, &file).await? {
            n += done.classes;
        }
    }
    Ok(n)
}
