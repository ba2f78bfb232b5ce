//! Valid, unique identifiers: credit codes, ID numbers and certificate numbers.

use super::rng::Rng;
use crate::ids::{IdNumber, Uscc};
use chrono::{Datelike, NaiveDate};
use std::collections::HashSet;

const USCC_CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Registration areas of the district's subjects: mostly 渝北区 itself.
const SUBJECT_AREAS: &[(&str, u32)] = &[
    ("500112", 85),
    ("500103", 4),
    ("500105", 4),
    ("500106", 3),
    ("500108", 2),
    ("500107", 2),
];

/// Birth places of the district's workforce (some codes are pre-2000 county codes, which
/// stay on old ID cards): 渝北 itself, other Chongqing districts and counties, Sichuan.
const PERSON_AREAS: &[(&str, u32)] = &[
    ("500112", 40),
    ("500103", 5),
    ("500105", 5),
    ("500106", 4),
    ("500108", 3),
    ("500101", 3),
    ("500102", 3),
    ("500221", 4),
    ("500222", 2),
    ("500223", 2),
    ("500224", 2),
    ("500226", 2),
    ("500228", 3),
    ("500230", 2),
    ("500231", 3),
    ("500233", 2),
    ("500235", 3),
    ("500236", 2),
    ("500237", 1),
    ("510113", 2),
    ("511602", 3),
    ("511321", 2),
    ("510722", 2),
    ("511623", 2),
];

pub(crate) struct IdFactory {
    ids: HashSet<u64>,
    usccs: HashSet<String>,
    cert_nos: HashSet<u64>,
    subject_area_w: Vec<u32>,
    person_area_w: Vec<u32>,
}

impl IdFactory {
    pub(crate) fn new(expected_persons: usize) -> Self {
        Self {
            ids: HashSet::with_capacity(expected_persons + expected_persons / 4),
            usccs: HashSet::new(),
            cert_nos: HashSet::with_capacity(expected_persons / 3),
            subject_area_w: SUBJECT_AREAS.iter().map(|a| a.1).collect(),
            person_area_w: PERSON_AREAS.iter().map(|a| a.1).collect(),
        }
    }

    /// A fresh credit code with the given two-character prefix (登记管理部门 + 机构类别):
    /// `91` enterprise, `52` private non-enterprise unit (民办学校), `12` public institution.
    pub(crate) fn uscc(&mut self, rng: &mut Rng, prefix: &str) -> Uscc {
        loop {
            let area = SUBJECT_AREAS[rng.weighted(&self.subject_area_w)].0;
            let mut body = String::with_capacity(18);
            body.push_str(prefix);
            body.push_str(area);
            if prefix == "91" && rng.chance(0.65) {
                // Codes issued since 2015 mostly carry an organisation code starting MA.
                body.push_str("MA");
                for _ in 0..7 {
                    body.push(USCC_CHARSET[rng.index(USCC_CHARSET.len())] as char);
                }
            } else {
                for _ in 0..9 {
                    body.push(char::from(b'0' + rng.below(10) as u8));
                }
            }
            let check = Uscc::check_char(&body).expect("body built from the charset");
            body.push(check);
            if self.usccs.insert(body.clone()) {
                return Uscc::parse(&body).expect("check character computed");
            }
        }
    }

    /// A fresh ID number for a person born on `birth`; the sequence's parity is the sex.
    pub(crate) fn id_number(&mut self, rng: &mut Rng, birth: NaiveDate, male: bool) -> IdNumber {
        let date = (birth.year() as u64) * 10_000
            + u64::from(birth.month()) * 100
            + u64::from(birth.day());
        loop {
            let area: u64 = PERSON_AREAS[rng.weighted(&self.person_area_w)]
                .0
                .parse()
                .unwrap_or(500_112);
            let seq = rng.below(500) * 2 + u64::from(male);
            let first = (area * 100_000_000 + date) * 1000 + seq;
            if !self.ids.insert(first) {
                continue;
            }
            let mut digits = [b'0'; 18];
            let mut rest = first;
            for d in digits[..17].iter_mut().rev() {
                *d = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let text = std::str::from_utf8(&digits[..17]).expect("ASCII digits");
            digits[17] = IdNumber::check_char(text).expect("17 digits") as u8;
            let text = std::str::from_utf8(&digits).expect("ASCII");
            return IdNumber::parse(text).expect("check digit computed");
        }
    }

    /// A fresh 考核合格证 number: 渝安管 + year + six digits.
    pub(crate) fn manager_cert_no(&mut self, rng: &mut Rng, year: i32) -> String {
        loop {
            let serial = rng.below(1_000_000);
            if self.cert_nos.insert(year as u64 * 1_000_000 + serial) {
                return format!("渝安管{year}{serial:06}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::areas::AreaCodes;

    #[test]
    fn every_area_of_the_demo_is_a_division_code() {
        for (code, _) in SUBJECT_AREAS.iter().chain(PERSON_AREAS) {
            assert!(AreaCodes::builtin().contains(code), "{code}");
        }
    }

    #[test]
    fn generated_identifiers_parse_and_are_unique() {
        let mut f = IdFactory::new(1000);
        let mut r = Rng::new(1);
        let birth = NaiveDate::from_ymd_opt(1980, 2, 29).unwrap();
        let mut seen = HashSet::new();
        for i in 0..2000 {
            let id = f.id_number(&mut r, birth, i % 2 == 0);
            assert!(IdNumber::parse_with_areas(id.as_str(), AreaCodes::builtin()).is_ok());
            assert_eq!(id.birth_date(), birth);
            let sex_digit = id.as_str().as_bytes()[16] - b'0';
            assert_eq!(sex_digit % 2 == 1, i % 2 == 0);
            assert!(seen.insert(id));
        }
        for p in ["91", "52", "12"] {
            let u = f.uscc(&mut r, p);
            assert!(u.as_str().starts_with(p));
            assert!(Uscc::parse(u.as_str()).is_ok());
        }
        let a = f.manager_cert_no(&mut r, 2024);
        assert!(a.starts_with("渝安管2024"));
        assert_eq!(a.chars().count(), 3 + 4 + 6);
    }
}
