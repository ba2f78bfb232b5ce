//! ID and phone numbers in a text that is going to be published (典型案例): found however
//! they are written — with spaces, hyphens or dots between the digit groups
//! (`138 0013 8000`, `138-0013-8000`), with the country code (`+86 13800138000`), in
//! full-width digits (`１３８００１３８０００`), with invisible characters between the
//! digits — and replaced by a note; and [`numbers_left`], the check that refuses to publish
//! a text in which a run of digits long enough to be personal still remains.
//!
//! Every character is read as NFKC makes it (full-width digits, letters, `＋`, `－` and the
//! ideographic space become ASCII; dashes of every kind a hyphen; zero-width characters a
//! separator), but the text that is kept keeps its own characters: only the numbers found
//! are replaced.

use unicode_normalization::UnicodeNormalization;

/// What an ID number becomes in a published text.
pub const ID_REMOVED: &str = "（身份证号已隐去）";
/// What a phone number becomes in a published text.
pub const PHONE_REMOVED: &str = "（电话号码已隐去）";

/// Digits in one number (its groups joined) from which it may not be published: a mobile
/// number has 11, an ID number 18 (15 for the old ones), a local fixed-line number 7 or 8.
pub const PERSONAL_DIGITS: usize = 7;

/// Most separator characters between two digit groups of one number (`138 - 0013`).
const MAX_GAP: usize = 3;

/// Stands for a character that is part of a date, so that no number runs through it.
const DATE: char = '#';

/// A character as the number search reads it.
fn fold(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    match c {
        // Invisible characters between digits separate them as a space would.
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => return ' ',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => return '-',
        _ => {}
    }
    let mut n = std::iter::once(c).nfkc();
    match (n.next(), n.next()) {
        (Some(f), None)
            if f.is_ascii_alphanumeric() || matches!(f, '+' | '-' | '.' | '(' | ')') =>
        {
            f
        }
        (Some(f), None) if f.is_whitespace() => ' ',
        _ if c.is_whitespace() => ' ',
        _ => c,
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '-' | '.' | '(' | ')')
}

/// How many ASCII digits (at most `max + 1`) stand at `i`.
fn digits_at(f: &[char], i: usize, max: usize) -> usize {
    f.get(i..)
        .unwrap_or(&[])
        .iter()
        .take(max + 1)
        .take_while(|c| c.is_ascii_digit())
        .count()
}

fn number(f: &[char], i: usize, len: usize) -> u32 {
    f[i..i + len]
        .iter()
        .fold(0, |n, c| n * 10 + c.to_digit(10).unwrap_or(0))
}

/// The end of a date (`2022-05-06`, `2022.5.6`, `2022/05/06`), a month (`2022-05`) or a
/// range of years (`2021-2022`) starting at `i`.
fn date_at(f: &[char], i: usize) -> Option<usize> {
    let year = |i: usize| digits_at(f, i, 4) == 4 && (1900..=2099).contains(&number(f, i, 4));
    if !year(i) || (i > 0 && f[i - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let sep = *f.get(i + 4).filter(|c| matches!(c, '-' | '.' | '/'))?;
    let m = digits_at(f, i + 5, 2);
    let mut end = None;
    if (1..=2).contains(&m) && (1..=12).contains(&number(f, i + 5, m)) {
        let after_month = i + 5 + m;
        let d = if f.get(after_month) == Some(&sep) {
            digits_at(f, after_month + 1, 2)
        } else {
            0
        };
        if (1..=2).contains(&d) && (1..=31).contains(&number(f, after_month + 1, d)) {
            end = Some(after_month + 1 + d);
        } else if sep != '.' {
            end = Some(after_month);
        }
    } else if sep == '-' && year(i + 5) {
        end = Some(i + 9);
    }
    end.filter(|e| f.get(*e).is_none_or(|c| !c.is_ascii_digit()))
}

/// Whether a date between `s` and `e` stands on its own: no digit group joined to it before
/// or after (a time such as ` 14:30` may follow). A date run into other digits may be the
/// birth date inside an ID number written in groups: it is not spared then.
fn isolated(f: &[char], s: usize, e: usize) -> bool {
    let mut k = s;
    while k > 0 && s - k < MAX_GAP && is_separator(f[k - 1]) {
        k -= 1;
    }
    if k < s && k > 0 && f[k - 1].is_ascii_digit() {
        return false;
    }
    let mut k = e;
    while k < f.len() && k - e < MAX_GAP && is_separator(f[k]) {
        k += 1;
    }
    if k == e || !f.get(k).is_some_and(char::is_ascii_digit) {
        return true;
    }
    let d = digits_at(f, k, 2);
    (1..=2).contains(&d) && matches!(f.get(k + d), Some(':' | '时' | '点'))
}

/// The folded text with the dates that stand on their own blanked out: they are not
/// numbers to look for.
fn folded(chars: &[char]) -> Vec<char> {
    let mut f: Vec<char> = chars.iter().copied().map(fold).collect();
    let mut dates = Vec::new();
    let mut i = 0;
    while i < f.len() {
        match date_at(&f, i) {
            Some(e) => {
                if isolated(&f, i, e) {
                    dates.push((i, e));
                }
                i = e;
            }
            None => i += 1,
        }
    }
    for (s, e) in dates {
        f[s..e].iter_mut().for_each(|c| *c = DATE);
    }
    f
}

/// The maximal runs of ASCII digits, as (start, end) character indexes.
fn groups(f: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < f.len() {
        if f[i].is_ascii_digit() {
            let s = i;
            while i < f.len() && f[i].is_ascii_digit() {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Whether two digit groups are parts of one number: a few separators and nothing else
/// between them.
fn joined(f: &[char], a: (usize, usize), b: (usize, usize)) -> bool {
    let gap = &f[a.1..b.0];
    (1..=MAX_GAP).contains(&gap.len()) && gap.iter().all(|c| is_separator(*c))
}

/// Whether the text just before `at` names a telephone (`电话`, `手机`, `联系方式` …).
fn phone_context(chars: &[char], at: usize) -> bool {
    let from = at.saturating_sub(8);
    let before: String = chars[from..at].iter().collect();
    let before = before.to_lowercase();
    ["电话", "手机", "联系方式", "座机", "传真", "tel", "phone"]
        .iter()
        .any(|w| before.contains(w))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Id,
    Phone,
}

/// What the digits of one candidate number are.
fn classify(
    digits: &str,
    check_x: bool,
    one_group: bool,
    plus: bool,
    phone: bool,
) -> Option<Found> {
    let n = digits.len();
    let mobile = |d: &str| d.len() == 11 && d.starts_with('1');
    if check_x {
        return (n == 17).then_some(Found::Id);
    }
    // Old 15-digit ID numbers only as one group: two numbers side by side often make 15.
    if n == 18 || (n == 15 && one_group) {
        return Some(Found::Id);
    }
    if mobile(digits) || (digits.starts_with('0') && (10..=12).contains(&n)) {
        return Some(Found::Phone);
    }
    // The country code: +86 or 0086, then a mobile or a fixed line without its leading 0.
    for cc in ["0086", "86"] {
        if let Some(rest) = digits.strip_prefix(cc) {
            let national =
                mobile(rest) || (rest.starts_with('0') && (10..=12).contains(&rest.len()));
            if national || ((plus || cc == "0086") && (9..=11).contains(&rest.len())) {
                return Some(Found::Phone);
            }
        }
    }
    (phone && (PERSONAL_DIGITS..=12).contains(&n)).then_some(Found::Phone)
}

/// Replaces the ID and phone numbers of `text` (see the module documentation). A number
/// inside a longer code (a credit code's digits) stays; a special-operation certificate
/// number (`T` and the holder's ID number) goes with its `T`.
pub fn strip_personal_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let f = folded(&chars);
    let gs = groups(&f);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut a = 0;
    'groups: while a < gs.len() {
        let start = gs[a].0;
        let free = |k: usize| k == 0 || !f[k - 1].is_ascii_alphanumeric();
        let after_t = start > 0 && matches!(f[start - 1], 'T' | 't') && free(start - 1);
        if !(free(start) || after_t) {
            a += 1;
            continue;
        }
        // The groups that may belong to this number, at most 22 digits in all.
        let mut last = a;
        let mut total = gs[a].1 - gs[a].0;
        while last + 1 < gs.len() && joined(&f, gs[last], gs[last + 1]) {
            total += gs[last + 1].1 - gs[last + 1].0;
            if total > 22 {
                break;
            }
            last += 1;
        }
        let plus = start > 0 && f[start - 1] == '+';
        let phone = phone_context(&chars, start);
        for b in (a..=last).rev() {
            let digits: String = gs[a..=b]
                .iter()
                .flat_map(|&(s, e)| f[s..e].iter())
                .collect();
            let end_digits = gs[b].1;
            let check_x = matches!(f.get(end_digits), Some('X' | 'x')) && digits.len() == 17;
            let end = end_digits + usize::from(check_x);
            if f.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let Some(found) = classify(&digits, check_x, a == b, plus, phone) else {
                continue;
            };
            let from = if after_t || plus { start - 1 } else { start };
            out.extend(&chars[pos..from]);
            out.push_str(match found {
                Found::Id => ID_REMOVED,
                Found::Phone => PHONE_REMOVED,
            });
            pos = end;
            a = b + 1;
            continue 'groups;
        }
        a += 1;
    }
    out.extend(&chars[pos..]);
    out
}

/// A run of digits left in a text that may not be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberLeft {
    /// The line of the text it is on, from 1.
    pub line: usize,
    /// Its digits, the middle ones hidden (`138******00`).
    pub shown: String,
}

/// Whether the alphanumeric token around `i` is a unified social credit code (18 upper-case
/// letters and digits, some letters among them): a public identifier of a company.
fn in_credit_code(f: &[char], i: usize) -> bool {
    let mut s = i;
    while s > 0 && f[s - 1].is_ascii_alphanumeric() {
        s -= 1;
    }
    let mut e = i;
    while e < f.len() && f[e].is_ascii_alphanumeric() {
        e += 1;
    }
    let token = &f[s..e];
    token.len() == 18
        && token
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && token.iter().any(char::is_ascii_uppercase)
}

/// Whether an amount's unit follows `at` (after spaces): `100 0000 元`.
fn amount_follows(f: &[char], at: usize) -> bool {
    f[at..]
        .iter()
        .find(|c| **c != ' ')
        .is_some_and(|c| matches!(c, '元' | '万' | '亿'))
}

/// The runs of [`PERSONAL_DIGITS`] or more digits (groups joined as
/// [`strip_personal_numbers`] joins them, wherever they stand) left in `text`; dates,
/// amounts (followed by 元, 万 or 亿) and credit codes are not counted. A text with any is
/// not published.
pub fn numbers_left(text: &str) -> Vec<NumberLeft> {
    let chars: Vec<char> = text.chars().collect();
    let f = folded(&chars);
    let gs: Vec<(usize, usize)> = groups(&f)
        .into_iter()
        .filter(|g| !in_credit_code(&f, g.0))
        .collect();
    let mut out = Vec::new();
    let mut a = 0;
    while a < gs.len() {
        let mut b = a;
        while b + 1 < gs.len() && joined(&f, gs[b], gs[b + 1]) {
            b += 1;
        }
        let digits: String = gs[a..=b]
            .iter()
            .flat_map(|&(s, e)| f[s..e].iter())
            .collect();
        if digits.len() >= PERSONAL_DIGITS && !amount_follows(&f, gs[b].1) {
            let n = digits.chars().count();
            let shown: String = digits
                .chars()
                .enumerate()
                .map(|(i, c)| if i < 3 || i + 2 >= n { c } else { '*' })
                .collect();
            out.push(NumberLeft {
                line: 1 + chars[..gs[a].0].iter().filter(|c| **c == '\n').count(),
                shown,
            });
        }
        a = b + 1;
    }
    out
}

/// `Err` with the message that refuses to publish `text` (named `field`: 标题, 正文) while
/// numbers remain in it (see [`numbers_left`]).
pub fn check_publishable(field: &str, text: &str) -> Result<(), String> {
    let left = numbers_left(text);
    let Some(first) = left.first() else {
        return Ok(());
    };
    let more = if left.len() > 1 {
        format!("等{}处", left.len())
    } else {
        String::new()
    };
    Err(format!(
        "{field}第{}行仍有疑似身份证号或电话号码的数字“{}”{more}：连续{PERSONAL_DIGITS}位及以上的数字（含以空格、横线分隔或全角书写的）不能公开，请删除或改写后再保存、发布。",
        first.line, first.shown
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_mobile_number_is_found_however_it_is_written() {
        for written in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "138 - 0013 - 8000",
            "138.0013.8000",
            "+86 13800138000",
            "+86-138-0013-8000",
            "＋８６ １３８ ００１３ ８０００",
            "0086 13800138000",
            "8613800138000",
            "１３８００１３８０００",
            "１３８－００１３－８０００",
            "138\u{200b}0013\u{200b}8000",
            "138\u{3000}0013\u{3000}8000",
            "138‐0013–8000",
        ] {
            let t = format!("联系人王某（{written}）已到场。");
            let d = strip_personal_numbers(&t);
            assert_eq!(
                d,
                format!("联系人王某（{PHONE_REMOVED}）已到场。"),
                "{written}"
            );
            assert!(numbers_left(&d).is_empty(), "{written}: {d}");
        }
    }

    #[test]
    fn an_id_number_is_found_with_spaces_and_a_lower_case_x() {
        for written in [
            "50011219800101123X",
            "50011219800101123x",
            "500112 19800101 123x",
            "500112-19800101-123X",
            "5001 1219 8001 0112 3X",
            "５００１１２１９８００１０１１２３Ｘ",
            "500112198001011234",
            "500112800101123",
        ] {
            let t = format!("身份证号{written}，");
            let d = strip_personal_numbers(&t);
            assert_eq!(d, format!("身份证号{ID_REMOVED}，"), "{written}");
        }
        // A certificate number is T and the holder's ID number: it goes whole.
        let d = strip_personal_numbers("证号T500112 19800101 123X。");
        assert_eq!(d, format!("证号{ID_REMOVED}。"));
    }

    #[test]
    fn fixed_lines_with_area_codes_and_named_local_numbers_go() {
        for (t, want) in [
            ("电话023-67824066。", format!("电话{PHONE_REMOVED}。")),
            ("电话 (023) 6782 4066。", format!("电话 ({PHONE_REMOVED}。")),
            ("+86 23 6782 4066。", format!("{PHONE_REMOVED}。")),
            (
                "联系电话：6782 4066。",
                format!("联系电话：{PHONE_REMOVED}。"),
            ),
        ] {
            assert_eq!(strip_personal_numbers(t), want, "{t}");
        }
    }

    #[test]
    fn amounts_dates_decision_numbers_and_credit_codes_stay() {
        let t = "统一社会信用代码91500112MA5U123456，决定书渝北应急罚〔2022〕15号，\
                 罚款100000元，于2022-05-06送达，2021-2022年度，2022.5.6复查，\
                 罚款 1 200 000 元，5人参加，第3条第2款。";
        assert_eq!(strip_personal_numbers(t), t);
        assert_eq!(numbers_left(t), Vec::new());
        // A phone beside a year keeps the year.
        let d = strip_personal_numbers("电话138 0013 8000 2022年入职");
        assert_eq!(d, format!("电话{PHONE_REMOVED} 2022年入职"));
    }

    #[test]
    fn what_is_left_is_named_by_line_with_the_middle_hidden() {
        let t = "第一行没有号码\n执法证号 5001 1201\nID50011219800101123X";
        let left = numbers_left(t);
        assert_eq!(
            left,
            vec![
                NumberLeft {
                    line: 2,
                    shown: "500***01".into()
                },
                NumberLeft {
                    line: 3,
                    shown: "500************23".into()
                },
            ]
        );
        let e = check_publishable("正文", t).unwrap_err();
        assert!(
            e.contains("正文第2行") && e.contains("500***01") && e.contains("等2处"),
            "{e}"
        );
        assert_eq!(check_publishable("标题", "某公司无证上岗案"), Ok(()));
    }

    fn spaced(digits: &str, sep: &str, every: usize) -> String {
        digits
            .chars()
            .collect::<Vec<_>>()
            .chunks(every)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(sep)
    }

    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(u32::from(c) - 0x30 + 0xFF10).unwrap(),
                'X' => 'Ｘ',
                _ => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn no_personal_number_survives_in_any_writing(
            pre in "[\\u4e00-\\u9fa5，。：]{0,6}",
            post in "[\\u4e00-\\u9fa5，。]{0,6}",
            mobile in "1[3-9][0-9]{9}",
            id in "[1-6][0-9]{16}[0-9X]",
            sep in prop::sample::select(vec![" ", "-", " - ", "\u{200b}", "\u{3000}", "－", "."]),
            every in 3usize..6,
            wide in any::<bool>(),
            cc in any::<bool>(),
        ) {
            let phone = spaced(&mobile, sep, every);
            let phone = if cc { format!("+86 {phone}") } else { phone };
            let idn = spaced(&id, sep, every);
            let (phone, idn) = if wide { (full_width(&phone), full_width(&idn)) } else { (phone, idn) };
            let t = format!("{pre}{phone}{post}，{idn}。");
            let d = strip_personal_numbers(&t);
            prop_assert!(numbers_left(&d).is_empty(), "{t} -> {d}");
            let digits: String = d
                .chars()
                .map(fold)
                .filter(char::is_ascii_digit)
                .collect();
            prop_assert!(!digits.contains(&mobile[3..]), "{t} -> {d}");
            prop_assert!(!digits.contains(&id[..17]), "{t} -> {d}");
        }

        #[test]
        fn any_text_is_stripped_and_checked_without_panicking(t in "\\PC{0,80}") {
            let d = strip_personal_numbers(&t);
            let _ = numbers_left(&d);
        }

        #[test]
        fn stripping_twice_changes_nothing(t in "[0-9 \\-+Xx\\u4e00-\\u4e10]{0,60}") {
            let once = strip_personal_numbers(&t);
            prop_assert_eq!(strip_personal_numbers(&once), once.clone());
        }
    }
}
