//! The key personnel (人员) of every subject: principals, safety managers, special
//! operators and employees, with a few large employers and many small ones.

use super::calendar::{add_days, add_years, sub_years};
use super::idgen::IdFactory;
use super::names;
use super::rng::Rng;
use super::DemoConfig;
use crate::kinds::{Post, SubjectKind};
use crate::ledger::{PersonRecord, SubjectRecord};
use chrono::NaiveDate;
use std::ops::Range;

/// What the generator knows about a person beyond the record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PersonMeta {
    pub high_risk: bool,
    /// The deliberate violations planned for this person (see `plan`).
    pub flags: u16,
}

pub(crate) struct People {
    pub records: Vec<PersonRecord>,
    pub meta: Vec<PersonMeta>,
    /// The persons of subject `i` are `records[ranges[i]]`.
    pub ranges: Vec<Range<usize>>,
}

/// Special-operation categories an industry employs, with weights.
pub(crate) fn special_categories(industry: &str) -> &'static [(&'static str, u32)] {
    match industry {
        "危险化学品" => &[("危险化学品安全作业", 7), ("电工作业", 3)],
        "建筑施工" => &[("高处作业", 4), ("焊接与热切割作业", 3), ("电工作业", 3)],
        "非煤矿山" => &[("金属非金属矿山安全作业", 17), ("电工作业", 3)],
        "金属冶炼" => &[
            ("冶金（有色）生产安全作业", 6),
            ("焊接与热切割作业", 2),
            ("电工作业", 2),
        ],
        "烟花爆竹" => &[("烟花爆竹安全作业", 1)],
        "煤矿" => &[("煤矿安全作业", 1)],
        _ => &[
            ("电工作业", 5),
            ("焊接与热切割作业", 3),
            ("制冷与空调作业", 2),
        ],
    }
}

/// The share of an enterprise's workforce (besides its managers) in special operations.
fn special_share(industry: &str, high_risk: bool) -> f64 {
    match industry {
        _ if high_risk => 0.24,
        "建筑施工" | "电力" | "特种设备" | "燃气" | "城镇燃气管网" => 0.2,
        "商贸" | "学校" | "医疗机构" | "文化娱乐场所" | "旅游景区" | "道路运输" => {
            0.04
        }
        _ => 0.12,
    }
}

/// Persons per subject: at least a principal and a safety manager, the rest by a
/// heavy-tailed (Pareto) weight so that a few employers are large.
fn sizes(rng: &mut Rng, subjects: &[SubjectRecord], target: usize) -> Vec<usize> {
    let n = subjects.len();
    let mins: Vec<usize> = (0..n).map(|i| if i == 0 { 12 } else { 2 }).collect();
    let weights: Vec<f64> = subjects
        .iter()
        .enumerate()
        .map(|(i, s)| match s.kind {
            _ if i == 0 => 6.0,
            SubjectKind::Enterprise => (1.0 - rng.unit()).powf(-1.0 / 1.3).min(80.0),
            _ => 0.4 + 0.4 * rng.unit(),
        })
        .collect();
    let rest = target.saturating_sub(mins.iter().sum());
    let total: f64 = weights.iter().sum();
    let mut sizes: Vec<usize> = mins
        .iter()
        .zip(&weights)
        .map(|(m, w)| m + (rest as f64 * w / total).floor() as usize)
        .collect();
    let short = target.saturating_sub(sizes.iter().sum());
    for _ in 0..short {
        sizes[rng.index(n)] += 1;
    }
    sizes
}

/// The posts of a subject of `k` persons: 1 principal, 1–3 safety managers, special
/// operators where the industry has them, employees.
fn posts(
    rng: &mut Rng,
    k: usize,
    s: &SubjectRecord,
    high_risk: bool,
    demo: bool,
) -> Vec<(Post, Option<&'static str>)> {
    let mut out = Vec::with_capacity(k);
    out.push((Post::PrincipalManager, None));
    if k < 2 {
        return out;
    }
    let managers = match k {
        0..=7 => 1,
        8..=29 => 1 + rng.index(2),
        30..=199 => 2 + rng.index(2),
        _ => 3,
    }
    .min(k - 1);
    out.extend(std::iter::repeat_n((Post::SafetyManager, None), managers));
    let rest = k - 1 - managers;
    let mut special = 0;
    if let Some(industry) = s.industry.as_deref() {
        let share = special_share(industry, high_risk);
        special = (rest as f64 * share * (0.7 + 0.6 * rng.unit())).round() as usize;
        if special == 0 && rest >= 3 && share >= 0.12 {
            special = 1;
        }
        if demo {
            special = special.max(3);
        }
        special = special.min(rest);
        let cats = special_categories(industry);
        let w: Vec<u32> = cats.iter().map(|c| c.1).collect();
        for _ in 0..special {
            out.push((Post::SpecialOperator, Some(cats[rng.weighted(&w)].0)));
        }
    }
    out.extend(std::iter::repeat_n((Post::Employee, None), rest - special));
    out
}

/// How long a person of the demo enterprise has held his post: its ledger must show both
/// old hands and a new hire, whatever the size of the district.
#[derive(Clone, Copy, PartialEq)]
enum Seniority {
    Any,
    Veteran,
    NewHire,
}

/// The seniority of the `j`-th of the posts of subject `i`.
fn seniority(i: usize, posts: &[(Post, Option<&str>)], j: usize) -> Seniority {
    if i != 0 {
        return Seniority::Any;
    }
    let post = posts[j].0;
    let first = posts.iter().position(|x| x.0 == post);
    let last = posts.iter().rposition(|x| x.0 == post);
    if first == Some(j) && post != Post::SafetyManager {
        Seniority::Veteran
    } else if last == Some(j) && post == Post::Employee {
        Seniority::NewHire
    } else {
        Seniority::Any
    }
}

/// 任职日期: spread over 15 years (more recent more likely); ~8 % hired within the year;
/// some high-risk managers appointed 3–12 months ago; never before the age of 18.
fn appointed(
    rng: &mut Rng,
    as_of: NaiveDate,
    birth: NaiveDate,
    post: Post,
    high_risk: bool,
    seniority: Seniority,
) -> NaiveDate {
    let days = if seniority == Seniority::Veteran {
        rng.range(730, 12 * 365)
    } else if seniority == Seniority::NewHire {
        rng.range(30, 330)
    } else if high_risk && post.is_manager() && rng.chance(0.15) {
        rng.range(91, 365)
    } else if rng.chance(0.08) {
        rng.range(0, 364)
    } else {
        365 + (rng.unit().powf(1.7) * (14.0 * 365.0)) as i64
    };
    add_days(as_of, -days).max(add_years(birth, 18))
}

pub(crate) fn generate(
    rng: &mut Rng,
    cfg: &DemoConfig,
    subjects: &[SubjectRecord],
    high_risk: &[bool],
    ids: &mut IdFactory,
) -> People {
    let sizes = sizes(rng, subjects, cfg.persons);
    let total: usize = sizes.iter().sum();
    let mut people = People {
        records: Vec::with_capacity(total),
        meta: Vec::with_capacity(total),
        ranges: Vec::with_capacity(subjects.len()),
    };
    let surname_w = names::surname_weights();
    for (i, (s, &k)) in subjects.iter().zip(&sizes).enumerate() {
        let start = people.records.len();
        let hr = high_risk[i];
        let institution = s.kind != SubjectKind::Enterprise;
        let posts = posts(rng, k, s, hr, i == 0);
        for (j, &(post, category)) in posts.iter().enumerate() {
            let (p_male, ages) = match post {
                Post::PrincipalManager | Post::SafetyManager => (0.8, (28, 58)),
                Post::SpecialOperator => (0.93, (24, 58)),
                Post::Employee if institution => (0.5, (22, 58)),
                Post::Employee => (0.62, (20, 58)),
            };
            let male = rng.chance(p_male);
            let age = rng.range(ages.0, ages.1) as u32;
            let birth = add_days(sub_years(cfg.as_of, age), -rng.range(0, 364));
            let seniority = seniority(i, &posts, j);
            people.records.push(PersonRecord {
                employer: s.uscc.clone(),
                name: names::person_name(rng, male, &surname_w),
                id_number: ids.id_number(rng, birth, male),
                phone: if rng.chance(0.92) {
                    Some(names::mobile(rng))
                } else {
                    None
                },
                post,
                special_category: category.map(str::to_string),
                appointed_on: appointed(rng, cfg.as_of, birth, post, hr, seniority),
            });
            people.meta.push(PersonMeta {
                high_risk: hr,
                flags: 0,
            });
        }
        people.ranges.push(start..people.records.len());
    }
    people
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::special_op_category;

    #[test]
    fn every_special_category_used_exists_in_the_vocabulary() {
        for industry in [
            "危险化学品",
            "建筑施工",
            "非煤矿山",
            "金属冶炼",
            "烟花爆竹",
            "煤矿",
            "工贸",
        ] {
            for (c, _) in special_categories(industry) {
                assert!(special_op_category(c).is_some(), "{c}");
            }
        }
    }
}
