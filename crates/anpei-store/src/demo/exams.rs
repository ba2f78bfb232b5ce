//! The demo district's exam records: a few plans and sessions for its exam sites and exam
//! institutions, with the problems the exam checks look for — a session with no video, a
//! proctor without a valid credential, a session outside its plan's window, and a
//! high-risk manager exam on paper.

use crate::entity::subject;
use crate::platform::audit::Actor;
use crate::records::exams::*;
use crate::{Scope, Store, StoreResult};
use anpei_core::ids::IdNumber;
use anpei_core::kinds::SubjectKind;
use chrono::{Days, NaiveTime};
use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

fn id_number(seq: u32) -> IdNumber {
    let first17 = format!("50011219850{:03}{:03}", 101 + seq % 28, 100 + seq);
    let first17 = &first17[..17];
    let check = IdNumber::check_char(first17).unwrap_or('0');
    IdNumber::parse(&format!("{first17}{check}")).expect("a valid demo ID number")
}

fn row<T>(v: T) -> Row<T> {
    Row { line: 0, v }
}

fn at(d: NaiveDate, h: u32) -> NaiveDateTime {
    d.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default())
}

/// The upload of one exam site or institution; `problems` adds the four irregularities.
fn upload(base: NaiveDate, seq: u32, problems: bool) -> Upload {
    let d1 = base - Days::new(30);
    let d2 = base - Days::new(10);
    let mut u = Upload::default();
    u.plans.push(row(PlanRow {
        key: "P1".into(),
        plan: PlanInput {
            site_id: None,
            starts_at: at(d1, 8),
            ends_at: at(d1 + Days::new(2), 18),
            category: "电工作业".into(),
            planned_candidates: 30,
        },
    }));
    u.plans.push(row(PlanRow {
        key: "P2".into(),
        plan: PlanInput {
            site_id: None,
            starts_at: at(d2, 8),
            ends_at: at(d2, 18),
            category: "主要负责人".into(),
            planned_candidates: 20,
        },
    }));
    // S1 inside P1's window; S2 for P2 but (with problems) two days after it, on paper.
    let s2_day = if problems { d2 + Days::new(2) } else { d2 };
    for (key, plan, day, system, category, hr) in [
        ("S1", "P1", d1, "national", "电工作业", false),
        (
            "S2",
            "P2",
            s2_day,
            if problems { "paper" } else { "national" },
            "主要负责人",
            true,
        ),
    ] {
        u.sessions.push(row(SessionRow {
            key: key.into(),
            plan_key: Some(plan.into()),
            site_id: None,
            room: "第一考场".into(),
            started_at: at(day, 9),
            ended_at: at(day, 11),
            system,
            category: category.into(),
            high_risk_manager: hr,
        }));
    }
    let names = [
        "王建国",
        "李红梅",
        "张志强",
        "刘晓燕",
        "陈立军",
        "杨丽",
        "赵海峰",
    ];
    let today = base;
    for (i, (name, role)) in [(names[0], "proctor"), (names[1], "patrol")]
        .iter()
        .enumerate()
    {
        let id = id_number(seq * 100 + i as u32);
        for (sk, day) in [("S1", d1), ("S2", s2_day)] {
            u.staff.push(row(StaffRow {
                session_key: sk.into(),
                name: (*name).into(),
                id_number: id.clone(),
                role,
                present_from: Some(at(day, 9)),
                present_to: Some(at(day, 11)),
            }));
        }
        // With problems, the proctor's credential has run out.
        let until = if problems && *role == "proctor" {
            today - Days::new(60)
        } else {
            today + Days::new(700)
        };
        u.credentials.push(row(CredentialRow {
            name: (*name).into(),
            id_number: id,
            kind: role,
            number: format!("KW{:04}{:02}", seq, i),
            valid_from: until - Days::new(1095),
            valid_until: until,
        }));
    }
    for (i, name) in names[2..].iter().enumerate() {
        let score = 70 + (i as i32 * 7) % 30;
        for sk in ["S1", "S2"] {
            u.candidates.push(row(CandidateRow {
                session_key: sk.into(),
                name: (*name).into(),
                id_number: id_number(seq * 100 + 50 + i as u32),
                score: Some(score),
                passed: score >= 80,
            }));
        }
    }
    // With problems, S2 has no video.
    let videos: &[(&str, NaiveDate)] = if problems {
        &[("S1", d1)]
    } else {
        &[("S1", d1), ("S2", s2_day)]
    };
    for (sk, day) in videos {
        u.videos.push(row(VideoRow {
            session_key: (*sk).into(),
            file_name: format!("{day}-{sk}-第一考场.mp4"),
            sha256: crate::crypto::sha256_hex(format!("{seq}{sk}").as_bytes()),
            duration_secs: 7200,
            location: "考试点录像服务器 /video/2025".into(),
            deleted_at: None,
        }));
    }
    u.equipment.push(row(EquipmentRow {
        name: "实操考试设备（低压电工实训台）".into(),
        cert_number: format!("JY{seq:04}"),
        valid_until: today + Days::new(200),
    }));
    u
}

/// Loads the demo's exam records; returns the number of sessions written.
pub async fn load_demo(store: &Store) -> StoreResult<usize> {
    let actor = Actor::system("demo");
    let mut n = 0;
    for (i, kind) in [
        SubjectKind::ExamSite,
        SubjectKind::ExamSite,
        SubjectKind::ExamInstitution,
    ]
    .iter()
    .enumerate()
    {
        let mut found = Vec::new();
        for s in subject::Entity::find()
            .filter(subject::Column::Kind.eq(kind.code()))
            .order_by_asc(subject::Column::Id)
            .all(&store.db)
            .await?
        {
            // Suspended or cancelled ones get no new plans.
            if plan_refusal(store, &s).await?.is_none() {
                found.push(s);
            }
        }
        let skip = if i == 1 { 1 } else { 0 };
        let Some(s) = found.get(skip) else { continue };
        let u = upload(store.today(), i as u32 + 1, i == 0);
        if let Ok(c) = import(store, &actor, &Scope::district_wide(), s.id, &u).await? {
            n += c.sessions;
        }
    }
    Ok(n)
}
