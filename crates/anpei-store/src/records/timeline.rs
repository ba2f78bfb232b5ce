//! A subject's timeline ("for each institution and site: its records, its
//! findings, and a timeline"): what happened to it, newest first — classes held, exam
//! sessions, inspections and decisions, changes of its exam qualification, problems raised
//! and closed, and the checks' findings. Read through the scope filter: a subject outside
//! the caller's scope has no timeline (`NotFound`).

use crate::clock::china;
use crate::entity::{
    enforcement_action, exam_qualification, exam_session, finding, inspection, problem, subject,
    training_class,
};
use crate::{Scope, Store, StoreError, StoreResult};
use anpei_core::enforcement::ActionKind;
use anpei_core::ledger::rules::Rule;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// One event of a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: NaiveDateTime,
    /// 培训班, 考试, 检查, 执法决定, 考试资格, 问题, 问题线索.
    pub kind: &'static str,
    pub text: String,
    pub link: Option<String>,
}

impl Event {
    pub fn when(&self) -> String {
        if self.at.time() == chrono::NaiveTime::MIN {
            self.at.format("%Y-%m-%d").to_string()
        } else {
            self.at.format("%Y-%m-%d %H:%M").to_string()
        }
    }
}

fn day(d: NaiveDate) -> NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN)
}

fn local(at: i64) -> NaiveDateTime {
    DateTime::from_timestamp(at, 0)
        .map(|t| t.with_timezone(&china()).naive_local())
        .unwrap_or_default()
}

/// The newest `limit` events of subject `id` (each source contributes at most `limit`).
pub async fn for_subject(
    store: &Store,
    scope: &Scope,
    id: i32,
    limit: u64,
) -> StoreResult<Vec<Event>> {
    let visible = subject::Entity::find()
        .filter(Condition::all().add(scope.subject_condition()))
        .filter(subject::Column::Id.eq(id))
        .one(&store.db)
        .await?;
    if visible.is_none() {
        return Err(StoreError::NotFound);
    }
    let db = &store.db;
    let mut out = Vec::new();
    for c in training_class::Entity::find()
        .filter(training_class::Column::SubjectId.eq(id))
        .order_by_desc(training_class::Column::StartOn)
        .limit(limit)
        .all(db)
        .await?
    {
        out.push(Event {
            at: day(c.start_on),
            kind: "培训班",
            text: format!(
                "{}（{}，大纲 {} 学时）开班，{} 结业",
                c.code, c.course_type, c.syllabus_hours, c.end_on
            ),
            link: Some(format!("/training/classes/{}", c.id)),
        });
    }
    for s in exam_session::Entity::find()
        .filter(
            Condition::any()
                .add(exam_session::Column::SubjectId.eq(id))
                .add(exam_session::Column::SiteId.eq(id)),
        )
        .order_by_desc(exam_session::Column::StartedAt)
        .limit(limit)
        .all(db)
        .await?
    {
        out.push(Event {
            at: s.started_at,
            kind: "考试",
            text: format!(
                "{} 考试（{}，{}）至 {}",
                s.category,
                s.room,
                crate::records::exams::system_label(&s.system),
                s.ended_at.format("%H:%M")
            ),
            link: Some(format!("/exams/sessions/{}", s.id)),
        });
    }
    for i in inspection::Entity::find()
        .filter(inspection::Column::SubjectId.eq(id))
        .order_by_desc(inspection::Column::InspectedOn)
        .limit(limit)
        .all(db)
        .await?
    {
        // Stored as JSON (name and 执法证号 of each officer); the timeline names them.
        let officers: Vec<anpei_core::enforcement::Inspector> =
            serde_json::from_str(&i.inspectors).unwrap_or_default();
        let names: Vec<&str> = officers.iter().map(|o| o.name.as_str()).collect();
        out.push(Event {
            at: day(i.inspected_on),
            kind: "检查",
            text: format!("执法检查（检查人员：{}）", names.join("、")),
            link: Some(format!("/inspections/{}", i.id)),
        });
    }
    for a in enforcement_action::Entity::find()
        .filter(enforcement_action::Column::SubjectId.eq(id))
        .order_by_desc(enforcement_action::Column::DecidedOn)
        .limit(limit)
        .all(db)
        .await?
    {
        let kind = ActionKind::from_code(&a.kind).map_or("执法决定", ActionKind::label);
        let mut text = format!("{kind}（{}）", a.decision_no);
        if let Some(n) = a.amount_unit {
            text.push_str(&format!("，罚款 {n} 元"));
        }
        out.push(Event {
            at: day(a.decided_on),
            kind: "执法决定",
            text,
            link: a.inspection_id.map(|i| format!("/inspections/{i}")),
        });
    }
    for q in exam_qualification::Entity::find()
        .filter(exam_qualification::Column::SubjectId.eq(id))
        .all(db)
        .await?
    {
        let label = q.status.label();
        out.push(Event {
            at: day(q.since),
            kind: "考试资格",
            text: format!("{label}：{}", q.reason),
            link: None,
        });
    }
    for p in problem::Entity::find()
        .filter(problem::Column::SubjectId.eq(id))
        .order_by_desc(problem::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?
    {
        let source = p.source.label();
        out.push(Event {
            at: local(p.created_at),
            kind: "问题",
            text: format!("登记问题（{source}）：{}", p.description),
            link: Some(format!("/problems/{}", p.id)),
        });
        if let Some(closed) = p.closed_at {
            out.push(Event {
                at: local(closed),
                kind: "问题",
                text: format!("问题销号：{}", p.description),
                link: Some(format!("/problems/{}", p.id)),
            });
        }
    }
    for f in finding::Entity::find()
        .filter(finding::Column::SubjectId.eq(id))
        .order_by_desc(finding::Column::FirstSeen)
        .limit(limit)
        .all(db)
        .await?
    {
        let name = Rule::from_code(&f.rule).map_or("问题线索", Rule::name);
        out.push(Event {
            at: day(f.first_seen),
            kind: "问题线索",
            text: format!("发现：{name}。{}", f.detail),
            link: Some(format!("/findings/{}", f.id)),
        });
        if let Some(r) = f.resolved_at {
            out.push(Event {
                at: day(r),
                kind: "问题线索",
                text: format!("已消除：{name}"),
                link: Some(format!("/findings/{}", f.id)),
            });
        }
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then(a.kind.cmp(b.kind)));
    out.truncate(limit as usize);
    Ok(out)
}
