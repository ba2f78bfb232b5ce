//! Which persons break which rule. A real district has a minority of problems in every
//! category; choosing violators by quota (not coin flips) makes every ledger rule's code occur
//! whenever its population exists, at a rate close to the one intended.

use super::calendar::{add_months, sub_years};
use super::persons::People;
use super::rng::Rng;
use crate::kinds::Post;
use crate::params::Params;
use chrono::NaiveDate;

/// A manager without any 考核合格证 (a violation only at high-risk employers).
pub(crate) const MGR_NO_CERT: u16 = 1 << 0;
/// A manager whose 考核合格证 expired and was not renewed.
pub(crate) const MGR_LAPSED: u16 = 1 << 1;
/// A special operator with no 特种作业操作证.
pub(crate) const SO_NO_CERT: u16 = 1 << 2;
/// A special operator whose only certificate is of another category.
pub(crate) const SO_WRONG_CATEGORY: u16 = 1 << 3;
/// A special operator whose certificate expired.
pub(crate) const SO_EXPIRED: u16 = 1 << 4;
/// A valid special-operation certificate whose review is overdue.
pub(crate) const REVIEW_OVERDUE: u16 = 1 << 5;
pub(crate) const MGR_RETRAIN_SHORT: u16 = 1 << 6;
pub(crate) const EMP_RETRAIN_SHORT: u16 = 1 << 7;
pub(crate) const PREJOB_SHORT: u16 = 1 << 8;

/// `rate` of `n`, at least one when there is anyone at all.
pub(crate) fn quota(n: usize, rate: f64) -> usize {
    if n == 0 {
        0
    } else {
        ((n as f64 * rate).round() as usize).max(1)
    }
}

/// The populations of the ledger rules the violators are drawn from (indices into `People`).
#[derive(Default)]
struct Populations {
    hr_managers_due: Vec<usize>,
    other_managers: Vec<usize>,
    special: Vec<usize>,
    managers_retrain: Vec<usize>,
    employees_retrain: Vec<usize>,
    new_employees: Vec<usize>,
}

fn populations(as_of: NaiveDate, params: &Params, people: &People) -> Populations {
    let year_ago = sub_years(as_of, 1);
    let mut pop = Populations::default();
    for (i, (p, m)) in people.records.iter().zip(&people.meta).enumerate() {
        let s = p.appointed_on;
        if p.post.is_manager() {
            if m.high_risk && add_months(s, params.manager_cert_deadline_months) < as_of {
                pop.hr_managers_due.push(i);
            } else if !m.high_risk {
                pop.other_managers.push(i);
            }
            if s <= year_ago {
                pop.managers_retrain.push(i);
            }
        } else {
            if p.post == Post::SpecialOperator {
                pop.special.push(i);
            }
            if s <= year_ago {
                pop.employees_retrain.push(i);
            } else {
                pop.new_employees.push(i);
            }
        }
    }
    pop
}

pub(crate) fn assign(rng: &mut Rng, as_of: NaiveDate, params: &Params, people: &mut People) {
    let Populations {
        hr_managers_due,
        other_managers,
        special,
        managers_retrain,
        employees_retrain,
        new_employees,
    } = populations(as_of, params, people);
    let flags = &mut people.meta;
    let mut mark = |who: &[usize], flag: u16| {
        for &i in who {
            flags[i].flags |= flag;
        }
    };

    // MANAGER_CERT_MISSING: ~7 % of the high-risk managers past their deadline, half of
    // them never certified, half with a lapsed certificate (which is also CERT_EXPIRED).
    let chosen = rng.sample(&hr_managers_due, quota(hr_managers_due.len(), 0.07));
    let half = chosen.len().div_ceil(2);
    mark(&chosen[..half], MGR_NO_CERT);
    mark(&chosen[half..], MGR_LAPSED);
    // Elsewhere a certificate is customary, not required: a third have none, 4 % let it
    // lapse.
    let chosen = rng.sample(
        &other_managers,
        quota(other_managers.len(), 0.04) + other_managers.len() * 33 / 100,
    );
    let lapsed = quota(other_managers.len(), 0.04).min(chosen.len());
    mark(&chosen[..lapsed], MGR_LAPSED);
    mark(&chosen[lapsed..], MGR_NO_CERT);

    // Special operators: 5 % without a certificate of their category (a third of them hold
    // one of another category), 4 % expired, 5 % with an overdue review.
    let no_cert = quota(special.len(), 0.05);
    let expired = quota(special.len(), 0.04);
    let overdue = quota(special.len(), 0.05);
    let chosen = rng.sample(&special, no_cert + expired + overdue);
    let (a, rest) = chosen.split_at(no_cert.min(chosen.len()));
    let (b, c) = rest.split_at(expired.min(rest.len()));
    let wrong = a.len() / 3;
    mark(&a[..wrong], SO_WRONG_CATEGORY);
    mark(&a[wrong..], SO_NO_CERT);
    mark(b, SO_EXPIRED);
    mark(c, REVIEW_OVERDUE);

    let chosen = rng.sample(&managers_retrain, quota(managers_retrain.len(), 0.07));
    mark(&chosen, MGR_RETRAIN_SHORT);
    let chosen = rng.sample(&employees_retrain, quota(employees_retrain.len(), 0.06));
    mark(&chosen, EMP_RETRAIN_SHORT);
    let chosen = rng.sample(&new_employees, quota(new_employees.len(), 0.08));
    mark(&chosen, PREJOB_SHORT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_is_at_least_one_of_a_non_empty_population() {
        assert_eq!(quota(0, 0.05), 0);
        assert_eq!(quota(3, 0.05), 1);
        assert_eq!(quota(1000, 0.05), 50);
    }
}
