use super::*;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32, mi: u32) -> (NaiveDate, Option<NaiveTime>) {
    (
        date(y, m, d),
        Some(NaiveTime::from_hms_opt(h, mi, 0).unwrap()),
    )
}

#[test]
fn trims_ascii_full_width_and_no_break_spaces() {
    assert_eq!(trim(" \u{3000}张三\u{a0}\t"), "张三");
    assert_eq!(trim("\u{feff}姓名"), "姓名");
    assert_eq!(trim("\u{3000}"), "");
}

#[test]
fn folds_full_width_digits_and_punctuation() {
    assert_eq!(fold_fullwidth("２０２１－０３－０５"), "2021-03-05");
    assert_eq!(fold_fullwidth("９：００"), "9:00");
    assert!(matches!(fold_fullwidth("2021-03-05"), Cow::Borrowed(_)));
    assert!(matches!(fold_fullwidth("张三"), Cow::Borrowed(_)));
}

#[test]
fn reads_every_common_date_form() {
    let d = date(2021, 3, 5);
    for s in [
        "2021-03-05",
        "2021-3-5",
        "2021/3/5",
        "2021/03/05",
        "2021.3.5",
        "2021年3月5日",
        "2021年03月05日",
        "2021年3月5号",
        "2021年3月5",
        "20210305",
        "44260",
        " 2021-03-05\u{3000}",
        "２０２１年３月５日",
        "2021/3/5 0:00",
        "2021-03-05T00:00:00",
    ] {
        assert_eq!(parse_date(s), Ok(d), "{s}");
    }
}

#[test]
fn reads_every_common_date_time_form() {
    let want = at(2021, 3, 5, 9, 0);
    for s in [
        "2021-03-05 09:00",
        "2021/3/5 9:00",
        "2021-03-05 09:00:00",
        "2021-03-05T09:00:00",
        "2021-03-05 09:00:00.000",
        "2021年3月5日 9:00",
        "2021年3月5日9:00",
        "2021年3月5日 9时",
        "2021年3月5日9点00分",
        "2021.3.5  9:00",
        "44260.375",
        "２０２１－０３－０５　０９：００",
    ] {
        assert_eq!(parse_datetime(s), Ok(want), "{s}");
    }
    assert_eq!(
        parse_datetime("2021-03-05 17:30:15"),
        Ok((date(2021, 3, 5), NaiveTime::from_hms_opt(17, 30, 15)))
    );
    assert_eq!(parse_datetime("2021-03-05"), Ok((date(2021, 3, 5), None)));
}

#[test]
fn an_impossible_date_is_an_error_never_shifted() {
    assert_eq!(
        parse_date("2021-02-30"),
        Err(CellError::NoSuchDate("2021-02-30".into()))
    );
    assert_eq!(
        CellError::NoSuchDate("2021-02-30".into()).to_string(),
        "日期2021-02-30不存在，应为日历上有的日期，如2022-03-31"
    );
    assert_eq!(
        parse_date("2021/2/29"),
        Err(CellError::NoSuchDate("2021-02-29".into()))
    );
    assert_eq!(
        parse_date("2021年13月1日"),
        Err(CellError::NoSuchDate("2021-13-01".into()))
    );
    assert_eq!(
        parse_date("20210230"),
        Err(CellError::NoSuchDate("2021-02-30".into()))
    );
    assert_eq!(parse_date("2020-02-29"), Ok(date(2020, 2, 29)));
    assert_eq!(
        parse_datetime("2021-03-05 25:00"),
        Err(CellError::NoSuchTime("25:00".into()))
    );
}

#[test]
fn rejects_what_is_not_a_date() {
    for s in [
        "明天",
        "2021",
        "21-3-5",
        "2021-3",
        "2021-03-05 下午",
        "2021-03-0509:00",
        "3/5/2021",
        "2021-3/5",
    ] {
        assert!(
            matches!(
                parse_date(s),
                Err(CellError::DateFormat(_) | CellError::DateTimeFormat(_))
            ),
            "{s}: {:?}",
            parse_date(s)
        );
    }
    assert_eq!(parse_date(""), Err(CellError::Empty));
    assert_eq!(
        parse_date("0221-03-05"),
        Err(CellError::DateRange("0221-03-05".into()))
    );
}

#[test]
fn excel_serials_follow_excel_including_the_1900_leap_year_bug() {
    let ymd = |v: f64| excel_serial(v).map(|dt| dt.date());
    assert_eq!(ymd(1.0), Ok(date(1900, 1, 1)));
    assert_eq!(ymd(59.0), Ok(date(1900, 2, 28)));
    assert_eq!(ymd(60.0), Err(CellError::NoSuchDate("1900-02-29".into())));
    assert_eq!(ymd(61.0), Ok(date(1900, 3, 1)));
    assert_eq!(ymd(44260.0), Ok(date(2021, 3, 5)));
    assert_eq!(
        excel_serial(44260.75).unwrap(),
        date(2021, 3, 5).and_hms_opt(18, 0, 0).unwrap()
    );
    // 23:59:59.9 rounds to the next midnight rather than to a 24th hour.
    assert_eq!(
        excel_serial(44_260.999_999_9).unwrap(),
        date(2021, 3, 6).and_time(NaiveTime::MIN)
    );
    assert!(excel_serial(0.0).is_err());
    assert!(excel_serial(f64::NAN).is_err());
    assert_eq!(
        to_excel_serial(date(2021, 3, 5).and_time(NaiveTime::MIN)),
        44260.0
    );
    assert_eq!(
        to_excel_serial(date(1900, 1, 1).and_time(NaiveTime::MIN)),
        1.0
    );
}

#[test]
fn reads_numbers_from_text() {
    assert_eq!(parse_number(" 8 "), Ok(8.0));
    assert_eq!(parse_number("7.5"), Ok(7.5));
    assert_eq!(parse_number("１２"), Ok(12.0));
    assert_eq!(parse_number("-1"), Ok(-1.0));
    assert_eq!(parse_number(""), Err(CellError::Empty));
    for s in ["八", "8学时", "inf", "NaN", "1e999", "."] {
        assert!(parse_number(s).is_err(), "{s}");
    }
}

#[test]
fn formats_dates_times_and_numbers_as_the_import_reads_them() {
    let mut s = String::new();
    format_datetime(date(2021, 3, 5).and_hms_opt(9, 0, 0).unwrap(), &mut s);
    s.push('|');
    format_datetime(date(2021, 3, 5).and_hms_opt(9, 0, 7).unwrap(), &mut s);
    s.push('|');
    format_number(8.0, &mut s);
    s.push('|');
    format_number(7.25, &mut s);
    assert_eq!(s, "2021-03-05 09:00|2021-03-05 09:00:07|8|7.25");
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    let first = date(1900, 1, 1);
    let span = (date(2100, 12, 31) - first).num_days();
    (0..=span).prop_map(move |n| first + TimeDelta::days(n))
}

fn any_datetime() -> impl Strategy<Value = NaiveDateTime> {
    (any_date(), 0u32..24, 0u32..60, 0u32..60)
        .prop_map(|(d, h, m, s)| d.and_hms_opt(h, m, s).unwrap())
}

proptest! {
    #[test]
    fn parsers_never_panic_on_arbitrary_text(s in "\\PC{0,30}") {
        let _ = parse_date(&s);
        let _ = parse_datetime(&s);
        let _ = parse_number(&s);
        let _ = fold_fullwidth(&s);
    }

    #[test]
    fn parsers_never_panic_on_date_like_text(s in "[0-9０-９年月日号时点分秒:：/.\\- T]{0,24}") {
        let _ = parse_date(&s);
        let _ = parse_datetime(&s);
        let _ = parse_number(&s);
    }

    #[test]
    fn excel_serial_never_panics(v in proptest::num::f64::ANY) {
        let _ = excel_serial(v);
    }

    #[test]
    fn every_valid_date_round_trips_through_each_text_form(d in any_date()) {
        let forms = [
            d.format("%Y-%m-%d").to_string(),
            d.format("%Y-%-m-%-d").to_string(),
            d.format("%Y/%-m/%-d").to_string(),
            d.format("%Y.%-m.%-d").to_string(),
            d.format("%Y年%-m月%-d日").to_string(),
            d.format("%Y%m%d").to_string(),
            format!("\u{3000}{} ", d.format("%Y/%m/%d")),
        ];
        for f in &forms {
            prop_assert_eq!(parse_date(f), Ok(d), "{}", f);
        }
        let mut canonical = String::new();
        format_date(d, &mut canonical);
        prop_assert_eq!(parse_date(&canonical), Ok(d));
        prop_assert_eq!(excel_serial(to_excel_serial(d.and_time(NaiveTime::MIN))).map(|x| x.date()), Ok(d));
    }

    #[test]
    fn every_valid_date_time_round_trips_through_each_text_form(dt in any_datetime()) {
        let minute = dt.with_second(0).unwrap();
        let forms_to_minute = [
            dt.format("%Y-%m-%d %H:%M").to_string(),
            dt.format("%Y/%-m/%-d %-H:%M").to_string(),
            dt.format("%Y年%-m月%-d日 %-H:%M").to_string(),
            dt.format("%Y年%-m月%-d日%-H时%-M分").to_string(),
        ];
        for f in &forms_to_minute {
            let (d, t) = parse_datetime(f).unwrap();
            prop_assert_eq!(d.and_time(t.unwrap_or(NaiveTime::MIN)), minute, "{}", f);
        }
        for f in [dt.format("%Y-%m-%d %H:%M:%S").to_string(), dt.format("%Y-%m-%dT%H:%M:%S").to_string()] {
            let (d, t) = parse_datetime(&f).unwrap();
            prop_assert_eq!(d.and_time(t.unwrap_or(NaiveTime::MIN)), dt, "{}", f);
        }
        let mut canonical = String::new();
        format_datetime(dt, &mut canonical);
        let (d, t) = parse_datetime(&canonical).unwrap();
        prop_assert_eq!(d.and_time(t.unwrap_or(NaiveTime::MIN)), dt);
        prop_assert_eq!(excel_serial(to_excel_serial(dt)), Ok(dt));
    }

    #[test]
    fn impossible_days_of_a_month_are_reported_not_shifted(y in 1900i32..=2100, m in 1u32..=12, extra in 1u32..=3) {
        let last = (28..=31).rev().find(|&d| NaiveDate::from_ymd_opt(y, m, d).is_some()).unwrap();
        let d = last + extra;
        let s = format!("{y}/{m}/{d}");
        prop_assert_eq!(parse_date(&s), Err(CellError::NoSuchDate(format!("{y:04}-{m:02}-{d:02}"))));
    }

    #[test]
    fn numbers_round_trip_through_their_text(v in proptest::num::f64::NORMAL | proptest::num::f64::ZERO) {
        let mut s = String::new();
        format_number(v, &mut s);
        prop_assert_eq!(parse_number(&s), Ok(v));
    }
}
