//! The campaign area (专项整治): the campaigns and their checklist catalogue (this module),
//! the subjects' self-checks (`selfcheck`), the problems found and their rectification
//! (`problems`), each unit's progress (`progress`), the supervision of units, with the
//! bulletin (`supervision`), and what the 工作台 shows of it to each role (`agenda`).
//!
//! Campaigns (专项整治) and the checklist catalogue in the database: the seeding of a new
//! database (catalogue version 1 and the notice's campaign), the list, one campaign, the
//! current campaign and phase on a date, creating the next campaign by copying one, and the
//! catalogue items of a version and kind.
//!
//! Whose campaigns they are: the city's (or a one-district installation's) apply to everyone
//! and are set by the city (the district, in a one-district installation); in a city a
//! district may also set campaigns of its own (`district_id`), which apply to its office,
//! towns, departments and subjects only. A reader sees the campaigns that apply to it
//! ([`list_for`], [`get_for`], [`current_for`]); the city sees the districts' own as well,
//! read-only, but its own pages run on its own campaigns. Nothing here knows the notice's
//! years: "current" is computed from the phases (`anpei_core::campaign::pick_current`).

pub mod agenda;
pub mod district_dates;
pub mod problems;
pub mod progress;
pub mod selfcheck;
pub mod supervision;

use crate::entity::{campaign, campaign_phase, checklist_item};
use crate::platform::audit::{self, Actor, Event};
use crate::{Scope, Store, StoreError, StoreResult};
use anpei_core::campaign::{self as core, Phase, PhaseKind};
use anpei_core::SubjectKind;
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// A campaign with its phases in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInfo {
    pub campaign: campaign::Model,
    pub phases: Vec<campaign_phase::Model>,
}

impl CampaignInfo {
    /// The phases as the domain knows them (a phase of unknown kind is left out).
    pub fn core_phases(&self) -> Vec<Phase> {
        self.phases
            .iter()
            .filter_map(|p| {
                Some(Phase {
                    kind: PhaseKind::from_code(&p.kind)?,
                    name: p.name.clone(),
                    starts_on: p.starts_on,
                    ends_on: p.ends_on,
                })
            })
            .collect()
    }

    /// First day of the first phase to the last day of the last one.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        let from = self.phases.iter().map(|p| p.starts_on).min()?;
        let to = self.phases.iter().map(|p| p.ends_on).max()?;
        Some((from, to))
    }

    /// The phase `d` falls in.
    pub fn phase_on(&self, d: NaiveDate) -> Option<&campaign_phase::Model> {
        self.phases
            .iter()
            .find(|p| p.starts_on <= d && d <= p.ends_on)
    }

    /// The first phase of a kind.
    pub fn phase_of(&self, kind: PhaseKind) -> Option<&campaign_phase::Model> {
        self.phases.iter().find(|p| p.kind == kind.code())
    }

    /// Whether `d` lies in the campaign's period.
    pub fn runs_on(&self, d: NaiveDate) -> bool {
        self.span().is_some_and(|(a, b)| a <= d && d <= b)
    }
}

/// Label of a phase kind code (the code itself if unknown).
pub fn phase_label(code: &str) -> &str {
    match PhaseKind::from_code(code) {
        Some(k) => k.label(),
        None => code,
    }
}

// ---- seeding ------------------------------------------------------------------------------

/// Seeds a new database: catalogue version 1 when there is no catalogue, and the notice's
/// campaign when there is no campaign. Idempotent (each part only when its table is empty).
pub async fn seed_if_empty(store: &Store) -> StoreResult<()> {
    let need_items = checklist_item::Entity::find().count(&store.db).await? == 0;
    let need_campaign = campaign::Entity::find().count(&store.db).await? == 0;
    if !need_items && !need_campaign {
        return sync_rule_links(store).await;
    }
    let txn = store.write().await?;
    let now = store.now();
    let mut seeded = Vec::new();
    if need_items && checklist_item::Entity::find().count(&*txn).await? == 0 {
        let n = insert_catalogue(&*txn, core::LATEST_CATALOGUE_VERSION).await?;
        seeded.push(format!(
            "catalogue v{} ({n} items)",
            core::LATEST_CATALOGUE_VERSION
        ));
    }
    if need_campaign && campaign::Entity::find().count(&*txn).await? == 0 {
        let id = insert_campaign(&*txn, &core::notice_campaign(), Origin::default(), now).await?;
        seeded.push(format!("campaign:{id}"));
    }
    if !seeded.is_empty() {
        let ev = Event::ok("campaign.seed", "campaigns").with_detail(seeded.join("; "));
        audit::append(&*txn, now, &Actor::system("system"), &ev).await?;
    }
    txn.commit().await
}

/// Brings the stored items' rule links up to the catalogue files: the links are data
/// about the checks, not the notice's text, and grow when checks are added (the records checks
/// linked the institutions' items). Items whose links already match are left alone.
async fn sync_rule_links(store: &Store) -> StoreResult<()> {
    let stored = checklist_item::Entity::find().all(&store.db).await?;
    let mut changed = Vec::new();
    for item in stored {
        let Some(items) = core::catalogue(item.version) else {
            continue;
        };
        let Some(it) = items.iter().find(|i| i.code == item.code) else {
            continue;
        };
        let rules = it
            .rules
            .iter()
            .map(|r| r.code())
            .collect::<Vec<_>>()
            .join(",");
        if rules != item.rules {
            changed.push((item.id, item.code, rules));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let txn = store.write().await?;
    for (id, _, rules) in &changed {
        checklist_item::Entity::update_many()
            .col_expr(checklist_item::Column::Rules, Expr::value(rules.clone()))
            .filter(checklist_item::Column::Id.eq(*id))
            .exec(&*txn)
            .await?;
    }
    let codes: Vec<&str> = changed.iter().map(|c| c.1.as_str()).collect();
    let ev = Event::ok("campaign.rule_links", "checklist_items")
        .with_detail(format!("updated {}", codes.join(",")));
    audit::append(&*txn, store.now(), &Actor::system("system"), &ev).await?;
    txn.commit().await?;
    Ok(())
}

async fn insert_catalogue<C: ConnectionTrait>(db: &C, version: i32) -> StoreResult<usize> {
    let items = core::catalogue(version)
        .ok_or_else(|| StoreError::Validation(format!("检查条目第{version}版不存在")))?;
    let rows: Vec<checklist_item::ActiveModel> = items
        .iter()
        .map(|it| checklist_item::ActiveModel {
            version: Set(version),
            kind: Set(it.kind.code().to_string()),
            code: Set(it.code.clone()),
            seq: Set(it.seq),
            section: Set(it.section.clone()),
            text: Set(it.text.clone()),
            rules: Set(it
                .rules
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(",")),
            ..Default::default()
        })
        .collect();
    let n = rows.len();
    checklist_item::Entity::insert_many(rows).exec(db).await?;
    Ok(n)
}

/// Who sets a new campaign and whose it is.
#[derive(Default)]
struct Origin {
    doc_number: Option<String>,
    copied_from: Option<i32>,
    created_by: Option<i32>,
    district_id: Option<i32>,
}

async fn insert_campaign<C: ConnectionTrait>(
    db: &C,
    c: &core::CampaignDraft,
    o: Origin,
    now: i64,
) -> StoreResult<i32> {
    let m = campaign::ActiveModel {
        name: Set(c.name.clone()),
        issuing_office: Set(c.issuing_office.clone()),
        doc_number: Set(o.doc_number),
        doc_text: Set(c.doc_text.clone()),
        doc_file_id: Set(None),
        catalogue_version: Set(c.catalogue_version),
        summary_due: Set(c.summary_due),
        copied_from: Set(o.copied_from),
        created_at: Set(now),
        created_by: Set(o.created_by),
        district_id: Set(o.district_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let phases: Vec<campaign_phase::ActiveModel> = c
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| campaign_phase::ActiveModel {
            campaign_id: Set(m.id),
            seq: Set(i as i32 + 1),
            kind: Set(p.kind.code().to_string()),
            name: Set(p.name.clone()),
            starts_on: Set(p.starts_on),
            ends_on: Set(p.ends_on),
            ..Default::default()
        })
        .collect();
    if !phases.is_empty() {
        campaign_phase::Entity::insert_many(phases).exec(db).await?;
    }
    Ok(m.id)
}

/// Inserts a campaign record as it is (the demo's campaign); the caller audits.
pub async fn insert_draft<C: ConnectionTrait>(
    db: &C,
    c: &core::CampaignDraft,
    copied_from: Option<i32>,
    now: i64,
) -> StoreResult<i32> {
    let o = Origin {
        copied_from,
        ..Origin::default()
    };
    insert_campaign(db, c, o, now).await
}

// ---- reading ------------------------------------------------------------------------------

async fn with_phases<C: ConnectionTrait>(
    db: &C,
    campaigns: Vec<campaign::Model>,
) -> StoreResult<Vec<CampaignInfo>> {
    let ids: Vec<i32> = campaigns.iter().map(|c| c.id).collect();
    let mut phases: HashMap<i32, Vec<campaign_phase::Model>> = HashMap::new();
    if !ids.is_empty() {
        for p in campaign_phase::Entity::find()
            .filter(campaign_phase::Column::CampaignId.is_in(ids))
            .order_by_asc(campaign_phase::Column::Seq)
            .all(db)
            .await?
        {
            phases.entry(p.campaign_id).or_default().push(p);
        }
    }
    Ok(campaigns
        .into_iter()
        .map(|c| CampaignInfo {
            phases: phases.remove(&c.id).unwrap_or_default(),
            campaign: c,
        })
        .collect())
}

/// The campaigns that apply in `district`: the city's, and the district's own.
fn applying_in(district: Option<i32>) -> Condition {
    let c = Condition::any().add(campaign::Column::DistrictId.is_null());
    match district {
        Some(d) => c.add(campaign::Column::DistrictId.eq(d)),
        None => c,
    }
}

/// What a scope reads of the campaigns: `None` every one (the city), else those that apply
/// in its district (the city's only for a city department).
async fn readable_by(store: &Store, scope: &Scope) -> StoreResult<Option<Condition>> {
    if scope.is_all() {
        return Ok(None);
    }
    Ok(Some(applying_in(home_district(store, scope).await?)))
}

/// The district whose campaigns a scope runs on (its own district's beside the city's);
/// `None` for the city and a city department, which run on the city's.
pub async fn home_district(store: &Store, scope: &Scope) -> StoreResult<Option<i32>> {
    if scope.is_all() {
        return Ok(None);
    }
    district_dates::district_of(store, scope).await
}

async fn listed(store: &Store, only: Option<Condition>) -> StoreResult<Vec<CampaignInfo>> {
    let mut q = campaign::Entity::find();
    if let Some(c) = only {
        q = q.filter(c);
    }
    let mut out = with_phases(&store.db, q.all(&store.db).await?).await?;
    out.sort_by_key(|c| std::cmp::Reverse((c.span().map(|s| s.0), c.campaign.id)));
    Ok(out)
}

/// The campaigns `scope` reads, the latest first: the city sees every one; anyone else the
/// city's and its own district's.
pub async fn list_for(store: &Store, scope: &Scope) -> StoreResult<Vec<CampaignInfo>> {
    let only = readable_by(store, scope).await?;
    listed(store, only).await
}

/// The campaigns that apply in `district` (the city's and its own), the latest first; the
/// city's only for `None`.
pub async fn list_in(store: &Store, district: Option<i32>) -> StoreResult<Vec<CampaignInfo>> {
    listed(store, Some(applying_in(district))).await
}

/// One campaign among those `only` selects (any when `None`).
async fn one(store: &Store, id: i32, only: Option<Condition>) -> StoreResult<Option<CampaignInfo>> {
    let mut q = campaign::Entity::find_by_id(id);
    if let Some(c) = only {
        q = q.filter(c);
    }
    let Some(c) = q.one(&store.db).await? else {
        return Ok(None);
    };
    Ok(with_phases(&store.db, vec![c]).await?.pop())
}

/// One campaign, whoever's.
pub async fn get(store: &Store, id: i32) -> StoreResult<Option<CampaignInfo>> {
    one(store, id, None).await
}

/// One campaign if `scope` reads it (another district's own is `None`, as if it did not
/// exist).
pub async fn get_for(store: &Store, scope: &Scope, id: i32) -> StoreResult<Option<CampaignInfo>> {
    let only = readable_by(store, scope).await?;
    one(store, id, only).await
}

/// One campaign if it applies in `district`: the city's, or the district's own (the city's
/// only for `None`). What a page runs on: the city's pages on the city's campaigns, a
/// district's on the city's and its own.
pub async fn get_in(
    store: &Store,
    district: Option<i32>,
    id: i32,
) -> StoreResult<Option<CampaignInfo>> {
    one(store, id, Some(applying_in(district))).await
}

/// The campaign running on `d` where town `town_id` lies (the city's, or its district's
/// own): what an inspection of a subject of that town on that day belongs to.
pub async fn running_in_town<C: ConnectionTrait>(
    db: &C,
    town_id: i32,
    d: NaiveDate,
) -> StoreResult<Option<CampaignInfo>> {
    let district = crate::entity::town::Entity::find_by_id(town_id)
        .one(db)
        .await?
        .map(|t| t.district_id);
    let all = campaign::Entity::find()
        .filter(applying_in(district))
        .all(db)
        .await?;
    Ok(with_phases(db, all)
        .await?
        .into_iter()
        .find(|c| c.runs_on(d)))
}

/// The city's current campaign on `today` (a one-district installation's): the one running,
/// else the latest started, else the next.
pub async fn current(store: &Store, today: NaiveDate) -> StoreResult<Option<CampaignInfo>> {
    current_in(store, today, None).await
}

/// The current campaign of district `district` on `today`, among the city's and its own.
pub async fn current_in(
    store: &Store,
    today: NaiveDate,
    district: Option<i32>,
) -> StoreResult<Option<CampaignInfo>> {
    let all = list_in(store, district).await?;
    let spans: Vec<(i32, NaiveDate, NaiveDate)> = all
        .iter()
        .filter_map(|c| c.span().map(|(a, b)| (c.campaign.id, a, b)))
        .collect();
    let id = core::pick_current(&spans, today);
    Ok(all.into_iter().find(|c| Some(c.campaign.id) == id))
}

/// The campaign `scope` runs on `today`: its district's current one (the city's or the
/// district's own), the city's for the city.
pub async fn current_for(
    store: &Store,
    scope: &Scope,
    today: NaiveDate,
) -> StoreResult<Option<CampaignInfo>> {
    let d = home_district(store, scope).await?;
    current_in(store, today, d).await
}

/// What the page header shows: the campaign running today and its phase, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseNow {
    pub campaign_id: i32,
    pub campaign_name: String,
    /// The phase today falls in (`None` between two phases).
    pub phase: Option<campaign_phase::Model>,
    /// The next phase, when today falls between two.
    pub next: Option<campaign_phase::Model>,
}

impl PhaseNow {
    /// `自查自改（2021-12-01至2022-03-31）` or `下一阶段：执法检查（2022-04-01起）`.
    pub fn label(&self) -> String {
        match (&self.phase, &self.next) {
            (Some(p), _) => format!("{}（{}至{}）", p.name, p.starts_on, p.ends_on),
            (None, Some(n)) => format!("下一阶段：{}（{}起）", n.name, n.starts_on),
            (None, None) => String::new(),
        }
    }
}

/// The campaign running on `today` in district `district` (the city's or its own; the city's
/// only for `None`) and its phase, as the district runs it: a city campaign on the district's
/// own dates where it set them (区县实施安排); `None` when none runs (the header then shows
/// 常态化监管). A few small queries: the campaigns that apply, their phases (a handful
/// a year), the district's dates.
pub async fn phase_now_in(
    store: &Store,
    today: NaiveDate,
    district: Option<i32>,
) -> StoreResult<Option<PhaseNow>> {
    use sea_orm::QuerySelect;
    let applying: Vec<(i32, String, Option<i32>)> = campaign::Entity::find()
        .select_only()
        .columns([
            campaign::Column::Id,
            campaign::Column::Name,
            campaign::Column::DistrictId,
        ])
        .filter(applying_in(district))
        .into_tuple()
        .all(&store.db)
        .await?;
    if applying.is_empty() {
        return Ok(None);
    }
    let mut by_campaign: HashMap<i32, Vec<campaign_phase::Model>> = HashMap::new();
    for p in campaign_phase::Entity::find()
        .filter(campaign_phase::Column::CampaignId.is_in(applying.iter().map(|c| c.0)))
        .order_by_asc(campaign_phase::Column::Seq)
        .all(&store.db)
        .await?
    {
        by_campaign.entry(p.campaign_id).or_default().push(p);
    }
    let running = by_campaign
        .iter()
        .filter_map(|(id, ps)| {
            let from = ps.iter().map(|p| p.starts_on).min()?;
            let to = ps.iter().map(|p| p.ends_on).max()?;
            (from <= today && today <= to).then_some((from, *id))
        })
        .max();
    let Some((_, id)) = running else {
        return Ok(None);
    };
    let Some((_, campaign_name, owner)) = applying.into_iter().find(|c| c.0 == id) else {
        return Ok(None);
    };
    let mut phases = by_campaign.remove(&id).unwrap_or_default();
    if let (Some(d), None) = (district, owner) {
        if let Some(x) = district_dates::of(store, id, d).await? {
            x.apply_to(&mut phases);
        }
    }
    Ok(Some(PhaseNow {
        campaign_id: id,
        campaign_name,
        phase: phases
            .iter()
            .find(|p| p.starts_on <= today && today <= p.ends_on)
            .cloned(),
        next: phases.iter().find(|p| p.starts_on > today).cloned(),
    }))
}

/// The catalogue items of a version, optionally of one kind, in catalogue order.
pub async fn items(
    store: &Store,
    version: i32,
    kind: Option<SubjectKind>,
) -> StoreResult<Vec<checklist_item::Model>> {
    let mut q = checklist_item::Entity::find().filter(checklist_item::Column::Version.eq(version));
    if let Some(k) = kind {
        q = q.filter(checklist_item::Column::Kind.eq(k.code()));
    }
    Ok(q.order_by_asc(checklist_item::Column::Seq)
        .all(&store.db)
        .await?)
}

/// The catalogue versions in the database, newest first.
pub async fn catalogue_versions(store: &Store) -> StoreResult<Vec<i32>> {
    use sea_orm::QuerySelect;
    let mut v: Vec<i32> = checklist_item::Entity::find()
        .select_only()
        .column(checklist_item::Column::Version)
        .distinct()
        .into_tuple()
        .all(&store.db)
        .await?;
    v.sort_unstable_by(|a, b| b.cmp(a));
    Ok(v)
}

/// The rule codes linked to an item.
pub fn item_rules(item: &checklist_item::Model) -> Vec<String> {
    item.rules
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

// ---- copying ------------------------------------------------------------------------------

/// The form that creates a campaign by copying another: the new name, an optional 文号, each
/// phase's dates (in the copied campaign's order) and the summary deadline, as typed.
#[derive(Debug, Clone, Default)]
pub struct CopyInput {
    pub name: String,
    pub doc_number: String,
    /// (starts_on, ends_on) per phase of the copied campaign.
    pub phases: Vec<(String, String)>,
    pub summary_due: String,
}

fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// Whether the scope sets campaigns (copies one for a new period): the city sets the city's,
/// a district's office in a city its own, a one-district installation's district its
/// installation's.
pub async fn may_copy(store: &Store, scope: &Scope) -> StoreResult<bool> {
    Ok(crate::registry::reference::acts_for(store, scope)
        .await?
        .is_some())
}

/// Creates a campaign by copying `from` (one `scope` reads): same document text and
/// catalogue version, the issuing office of the copy's owner; new name and dates, checked
/// (`validate_dates`) and not overlapping another campaign that applies where the new one
/// will (a city campaign: any campaign; a district's own: the city's and the district's).
/// One transaction, audited. Errors are per field, in Chinese.
#[tracing::instrument(skip_all, fields(from))]
pub async fn create_copy(
    store: &Store,
    scope: &Scope,
    actor: &Actor,
    from: i32,
    input: &CopyInput,
) -> StoreResult<i32> {
    // Whose the copy is: the city's (or a one-district installation's), or the district's.
    let owner = crate::registry::reference::acts_for(store, scope)
        .await?
        .ok_or(StoreError::Forbidden)?;
    let src = get_for(store, scope, from)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut errs: Vec<(&'static str, String)> = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        errs.push(("name", "名称：不能为空，且不超过100个字符".into()));
    }
    let doc_number = input.doc_number.trim().to_string();
    if doc_number.chars().count() > 100 {
        errs.push(("doc_number", "文号：不超过100个字符".into()));
    }
    if input.phases.len() != src.phases.len() {
        errs.push((
            "phases",
            "阶段数与所复制的专项整治不一致，请刷新页面后重试".into(),
        ));
    }
    let mut phases = Vec::new();
    for (i, (p, (a, b))) in src.phases.iter().zip(&input.phases).enumerate() {
        let at = format!("第{}阶段“{}”", i + 1, p.name);
        let starts = parse_date(a);
        let ends = parse_date(b);
        if starts.is_none() {
            errs.push((
                "phases",
                format!(
                    "{at} 开始日期：“{}”不是有效日期（格式如2023-04-01）",
                    a.trim()
                ),
            ));
        }
        if ends.is_none() {
            errs.push((
                "phases",
                format!(
                    "{at} 结束日期：“{}”不是有效日期（格式如2023-06-30）",
                    b.trim()
                ),
            ));
        }
        if let (Some(s), Some(e), Some(kind)) = (starts, ends, PhaseKind::from_code(&p.kind)) {
            phases.push(Phase {
                kind,
                name: p.name.clone(),
                starts_on: s,
                ends_on: e,
            });
        }
    }
    let summary_due = parse_date(&input.summary_due);
    if summary_due.is_none() {
        errs.push((
            "summary_due",
            format!(
                "总结报告截止日期：“{}”不是有效日期（格式如2023-09-15）",
                input.summary_due.trim()
            ),
        ));
    }
    if errs.is_empty() {
        if let Err(e) = core::validate_dates(&phases, summary_due.expect("checked")) {
            errs.extend(e.into_iter().map(|m| ("phases", m)));
        }
    }
    let txn = store.write().await?;
    if errs.is_empty() {
        let mut q = campaign::Entity::find();
        if owner.is_some() {
            q = q.filter(applying_in(owner));
        }
        let others = with_phases(&*txn, q.all(&*txn).await?).await?;
        let (from_d, to_d) = core::span(&phases).expect("validated: at least one phase");
        for o in &others {
            if o.campaign.name == name {
                errs.push(("name", format!("名称：“{name}”已存在，请换一个名称")));
            }
            if let Some((a, b)) = o.span() {
                if a <= to_d && from_d <= b {
                    errs.push((
                        "phases",
                        format!(
                            "整治期间（{from_d}至{to_d}）与“{}”（{a}至{b}）重叠",
                            o.campaign.name
                        ),
                    ));
                }
            }
        }
    }
    if !errs.is_empty() {
        return Err(StoreError::Fields(errs));
    }
    let issuing_office = match owner {
        Some(d) => crate::entity::district::Entity::find_by_id(d)
            .one(&*txn)
            .await?
            .map(|x| format!("{}安全生产委员会办公室", x.name))
            .unwrap_or_else(|| src.campaign.issuing_office.clone()),
        None => src.campaign.issuing_office.clone(),
    };
    let draft = core::CampaignDraft {
        name: name.clone(),
        issuing_office,
        doc_text: src.campaign.doc_text.clone(),
        catalogue_version: src.campaign.catalogue_version,
        summary_due: summary_due.expect("checked"),
        phases,
    };
    let now = store.now();
    let origin = Origin {
        doc_number: (!doc_number.is_empty()).then_some(doc_number),
        copied_from: Some(from),
        created_by: actor.user_id,
        district_id: owner,
    };
    let id = insert_campaign(&*txn, &draft, origin, now).await?;
    audit::append(
        &*txn,
        now,
        actor,
        &Event::ok("campaign.create", format!("campaign:{id}")).with_detail(match owner {
            Some(d) => format!("copied from campaign:{from}; {name}; district:{d}"),
            None => format!("copied from campaign:{from}; {name}"),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// The copy form's dates for `src` moved by whole years (its phases, then the deadline).
pub fn shifted_dates(src: &CampaignInfo, years: i32) -> (Vec<(String, String)>, String) {
    let phases = src.core_phases();
    match core::shift_campaign(&phases, src.campaign.summary_due, years * 12) {
        Some((p, due)) => (
            p.iter()
                .map(|p| (p.starts_on.to_string(), p.ends_on.to_string()))
                .collect(),
            due.to_string(),
        ),
        None => (
            phases
                .iter()
                .map(|p| (p.starts_on.to_string(), p.ends_on.to_string()))
                .collect(),
            src.campaign.summary_due.to_string(),
        ),
    }
}
