//! Loads the demo district (generated in `anpei_core::demo`) and the demo accounts. The
//! ledger is written with batched inserts in one transaction: a half-loaded demo is never
//! left behind.

use crate::entity::{certificate, person, registry, subject, training};
use crate::platform::accounts::{self, NewUser};
use crate::platform::audit::{self, Actor, Event};
use crate::scope::Role;
use crate::{registry::reference, Store, StoreError, StoreResult};
use anpei_core::demo::{self as gen, DemoConfig, DemoDistrict};
use anpei_core::mask::{mask_id, mask_phone};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use std::collections::HashMap;

pub mod campaign;
pub mod collusion;
pub mod exams;
pub mod online;

/// Password of every demo account (printed by `anpei demo`).
pub const DEMO_PASSWORD: &str = "Anpei@2021";

/// A demo account: username, role, scope description.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub scope: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Loaded {
    pub subjects: usize,
    pub persons: usize,
    pub certificates: usize,
    pub trainings: usize,
}

async fn insert_batches<C, A, E>(db: &C, rows: Vec<A>) -> StoreResult<()>
where
    C: ConnectionTrait,
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E>,
{
    crate::ledger::bulk::insert_models(db, rows).await
}

/// The demo district for this database's reference lists (towns, departments and their
/// industries), without storing it: for exports and tests.
pub async fn generate(store: &Store, cfg: &DemoConfig) -> StoreResult<DemoDistrict> {
    let here = first_district(store).await?;
    let towns = reference::towns(store, &here).await?;
    let deps = reference::departments(store, &here).await?;
    Ok(generate_with(cfg, &towns, &deps))
}

fn generate_with(
    cfg: &DemoConfig,
    towns: &[crate::entity::town::Model],
    deps: &[(crate::entity::department::Model, Vec<String>)],
) -> DemoDistrict {
    let town_names: Vec<String> = towns.iter().map(|t| t.name.clone()).collect();
    let dep_lists: Vec<(String, Vec<String>)> = deps
        .iter()
        .map(|(d, i)| (d.name.clone(), i.clone()))
        .collect();
    gen::generate(cfg, &town_names, &dep_lists)
}

/// The city's districts and counties (GB/T 2260, 2022): code, name.
pub const DISTRICTS_CSV: &str = include_str!("../data/districts.csv");
/// The demo district's code and name.
pub const DEMO_DISTRICT: (&str, &str) = ("500112", "渝北区");
/// Towns and streets of the demo city's other districts (generated; 城关镇 in each, as
/// many counties have one).
const OTHER_TOWNS: &[(&str, &str)] = &[
    ("城关镇", "镇"),
    ("东城街道", "街道"),
    ("西城街道", "街道"),
    ("南山街道", "街道"),
    ("石桥镇", "镇"),
    ("龙泉镇", "镇"),
];
/// The city department above each district's emergency bureau in the demo city.
pub const CITY_DEPARTMENT: &str = "市应急管理局";

/// The demo district's reference lists, for a scope of the first district.
async fn first_district(store: &Store) -> StoreResult<crate::Scope> {
    let d = reference::all_districts(store)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?;
    Ok(crate::Scope::of_district(d.id))
}

/// Generates and stores the demo district (the first district, named 渝北区 if it has no
/// name yet). Refuses a database that already has subjects.
pub async fn load(store: &Store, cfg: &DemoConfig) -> StoreResult<(Loaded, DemoDistrict)> {
    if subject::Entity::find().count(&store.db).await? > 0 {
        return Err(StoreError::Conflict(
            "数据库中已有单位数据，演示数据只能载入空数据库".into(),
        ));
    }
    if reference::all_districts(store)
        .await?
        .iter()
        .any(|d| d.code.is_empty())
    {
        let (code, name) = DEMO_DISTRICT;
        reference::apply(
            store,
            &Actor::system("demo"),
            &reference::ReferenceList::Districts(vec![(code.into(), name.into())]),
        )
        .await?;
    }
    let here = first_district(store).await?;
    let towns = reference::towns(store, &here).await?;
    let deps = reference::departments(store, &here).await?;
    let district = generate_with(cfg, &towns, &deps);
    let loaded = insert_district(store, &district, &towns, &deps, true).await?;
    Ok((loaded, district))
}

/// The demo city: `n - 1` more districts from the city's list after the demo district, each
/// with generated towns, the demo district's departments (their emergency bureaus under
/// the city's [`CITY_DEPARTMENT`]) and a generated ledger half the demo district's size.
/// Returns the districts' names.
pub async fn load_other_districts(
    store: &Store,
    cfg: &DemoConfig,
    n: usize,
) -> StoreResult<Vec<String>> {
    let actor = Actor::system("demo");
    let here = first_district(store).await?;
    let base_deps = reference::departments(store, &here).await?;
    let others: Vec<(String, String)> = DISTRICTS_CSV
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .filter(|(code, _)| *code != DEMO_DISTRICT.0)
        .take(n.saturating_sub(1))
        .map(|(c, n)| (c.trim().to_string(), n.trim().to_string()))
        .collect();
    let mut all = vec![(DEMO_DISTRICT.0.to_string(), DEMO_DISTRICT.1.to_string())];
    all.extend(others.iter().cloned());
    reference::apply(
        store,
        &actor,
        &reference::ReferenceList::Districts(all.clone()),
    )
    .await?;
    let mut dep_rows = vec![reference::DepartmentRow {
        line: 0,
        name: CITY_DEPARTMENT.into(),
        industries: Vec::new(),
        district: Some(reference::CITY_LEVEL[0].into()),
        parent: None,
    }];
    let mut town_rows = Vec::new();
    for (_, name) in &all {
        for (d, industries) in &base_deps {
            dep_rows.push(reference::DepartmentRow {
                line: 0,
                name: d.name.clone(),
                industries: industries.clone(),
                district: Some(name.clone()),
                // The emergency bureau (the department of the high-risk trades).
                parent: industries
                    .iter()
                    .any(|i| i == reference::INSTITUTIONS_SUPERVISED_AS)
                    .then(|| CITY_DEPARTMENT.to_string()),
            });
        }
        if name == DEMO_DISTRICT.1 {
            continue;
        }
        for (t, kind) in OTHER_TOWNS {
            town_rows.push(reference::TownRow {
                line: 0,
                name: (*t).into(),
                kind: (*kind).into(),
                district: Some(name.clone()),
                code: None,
            });
        }
    }
    reference::apply(store, &actor, &reference::ReferenceList::Towns(town_rows)).await?;
    reference::apply(
        store,
        &actor,
        &reference::ReferenceList::Departments(dep_rows),
    )
    .await?;
    let districts = reference::all_districts(store).await?;
    let mut names = Vec::new();
    for (k, (code, name)) in others.iter().enumerate() {
        let Some(d) = districts.iter().find(|d| &d.code == code) else {
            continue;
        };
        let scope = crate::Scope::of_district(d.id);
        let towns = reference::towns(store, &scope).await?;
        let deps = reference::departments(store, &scope).await?;
        let sub = DemoConfig {
            seed: cfg.seed.wrapping_add(1 + k as u64),
            subjects: cfg.subjects.div_ceil(2),
            persons: cfg.persons.div_ceil(2),
            as_of: cfg.as_of,
        };
        let mut gen = generate_with(&sub, &towns, &deps);
        // The generator writes the demo district's name into institutions and addresses.
        let (demo_name, demo_short) = (DEMO_DISTRICT.1, DEMO_DISTRICT.1.trim_end_matches('区'));
        let short = name.trim_end_matches(['区', '县']);
        for s in &mut gen.subjects {
            s.name = s.name.replace(demo_name, name).replace(demo_short, short);
            if let Some(a) = &mut s.address {
                *a = a.replace(demo_name, name);
            }
        }
        gen.subjects[0].name = format!("重庆{short}示范化工有限公司");
        insert_district(store, &gen, &towns, &deps, false).await?;
        names.push(name.clone());
    }
    Ok(names)
}

/// Stores one generated district's ledger in one transaction (with the enforcement demo
/// for the first district).
async fn insert_district(
    store: &Store,
    district: &DemoDistrict,
    towns: &[crate::entity::town::Model],
    deps: &[(crate::entity::department::Model, Vec<String>)],
    with_enforcement: bool,
) -> StoreResult<Loaded> {
    let town_id: HashMap<&str, i32> = towns.iter().map(|t| (t.name.as_str(), t.id)).collect();
    let dep_id: HashMap<&str, i32> = deps.iter().map(|(d, _)| (d.name.as_str(), d.id)).collect();
    let industry_dep: HashMap<&str, i32> = deps
        .iter()
        .flat_map(|(d, inds)| inds.iter().map(|i| (i.as_str(), d.id)))
        .collect();
    let now = store.now();
    let c = &store.crypto;

    let txn = store.write().await?;
    let mut subjects = Vec::with_capacity(district.subjects.len());
    for s in &district.subjects {
        let department_id = match (&s.department, &s.industry) {
            (Some(d), _) => dep_id.get(d.as_str()).copied(),
            (None, Some(i)) => industry_dep.get(i.as_str()).copied(),
            (None, None) => None,
        }
        .ok_or_else(|| StoreError::Validation(format!("演示单位“{}”没有主管部门", s.name)))?;
        let town = *town_id
            .get(s.town.as_str())
            .ok_or_else(|| StoreError::Validation(format!("镇街“{}”不存在", s.town)))?;
        subjects.push(subject::ActiveModel {
            id: NotSet,
            uscc: Set(s.uscc.to_string()),
            name: Set(s.name.clone()),
            kind: Set(s.kind),
            industry: Set(s.industry.clone()),
            department_id: Set(department_id),
            town_id: Set(town),
            address: Set(s.address.clone()),
            contact_name: Set(s.contact_name.clone()),
            contact_phone_enc: Set(s.contact_phone.as_deref().map(|p| c.encrypt(p))),
            contact_phone_masked: Set(s.contact_phone.as_deref().map(mask_phone)),
            status: Set(crate::enforcement::Qualification::Normal),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    insert_batches(&*txn, subjects).await?;
    let town_ids: Vec<i32> = towns.iter().map(|t| t.id).collect();
    let subject_ids: HashMap<String, i32> = subject::Entity::find()
        .select_only()
        .columns([subject::Column::Uscc, subject::Column::Id])
        .filter(subject::Column::TownId.is_in(town_ids))
        .into_tuple::<(String, i32)>()
        .all(&*txn)
        .await?
        .into_iter()
        .collect();

    let mut persons = Vec::with_capacity(district.persons.len());
    let mut employer_of: HashMap<&str, i32> = HashMap::with_capacity(district.persons.len());
    for p in &district.persons {
        let sid = *subject_ids
            .get(p.employer.as_str())
            .ok_or(StoreError::NotFound)?;
        employer_of.insert(p.id_number.as_str(), sid);
        persons.push(person::ActiveModel {
            id: NotSet,
            subject_id: Set(sid),
            name: Set(p.name.clone()),
            id_enc: Set(c.encrypt(p.id_number.as_str())),
            id_bidx: Set(c.blind_index(p.id_number.as_str())),
            id_masked: Set(p.id_number.masked()),
            phone_enc: Set(p.phone.as_deref().map(|x| c.encrypt(x))),
            phone_masked: Set(p.phone.as_deref().map(mask_phone)),
            post: Set(p.post.code().into()),
            special_category: Set(p.special_category.clone()),
            appointed_on: Set(p.appointed_on),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    insert_batches(&*txn, persons).await?;
    let person_ids: HashMap<String, i32> = person::Entity::find()
        .select_only()
        .columns([person::Column::IdBidx, person::Column::Id])
        .filter(person::Column::SubjectId.is_in(subject_ids.values().copied()))
        .into_tuple::<(String, i32)>()
        .all(&*txn)
        .await?
        .into_iter()
        .collect();
    let person_id = |id: &anpei_core::IdNumber| {
        person_ids
            .get(&c.blind_index(id.as_str()))
            .copied()
            .ok_or(StoreError::NotFound)
    };

    let mut certs = Vec::with_capacity(district.certificates.len());
    for k in &district.certificates {
        certs.push(certificate::ActiveModel {
            id: NotSet,
            person_id: Set(person_id(&k.id_number)?),
            cert_type: Set(k.cert_type.code().into()),
            cert_no_enc: Set(c.encrypt(&k.cert_no)),
            cert_no_bidx: Set(c.blind_index(&k.cert_no)),
            cert_no_masked: Set(mask_id(&k.cert_no)),
            category: Set(k.category.clone()),
            operation_item: Set(k.operation_item.clone()),
            first_issued: Set(k.first_issued),
            valid_from: Set(k.valid_from),
            valid_until: Set(k.valid_until),
            review_due: Set(k.review_due),
            reviewed_on: Set(k.reviewed_on),
            issuer: Set(k.issuer.clone()),
            created_at: Set(now),
        });
    }
    insert_batches(&*txn, certs).await?;

    let mut trainings = Vec::with_capacity(district.trainings.len());
    for t in &district.trainings {
        let sid = subject_ids
            .get(t.employer.as_str())
            .copied()
            .ok_or(StoreError::NotFound)?;
        trainings.push(training::ActiveModel {
            id: NotSet,
            person_id: Set(person_id(&t.id_number)?),
            subject_id: Set(sid),
            training_type: Set(t.training_type.code().into()),
            form: Set(t.form.code().into()),
            start_at: Set(t.start),
            end_at: Set(t.end),
            theory_hours: Set(t.theory_hours),
            practical_hours: Set(t.practical_hours),
            institution: Set(t.institution.clone()),
            score: Set(t.score),
            result: Set(t.result.clone()),
            created_at: Set(now),
        });
    }
    insert_batches(&*txn, trainings).await?;

    // The registry (登记库) the district checks certificates against.
    // One registry serves the city: a certificate another district's demo brought is there
    // already (the generators of two districts can draw the same number).
    let registered: std::collections::HashSet<String> = registry::Entity::find()
        .select_only()
        .column(registry::Column::CertNoBidx)
        .into_tuple::<String>()
        .all(&*txn)
        .await?
        .into_iter()
        .collect();
    let mut seen = std::collections::HashSet::new();
    let registry: Vec<registry::ActiveModel> = district
        .registry
        .iter()
        .filter(|k| {
            let bidx = c.blind_index(&k.cert_no);
            !registered.contains(&bidx) && seen.insert(bidx)
        })
        .map(|k| registry::ActiveModel {
            id: NotSet,
            cert_type: Set(k.cert_type.code().into()),
            cert_no_enc: Set(c.encrypt(&k.cert_no)),
            cert_no_bidx: Set(c.blind_index(&k.cert_no)),
            cert_no_masked: Set(mask_id(&k.cert_no)),
            holder_bidx: Set(c.blind_index(k.id_number.as_str())),
            holder_masked: Set(k.id_number.masked()),
            name: Set(k.name.clone()),
            category: Set(k.category.clone()),
            operation_item: Set(k.operation_item.clone()),
            first_issued: Set(k.first_issued),
            valid_from: Set(k.valid_from),
            valid_until: Set(k.valid_until),
            review_due: Set(k.review_due),
            reviewed_on: Set(k.reviewed_on),
            issuer: Set(k.issuer.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    insert_batches(&*txn, registry).await?;
    // Enforcement: a handful of inspections, decisions and typical cases.
    if with_enforcement {
        crate::enforcement::demo::load(&*txn, c, &store.params, now, store.today()).await?;
    }
    let loaded = Loaded {
        subjects: district.subjects.len(),
        persons: district.persons.len(),
        certificates: district.certificates.len(),
        trainings: district.trainings.len(),
    };
    let ev = Event::ok("demo.load", "district").with_detail(format!("{loaded:?}"));
    audit::append(&*txn, now, &Actor::system("demo"), &ev).await?;
    txn.commit().await?;
    Ok(loaded)
}

/// The demo accounts, one per role, scoped to the demo enterprise's town and department.
pub fn demo_accounts(district: &DemoDistrict) -> Vec<DemoAccount> {
    let first = &district.subjects[0];
    vec![
        DemoAccount {
            username: "district".into(),
            role: Role::District,
            scope: String::new(),
        },
        DemoAccount {
            username: "department".into(),
            role: Role::Department,
            scope: "区应急管理局".into(),
        },
        DemoAccount {
            username: "town".into(),
            role: Role::Town,
            scope: first.town.clone(),
        },
        DemoAccount {
            username: "enterprise".into(),
            role: Role::Subject,
            scope: first.uscc.to_string(),
        },
        DemoAccount {
            username: "sysadmin".into(),
            role: Role::Sysadmin,
            scope: String::new(),
        },
        DemoAccount {
            username: "secadmin".into(),
            role: Role::SecurityAdmin,
            scope: String::new(),
        },
        DemoAccount {
            username: "auditor".into(),
            role: Role::Auditor,
            scope: String::new(),
        },
    ]
}

/// Creates the demo accounts with `DEMO_PASSWORD` (hashing off the async runtime).
pub async fn create_accounts(store: &Store, accounts: &[DemoAccount]) -> StoreResult<()> {
    let hash = tokio::task::spawn_blocking(|| accounts::hash_password(DEMO_PASSWORD))
        .await
        .map_err(|e| StoreError::Validation(format!("口令散列失败：{e}")))?;
    let actor = Actor::system("demo");
    for a in accounts {
        let display = match a.role {
            Role::City => "市应急局演示用户".to_string(),
            Role::District if a.scope.is_empty() => "区应急局演示用户".to_string(),
            Role::District => format!("{}应急局演示用户", a.scope),
            Role::Sysadmin | Role::SecurityAdmin | Role::Auditor => a.role.label().to_string(),
            _ => format!("{}演示用户", a.scope),
        };
        let display = if a.role == Role::Subject {
            "企业演示用户".to_string()
        } else {
            display
        };
        accounts::create_user(
            store,
            &actor,
            NewUser {
                username: a.username.clone(),
                display_name: display,
                role: a.role,
                scope: (!a.scope.is_empty()).then(|| a.scope.clone()),
                password_hash: hash.clone(),
                must_change_password: false,
            },
        )
        .await?;
    }
    Ok(())
}
