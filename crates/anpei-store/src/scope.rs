//! The one scope mechanism: a signed-in user becomes a `Scope`, and every query,
//! count and export of business data starts from `subjects`, `persons`, `certificates` or
//! `trainings` below. Deny by default: a role without business data reaches nothing (`Reach::Nothing`).

use crate::entity::{certificate, person, subject, training, user};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, RelationTrait, Select};
use serde::{Deserialize, Serialize};

/// The roles an account can hold. Codes are stable (database, CLI `--role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市级: the city's office, over every district.
    City,
    District,
    Department,
    Town,
    Subject,
    Sysadmin,
    /// 安全管理员: security policy and role grants (三员分立; no business data).
    SecurityAdmin,
    /// 审计管理员: reads and verifies the audit log, nothing else.
    Auditor,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::City,
        Role::District,
        Role::Department,
        Role::Town,
        Role::Subject,
        Role::Sysadmin,
        Role::SecurityAdmin,
        Role::Auditor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::District => "district",
            Role::Department => "department",
            Role::Town => "town",
            Role::Subject => "subject",
            Role::Sysadmin => "sysadmin",
            Role::SecurityAdmin => "secadmin",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::City => "市级管理员",
            Role::District => "区级管理员",
            Role::Department => "部门用户",
            Role::Town => "镇街用户",
            Role::Subject => "主体用户",
            Role::Sysadmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::Auditor => "审计管理员",
        }
    }

    pub fn from_code(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.code() == s)
    }
}

/// What part of the installation's business data an account reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The whole installation: every district of the city.
    All,
    /// One district (区县): the subjects of its towns and streets.
    District(i32),
    /// Subjects whose supervising department is this district department (行业监管).
    Department(i32),
    /// Subjects whose supervising department is this city department or one of the
    /// district departments under it (an industry across the city).
    CityDepartment(i32),
    /// Subjects located in this town or street (属地监管).
    Town(i32),
    /// One subject: its own data only.
    Subject(i32),
    /// No business data at all.
    Nothing,
}

/// The scope every query and write of business data starts from. It cannot be made from
/// numbers outside this crate: it comes from a signed-in account (`accounts::signed_in`),
/// or is the installation-wide handle of the jobs, the demo loader and the CLI operator
/// ([`Scope::district_wide`], one greppable name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(Reach);

impl Scope {
    /// The whole installation (every district), for the daily jobs, the demo loader and
    /// the operator at the console: every use of it is a decision to act over everything.
    pub fn district_wide() -> Scope {
        Scope(Reach::All)
    }

    /// One district's scope, for the demo loader acting as that district's office.
    pub(crate) fn of_district(d: i32) -> Scope {
        Scope(Reach::District(d))
    }

    /// One subject's scope, for the demo loader acting as that subject's account (a training
    /// institution uploading its platform's logs).
    pub(crate) fn of_subject(s: i32) -> Scope {
        Scope(Reach::Subject(s))
    }

    /// A scope of the given reach, for the test suites only.
    #[cfg(feature = "test-support")]
    pub(crate) fn of(reach: Reach) -> Scope {
        Scope(reach)
    }

    /// What the scope reaches (to shape a page: which filters and columns to show).
    pub fn reach(&self) -> Reach {
        self.0
    }

    /// The scope of an account; an account whose scope column is missing, or whose role
    /// awaits the security administrator's grant, sees nothing.
    pub(crate) fn for_user(u: &user::Model) -> Scope {
        // A role requested by the system administrator is no role until granted.
        if u.awaiting_grant {
            return Scope(Reach::Nothing);
        }
        Scope(match Role::from_code(&u.role) {
            Some(Role::City) => Reach::All,
            Some(Role::District) => u.scope_district_id.map_or(Reach::Nothing, Reach::District),
            // Which of the two a department account is depends on its department's level,
            // read where the account is signed in (`accounts::signed_in`).
            Some(Role::Department) => u
                .scope_department_id
                .map_or(Reach::Nothing, Reach::Department),
            Some(Role::Town) => u.scope_town_id.map_or(Reach::Nothing, Reach::Town),
            Some(Role::Subject) => u.scope_subject_id.map_or(Reach::Nothing, Reach::Subject),
            // The three administrators (三员) never see business data.
            Some(Role::Sysadmin | Role::SecurityAdmin | Role::Auditor) | None => Reach::Nothing,
        })
    }

    /// The scope of an account as signed in: a department account's reach crosses the
    /// city when its department is a city department.
    pub(crate) async fn for_account<C: sea_orm::ConnectionTrait>(
        db: &C,
        u: &user::Model,
    ) -> Result<Scope, sea_orm::DbErr> {
        let s = Scope::for_user(u);
        if let Reach::Department(d) = s.0 {
            let dep = crate::entity::department::Entity::find_by_id(d)
                .one(db)
                .await?;
            if dep.is_some_and(|x| x.district_id.is_none()) {
                return Ok(s.lifted_to_city());
            }
        }
        Ok(s)
    }

    /// The filter on `subjects` columns.
    pub(crate) fn subject_condition(&self) -> Condition {
        match self.0 {
            Reach::All => Condition::all(),
            Reach::District(d) => Condition::all().add(in_district(d)),
            Reach::Department(d) => Condition::all().add(subject::Column::DepartmentId.eq(d)),
            Reach::CityDepartment(d) => Condition::all().add(under_department(d)),
            Reach::Town(t) => Condition::all().add(subject::Column::TownId.eq(t)),
            Reach::Subject(s) => Condition::all().add(subject::Column::Id.eq(s)),
            Reach::Nothing => Condition::all().add(Expr::cust("1 = 0")),
        }
    }

    /// Whether a subject lies in this scope (the same predicate as `subject_condition`);
    /// `district` is the district of the subject's town, `parent` the city department
    /// above the subject's department.
    pub fn contains(&self, s: &crate::model::Subject, district: i32, parent: Option<i32>) -> bool {
        match self.0 {
            Reach::All => true,
            Reach::District(d) => district == d,
            Reach::Department(d) => s.department_id == d,
            Reach::CityDepartment(d) => s.department_id == d || parent == Some(d),
            Reach::Town(t) => s.town_id == t,
            Reach::Subject(id) => s.id == id,
            Reach::Nothing => false,
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self.0, Reach::All)
    }

    /// A department account's scope once its department is known to be a city
    /// department.
    pub(crate) fn lifted_to_city(self) -> Scope {
        match self.0 {
            Reach::Department(d) => Scope(Reach::CityDepartment(d)),
            r => Scope(r),
        }
    }

    /// Whether the scope spans a whole district or more (the city, a district): the
    /// supervisor's views over towns and departments.
    pub fn is_district_level(&self) -> bool {
        matches!(self.0, Reach::All | Reach::District(_))
    }

    /// Whether a town lies in the scope's reach of towns (a department's reach crosses
    /// every town of its district, or of the city).
    pub(crate) async fn reaches_town<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        town_id: i32,
    ) -> Result<bool, sea_orm::DbErr> {
        let within = match self.0 {
            Reach::All | Reach::CityDepartment(_) => return Ok(true),
            Reach::Town(t) => return Ok(t == town_id),
            Reach::Subject(_) | Reach::Nothing => return Ok(false),
            Reach::District(d) => d,
            Reach::Department(d) => match crate::entity::department::Entity::find_by_id(d)
                .one(db)
                .await?
                .and_then(|x| x.district_id)
            {
                Some(district) => district,
                None => return Ok(false),
            },
        };
        Ok(crate::entity::town::Entity::find_by_id(town_id)
            .one(db)
            .await?
            .is_some_and(|t| t.district_id == within))
    }
}

/// `subjects.department_id IN (SELECT id FROM departments WHERE id = d OR parent_id = d)`.
fn under_department(d: i32) -> sea_orm::sea_query::SimpleExpr {
    use crate::entity::department;
    use sea_orm::sea_query::Query;
    subject::Column::DepartmentId.in_subquery(
        Query::select()
            .column(department::Column::Id)
            .from(department::Entity)
            .cond_where(
                Condition::any()
                    .add(department::Column::Id.eq(d))
                    .add(department::Column::ParentId.eq(d)),
            )
            .to_owned(),
    )
}

/// `subjects.town_id IN (SELECT id FROM towns WHERE district_id = d)`.
pub(crate) fn in_district(d: i32) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::Query;
    subject::Column::TownId.in_subquery(
        Query::select()
            .column(crate::entity::town::Column::Id)
            .from(crate::entity::town::Entity)
            .and_where(crate::entity::town::Column::DistrictId.eq(d))
            .to_owned(),
    )
}

/// Subjects visible in `scope`.
pub(crate) fn subjects(scope: &Scope) -> Select<subject::Entity> {
    subject::Entity::find().filter(scope.subject_condition())
}

/// [`subjects`] for a page in name order: the same rows, with a district's predicate put as
/// `EXISTS (SELECT 1 FROM towns WHERE towns.id = subjects.town_id AND district_id = d)`, which
/// lets the database walk the name index and stop at the page's end instead of sorting every
/// subject of the district (SQLite otherwise starts from the town index).
pub(crate) fn subjects_by_name(scope: &Scope) -> Select<subject::Entity> {
    use crate::entity::town;
    use sea_orm::sea_query::{Alias, Query};
    match scope.reach() {
        Reach::District(d) => {
            let t = Alias::new("scope_town");
            subject::Entity::find().filter(Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from_as(town::Entity, t.clone())
                    .and_where(
                        Expr::col((t.clone(), town::Column::Id))
                            .equals((subject::Entity, subject::Column::TownId)),
                    )
                    .and_where(Expr::col((t, town::Column::DistrictId)).eq(d))
                    .to_owned(),
            ))
        }
        _ => subjects(scope),
    }
}

/// The ids of the subjects visible in `scope`, as a subquery (`x.subject_id IN (…)`).
pub(crate) fn subject_ids(scope: &Scope) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::QueryTrait;
    subjects(scope)
        .select_only()
        .column(subject::Column::Id)
        .into_query()
}

/// Persons whose employer is visible in `scope`.
pub(crate) fn persons(scope: &Scope) -> Select<person::Entity> {
    match scope.reach() {
        Reach::All => person::Entity::find(),
        Reach::Subject(id) => person::Entity::find().filter(person::Column::SubjectId.eq(id)),
        _ => person::Entity::find()
            .join(
                sea_orm::JoinType::InnerJoin,
                person::Relation::Subject.def(),
            )
            .filter(scope.subject_condition()),
    }
}

/// Certificates of persons visible in `scope`.
pub(crate) fn certificates(scope: &Scope) -> Select<certificate::Entity> {
    let q = certificate::Entity::find();
    match scope.reach() {
        Reach::All => q,
        _ => q
            .join(
                sea_orm::JoinType::InnerJoin,
                certificate::Relation::Person.def(),
            )
            .join(
                sea_orm::JoinType::InnerJoin,
                person::Relation::Subject.def(),
            )
            .filter(scope.subject_condition()),
    }
}

/// Training records of subjects visible in `scope`.
pub(crate) fn trainings(scope: &Scope) -> Select<training::Entity> {
    let q = training::Entity::find();
    match scope.reach() {
        Reach::All => q,
        Reach::Subject(id) => q.filter(training::Column::SubjectId.eq(id)),
        _ => q
            .join(
                sea_orm::JoinType::InnerJoin,
                training::Relation::Subject.def(),
            )
            .filter(scope.subject_condition()),
    }
}

/// The property that every scoped query returns exactly what its scope contains, over random
/// scopes and a generated district.
#[cfg(test)]
#[path = "scope_props.rs"]
mod props;
