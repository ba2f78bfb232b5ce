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

/// What part of the district's business data an account reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The whole district.
    All,
    /// Subjects whose supervising department is this one (行业监管).
    Department(i32),
    /// Subjects located in this town or street (属地监管).
    Town(i32),
    /// One subject: its own data only.
    Subject(i32),
    /// No business data at all.
    Nothing,
}

/// The scope every query and write of business data starts from. It cannot be made from
/// numbers outside this crate: it comes from a signed-in account (`accounts::signed_in`), or is the district-wide handle of the jobs, the demo loader
/// and the CLI operator ([`Scope::district_wide`], one greppable name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(Reach);

impl Scope {
    /// The whole district, for the daily jobs, the demo loader and the operator at the
    /// console: every use of it is a decision to act district-wide.
    pub fn district_wide() -> Scope {
        Scope(Reach::All)
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
            Some(Role::District) => Reach::All,
            Some(Role::Department) => u
                .scope_department_id
                .map_or(Reach::Nothing, Reach::Department),
            Some(Role::Town) => u.scope_town_id.map_or(Reach::Nothing, Reach::Town),
            Some(Role::Subject) => u.scope_subject_id.map_or(Reach::Nothing, Reach::Subject),
            // The three administrators (三员) never see business data.
            Some(Role::Sysadmin | Role::SecurityAdmin | Role::Auditor) | None => Reach::Nothing,
        })
    }

    /// The filter on `subjects` columns.
    pub(crate) fn subject_condition(&self) -> Condition {
        match self.0 {
            Reach::All => Condition::all(),
            Reach::Department(d) => Condition::all().add(subject::Column::DepartmentId.eq(d)),
            Reach::Town(t) => Condition::all().add(subject::Column::TownId.eq(t)),
            Reach::Subject(s) => Condition::all().add(subject::Column::Id.eq(s)),
            Reach::Nothing => Condition::all().add(Expr::cust("1 = 0")),
        }
    }

    /// Whether a subject lies in this scope (the same predicate as `subject_condition`).
    pub fn contains(&self, s: &crate::model::Subject) -> bool {
        match self.0 {
            Reach::All => true,
            Reach::Department(d) => s.department_id == d,
            Reach::Town(t) => s.town_id == t,
            Reach::Subject(id) => s.id == id,
            Reach::Nothing => false,
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self.0, Reach::All)
    }
}

/// Subjects visible in `scope`.
pub(crate) fn subjects(scope: &Scope) -> Select<subject::Entity> {
    subject::Entity::find().filter(scope.subject_condition())
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
