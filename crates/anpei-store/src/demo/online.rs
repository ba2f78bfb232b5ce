//! The demo district's online-training platform: the first training institution runs its
//! trainees' 网络培训 on 渝培在线, and the platform's logs — sessions with face checks, the
//! courses, online exams — come in through the import as the institution's own upload. Most
//! trainees study cleanly; one of each pattern the online checks look for is planted among
//! them: two sessions at once, a device shared by several persons (at the same time, and in
//! turn on one day), a day of ten hours, a long session without face checks and one whose
//! check failed, a video watched faster than real time, claimed hours no session supports,
//! and an exam of 100 questions answered in eight minutes.

use crate::entity::{online_session, person, subject};
use crate::ledger::{Ingest, LedgerRow, Mode, Provenance};
use crate::platform::audit::Actor;
use crate::{Scope, Store, StoreResult};
use anpei_core::ids::{IdNumber, Uscc};
use anpei_core::kinds::{SubjectKind, TrainingForm, TrainingType};
use anpei_core::ledger::{
    CourseRecord, FaceCheckRecord, OnlineExamRecord, SessionRecord, TrainingRecord,
};
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

/// The demo platform's name.
pub const PLATFORM: &str = "渝培在线";
/// The device several trainees share in turn on one day (≥ 3 persons a day).
pub const SHARED_DEVICE: &str = "PC-网吧-07";
/// The device two trainees use at the same time.
pub const TWIN_DEVICE: &str = "PAD-A113";
/// Trainees on the platform (the first 8 planted, the rest clean).
const TRAINEES: usize = 16;
/// 学时 each trainee's ledger claims for the online course.
const CLAIMED: f64 = 4.0;

/// A trainee as the logs name him.
struct Trainee {
    employer: Uscc,
    id: IdNumber,
    name: String,
}

fn at(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    d.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default())
}

/// The logs being written.
#[derive(Default)]
struct Logs {
    sessions: Vec<SessionRecord>,
    checks: Vec<FaceCheckRecord>,
    exams: Vec<OnlineExamRecord>,
}

impl Logs {
    /// A session of `minutes` from `start`, its video covered at 95 % of real time; with
    /// `checks`, passed face checks 2 minutes in and every 25 minutes after (a clean session).
    #[allow(clippy::too_many_arguments)]
    fn session(
        &mut self,
        t: &Trainee,
        course: &str,
        start: NaiveDateTime,
        minutes: i64,
        device: &str,
        ip: &str,
        checks: bool,
    ) {
        let end = start + TimeDelta::minutes(minutes);
        self.sessions.push(SessionRecord {
            platform: PLATFORM.into(),
            employer: t.employer.clone(),
            id_number: t.id.clone(),
            name: t.name.clone(),
            course_no: course.into(),
            start,
            end,
            progress_secs: minutes * 60 * 95 / 100,
            device: Some(device.into()),
            ip: Some(ip.into()),
        });
        if checks {
            let mut m = 2;
            while m < minutes {
                self.check(t, start + TimeDelta::minutes(m), true);
                m += 25;
            }
        }
    }

    fn check(&mut self, t: &Trainee, at: NaiveDateTime, passed: bool) {
        self.checks.push(FaceCheckRecord {
            platform: PLATFORM.into(),
            id_number: t.id.clone(),
            at,
            passed,
            similarity: Some(if passed { 92.5 } else { 41.0 }),
        });
    }

    fn exam(&mut self, t: &Trainee, no: &str, start: NaiveDateTime, minutes: i64, score: f64) {
        self.exams.push(OnlineExamRecord {
            platform: PLATFORM.into(),
            id_number: t.id.clone(),
            exam_no: no.into(),
            start,
            end: start + TimeDelta::minutes(minutes),
            questions: 100,
            score,
        });
    }
}

/// Loads the platform's logs once (nothing when they are there, or when the district has no
/// training institution or too few persons). Returns the number of sessions stored.
pub async fn load_demo(store: &Store) -> StoreResult<usize> {
    if online_session::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let Some(inst) = crate::records::training::institutions(store, &Scope::district_wide())
        .await?
        .into_iter()
        .next()
    else {
        return Ok(0);
    };
    // Trainees: workers of the district's enterprises, one in every few persons.
    let enterprises: std::collections::HashMap<i32, String> = subject::Entity::find()
        .filter(subject::Column::Kind.eq(SubjectKind::Enterprise.code()))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.uscc))
        .collect();
    let mut trainees = Vec::new();
    for p in person::Entity::find()
        .order_by_asc(person::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .step_by(7)
    {
        let Some(uscc) = enterprises.get(&p.subject_id) else {
            continue;
        };
        let (Ok(id), Ok(employer)) = (
            store
                .crypto
                .decrypt(&p.id_enc)
                .map_err(|_| ())
                .and_then(|s| IdNumber::parse(&s).map_err(|_| ())),
            Uscc::parse(uscc),
        ) else {
            continue;
        };
        trainees.push(Trainee {
            employer,
            id,
            name: p.name,
        });
        if trainees.len() == TRAINEES {
            break;
        }
    }
    if trainees.len() < TRAINEES {
        return Ok(0);
    }
    let today = store.today();
    let day = |n: u64| today - Days::new(n);
    let (from, to) = (day(21), day(1));

    // The enterprises' ledgers claim the online course, given by the institution: the claim
    // names it, so the trainees are the institution's to report on.
    let actor = Actor::system("demo");
    let mut ledger = Ingest::begin(store, Scope::district_wide()).await?;
    for (i, t) in trainees.iter().enumerate() {
        let training = TrainingRecord {
            employer: t.employer.clone(),
            id_number: t.id.clone(),
            name: t.name.clone(),
            training_type: TrainingType::Retraining,
            form: TrainingForm::Online,
            start: at(from, 0, 0),
            end: at(to, 23, 59),
            // Trainee 6 claims six times what he studied.
            theory_hours: if i == 6 { 6.0 * CLAIMED } else { CLAIMED },
            practical_hours: 0.0,
            institution: Some(inst.name.clone()),
            score: Some(88.0),
            result: Some("合格".into()),
        };
        ledger
            .push(i + 2, LedgerRow::Training(training), Vec::new())
            .await?;
    }
    ledger
        .finish(&actor, Mode::Normal, &provenance("demo-online-claims.xlsx"))
        .await?;

    let mut logs = Logs::default();
    let ip = |i: usize| format!("10.20.{}.{}", 3 + i / 200, 10 + i % 200);
    for (i, t) in trainees.iter().enumerate() {
        let own = format!("PC-{:04}", 100 + i);
        // Every trainee's three clean sessions of 45 minutes (4.5 学时 at 30 minutes each),
        // unless a pattern below takes their place.
        let clean = |logs: &mut Logs, days: [u64; 3]| {
            for (k, d) in days.into_iter().enumerate() {
                logs.session(
                    t,
                    &format!("K0{}", k + 1),
                    at(day(d), 19, 5 * (i as u32 % 6)),
                    45,
                    &own,
                    &ip(i),
                    true,
                );
            }
        };
        match i {
            // Two sessions at once, on two devices.
            0 => {
                clean(&mut logs, [15, 12, 9]);
                logs.session(t, "K04", at(day(8), 9, 0), 60, &own, &ip(i), true);
                logs.session(
                    t,
                    "K05",
                    at(day(8), 9, 30),
                    60,
                    "PHONE-8812",
                    "10.30.1.8",
                    true,
                );
            }
            // Two trainees on one device at the same time.
            1 | 2 => {
                clean(&mut logs, [15, 12, 9]);
                logs.session(
                    t,
                    "K04",
                    at(day(7), 14, 0),
                    50,
                    TWIN_DEVICE,
                    "10.30.2.2",
                    true,
                );
            }
            // Three trainees in turn on one device in one day.
            3..=5 => {
                clean(&mut logs, [15, 12, 9]);
                let start = at(day(6), 8 + 2 * (i as u32 - 3), 0);
                logs.session(t, "K04", start, 90, SHARED_DEVICE, "10.30.3.3", true);
            }
            // Claims 24 学时: only the clean sessions' 4.5 stand behind them.
            6 => clean(&mut logs, [15, 12, 9]),
            // Ten hours in one day: five sessions of two hours.
            7 => {
                clean(&mut logs, [15, 12, 9]);
                for k in 0..5 {
                    logs.session(t, "K04", at(day(5), 8 + 2 * k, 0), 120, &own, &ip(i), true);
                }
            }
            // Ninety minutes with one face check, at the start (挂机).
            8 => {
                clean(&mut logs, [15, 12, 9]);
                let start = at(day(4), 20, 0);
                logs.session(t, "K04", start, 90, &own, &ip(i), false);
                logs.check(t, start + TimeDelta::minutes(3), true);
            }
            // A face check failed mid-session and never passed again (代学).
            9 => {
                clean(&mut logs, [15, 12, 9]);
                let start = at(day(4), 21, 0);
                logs.session(t, "K04", start, 28, &own, &ip(i), false);
                logs.check(t, start + TimeDelta::minutes(2), true);
                logs.check(t, start + TimeDelta::minutes(15), false);
            }
            // Forty minutes of video covered in twenty (倍速/拖动).
            10 => {
                clean(&mut logs, [15, 12, 9]);
                logs.session(t, "K04", at(day(3), 19, 0), 20, &own, &ip(i), true);
                if let Some(s) = logs.sessions.last_mut() {
                    s.progress_secs = 40 * 60;
                }
            }
            _ => clean(&mut logs, [15, 12, 9]),
        }
        // Trainee 11 answers 100 questions in eight minutes, with 95 points.
        let (minutes, score) = if i == 11 { (8, 95.0) } else { (45, 86.0) };
        logs.exam(t, "EX-2026-01", at(day(2), 10, 0), minutes, score);
    }

    let scope = Scope::of_subject(inst.id);
    let mut ingest = Ingest::begin(store, scope).await?;
    let courses = [
        ("K01", "安全生产法律法规", 2700),
        ("K02", "危险化学品安全管理", 2700),
        ("K03", "事故应急救援", 2700),
        ("K04", "特种作业安全技术", 5400),
        ("K05", "典型事故案例分析", 3600),
    ];
    let mut row = 1;
    for (no, title, secs) in courses {
        row += 1;
        let c = CourseRecord {
            platform: PLATFORM.into(),
            course_no: no.into(),
            title: title.into(),
            video_secs: secs,
            hours: secs as f64 / 1800.0,
        };
        ingest.push(row, LedgerRow::Course(c), Vec::new()).await?;
    }
    let n = logs.sessions.len();
    for s in logs.sessions {
        row += 1;
        ingest.push(row, LedgerRow::Session(s), Vec::new()).await?;
    }
    for c in logs.checks {
        row += 1;
        ingest
            .push(row, LedgerRow::FaceCheck(c), Vec::new())
            .await?;
    }
    for e in logs.exams {
        row += 1;
        ingest
            .push(row, LedgerRow::OnlineExam(e), Vec::new())
            .await?;
    }
    let (report, _) = ingest
        .finish(&actor, Mode::Normal, &provenance("渝培在线-学习日志.xlsx"))
        .await?;
    if report.rejected() > 0 {
        tracing::warn!(rejected = report.rejected(), first = ?report.rejections.first(), "demo online logs: rows rejected");
    }
    Ok(n)
}

fn provenance(file_name: &str) -> Provenance {
    Provenance {
        file_name: file_name.into(),
        sha256: String::new(),
        kind: "online".into(),
    }
}
