//! The supervised subjects (单位): enterprises by industry, training institutions, exam
//! sites and exam institutions.

use super::idgen::IdFactory;
use super::names;
use super::persons::People;
use super::rng::Rng;
use super::{DemoConfig, DEMO_ENTERPRISE_NAME, DEMO_ENTERPRISE_TOWN, HAZCHEM};
use crate::kinds::{Post, SubjectKind};
use crate::ledger::SubjectRecord;
use crate::params::Params;
use std::collections::HashSet;

/// The industries enterprises are drawn from, split into high-risk and the rest, with
/// weights that make the usual ones (工贸, 建筑施工, 危险化学品 …) the most frequent.
pub(crate) struct Industries {
    pub high_risk: Vec<String>,
    high_risk_w: Vec<u32>,
    pub other: Vec<String>,
    other_w: Vec<u32>,
    /// The department that supervises 危险化学品: it also supervises the institutions.
    pub institution_department: Option<String>,
}

fn weight_of(industry: &str) -> u32 {
    match industry {
        "危险化学品" => 40,
        "金属冶炼" => 25,
        "非煤矿山" => 20,
        "烟花爆竹" => 12,
        "煤矿" => 5,
        "工贸" | "工业企业" => 14,
        "建筑施工" => 12,
        "商贸" => 8,
        "道路运输" => 9,
        "特种设备" => 4,
        "燃气" | "成品油流通" | "学校" | "医疗机构" | "文化娱乐场所" => 3,
        "水路运输" | "城镇燃气管网" | "渔业船舶" | "民用爆炸物品" => 1,
        _ => 2,
    }
}

impl Industries {
    pub(crate) fn new(departments: &[(String, Vec<String>)], params: &Params) -> Self {
        let mut high_risk = Vec::new();
        let mut other = Vec::new();
        for industry in departments.iter().flat_map(|d| d.1.iter()) {
            let list = if params.is_high_risk(industry) {
                &mut high_risk
            } else {
                &mut other
            };
            if !list.contains(industry) {
                list.push(industry.clone());
            }
        }
        if high_risk.is_empty() {
            high_risk.push(HAZCHEM.to_string());
        }
        if other.is_empty() {
            other.push("工贸".to_string());
        }
        let institution_department = departments
            .iter()
            .find(|d| d.1.iter().any(|i| i == HAZCHEM))
            .or(departments.first())
            .map(|d| d.0.clone());
        Self {
            high_risk_w: high_risk.iter().map(|i| weight_of(i)).collect(),
            other_w: other.iter().map(|i| weight_of(i)).collect(),
            high_risk,
            other,
            institution_department,
        }
    }

    fn draw(&self, rng: &mut Rng, high_risk: bool) -> &str {
        if high_risk {
            &self.high_risk[rng.weighted(&self.high_risk_w)]
        } else {
            &self.other[rng.weighted(&self.other_w)]
        }
    }
}

/// How many subjects of each kind: ~87 % enterprises, 6 % training institutions, 5 % exam
/// sites, 2 % exam institutions, at least one of each from four subjects on.
fn kind_counts(n: usize) -> [usize; 4] {
    if n < 4 {
        return [n, 0, 0, 0];
    }
    let share = |pct: usize| ((n * pct + 50) / 100).max(1);
    let (ti, es, ei) = (share(6), share(5), share(2));
    [n - ti - es - ei, ti, es, ei]
}

/// The kinds of the subjects after the demo enterprise, in random order, and for the
/// enterprises among them whether they are high-risk: a third of all enterprises are.
fn kinds_in_order(rng: &mut Rng, n: usize) -> (Vec<SubjectKind>, Vec<bool>) {
    let [ent, ti, es, ei] = kind_counts(n);
    let mut kinds = Vec::with_capacity(n - 1);
    kinds.extend(std::iter::repeat_n(SubjectKind::Enterprise, ent - 1));
    kinds.extend(std::iter::repeat_n(SubjectKind::TrainingInstitution, ti));
    kinds.extend(std::iter::repeat_n(SubjectKind::ExamSite, es));
    kinds.extend(std::iter::repeat_n(SubjectKind::ExamInstitution, ei));
    rng.shuffle(&mut kinds);
    let high_risk_more = ((ent + 1) / 3).saturating_sub(1);
    let mut hr_flags: Vec<bool> = (0..ent - 1).map(|i| i < high_risk_more).collect();
    rng.shuffle(&mut hr_flags);
    (kinds, hr_flags)
}

fn demo_enterprise(rng: &mut Rng, towns: &[String], ids: &mut IdFactory) -> SubjectRecord {
    let town = towns
        .iter()
        .find(|t| *t == DEMO_ENTERPRISE_TOWN)
        .unwrap_or(&towns[0]);
    SubjectRecord {
        uscc: ids.uscc(rng, "91"),
        name: DEMO_ENTERPRISE_NAME.to_string(),
        kind: SubjectKind::Enterprise,
        industry: Some(HAZCHEM.to_string()),
        department: None,
        town: town.clone(),
        district: None,
        address: Some(names::address(rng, town)),
        contact_name: None,
        contact_phone: None,
    }
}

pub(crate) fn generate(
    rng: &mut Rng,
    cfg: &DemoConfig,
    towns: &[String],
    industries: &Industries,
    ids: &mut IdFactory,
) -> Vec<SubjectRecord> {
    let n = cfg.subjects.max(1);
    // The first subject is the fixed demo enterprise; the others come in random order.
    let (kinds, hr_flags) = kinds_in_order(rng, n);
    let mut hr_flags = hr_flags.into_iter();
    let townships: Vec<&String> = towns.iter().filter(|t| t.ends_with('镇')).collect();
    let mut names_seen = HashSet::with_capacity(n);
    names_seen.insert(DEMO_ENTERPRISE_NAME.to_string());
    let mut out = Vec::with_capacity(n);
    out.push(demo_enterprise(rng, towns, ids));
    for kind in kinds {
        let (industry, high_risk) = if kind == SubjectKind::Enterprise {
            let hr = hr_flags.next().unwrap_or(false);
            (Some(industries.draw(rng, hr).to_string()), hr)
        } else {
            (None, false)
        };
        let town = if high_risk && !townships.is_empty() && rng.chance(0.7) {
            *rng.pick(&townships)
        } else {
            rng.pick(towns)
        };
        let name = unique_name(rng, &mut names_seen, kind, industry.as_deref());
        let prefix = match kind {
            SubjectKind::Enterprise => "91",
            SubjectKind::TrainingInstitution if name.ends_with("公司") => "91",
            SubjectKind::TrainingInstitution => "52",
            SubjectKind::ExamSite if rng.chance(0.4) => "52",
            SubjectKind::ExamSite | SubjectKind::ExamInstitution => "12",
        };
        out.push(SubjectRecord {
            uscc: ids.uscc(rng, prefix),
            name,
            kind,
            department: if kind == SubjectKind::Enterprise {
                None
            } else {
                industries.institution_department.clone()
            },
            industry,
            town: town.clone(),
            district: None,
            address: if rng.chance(0.97) {
                Some(names::address(rng, town))
            } else {
                None
            },
            contact_name: None,
            contact_phone: None,
        });
    }
    out
}

fn unique_name(
    rng: &mut Rng,
    seen: &mut HashSet<String>,
    kind: SubjectKind,
    industry: Option<&str>,
) -> String {
    for attempt in 0.. {
        let mut name = match kind {
            SubjectKind::Enterprise => names::enterprise_name(rng, industry.unwrap_or("工贸")),
            SubjectKind::TrainingInstitution => names::training_institution_name(rng),
            SubjectKind::ExamSite => names::exam_site_name(rng),
            SubjectKind::ExamInstitution => names::exam_institution_name(rng),
        };
        if attempt >= 40 {
            // Only reached when a huge district exhausts the name pools.
            name = format!("{name}（{}）", attempt - 39);
        }
        if seen.insert(name.clone()) {
            return name;
        }
    }
    unreachable!("the attempt counter is unbounded")
}

/// The contact of each subject is its (first) safety manager, else its principal.
pub(crate) fn fill_contacts(rng: &mut Rng, subjects: &mut [SubjectRecord], people: &People) {
    for (s, range) in subjects.iter_mut().zip(&people.ranges) {
        let staff = &people.records[range.clone()];
        let contact = staff
            .iter()
            .find(|p| p.post == Post::SafetyManager)
            .or_else(|| staff.iter().find(|p| p.post == Post::PrincipalManager));
        if let Some(p) = contact {
            s.contact_name = Some(p.name.clone());
            s.contact_phone = Some(p.phone.clone().unwrap_or_else(|| names::mobile(rng)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_counts_add_up_and_keep_one_of_each_kind() {
        for n in 4..500 {
            let c = kind_counts(n);
            assert_eq!(c.iter().sum::<usize>(), n);
            assert!(c.iter().all(|&k| k >= 1), "{n}: {c:?}");
        }
        assert_eq!(kind_counts(300), [261, 18, 15, 6]);
    }
}
