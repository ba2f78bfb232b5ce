//! Name → id lookups an import needs (towns, departments, industries), loaded once.

use crate::registry::reference;
use crate::{Store, StoreResult};
use std::collections::HashMap;

/// The reference lists by name.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub towns: HashMap<String, i32>,
    pub departments: HashMap<String, i32>,
    /// industry → supervising department id.
    pub industries: HashMap<String, i32>,
}

impl Names {
    pub async fn load(store: &Store) -> StoreResult<Names> {
        let towns = reference::towns(store)
            .await?
            .into_iter()
            .map(|t| (t.name, t.id))
            .collect();
        let mut departments = HashMap::new();
        let mut industries = HashMap::new();
        for (d, inds) in reference::departments(store).await? {
            for i in inds {
                industries.insert(i, d.id);
            }
            departments.insert(d.name, d.id);
        }
        Ok(Names {
            towns,
            departments,
            industries,
        })
    }

    /// A town's name by id (for what an import changed).
    pub fn town_name(&self, id: i32) -> Option<String> {
        self.towns
            .iter()
            .find(|(_, &t)| t == id)
            .map(|(n, _)| n.clone())
    }

    /// A department's name by id.
    pub fn department_name(&self, id: i32) -> Option<String> {
        self.departments
            .iter()
            .find(|(_, &d)| d == id)
            .map(|(n, _)| n.clone())
    }

    /// The department of a subject: the one named, else the industry's, else (institutions
    /// without an industry) the department of the high-risk trades.
    pub fn department_for(&self, named: Option<&str>, industry: Option<&str>) -> Option<i32> {
        match (named, industry) {
            (Some(n), _) => self.departments.get(n).copied(),
            (None, Some(i)) => self.industries.get(i).copied(),
            (None, None) => self
                .industries
                .get(crate::registry::reference::INSTITUTIONS_SUPERVISED_AS)
                .copied(),
        }
    }
}
