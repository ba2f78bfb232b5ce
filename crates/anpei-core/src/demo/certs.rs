//! Certificates held by the persons (the ledger) and the authoritative registry (登记库).

use super::calendar::{add_days, add_years, sub_years, valid_until};
use super::idgen::IdFactory;
use super::names;
use super::persons::{People, PersonMeta};
use super::plan::{
    self, MGR_LAPSED, MGR_NO_CERT, REVIEW_OVERDUE, SO_EXPIRED, SO_NO_CERT, SO_WRONG_CATEGORY,
};
use super::rng::Rng;
use crate::kinds::{special_op_category, CertType, Post, SPECIAL_OP_CATEGORIES};
use crate::ledger::{CertificateRecord, PersonRecord};
use crate::params::Params;
use crate::IdNumber;
use chrono::{Datelike, NaiveDate};

pub(crate) const ISSUER: &str = "重庆市应急管理局";

pub(crate) struct Certs {
    pub ledger: Vec<CertificateRecord>,
    pub registry: Vec<CertificateRecord>,
    /// Per person: the date his special-operation certificate was last reviewed.
    pub reviewed_on: Vec<Option<NaiveDate>>,
}

struct Ctx<'a> {
    rng: &'a mut Rng,
    ids: &'a mut IdFactory,
    as_of: NaiveDate,
    params: &'a Params,
    ledger: Vec<CertificateRecord>,
    /// Genuine earlier certificates that only the registry lists.
    registry_only: Vec<CertificateRecord>,
}

pub(crate) fn generate(
    rng: &mut Rng,
    as_of: NaiveDate,
    params: &Params,
    people: &People,
    ids: &mut IdFactory,
) -> Certs {
    let n = people.records.len();
    let mut cx = Ctx {
        rng,
        ids,
        as_of,
        params,
        ledger: Vec::with_capacity(n / 2),
        registry_only: Vec::new(),
    };
    let mut reviewed_on = vec![None; n];
    for (i, (p, m)) in people.records.iter().zip(&people.meta).enumerate() {
        match p.post {
            Post::PrincipalManager | Post::SafetyManager => cx.manager(p, m),
            Post::SpecialOperator => reviewed_on[i] = cx.special(p, m),
            Post::Employee => {}
        }
    }
    let registry = cx.registry();
    Certs {
        ledger: cx.ledger,
        registry,
        reviewed_on,
    }
}

impl Ctx<'_> {
    fn manager_cert(&mut self, id: &IdNumber, name: &str, from: NaiveDate) -> CertificateRecord {
        let years = self.params.manager_cert_validity_years;
        CertificateRecord {
            id_number: id.clone(),
            name: name.to_string(),
            cert_type: CertType::ManagerCompetency,
            cert_no: self.ids.manager_cert_no(self.rng, from.year()),
            category: None,
            operation_item: None,
            first_issued: Some(from),
            valid_from: Some(from),
            valid_until: Some(valid_until(from, years)),
            review_due: None,
            reviewed_on: None,
            issuer: Some(ISSUER.to_string()),
        }
    }

    /// A 考核合格证 obtained within months of taking the post (or brought from an earlier
    /// one) and renewed every three years; or none, or a lapsed one, as planned.
    fn manager(&mut self, p: &PersonRecord, m: &PersonMeta) {
        let years = self.params.manager_cert_validity_years;
        let earliest = add_years(p.id_number.birth_date(), 22);
        if m.flags & MGR_LAPSED != 0 {
            let from =
                add_days(sub_years(self.as_of, years), -self.rng.range(1, 900)).max(earliest);
            let c = self.manager_cert(&p.id_number, &p.name, from);
            self.ledger.push(c);
            return;
        }
        if m.flags & MGR_NO_CERT != 0 {
            return;
        }
        let s = p.appointed_on;
        let first = if self.rng.chance(0.3) {
            add_days(s, -self.rng.range(30, 5 * 365))
        } else {
            // High-risk managers must pass within the deadline; the others take their time.
            let max_days = if m.high_risk { 150 } else { 300 };
            add_days(s, self.rng.range(1, max_days))
        }
        .max(earliest);
        if first > self.as_of {
            return; // still waiting for the exam
        }
        let mut from = first;
        let mut previous = None;
        while add_years(from, years) <= self.as_of {
            previous = Some(from);
            from = add_years(from, years);
        }
        if let Some(prev) = previous {
            let c = self.manager_cert(&p.id_number, &p.name, prev);
            if self.rng.chance(0.15) {
                self.ledger.push(c);
            } else {
                self.registry_only.push(c);
            }
        }
        let c = self.manager_cert(&p.id_number, &p.name, from);
        self.ledger.push(c);
    }

    /// The 特种作业操作证 of a special operator (its number is his ID number); returns
    /// the date of its last review.
    fn special(&mut self, p: &PersonRecord, m: &PersonMeta) -> Option<NaiveDate> {
        let f = m.flags;
        if f & SO_NO_CERT != 0 {
            return None;
        }
        let own = p.special_category.as_deref().unwrap_or("电工作业");
        let category = if f & SO_WRONG_CATEGORY != 0 {
            let others = ["电工作业", "焊接与热切割作业", "高处作业"];
            others
                .iter()
                .copied()
                .find(|c| *c != own && self.rng.chance(0.6))
                .unwrap_or(if own == "电工作业" {
                    "焊接与热切割作业"
                } else {
                    "电工作业"
                })
        } else {
            own
        };
        let validity = self.params.special_cert_validity_years;
        let review = self.params.special_cert_review_years;
        let window = i64::from(self.params.review_window_days);
        let earliest = add_years(p.id_number.birth_date(), 18);
        let as_of = self.as_of;
        let (first, from, reviewed) = if f & SO_EXPIRED != 0 {
            let from = add_days(sub_years(as_of, validity), -self.rng.range(1, 700)).max(earliest);
            let done = self
                .rng
                .chance(0.8)
                .then(|| add_days(add_years(from, review), -self.rng.range(1, window - 1)));
            (from, from, done)
        } else if f & REVIEW_OVERDUE != 0 {
            let from = add_days(sub_years(as_of, review), -self.rng.range(1, 1000));
            let older = sub_years(from, validity);
            let first = if older >= earliest && self.rng.chance(0.4) {
                older
            } else {
                from
            };
            (first, from, None)
        } else {
            self.special_chain(p.appointed_on, earliest)
        };
        let item = operation_item(self.rng, category);
        self.ledger.push(CertificateRecord {
            id_number: p.id_number.clone(),
            name: p.name.clone(),
            cert_type: CertType::SpecialOperation,
            cert_no: p.id_number.as_str().to_string(),
            category: Some(category.to_string()),
            operation_item: Some(item.to_string()),
            first_issued: Some(first),
            valid_from: Some(from),
            valid_until: Some(valid_until(from, validity)),
            review_due: Some(add_years(from, review)),
            reviewed_on: reviewed,
            issuer: Some(ISSUER.to_string()),
        });
        reviewed
    }

    /// A compliant certificate: first issued before (mostly) or soon after the hire,
    /// renewed every six years, reviewed within the window before each review date.
    fn special_chain(
        &mut self,
        s: NaiveDate,
        earliest: NaiveDate,
    ) -> (NaiveDate, NaiveDate, Option<NaiveDate>) {
        let (validity, review) = (
            self.params.special_cert_validity_years,
            self.params.special_cert_review_years,
        );
        let window = i64::from(self.params.review_window_days);
        let as_of = self.as_of;
        let mut first = if self.rng.chance(0.65) {
            add_days(s, -self.rng.range(30, 6 * 365))
        } else {
            add_days(s, self.rng.range(0, 90))
        };
        if first > as_of {
            first = add_days(s, -self.rng.range(30, 400));
        }
        let first = first.max(earliest);
        let mut from = first;
        while add_years(from, validity) <= as_of {
            from = add_years(from, validity);
        }
        let due = add_years(from, review);
        let reviewed = if due < as_of {
            Some(add_days(due, -self.rng.range(1, window - 1)))
        } else {
            let opens = add_days(due, -window);
            let last = add_days(as_of, -1);
            (opens <= last && self.rng.chance(0.3))
                .then(|| add_days(opens, self.rng.range(0, (last - opens).num_days())))
        };
        (first, from, reviewed)
    }

    /// All genuine certificates, plus those of people who left or work elsewhere; a few
    /// ledger certificates are forged: missing, or the number belongs to someone else.
    fn registry(&mut self) -> Vec<CertificateRecord> {
        let n = self.ledger.len();
        let all: Vec<usize> = (0..n).collect();
        let mut forged = vec![0u8; n];
        for (k, i) in self
            .rng
            .sample(&all, plan::quota(n, 0.03))
            .into_iter()
            .enumerate()
        {
            forged[i] = if k % 2 == 0 { 1 } else { 2 };
        }
        let mut registry = Vec::with_capacity(n + n / 8 + self.registry_only.len());
        for (i, c) in self.ledger.iter().enumerate() {
            match forged[i] {
                0 => registry.push(c.clone()),
                1 => {}
                _ => {
                    let mut genuine = c.clone();
                    if c.cert_type == CertType::ManagerCompetency {
                        // The number was copied from another holder's certificate.
                        let male = self.rng.chance(0.7);
                        let birth = add_days(sub_years(self.as_of, 30), -self.rng.range(0, 9000));
                        genuine.id_number = self.ids.id_number(self.rng, birth, male);
                        genuine.name =
                            names::person_name(self.rng, male, &names::surname_weights());
                    } else {
                        genuine.name = names::altered_name(self.rng, &c.name);
                    }
                    registry.push(genuine);
                }
            }
        }
        registry.append(&mut self.registry_only);
        let weights = names::surname_weights();
        for _ in 0..n / 8 {
            let c = self.outsider(&weights);
            registry.push(c);
        }
        registry.sort_unstable_by(|a, b| a.cert_no.cmp(&b.cert_no));
        registry
    }

    /// A certificate of someone not on any ledger of the district.
    fn outsider(&mut self, surname_w: &[u32]) -> CertificateRecord {
        let male = self.rng.chance(0.8);
        let birth = add_days(sub_years(self.as_of, 28), -self.rng.range(0, 10_000));
        let id = self.ids.id_number(self.rng, birth, male);
        let name = names::person_name(self.rng, male, surname_w);
        let from = add_days(self.as_of, -self.rng.range(30, 7 * 365));
        if self.rng.chance(0.4) {
            return self.manager_cert(&id, &name, from);
        }
        let category = self.rng.pick(SPECIAL_OP_CATEGORIES).name;
        let due = add_years(from, self.params.special_cert_review_years);
        CertificateRecord {
            cert_no: id.as_str().to_string(),
            id_number: id,
            name,
            cert_type: CertType::SpecialOperation,
            category: Some(category.to_string()),
            operation_item: Some(operation_item(self.rng, category).to_string()),
            first_issued: Some(from),
            valid_from: Some(from),
            valid_until: Some(valid_until(from, self.params.special_cert_validity_years)),
            review_due: Some(due),
            reviewed_on: (due < self.as_of).then(|| add_days(due, -self.rng.range(1, 50))),
            issuer: Some(ISSUER.to_string()),
        }
    }
}

/// An 操作项目 of the category, the usual ones more often.
fn operation_item(rng: &mut Rng, category: &str) -> &'static str {
    let items = special_op_category(category)
        .map(|c| c.items)
        .unwrap_or(&["低压电工作业"]);
    match category {
        "电工作业" if rng.chance(0.6) => "低压电工作业",
        "焊接与热切割作业" if rng.chance(0.7) => "熔化焊接与热切割作业",
        _ => rng.pick::<&str>(items),
    }
}
