//! Times the fifteen checks on training and exam records (`scan_records`) on a synthetic
//! district far larger than any real one: by default 200 training institutions holding
//! 20,000 classes (400,000 trainees, 100,000 class sessions, 2,000,000 sign-ins), and 40
//! exam sites holding 10,000 sessions with 300,000 candidates, 30,000 staff and videos.
//!
//! `cargo run --release -p anpei-core --example records_bench -- [classes] [exam_sessions]`

use anpei_core::ledger::rules::records::*;
use anpei_core::params::Params;
use chrono::{Duration, NaiveDate};
use std::time::Instant;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let classes_n = args.first().copied().unwrap_or(20_000);
    let sessions_n = args.get(1).copied().unwrap_or(10_000);
    let institutions = 200;
    let sites = 40;
    let day0 = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut r = Records::default();
    for i in 0..institutions {
        r.subjects.push(SubjectFacts {
            id: i,
            name: format!("培训机构{i}"),
            side: Side::Training,
        });
        for t in 0..20 {
            let person = rng.below(6_000);
            r.teachers.push(TeacherFacts {
                id: i * 20 + t,
                subject_id: i,
                name: format!("教师{person}"),
                id_masked: "1101**********0000".into(),
                id_key: format!("p{person}"),
                phone_key: Some(format!("tel{}", rng.below(50_000))),
            });
        }
    }
    for s in 0..sites {
        r.subjects.push(SubjectFacts {
            id: 1_000 + s,
            name: format!("考试点{s}"),
            side: Side::ExamSite,
        });
    }
    let categories = [
        "电工作业",
        "焊接与热切割作业",
        "高处作业",
        "危险化学品安全作业",
    ];
    let (mut session_id, mut trainee_id) = (0i64, 0i64);
    for c in 0..classes_n as i64 {
        let inst = c % institutions;
        let start = day0 + Duration::days(rng.below(300) as i64);
        r.classes.push(ClassFacts {
            id: c,
            subject_id: inst,
            code: format!("C{c}"),
            course_type: categories[(c % 4) as usize].into(),
            syllabus_hours: 24.0,
            start_on: start,
            end_on: start + Duration::days(4),
            capacity: 25,
            venue_capacity: Some(30),
        });
        let mut sessions = Vec::new();
        for k in 0..5 {
            let at = (start + Duration::days(k))
                .and_hms_opt(8 + rng.below(2) as u32, 0, 0)
                .unwrap();
            r.class_sessions.push(ClassSessionFacts {
                id: session_id,
                subject_id: inst,
                class_id: c,
                seq: k + 1,
                start: at,
                end: at + Duration::minutes(4 * 45 + 45 * 12 / 10),
                teacher_id: Some(inst * 20 + rng.below(20) as i64),
                online: false,
            });
            sessions.push((session_id, at));
            session_id += 1;
        }
        for _ in 0..20 {
            let person = rng.below(2_000_000);
            r.trainees.push(TraineeFacts {
                id: trainee_id,
                subject_id: inst,
                class_id: c,
                name: "学员".into(),
                id_masked: "1101**********0000".into(),
                id_key: format!("p{person}"),
                score: Some(60.0 + rng.below(40) as f64),
            });
            for &(sid, at) in &sessions {
                r.attendance.push(AttendanceFacts {
                    session_id: sid,
                    trainee_id,
                    sign_in: Some(at),
                    sign_out: Some(at + Duration::minutes(300)),
                });
            }
            trainee_id += 1;
        }
    }
    let (mut staff_id, mut cand_id) = (0i64, 0i64);
    for s in 0..sessions_n as i64 {
        let site = 1_000 + s % sites;
        let at = (day0 + Duration::days(rng.below(350) as i64))
            .and_hms_opt(9, 0, 0)
            .unwrap();
        r.plans.push(ExamPlanFacts {
            id: s,
            subject_id: site,
            site_id: site,
            starts_at: at - Duration::hours(1),
            ends_at: at + Duration::hours(8),
            category: categories[(s % 4) as usize].into(),
        });
        r.exam_sessions.push(ExamSessionFacts {
            id: s,
            subject_id: site,
            plan_id: Some(s),
            site_id: site,
            room: "第一考场".into(),
            started_at: at,
            ended_at: at + Duration::hours(2),
            national_system: true,
            category: categories[(s % 4) as usize].into(),
            high_risk_manager: false,
        });
        r.videos.push(VideoFacts {
            id: s,
            session_id: s,
            file_name: format!("{s}.mp4"),
            duration_secs: 7_200,
            deleted_on: None,
        });
        for _ in 0..3 {
            let person = 3_000_000 + rng.below(3_000);
            r.exam_staff.push(ExamStaffFacts {
                id: staff_id,
                session_id: s,
                subject_id: site,
                name: "监考".into(),
                id_masked: "1101**********0000".into(),
                id_key: format!("p{person}"),
                role: StaffRole::Proctor,
                present_from: Some(at),
                present_to: Some(at + Duration::hours(2)),
            });
            staff_id += 1;
        }
        for _ in 0..30 {
            let person = rng.below(2_000_000);
            r.candidates.push(CandidateFacts {
                id: cand_id,
                session_id: s,
                id_key: format!("p{person}"),
                score: Some(60.0 + rng.below(40) as f64),
                passed: rng.below(100) < 70,
            });
            cand_id += 1;
        }
    }
    for (i, person) in (3_000_000..3_003_000).enumerate() {
        r.credentials.push(CredentialFacts {
            id: i as i64,
            subject_id: 1_000 + (i as i64 % sites),
            name: "监考".into(),
            id_masked: "1101**********0000".into(),
            id_key: format!("p{person}"),
            phone_key: Some(format!("tel{}", 100_000 + i)),
            role: StaffRole::Proctor,
            number: format!("JK{i}"),
            valid_from: day0 - Duration::days(400),
            valid_until: as_of + Duration::days(400),
        });
    }
    let p = Params::default();
    println!(
        "records: {} classes, {} class sessions, {} trainees, {} sign-ins; {} exam sessions, {} candidates, {} staff",
        r.classes.len(),
        r.class_sessions.len(),
        r.trainees.len(),
        r.attendance.len(),
        r.exam_sessions.len(),
        r.candidates.len(),
        r.exam_staff.len()
    );
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        n = scan_records(&r, as_of, &p).len();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "scan_records: {n} findings; best {:.2} s, median {:.2} s of 3 runs",
        times[0], times[1]
    );
}
