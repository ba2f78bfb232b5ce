//! The demo district's enforcement: a handful of inspections of high-risk enterprises,
//! training institutions and exam sites in the latest enforcement phase that has begun (else
//! the last two months), with findings that became problems, on-the-spot tests (one failed),
//! two fines, an order to rectify, one referral to the market regulator, one exam site whose
//! exam qualification is suspended, and two published typical cases. Derived from the
//! subjects' order (no randomness), written in the demo's transaction.

use super::actions::{draft_case, set_qualification};
use super::{InspectionStatus, Qualification, NONCOMPLIANT};
use crate::campaign::problems::{self, NewProblem, Source};
use crate::entity::{
    campaign_phase, certificate, checklist_item, enforcement_action, inspection, inspection_item,
    person, spot_test, subject, typical_case,
};
use crate::{Crypto, StoreResult};
use anpei_core::campaign::PhaseKind;
use anpei_core::enforcement::{ActionKind, FineStage, Inspector};
use anpei_core::{Params, SubjectKind};
use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// What the demo's enforcement holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoEnforcement {
    pub inspections: usize,
    pub actions: usize,
    pub cases: usize,
}

const TEAMS: [[(&str, &str); 2]; 2] = [
    [("王建国", "50011220013"), ("刘思远", "50011220027")],
    [("陈志刚", "50011220035"), ("周晓雯", "50011220041")],
];

fn finding(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Enterprise => "抽查特种作业人员台账，2名焊工操作证已超过复审期限仍在岗作业，三级安全教育记录缺少班组级内容。",
        SubjectKind::TrainingInstitution => "抽查2021年第3期培训班，实操课时记录与监控录像不符，存在压缩学时情况。",
        SubjectKind::ExamSite => "实操考场录像缺失2022年4月两场考试的资料，考试过程无法追溯。",
        SubjectKind::ExamInstitution => "巡考员未持证上岗，巡考记录不完整。",
    }
}

/// The period the demo's inspections fall in: the latest enforcement phase that has begun,
/// up to today; else the two months before today.
async fn period<C: ConnectionTrait>(
    db: &C,
    today: NaiveDate,
) -> StoreResult<(NaiveDate, NaiveDate)> {
    let phase = campaign_phase::Entity::find()
        .filter(campaign_phase::Column::Kind.eq(PhaseKind::Enforcement.code()))
        .filter(campaign_phase::Column::StartsOn.lte(today))
        .order_by_desc(campaign_phase::Column::StartsOn)
        .one(db)
        .await?;
    Ok(match phase {
        Some(p) => (p.starts_on, p.ends_on.min(today)),
        None => (today - Days::new(60), today),
    })
}

/// Creates the demo's enforcement inside the demo's transaction (after its subjects, persons
/// and certificates).
pub async fn load<C: ConnectionTrait>(
    db: &C,
    crypto: &Crypto,
    params: &Params,
    now: i64,
    today: NaiveDate,
) -> StoreResult<DemoEnforcement> {
    let (from, to) = period(db, today).await?;
    let span = (to - from).num_days().max(1) as u64;
    let subjects = subject::Entity::find()
        .order_by_asc(subject::Column::Id)
        .all(db)
        .await?;
    let pick = |pred: &dyn Fn(&subject::Model) -> bool, n: usize| -> Vec<subject::Model> {
        subjects
            .iter()
            .filter(|s| pred(s))
            .take(n)
            .cloned()
            .collect()
    };
    let high = |s: &subject::Model| {
        s.kind == SubjectKind::Enterprise
            && s.industry
                .as_deref()
                .is_some_and(|i| params.is_high_risk(i))
    };
    let mut chosen = pick(&high, 3);
    chosen.extend(pick(&|s| s.kind == SubjectKind::TrainingInstitution, 1));
    chosen.extend(pick(&|s| s.kind == SubjectKind::ExamSite, 2));
    chosen.extend(pick(&|s| s.kind == SubjectKind::Enterprise && !high(s), 2));
    let version: i32 = checklist_item::Entity::find()
        .select_only()
        .column(checklist_item::Column::Version)
        .order_by_desc(checklist_item::Column::Version)
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(1);
    let mut out = DemoEnforcement::default();
    let mut fines = 0;
    let (mut referred, mut suspended) = (false, false);
    for (i, s) in chosen.iter().enumerate() {
        let kind = s.kind;
        let on = from + Days::new((i as u64 * 11 + 3) % (span + 1));
        let team: Vec<Inspector> = TEAMS[i % 2]
            .iter()
            .map(|(n, c)| Inspector {
                name: (*n).into(),
                cert_no: (*c).into(),
            })
            .collect();
        let ins = inspection::ActiveModel {
            id: NotSet,
            campaign_id: Set(None),
            subject_id: Set(s.id),
            department_id: Set(Some(s.department_id)),
            town_id: Set(None),
            inspected_on: Set(on),
            inspectors: Set(serde_json::to_string(&team).unwrap_or_default()),
            catalogue_version: Set(version),
            notes: Set("对照专项整治检查条目逐项检查，查阅培训档案、证书台账和考试录像。".into()),
            status: Set(InspectionStatus::Completed),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        out.inspections += 1;
        let items = checklist_item::Entity::find()
            .filter(checklist_item::Column::Version.eq(version))
            .filter(checklist_item::Column::Kind.eq(kind.code()))
            .order_by_asc(checklist_item::Column::Seq)
            .all(db)
            .await?;
        // Every other inspection finds one problem, on the item the finding fits.
        let bad = (i % 2 == 0).then_some(match kind {
            SubjectKind::Enterprise => 2,
            SubjectKind::TrainingInstitution => 1,
            _ => 5,
        });
        for (j, it) in items.iter().enumerate() {
            let noncompliant = bad == Some(j.min(items.len().saturating_sub(1)));
            let problem_id = if noncompliant {
                Some(
                    problems::insert_new(
                        db,
                        crypto,
                        now,
                        NewProblem {
                            campaign_id: None,
                            subject_id: s.id,
                            source: Source::Enforcement,
                            source_ref: Some(format!("inspection:{}", ins.id)),
                            item_code: Some(it.code.clone()),
                            description: finding(kind).into(),
                            measures: "立即整改，整改情况报检查单位核验。".into(),
                            deadline: on + Days::new(30),
                            responsible_name: s
                                .contact_name
                                .clone()
                                .unwrap_or_else(|| "单位主要负责人".into()),
                            responsible_phone: None,
                            created_by: None,
                            by_name: "区应急管理局".into(),
                        },
                    )
                    .await?,
                )
            } else {
                None
            };
            inspection_item::ActiveModel {
                id: NotSet,
                inspection_id: Set(ins.id),
                item_code: Set(it.code.clone()),
                result: Set(if noncompliant {
                    NONCOMPLIANT
                } else {
                    super::COMPLIANT
                }
                .into()),
                note: Set(if noncompliant {
                    finding(kind).into()
                } else {
                    String::new()
                }),
                problem_id: Set(problem_id),
            }
            .insert(db)
            .await?;
        }
        // 逢查必考: two certificate holders; the first inspection's second holder fails.
        let holders: Vec<(i32, String, Option<i32>)> = person::Entity::find()
            .filter(person::Column::SubjectId.eq(s.id))
            .order_by_asc(person::Column::Id)
            .limit(20)
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name, None))
            .collect();
        let mut tested = Vec::new();
        for (pid, name, _) in holders {
            let cert: Option<i32> = certificate::Entity::find()
                .filter(certificate::Column::PersonId.eq(pid))
                .select_only()
                .column(certificate::Column::Id)
                .into_tuple()
                .one(db)
                .await?;
            if let Some(c) = cert {
                tested.push((pid, name, c));
            }
            if tested.len() == 2 {
                break;
            }
        }
        for (k, (pid, _, cert)) in tested.iter().enumerate() {
            let score = if i == 0 && k == 1 {
                64
            } else {
                86 + (i as i32 * 3 + k as i32) % 12
            };
            spot_test::ActiveModel {
                id: NotSet,
                inspection_id: Set(ins.id),
                person_id: Set(*pid),
                certificate_id: Set(Some(*cert)),
                score: Set(score),
                passed: Set(anpei_core::enforcement::spot_test_passed(params, score)),
                note: Set(
                    if !anpei_core::enforcement::spot_test_passed(params, score) {
                        "现场抽考应知应会内容，多题答错。".into()
                    } else {
                        String::new()
                    },
                ),
                tested_on: Set(on),
            }
            .insert(db)
            .await?;
        }
        // Decisions.
        let year = on.year();
        let act = |kind: ActionKind, text: String, no: usize| enforcement_action::ActiveModel {
            id: NotSet,
            inspection_id: Set(Some(ins.id)),
            subject_id: Set(s.id),
            kind: Set(kind.code().into()),
            legal_basis: Set(kind.default_legal_basis().into()),
            decision_no: Set(format!(
                "渝北应急{}〔{year}〕{}号",
                if kind == ActionKind::Fine {
                    "罚"
                } else {
                    "责改"
                },
                10 + no
            )),
            decided_on: Set(on),
            deadline: Set(None),
            amount_unit: Set(None),
            amount_persons: Set(None),
            responsible_persons: Set(None),
            text: Set(text),
            problem_id: Set(None),
            case_id: Set(None),
            department_id: Set(Some(s.department_id)),
            town_id: Set(None),
            created_by: Set(None),
            created_at: Set(now),
            fine_stage: Set(None),
        };
        let witness = tested.first().map_or("张某".to_string(), |t| t.1.clone());
        match kind {
            SubjectKind::Enterprise if fines < 2 && bad.is_some() => {
                let mut a = act(
                    ActionKind::Fine,
                    format!(
                        "{}未按照规定对特种作业人员进行安全生产教育和培训，特种作业人员{witness}操作证逾期未复审仍上岗作业，违反《安全生产法》第二十八条、第三十条，依据第九十七条处罚款{}元。",
                        s.name,
                        30_000 + 20_000 * fines
                    ),
                    out.actions + 1,
                );
                a.amount_unit = Set(Some(30_000 + 20_000 * fines as i64));
                a.fine_stage = Set(Some(FineStage::Ordered.code().into()));
                let a = a.insert(db).await?;
                out.actions += 1;
                if fines == 0 {
                    let case = draft_case(
                        db,
                        now,
                        &crate::platform::audit::Actor::system("demo"),
                        s,
                        &a,
                        Some(&ins),
                    )
                    .await?;
                    publish(db, case, on).await?;
                    let mut am = a.into_active_model();
                    am.case_id = Set(Some(case));
                    am.update(db).await?;
                    out.cases += 1;
                }
                fines += 1;
            }
            SubjectKind::TrainingInstitution if !referred => {
                act(
                    ActionKind::ReferMarket,
                    format!("{}以“包过班”名义收取高额培训费，将有关证据材料移送机构注册地市场监管部门查处。", s.name),
                    out.actions + 1,
                )
                .insert(db)
                .await?;
                out.actions += 1;
                referred = true;
            }
            SubjectKind::ExamSite if !suspended => {
                let text = format!(
                    "{}实操考试全过程录像缺失，监考人员{witness}（联系电话13983001234）在实操考试中向考生提示操作步骤，纵容考生作弊，暂停考试资格，整改验收合格前不得组织考试。",
                    s.name
                );
                let a = act(ActionKind::SuspendExam, text.clone(), out.actions + 1)
                    .insert(db)
                    .await?;
                set_qualification(db, now, s, Qualification::Suspended, on, a.id, &text).await?;
                let case = draft_case(
                    db,
                    now,
                    &crate::platform::audit::Actor::system("demo"),
                    s,
                    &a,
                    Some(&ins),
                )
                .await?;
                publish(db, case, on).await?;
                let mut am = a.into_active_model();
                am.case_id = Set(Some(case));
                am.update(db).await?;
                out.actions += 1;
                out.cases += 1;
                suspended = true;
            }
            SubjectKind::Enterprise if bad.is_some() => {
                let mut a = act(
                    ActionKind::OrderRectify,
                    format!("{}三级安全教育记录不全，责令限期整改。", s.name),
                    out.actions + 1,
                );
                a.deadline = Set(Some(on + Days::new(30)));
                a.insert(db).await?;
                out.actions += 1;
            }
            _ => {}
        }
    }
    Ok(out)
}

async fn publish<C: ConnectionTrait>(db: &C, id: i32, on: NaiveDate) -> StoreResult<()> {
    if let Some(m) = typical_case::Entity::find_by_id(id).one(db).await? {
        let mut am = m.into_active_model();
        am.published = Set(true);
        am.published_on = Set(Some(on));
        am.update(db).await?;
    }
    Ok(())
}
