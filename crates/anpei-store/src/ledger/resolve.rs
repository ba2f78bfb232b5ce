//! Name → id lookups an import needs (towns, departments, industries), loaded once.

use crate::registry::reference;
use crate::{Scope, Store, StoreResult};
use std::collections::{HashMap, HashSet};

/// The reference lists by name, as the importer's scope sees them (its district's; every
/// district's for the city, where a town name that two districts share is ambiguous).
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// town name → (id, district id).
    pub towns: HashMap<String, (i32, i32)>,
    /// Town names that more than one district has (the city's import cannot place them by
    /// name alone).
    pub ambiguous_towns: HashSet<String>,
    /// (district id, town name) → town id, for a row that names its district.
    towns_in: HashMap<(i32, String), i32>,
    /// District name and code → (id, name).
    districts: HashMap<String, (i32, String)>,
    /// (district, department name) → id.
    pub departments: HashMap<(i32, String), i32>,
    /// (district, industry) → supervising department id.
    pub industries: HashMap<(i32, String), i32>,
    names_by_id: HashMap<i32, String>,
}

impl Names {
    pub async fn load(store: &Store, scope: &Scope) -> StoreResult<Names> {
        let mut n = Names::default();
        for d in reference::districts(store, scope).await? {
            if !d.code.is_empty() {
                n.districts.insert(d.code.clone(), (d.id, d.name.clone()));
            }
            n.districts.insert(d.name.clone(), (d.id, d.name));
        }
        for t in reference::towns(store, scope).await? {
            n.towns_in.insert((t.district_id, t.name.clone()), t.id);
            if n.towns
                .insert(t.name.clone(), (t.id, t.district_id))
                .is_some()
            {
                n.ambiguous_towns.insert(t.name);
            }
        }
        for name in &n.ambiguous_towns {
            n.towns.remove(name);
        }
        for (d, inds) in reference::departments(store, scope).await? {
            // A city department supervises across the districts; a subject's department is
            // its district's.
            let Some(district) = d.district_id else {
                continue;
            };
            for i in inds {
                n.industries.insert((district, i), d.id);
            }
            n.names_by_id.insert(d.id, d.name.clone());
            n.departments.insert((district, d.name), d.id);
        }
        Ok(n)
    }

    /// A town's id and district by name.
    pub fn town(&self, name: &str) -> Option<(i32, i32)> {
        self.towns.get(name).copied()
    }

    /// A row's town (id, district id), by its name and, when the row names one, its
    /// district (name or code); else what is wrong with them, in Chinese.
    pub fn place(&self, town: &str, district: Option<&str>) -> Result<(i32, i32), String> {
        let Some(d) = district else {
            return self.town(town).ok_or_else(|| {
                if self.ambiguous_towns.contains(town) {
                    format!("“{town}”在多个区县都有，请在“所属区县”列写明是哪个区县的")
                } else {
                    format!("“{town}”不是本区的镇街，应为本区镇街名录中的名称")
                }
            });
        };
        let (id, name) = self
            .districts
            .get(d)
            .ok_or_else(|| format!("所属区县“{d}”不在您的管辖范围内"))?;
        self.towns_in
            .get(&(*id, town.to_string()))
            .map(|t| (*t, *id))
            .ok_or_else(|| format!("“{town}”不是{name}的镇街"))
    }

    /// A town's name by id (for what an import changed).
    pub fn town_name(&self, id: i32) -> Option<String> {
        self.towns
            .iter()
            .find(|(_, &(t, _))| t == id)
            .map(|(n, _)| n.clone())
    }

    /// A department's name by id.
    pub fn department_name(&self, id: i32) -> Option<String> {
        self.names_by_id.get(&id).cloned()
    }

    /// The department of a subject in `district`: the one named, else the industry's, else
    /// (institutions without an industry) the department of the high-risk trades.
    pub fn department_for(
        &self,
        district: i32,
        named: Option<&str>,
        industry: Option<&str>,
    ) -> Option<i32> {
        match (named, industry) {
            (Some(n), _) => self.departments.get(&(district, n.to_string())).copied(),
            (None, Some(i)) => self.industries.get(&(district, i.to_string())).copied(),
            (None, None) => self
                .industries
                .get(&(
                    district,
                    crate::registry::reference::INSTITUTIONS_SUPERVISED_AS.to_string(),
                ))
                .copied(),
        }
    }
}
