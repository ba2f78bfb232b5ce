//! The demo district's current campaign: a copy of the notice's campaign whose
//! self-inspection phase contains the day the demo is loaded, with self-inspections in every
//! state (about half submitted) and the problems of their 不符合 answers in every status, so
//! that the campaign, self-inspection, problem-list and progress pages show something real.
//!
//! Everything is derived from the subject's position in the district (no randomness) and
//! written in one transaction, in batches; at most [`MAX_INSPECTIONS`] subjects take part,
//! which keeps a large demo fast. `anpei demo` calls [`load_demo`] after the district; the
//! test harness's district has no campaign of its own (tests that want one call it).

use crate::campaign as store_campaign;
use crate::campaign::problems::{ProblemStatus, Source};
use crate::campaign::selfcheck::{self, SelfcheckStatus, COMPLIANT, NONCOMPLIANT, NOT_APPLICABLE};
use crate::entity::{
    campaign, checklist_item, problem, problem_event, self_inspection,
    self_inspection_answer as answer,
};
use crate::{Crypto, StoreResult};
use anpei_core::campaign::{notice_campaign, shift_campaign, span, PhaseKind};
use anpei_core::mask::mask_phone;
use chrono::{Datelike, Days, Months, NaiveDate};
use sea_orm::{ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;

/// Subjects that take part in the demo's self-inspection, at most.
pub const MAX_INSPECTIONS: usize = 120;

/// What the demo campaign holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCampaign {
    pub campaign_id: i32,
    pub inspections: usize,
    pub submitted: usize,
    pub problems: usize,
}

/// Problems a demo subject finds, by item code: (问题描述, 整改措施).
fn problem_text(code: &str) -> (&'static str, &'static str) {
    match code {
        "E01" => (
            "年度安全生产教育培训计划未经主要负责人审批，未明确培训经费和考核要求。",
            "修订年度培训计划，报主要负责人审批后印发，明确经费、学时和考核要求。",
        ),
        "E02" => (
            "安全培训管理台账未按三项岗位人员分类建立，部分特种作业人员未登记。",
            "按主要负责人、安全管理人员、特种作业人员分类重建台账，逐人核对证书信息。",
        ),
        "E03" => (
            "2名特种作业人员操作证已超过复审期限仍在岗作业。",
            "立即停止其特种作业，组织参加复审培训考核，复审合格后方可上岗。",
        ),
        "E04" => (
            "新入职员工岗前培训以发放资料代替授课，缺少实际操作训练。",
            "补充岗前培训实操课时，由班组长带教并考核合格后上岗。",
        ),
        "E05" => (
            "内部培训考核流于形式，试卷由员工自行填写，未建立奖惩制度。",
            "建立培训考核奖惩制度，考核由安全管理部门统一组织并留存记录。",
        ),
        "E06" => (
            "缺少专职培训管理人员，内部培训由各车间自行安排。",
            "明确安全管理部门一名专职人员负责培训组织和档案管理。",
        ),
        "E07" => (
            "安全培训经费未单独列支，一线员工再培训无经费保障。",
            "在年度预算中单列安全培训经费，覆盖全体从业人员。",
        ),
        "E08" => (
            "网络培训存在挂机刷学时现象，平台未设置人脸核验。",
            "启用学习平台人脸核验和随机提问功能，清理异常学时记录。",
        ),
        "E09" => (
            "部分培训签到表笔迹相同，培训照片重复使用。",
            "对近两年培训档案逐项复核，补充真实记录，追究相关人员责任。",
        ),
        "E10" => (
            "三级安全教育记录缺少车间级和班组级内容。",
            "补齐三级教育记录，今后培训记录由受训人本人签字确认。",
        ),
        "T01" | "S01" | "S03" | "X01" => (
            "管理制度未随新规修订，部分条款与现行规定不一致。",
            "对照现行规定修订管理制度并组织全员学习。",
        ),
        "T02" => (
            "个别班次理论培训学时少于大纲要求。",
            "按大纲补足学时，建立课时签到和视频抽查制度。",
        ),
        "T03" | "S06" | "S07" | "S08" => (
            "部分培训、考试档案资料不完整，未按要求保存影像资料。",
            "补齐档案资料，建立电子档案并按规定年限保存。",
        ),
        _ => (
            "自查发现相关管理要求落实不到位。",
            "制定整改方案，明确责任人和完成时限，逐项整改落实。",
        ),
    }
}

const RESPONSIBLE: [&str; 8] = [
    "王建国",
    "李红梅",
    "张志强",
    "刘晓燕",
    "陈德华",
    "杨秀英",
    "赵国平",
    "黄丽娟",
];

/// A valid mobile number for a demo responsible person.
fn demo_phone(n: usize) -> String {
    format!("139{:08}", (n * 7_654_321 + 1_234_567) % 100_000_000)
}

/// The notice's campaign moved to the year of `today`, its self-inspection phase starting
/// on the first of the month two months back (so it contains `today`).
fn demo_draft(today: NaiveDate) -> Option<anpei_core::campaign::CampaignDraft> {
    let notice = notice_campaign();
    let start = today.with_day(1)?.checked_sub_months(Months::new(2))?;
    let first = notice.phases.first()?.starts_on;
    let months = (start.year() - first.year()) * 12 + start.month() as i32 - first.month() as i32;
    // The notice's self-inspection phase is four months: it runs to the end of next month.
    let (phases, summary_due) = shift_campaign(&notice.phases, notice.summary_due, months)?;
    let (from, _) = span(&phases)?;
    Some(anpei_core::campaign::CampaignDraft {
        name: format!("{}年度安全生产培训“走过场”专项整治（演示）", from.year()),
        summary_due,
        phases,
        ..notice
    })
}

/// What a demo subject has done: nothing, a draft, a submission, or one sent back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    None,
    Draft,
    Submitted,
    Returned,
}

fn state_of(i: usize) -> State {
    match i % 10 {
        0..=4 => State::Submitted,
        5 | 6 => State::Draft,
        7 => State::Returned,
        _ => State::None,
    }
}

/// Gives the loaded demo district its current campaign (see the module documentation), in one
/// transaction with its audit entry; `None` when a campaign already runs today.
pub async fn load_demo(
    store: &crate::Store,
    district: &anpei_core::demo::DemoDistrict,
) -> StoreResult<Option<DemoCampaign>> {
    use sea_orm::QuerySelect;
    let ids: HashMap<String, i32> = crate::entity::subject::Entity::find()
        .select_only()
        .columns([
            crate::entity::subject::Column::Uscc,
            crate::entity::subject::Column::Id,
        ])
        .into_tuple::<(String, i32)>()
        .all(&store.db)
        .await?
        .into_iter()
        .collect();
    let in_order: Vec<(i32, String)> = district
        .subjects
        .iter()
        .filter_map(|s| Some((*ids.get(s.uscc.as_str())?, s.kind.code().to_string())))
        .collect();
    let txn = store.write().await?;
    let now = store.now();
    let made = load(&*txn, &store.crypto, now, store.today(), &in_order).await?;
    if let Some(m) = &made {
        let ev = crate::platform::audit::Event::ok(
            "demo.campaign",
            format!("campaign:{}", m.campaign_id),
        )
        .with_detail(format!("{m:?}"));
        crate::platform::audit::append(
            &*txn,
            now,
            &crate::platform::audit::Actor::system("demo"),
            &ev,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(made)
}

/// Creates the demo campaign and its self-inspections inside the caller's transaction, unless
/// a campaign already runs on `today`. `subjects`: (id, kind code) in the demo's order; the
/// first is the demo enterprise, which gets a draft to fill in.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    crypto: &Crypto,
    now: i64,
    today: NaiveDate,
    subjects: &[(i32, String)],
) -> StoreResult<Option<DemoCampaign>> {
    let phases = crate::entity::campaign_phase::Entity::find()
        .all(db)
        .await?;
    if phases
        .iter()
        .any(|p| p.starts_on <= today && today <= p.ends_on)
    {
        return Ok(None);
    }
    let Some(draft) = demo_draft(today) else {
        return Ok(None);
    };
    let notice_id = campaign::Entity::find()
        .filter(campaign::Column::CopiedFrom.is_null())
        .one(db)
        .await?
        .map(|c| c.id);
    let campaign_id = store_campaign::insert_draft(db, &draft, notice_id, now).await?;
    let si_phase = draft
        .phases
        .iter()
        .find(|p| p.kind == PhaseKind::SelfInspection)
        .map_or((today, today), |p| (p.starts_on, p.ends_on));
    let part = Part {
        campaign_id,
        si_phase,
        version: draft.catalogue_version,
        first_is_demo: true,
    };
    Ok(Some(
        take_part(db, crypto, now, today, &part, subjects).await?,
    ))
}

/// Where more subjects join a demo campaign.
struct Part {
    campaign_id: i32,
    /// The 自查自改 phase: (first day, last day).
    si_phase: (NaiveDate, NaiveDate),
    /// The checklist's version.
    version: i32,
    /// Whether the first subject is the demo enterprise (its self-inspection a draft).
    first_is_demo: bool,
}

/// The self-inspections of `subjects` in the campaign (every state, one in ten not begun),
/// their answers, and the problems of the submitted ones with their history.
async fn take_part<C: ConnectionTrait>(
    db: &C,
    crypto: &Crypto,
    now: i64,
    today: NaiveDate,
    part: &Part,
    subjects: &[(i32, String)],
) -> StoreResult<DemoCampaign> {
    let (campaign_id, si_phase) = (part.campaign_id, part.si_phase);
    let items: Vec<checklist_item::Model> = checklist_item::Entity::find()
        .filter(checklist_item::Column::Version.eq(part.version))
        .all(db)
        .await?;
    let day = |t: NaiveDate| {
        t.and_hms_opt(10, 0, 0)
            .map_or(now, |d| d.and_utc().timestamp() - 8 * 3600)
    };

    // Who takes part, and in which state.
    let taking: Vec<(usize, &(i32, String), State)> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let st = if i == 0 && part.first_is_demo {
                State::Draft
            } else {
                state_of(i)
            };
            (i, s, st)
        })
        .filter(|(_, _, st)| *st != State::None)
        .take(MAX_INSPECTIONS)
        .collect();
    let days_in = (today - si_phase.0).num_days().max(1) as u64;
    let submitted_on = |i: usize| si_phase.0 + Days::new((i as u64 * 13) % days_in);
    let inspections: Vec<self_inspection::ActiveModel> = taking
        .iter()
        .map(|(i, (sid, kind), st)| {
            let institution = kind != "enterprise";
            let sub = matches!(st, State::Submitted | State::Returned);
            let on = submitted_on(*i);
            self_inspection::ActiveModel {
                id: NotSet,
                campaign_id: Set(campaign_id),
                subject_id: Set(*sid),
                status: Set(match st {
                    State::Submitted => SelfcheckStatus::Submitted,
                    State::Returned => SelfcheckStatus::Returned,
                    _ => SelfcheckStatus::Draft,
                }),
                period_from: Set(
                    (institution && sub).then(anpei_core::campaign::notice_institution_period_from)
                ),
                period_to: Set((institution && sub).then_some(on)),
                submitted_at: Set(sub.then(|| day(on))),
                submitted_by: Set(None),
                returned_at: Set((*st == State::Returned).then(|| day(on) + 3 * 86_400)),
                returned_by: Set(None),
                return_reason: Set((*st == State::Returned).then(|| {
                    "存在问题项目的整改措施过于笼统，请细化到具体人员和时间后重新提交。".to_string()
                })),
                created_at: Set(day(si_phase.0)),
                updated_at: Set(now),
            }
        })
        .collect();
    crate::ledger::bulk::insert_models(db, inspections).await?;
    let ids: HashMap<i32, i32> = self_inspection::Entity::find()
        .filter(self_inspection::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.subject_id, s.id))
        .collect();

    // Answers: all items of a submission; the demo enterprise's first three, other drafts
    // about half. 不符合: none, one or two items of each submission.
    let mut answers = Vec::new();
    let mut problems_to_make: Vec<(i32, i32, String, usize)> = Vec::new();
    let mut out = DemoCampaign {
        campaign_id,
        inspections: taking.len(),
        ..Default::default()
    };
    for (i, (sid, kind), st) in &taking {
        let si = ids[sid];
        let own: Vec<&checklist_item::Model> = items.iter().filter(|it| it.kind == *kind).collect();
        let answered = match st {
            State::Submitted | State::Returned => own.len(),
            _ if *i == 0 && part.first_is_demo => 3.min(own.len()),
            _ => own.len() / 2,
        };
        let bad: Vec<usize> = match (st, own.len()) {
            (_, 0) => Vec::new(),
            (State::Draft, n) if *i == 0 && part.first_is_demo => vec![2 % n],
            (_, n) => (0..i % 3).map(|k| (i * 3 + k * 5) % n).collect(),
        };
        if matches!(st, State::Submitted) {
            out.submitted += 1;
        }
        for (k, it) in own.iter().take(answered).enumerate() {
            let is_bad = bad.contains(&k);
            let n = i * 31 + k;
            let (desc, measures) = problem_text(&it.code);
            let phone = demo_phone(n);
            let deadline = today + Days::new(20 + (n as u64 * 11) % 80);
            answers.push(answer::ActiveModel {
                id: NotSet,
                inspection_id: Set(si),
                item_code: Set(it.code.clone()),
                answer: Set(if is_bad {
                    NONCOMPLIANT
                } else if k % 7 == 6 {
                    NOT_APPLICABLE
                } else {
                    COMPLIANT
                }
                .into()),
                explanation: Set(if is_bad {
                    desc.to_string()
                } else {
                    "已对照检查，未发现该情况。".to_string()
                }),
                measures: Set(is_bad.then(|| measures.to_string())),
                deadline: Set(is_bad.then_some(deadline)),
                responsible_name: Set(is_bad.then(|| RESPONSIBLE[n % RESPONSIBLE.len()].into())),
                responsible_phone_enc: Set(is_bad.then(|| crypto.encrypt(&phone))),
                responsible_phone_masked: Set(is_bad.then(|| mask_phone(&phone))),
                updated_at: Set(now),
                updated_by: Set(None),
            });
            if is_bad && matches!(st, State::Submitted | State::Returned) {
                problems_to_make.push((*sid, si, it.code.clone(), n));
            }
        }
    }
    crate::ledger::bulk::insert_models(db, answers).await?;

    // The problems of the submissions, in every status; a fifth of them past the deadline.
    let mut problems = Vec::new();
    for (sid, si, code, n) in &problems_to_make {
        let (desc, measures) = problem_text(code);
        let phone = demo_phone(*n);
        let status = match n % 20 {
            0..=9 => "pending",
            10..=14 => "in_progress",
            15 | 16 => "awaiting_verification",
            _ => "closed",
        };
        let deadline = if n % 5 == 0 {
            today - Days::new(3 + (*n as u64 % 20))
        } else {
            today + Days::new(20 + (*n as u64 * 11) % 80)
        };
        problems.push(problem::ActiveModel {
            id: NotSet,
            campaign_id: Set(Some(campaign_id)),
            subject_id: Set(*sid),
            source: Set(Source::SelfInspection),
            source_ref: Set(Some(selfcheck::source_ref(*si))),
            item_code: Set(Some(code.clone())),
            description: Set(desc.into()),
            measures: Set(measures.into()),
            deadline: Set(deadline),
            responsible_name: Set(RESPONSIBLE[n % RESPONSIBLE.len()].into()),
            responsible_phone_enc: Set(Some(crypto.encrypt(&phone))),
            responsible_phone_masked: Set(Some(mask_phone(&phone))),
            status: Set(ProblemStatus::from_code(status).expect("a problem status")),
            created_at: Set(now - 86_400 * 10),
            created_by: Set(None),
            updated_at: Set(now),
            closed_at: Set((status == "closed").then_some(now - 86_400)),
            closed_by: Set(None),
        });
    }
    out.problems = problems.len();
    crate::ledger::bulk::insert_models(db, problems).await?;
    let made: Vec<problem::Model> = problem::Entity::find()
        .filter(problem::Column::CampaignId.eq(campaign_id))
        .filter(problem::Column::SubjectId.is_in(subjects.iter().map(|(id, _)| *id)))
        .all(db)
        .await?;
    let mut events = Vec::new();
    for p in &made {
        let mut add = |kind: &str, text: &str, after: &str, days_ago: i64| {
            events.push(problem_event::ActiveModel {
                id: NotSet,
                problem_id: Set(p.id),
                kind: Set(kind.into()),
                text: Set(text.into()),
                status_after: Set(after.into()),
                by_user: Set(None),
                by_name: Set("演示数据".into()),
                at: Set(now - 86_400 * days_ago),
            })
        };
        add("created", "登记问题（来源：自查）", "pending", 10);
        if p.status != ProblemStatus::Pending {
            add(
                "rectify",
                "已制定整改方案，正在组织整改。",
                "in_progress",
                6,
            );
        }
        if matches!(
            p.status,
            ProblemStatus::AwaitingVerification | ProblemStatus::Closed
        ) {
            add(
                "request_verification",
                "整改已完成，附整改前后照片，申请核验。",
                "awaiting_verification",
                3,
            );
        }
        if p.status == ProblemStatus::Closed {
            add("verify", "核验通过，予以销号", "closed", 1);
        }
    }
    crate::ledger::bulk::insert_models(db, events).await?;
    Ok(out)
}

/// The issuing office of the demo city's campaign (the city's, not 渝北区's).
pub const CITY_OFFICE: &str = "重庆市安全生产委员会办公室";

/// The demo campaign becomes the city's: issued by [`CITY_OFFICE`]; audited.
pub async fn issue_as_city(store: &crate::Store, campaign_id: i32) -> StoreResult<()> {
    let txn = store.write().await?;
    let now = store.now();
    campaign::Entity::update_many()
        .col_expr(
            campaign::Column::IssuingOffice,
            sea_orm::sea_query::Expr::value(CITY_OFFICE),
        )
        .filter(campaign::Column::Id.eq(campaign_id))
        .exec(&*txn)
        .await?;
    crate::platform::audit::append(
        &*txn,
        now,
        &crate::platform::audit::Actor::system("demo"),
        &crate::platform::audit::Event::ok("demo.campaign", format!("campaign:{campaign_id}"))
            .with_detail(format!("issuing_office={CITY_OFFICE}")),
    )
    .await?;
    txn.commit().await
}

/// Another district of a demo city takes part in the demo campaign `campaign_id`: its
/// subjects' self-inspections, answers and problems, as the first district's; one
/// transaction with its audit entry.
pub async fn load_district(
    store: &crate::Store,
    campaign_id: i32,
    district_id: i32,
) -> StoreResult<DemoCampaign> {
    use sea_orm::{QueryOrder, QuerySelect};
    let c = store_campaign::get(store, campaign_id)
        .await?
        .ok_or(crate::StoreError::NotFound)?;
    let si_phase = c
        .phase_of(PhaseKind::SelfInspection)
        .map_or((store.today(), store.today()), |p| (p.starts_on, p.ends_on));
    let subjects: Vec<(i32, String)> =
        crate::scope::subjects(&crate::Scope::of_district(district_id))
            .select_only()
            .columns([
                crate::entity::subject::Column::Id,
                crate::entity::subject::Column::Kind,
            ])
            .order_by_asc(crate::entity::subject::Column::Id)
            .into_tuple()
            .all(&store.db)
            .await?;
    let part = Part {
        campaign_id,
        si_phase,
        version: c.campaign.catalogue_version,
        first_is_demo: false,
    };
    let txn = store.write().await?;
    let now = store.now();
    let made = take_part(&*txn, &store.crypto, now, store.today(), &part, &subjects).await?;
    crate::platform::audit::append(
        &*txn,
        now,
        &crate::platform::audit::Actor::system("demo"),
        &crate::platform::audit::Event::ok("demo.campaign", format!("campaign:{campaign_id}"))
            .with_detail(format!("district:{district_id} {made:?}")),
    )
    .await?;
    txn.commit().await?;
    Ok(made)
}

/// The name of the first district's own campaign in a demo city.
pub const DISTRICT_FOLLOW_UP: &str = "安全生产培训“走过场”问题“回头看”专项整治";

/// In a demo city, the first district (渝北区) sets a campaign of its own: a follow-up of the
/// city's campaign `campaign_id` a year later (未开始 today), issued by its office and seen by
/// its own accounts and the city only. Through [`store_campaign::create_copy`], as its
/// office would; returns the new campaign's id.
pub async fn district_follow_up(
    store: &crate::Store,
    campaign_id: i32,
    district_id: i32,
) -> StoreResult<i32> {
    let scope = crate::Scope::of_district(district_id);
    let src = store_campaign::get(store, campaign_id)
        .await?
        .ok_or(crate::StoreError::NotFound)?;
    let (phases, summary_due) = store_campaign::shifted_dates(&src, 1);
    let input = store_campaign::CopyInput {
        name: DISTRICT_FOLLOW_UP.into(),
        doc_number: String::new(),
        phases,
        summary_due,
    };
    store_campaign::create_copy(
        store,
        &scope,
        &crate::platform::audit::Actor::system("demo"),
        campaign_id,
        &input,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_campaign_runs_today_in_its_self_inspection_phase() {
        for today in ["2026-11-24", "2026-01-01", "2027-02-28", "2026-12-31"] {
            let today: NaiveDate = today.parse().unwrap();
            let d = demo_draft(today).unwrap();
            assert_eq!(
                anpei_core::campaign::validate_dates(&d.phases, d.summary_due),
                Ok(()),
                "{today}"
            );
            let p = anpei_core::campaign::phase_on(&d.phases, today).map(|i| d.phases[i].kind);
            assert_eq!(p, Some(PhaseKind::SelfInspection), "{today}");
        }
    }

    #[test]
    fn demo_phones_are_valid_mobile_numbers() {
        for n in 0..500 {
            assert!(anpei_core::ids::parse_phone(&demo_phone(n)).is_ok());
        }
    }
}
