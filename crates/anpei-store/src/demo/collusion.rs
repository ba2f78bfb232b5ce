//! The demo district's 包过班: a training institution whose 电工作业 class of 45 trainees
//! all passed their exam at one exam site with near-perfect scores, while the site's other
//! candidates (9 of 15) and the district's of the same category pass about two thirds of
//! the time; a part-time
//! teacher of the institution holds that site's 监考员证 and proctored the exam (same ID
//! number: confirmed), and another teacher shares her phone number with a 巡考员 of the
//! site (suspected). PASS_RATE_ANOMALY fires for the institution and the site, and
//! STAFF_CONFLICT for both; the 关联关系 page shows the picture.
//!
//! Written directly (the exam upload refuses a suspended site's plans, and the workbooks
//! carry no phone numbers) in one transaction; does nothing when the class exists already
//! or the district lacks a training institution or two exam sites.

use crate::entity::{
    exam_candidate as cand, exam_plan as plan, exam_session as ses, exam_session_staff as staff,
    exam_staff_credential as cred, exam_video as video, subject, training_attendance as att,
    training_class as class, training_class_session as cses, training_teacher as teacher,
    training_trainee as trainee, training_venue as venue,
};
use crate::{Store, StoreResult};
use anpei_core::ids::IdNumber;
use anpei_core::kinds::SubjectKind;
use anpei_core::mask::mask_phone;
use chrono::{Days, NaiveDate, NaiveDateTime};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// The code of the suspicious class (its presence makes the loader a no-op).
pub const CLASS_CODE: &str = "DG-2026-特训01";
/// The category of the exams.
pub const CATEGORY: &str = "电工作业";
/// Trainees of the class, all examined at the suspicious site.
pub const TRAINEES: u32 = 45;

/// What the scenario wrote.
#[derive(Debug, Clone)]
pub struct DemoCollusion {
    pub institution_id: i32,
    pub institution: String,
    pub site_id: i32,
    pub site: String,
    pub trainees: u32,
}

const SURNAMES: [&str; 20] = [
    "张", "王", "李", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "罗", "高", "谭",
];
const GIVEN: [&str; 24] = [
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "建华", "志明", "海波",
    "晓东", "春燕", "丽娟", "国庆", "永红", "小兵", "德明", "红梅", "玉兰",
];

fn name(i: u32) -> String {
    let i = i as usize;
    format!("{}{}", SURNAMES[i % 20], GIVEN[(i * 7 + i / 20) % 24])
}

/// A valid demo ID number (渝北区 500112) from a serial below 400.
fn id_number(serial: u32) -> IdNumber {
    let first17 = format!(
        "500112{:04}{:02}{:02}{:03}",
        1972 + serial % 25,
        1 + serial % 12,
        1 + (serial / 12) % 28,
        600 + serial % 400
    );
    let check = IdNumber::check_char(&first17).unwrap_or('0');
    IdNumber::parse(&format!("{first17}{check}")).expect("demo ID numbers are built valid")
}

fn at(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    d.and_hms_opt(h, m, 0).unwrap_or_default()
}

/// An exam session with its plan, video and staff. Returns the session id.
struct SessionSpec<'a> {
    keeper: i32,
    site: i32,
    day: NaiveDate,
    room: &'a str,
    candidates: usize,
    /// (name, ID, role code) of the staff, present for the whole session.
    staff: &'a [(&'a str, &'a IdNumber, &'static str)],
}

async fn session<C: ConnectionTrait>(
    db: &C,
    store: &Store,
    now: i64,
    s: &SessionSpec<'_>,
) -> StoreResult<i32> {
    let c = &store.crypto;
    let p = plan::ActiveModel {
        subject_id: Set(s.keeper),
        site_id: Set(s.site),
        starts_at: Set(at(s.day, 8, 0)),
        ends_at: Set(at(s.day, 18, 0)),
        category: Set(CATEGORY.into()),
        planned_candidates: Set(s.candidates as i32),
        created_by: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let (start, end) = (at(s.day, 9, 0), at(s.day, 11, 0));
    let m = ses::ActiveModel {
        subject_id: Set(s.keeper),
        plan_id: Set(Some(p.id)),
        site_id: Set(s.site),
        room: Set(s.room.into()),
        started_at: Set(start),
        ended_at: Set(end),
        system: Set("national".into()),
        category: Set(CATEGORY.into()),
        high_risk_manager: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (n, id, role) in s.staff {
        staff::ActiveModel {
            session_id: Set(m.id),
            subject_id: Set(s.keeper),
            name: Set((*n).into()),
            id_enc: Set(c.encrypt(id.as_str())),
            id_bidx: Set(c.blind_index(id.as_str())),
            id_masked: Set(id.masked()),
            role: Set((*role).into()),
            present_from: Set(Some(start)),
            present_to: Set(Some(end)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    video::ActiveModel {
        session_id: Set(m.id),
        subject_id: Set(s.keeper),
        file_name: Set(format!("{}-{}.mp4", s.day, s.room)),
        sha256: Set(crate::crypto::sha256_hex(
            format!("collusion{}{}", m.id, s.day).as_bytes(),
        )),
        duration_secs: Set(7200),
        location: Set("考试点录像服务器 /video/电工作业".into()),
        keep_until: Set(crate::records::exams::keep_until(
            s.day,
            store.params.exam_video_retention_years,
        )),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(m.id)
}

/// A candidate row.
fn candidate(
    store: &Store,
    session: i32,
    keeper: i32,
    name: &str,
    id: &IdNumber,
    score: i32,
) -> cand::ActiveModel {
    let c = &store.crypto;
    cand::ActiveModel {
        session_id: Set(session),
        subject_id: Set(keeper),
        name: Set(name.into()),
        id_enc: Set(c.encrypt(id.as_str())),
        id_bidx: Set(c.blind_index(id.as_str())),
        id_masked: Set(id.masked()),
        score: Set(Some(score)),
        passed: Set(score >= store.params.exam_pass_score),
        ..Default::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn credential(
    store: &Store,
    subject_id: i32,
    name: &str,
    id: &IdNumber,
    kind: &str,
    number: String,
    today: NaiveDate,
    phone: Option<&str>,
) -> cred::ActiveModel {
    let c = &store.crypto;
    cred::ActiveModel {
        subject_id: Set(subject_id),
        name: Set(name.into()),
        id_enc: Set(c.encrypt(id.as_str())),
        id_bidx: Set(c.blind_index(id.as_str())),
        id_masked: Set(id.masked()),
        kind: Set(kind.into()),
        number: Set(number),
        valid_from: Set(today - Days::new(400)),
        valid_until: Set(today + Days::new(700)),
        phone_enc: Set(phone.map(|p| c.encrypt(p))),
        phone_bidx: Set(phone.map(|p| c.phone_index(p))),
        phone_masked: Set(phone.map(mask_phone)),
        ..Default::default()
    }
}

async fn first_of(store: &Store, kind: SubjectKind) -> StoreResult<Vec<subject::Model>> {
    Ok(subject::Entity::find()
        .filter(subject::Column::Kind.eq(kind.code()))
        .order_by_asc(subject::Column::Id)
        .all(&store.db)
        .await?)
}

/// Loads the scenario; `None` when it is there already or the district cannot hold it.
pub async fn load_demo(store: &Store) -> StoreResult<Option<DemoCollusion>> {
    if class::Entity::find()
        .filter(class::Column::Code.eq(CLASS_CODE))
        .one(&store.db)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    // The first institution by name: the one whose class files the training demo wrote.
    let Some(inst) = crate::records::training::institutions(store, &crate::Scope::district_wide())
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let sites = first_of(store, SubjectKind::ExamSite).await?;
    let (Some(site), Some(other)) = (sites.first(), sites.get(1)) else {
        return Ok(None);
    };
    let exam_inst = first_of(store, SubjectKind::ExamInstitution)
        .await?
        .into_iter()
        .next();
    let today = store.today();
    let now = store.now();
    let c = &store.crypto;
    // Trainees the institution trained before (its other classes), examined honestly.
    let earlier: Vec<trainee::Model> = trainee::Entity::find()
        .filter(trainee::Column::SubjectId.eq(inst.id))
        .order_by_asc(trainee::Column::Id)
        .all(&store.db)
        .await?;
    let venue_id = venue::Entity::find()
        .filter(venue::Column::SubjectId.eq(inst.id))
        .one(&store.db)
        .await?
        .map(|v| v.id);

    let txn = store.write().await?;
    let db = &*txn;
    // Two teachers: 周德华 also holds the site's 监考员证; 吴秀兰's phone is a 巡考员's.
    let (zhou, wu, zheng) = (id_number(300), id_number(301), id_number(302));
    let (phone_zhou, phone_wu) = ("13908231576", "13617724690");
    let mut teacher_ids = Vec::new();
    for (n, id, full, q, phone) in [
        ("周德华", &zhou, false, "高级电工技师", phone_zhou),
        ("吴秀兰", &wu, true, "注册安全工程师", phone_wu),
    ] {
        let m = teacher::ActiveModel {
            subject_id: Set(inst.id),
            name: Set(n.into()),
            employment: Set(if full { "full" } else { "part" }.into()),
            qualification: Set(q.into()),
            id_enc: Set(c.encrypt(id.as_str())),
            id_bidx: Set(c.blind_index(id.as_str())),
            id_masked: Set(id.masked()),
            created_at: Set(now),
            phone_enc: Set(Some(c.encrypt(phone))),
            phone_bidx: Set(Some(c.phone_index(phone))),
            phone_masked: Set(Some(mask_phone(phone))),
            ..Default::default()
        }
        .insert(db)
        .await?;
        teacher_ids.push(m.id);
    }
    // The class: four 4-学时 sessions, 45 trainees signed in throughout, scores 95–100.
    let start = today - Days::new(75);
    let k = class::ActiveModel {
        subject_id: Set(inst.id),
        code: Set(CLASS_CODE.into()),
        course_type: Set("特种作业人员（电工作业）初次培训".into()),
        syllabus_hours: Set(16.0),
        start_on: Set(start),
        end_on: Set(start + Days::new(3)),
        venue_id: Set(venue_id),
        capacity: Set(50),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut sessions = Vec::new();
    for s in 0..4u64 {
        let day = start + Days::new(s);
        let m = cses::ActiveModel {
            subject_id: Set(inst.id),
            class_id: Set(k.id),
            seq: Set(s as i32 + 1),
            start_at: Set(at(day, 9, 0)),
            end_at: Set(at(day, 12, 0)),
            teacher_id: Set(Some(teacher_ids[(s % 2) as usize])),
            mode: Set("offline".into()),
            video_file: Set(Some(format!("{CLASS_CODE}-{:02}.mp4", s + 1))),
            video_sha256: Set(Some(crate::crypto::sha256_hex(
                format!("{CLASS_CODE}{s}").as_bytes(),
            ))),
            video_seconds: Set(Some(10_800)),
            ..Default::default()
        }
        .insert(db)
        .await?;
        sessions.push((m.id, day));
    }
    let mut class_trainees = Vec::new();
    let mut marks = Vec::new();
    for t in 0..TRAINEES {
        let id = id_number(t);
        let m = trainee::ActiveModel {
            subject_id: Set(inst.id),
            class_id: Set(k.id),
            name: Set(name(t)),
            id_enc: Set(c.encrypt(id.as_str())),
            id_bidx: Set(c.blind_index(id.as_str())),
            id_masked: Set(id.masked()),
            score: Set(Some(f64::from(95 + t % 6))),
            ..Default::default()
        }
        .insert(db)
        .await?;
        for (sid, day) in &sessions {
            marks.push(att::ActiveModel {
                subject_id: Set(inst.id),
                session_id: Set(*sid),
                trainee_id: Set(m.id),
                sign_in: Set(Some(at(*day, 8, 50 + t % 9))),
                sign_out: Set(Some(at(*day, 12, 1 + t % 5))),
                ..Default::default()
            });
        }
        class_trainees.push((name(t), id));
    }
    att::Entity::insert_many(marks).exec(db).await?;

    // The exam at the suspicious site: the whole class, proctored by 周德华, scores 96–100.
    let zheng_name = "郑美玲";
    let day = today - Days::new(60);
    let sid = session(
        db,
        store,
        now,
        &SessionSpec {
            keeper: site.id,
            site: site.id,
            day,
            room: "第二考场",
            candidates: TRAINEES as usize,
            staff: &[("周德华", &zhou, "proctor"), (zheng_name, &zheng, "patrol")],
        },
    )
    .await?;
    let mut rows: Vec<cand::ActiveModel> = class_trainees
        .iter()
        .enumerate()
        .map(|(i, (n, id))| candidate(store, sid, site.id, n, id, 96 + (i as i32 % 5)))
        .collect();
    cred::Entity::insert_many([
        credential(
            store,
            site.id,
            "周德华",
            &zhou,
            "proctor",
            "JK2024-0317".into(),
            today,
            Some(phone_zhou),
        ),
        credential(
            store,
            site.id,
            zheng_name,
            &zheng,
            "patrol",
            "XK2024-0122".into(),
            today,
            Some(phone_wu),
        ),
    ])
    .exec(db)
    .await?;

    // The rest of the district: two sessions of 30 at the other site (19 pass in each), and
    // one of 30 kept by the exam institution there, with four of the institution's earlier
    // trainees (two pass). Scores spread over 52–98.
    let (feng, he) = (id_number(303), id_number(304));
    cred::Entity::insert_many(
        std::iter::once(credential(
            store,
            other.id,
            "冯建军",
            &feng,
            "proctor",
            "JK2023-0871".into(),
            today,
            None,
        ))
        .chain(exam_inst.as_ref().map(|e| {
            credential(
                store,
                e.id,
                "何志刚",
                &he,
                "proctor",
                "JK2023-0912".into(),
                today,
                None,
            )
        })),
    )
    .exec(db)
    .await?;
    let mut serial = 100;
    let mut spread =
        |session: i32, keeper: i32, count: u32, pass: u32, out: &mut Vec<cand::ActiveModel>| {
            for j in 0..count {
                let score = if j < pass {
                    80 + (j * 7) % 19
                } else {
                    52 + (j * 5) % 27
                };
                let id = id_number(serial);
                out.push(candidate(
                    store,
                    session,
                    keeper,
                    &name(serial),
                    &id,
                    score as i32,
                ));
                serial += 1;
            }
        };
    // The suspicious site's other candidates fare like the district's: 9 of 15 pass.
    let s = session(
        db,
        store,
        now,
        &SessionSpec {
            keeper: site.id,
            site: site.id,
            day: today - Days::new(20),
            room: "第一考场",
            candidates: 15,
            staff: &[("周德华", &zhou, "proctor")],
        },
    )
    .await?;
    spread(s, site.id, 15, 9, &mut rows);
    for (d, room) in [(120u64, "第一考场"), (45, "第三考场")] {
        let s = session(
            db,
            store,
            now,
            &SessionSpec {
                keeper: other.id,
                site: other.id,
                day: today - Days::new(d),
                room,
                candidates: 30,
                staff: &[("冯建军", &feng, "proctor")],
            },
        )
        .await?;
        spread(s, other.id, 30, 19, &mut rows);
    }
    if let Some(e) = &exam_inst {
        let s = session(
            db,
            store,
            now,
            &SessionSpec {
                keeper: e.id,
                site: other.id,
                day: today - Days::new(90),
                room: "第二考场",
                candidates: 30,
                staff: &[("何志刚", &he, "proctor")],
            },
        )
        .await?;
        let from_inst = earlier.iter().take(4).count() as u32;
        for (j, t) in earlier.iter().take(4).enumerate() {
            let score = if j % 2 == 0 { 86 } else { 64 };
            rows.push(cand::ActiveModel {
                session_id: Set(s),
                subject_id: Set(e.id),
                name: Set(t.name.clone()),
                id_enc: Set(t.id_enc.clone()),
                id_bidx: Set(t.id_bidx.clone()),
                id_masked: Set(t.id_masked.clone()),
                score: Set(Some(score)),
                passed: Set(score >= store.params.exam_pass_score),
                ..Default::default()
            });
        }
        let passed_inst = from_inst.div_ceil(2);
        spread(s, e.id, 30 - from_inst, 19 - passed_inst, &mut rows);
    }
    cand::Entity::insert_many(rows).exec(db).await?;
    crate::platform::audit::append(
        db,
        now,
        &crate::platform::audit::Actor::system("demo"),
        &crate::platform::audit::Event::ok("demo.collusion", format!("subject:{}", inst.id))
            .with_detail(format!("包过班演示：培训班{CLASS_CODE}，学员{TRAINEES}名")),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(DemoCollusion {
        institution_id: inst.id,
        institution: inst.name,
        site_id: site.id,
        site: site.name.clone(),
        trainees: TRAINEES,
    }))
}
