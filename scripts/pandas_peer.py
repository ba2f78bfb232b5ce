#!/usr/bin/env python3
"""A pandas peer of `anpei import` (the five ledger CSVs) + `anpei scan` (the ten ledger rules).

What it is for: stating how much faster the product is than the straightforward way an analyst
would do the same job in pandas. It reads the five CSVs that `anpei demo --export DIR` writes
(单位.csv, 人员.csv, 证书.csv, 培训.csv, 登记库.csv), validates and resolves them the way the
import does (rejected rows are dropped), evaluates the ten checks of RULES.md §3 as of a date,
writes the findings to a CSV, and prints the per-rule counts and the wall time.

    python3 scripts/pandas_peer.py EXPORT_DIR --as-of 2026-12-07 [--output findings.csv]

Only pandas + numpy + the standard library. The reference lists the import checks 单位 rows
against (towns, departments and their industries) and the GB/T 2260 area codes the import checks
ID numbers against are read from the repository's data files (crates/anpei-store/data,
crates/anpei-core/data), as the product seeds and builds them in.

Semantics follow crates/anpei-core/src/ledger/rules/mod.rs (the engine) and the import
(crates/anpei-import/src/validate.rs, crates/anpei-store/src/ledger/ingest/): e.g. a bare date as
an end time is 23:59:59, a later row with the same natural key is rejected, a certificate
number `T`+ID is the ID number, hours within 1e-6 学时 of a threshold count as equal to it.
"""

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from datetime import date, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Parameters (crates/anpei-core/src/params.rs, Params::default).

HIGH_RISK = {"煤矿", "非煤矿山", "危险化学品", "烟花爆竹", "金属冶炼"}
MANAGER_RETRAIN = (12.0, 16.0)  # (normal, high-risk)
EMPLOYEE_RETRAIN = (8.0, 20.0)
PREJOB = (24.0, 72.0)
MANAGER_CERT_DEADLINE_MONTHS = 6
MANAGER_CERT_YEARS = 3
SPECIAL_CERT_YEARS = 6
SPECIAL_REVIEW_YEARS = 3
MINUTES = {"线下": 45.0, "线上": 30.0}
EPS = 1e-6  # HOURS_EPSILON of the engine

# Vocabularies (crates/anpei-core/src/kinds.rs): the labels the files use.
SUBJECT_KINDS = {"生产经营单位", "安全培训机构", "考试点", "考试机构"}
MANAGER_POSTS = {"主要负责人", "安全生产管理人员"}
EMPLOYEE_POSTS = {"特种作业人员", "一般从业人员"}
POSTS = MANAGER_POSTS | EMPLOYEE_POSTS
SPECIAL_OPERATOR = "特种作业人员"
MANAGER_CERT = "安全生产知识和管理能力考核合格证"
SPECIAL_CERT = "特种作业操作证"
CERT_TYPES = {MANAGER_CERT, SPECIAL_CERT}
TRAINING_TYPES = {"初次培训", "岗前培训", "再培训", "复审培训", "转岗培训", "三级教育", "其他"}
RETRAINING, PREJOB_TRAINING = "再培训", "岗前培训"
FORMS = set(MINUTES)
CATEGORIES = {
    "电工作业", "焊接与热切割作业", "高处作业", "制冷与空调作业", "煤矿安全作业",
    "金属非金属矿山安全作业", "石油天然气安全作业", "冶金（有色）生产安全作业",
    "危险化学品安全作业", "烟花爆竹安全作业",
}
INDUSTRY_ALIASES = {"交通运输": "道路运输", "道路交通": "道路运输", "道路交通运输": "道路运输",
                    "公路运输": "道路运输"}
INSTITUTIONS_SUPERVISED_AS = "危险化学品"

SUBJECT_COLS = ["统一社会信用代码", "单位名称", "单位类型", "行业", "所属镇街", "行业主管部门",
                "地址", "联系人", "联系电话", "所属区县"]
PERSON_COLS = ["统一社会信用代码", "姓名", "身份证号", "手机号", "岗位类别", "作业类别", "任职日期"]
CERT_COLS = ["身份证号", "姓名", "证书类型", "证书编号", "作业类别", "操作项目", "初领日期",
             "有效期起", "有效期止", "应复审日期", "实际复审日期", "发证机关"]
TRAINING_COLS = ["统一社会信用代码", "身份证号", "姓名", "培训类型", "培训形式", "开始时间",
                 "结束时间", "理论学时", "实操学时", "培训机构", "考核成绩", "考核结果"]
REQUIRED = {
    "单位": ["统一社会信用代码", "单位名称", "单位类型", "行业", "所属镇街"],
    "人员": ["统一社会信用代码", "姓名", "身份证号", "岗位类别", "任职日期"],
    "证书": ["身份证号", "姓名", "证书类型", "证书编号"],
    "登记库": ["身份证号", "姓名", "证书类型", "证书编号"],
    "培训": TRAINING_COLS[:9],
}

RULES = ["MANAGER_CERT_MISSING", "CERT_EXPIRED", "SPECIAL_OP_NO_CERT", "REVIEW_OVERDUE",
         "MANAGER_RETRAIN_SHORT", "EMPLOYEE_RETRAIN_SHORT", "PREJOB_HOURS_SHORT",
         "TRAINING_OVERLAP", "HOURS_EXCEED_DURATION", "CERT_NOT_IN_REGISTRY"]

# ---------------------------------------------------------------------------------------------
# Cells.

# What the import trims around a cell: whitespace (ASCII, U+3000, NBSP …), BOM, zero-width space.
SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\ufeff\u200b"
# Full-width ASCII forms and the ideographic space, folded to ASCII (as input methods type them).
FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def clean(s: pd.Series) -> pd.Series:
    """Trims a column; a leading apostrophe (a cell marked as text) is no part of the value."""
    s = s.str.strip(SPACES)
    quoted = s.str.startswith("'") & (s.str.len() > 1)
    if quoted.any():
        s = s.copy()
        s[quoted] = s[quoted].str[1:].str.strip(SPACES)
    return s


def compact(s: pd.Series) -> pd.Series:
    """A code as typed: full-width folded, inner spaces dropped, upper case."""
    return s.str.translate(FOLD).str.replace(r"\s+", "", regex=True).str.upper()


def normalize_name(s: pd.Series) -> pd.Series:
    """Drops the spaces that pad Chinese names (`张  三`); spaces between Latin letters stay."""
    padded = s.str.contains(r"\s", regex=True) & s.str.contains(r"[^\x00-\x7f]", regex=True)
    if padded.any():
        s = s.copy()
        s[padded] = s[padded].map(_normalize_one)
    return s


def _normalize_one(t: str) -> str:
    def repl(m: re.Match) -> str:
        a, b = m.start(), m.end()
        cjk_side = (a > 0 and not t[a - 1].isascii()) or (b < len(t) and not t[b].isascii())
        return "" if cjk_side else " "
    return re.sub(r"\s+", repl, t)


def read_table(path: Path, columns: list, required: list) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [c.strip(SPACES) for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        sys.exit(f"{path}: missing columns {missing}")
    df = df.reindex(columns=columns, fill_value="").apply(clean)
    df.index = df.index + 2  # the spreadsheet row number (the header is row 1)
    return df[(df != "").any(axis=1)]  # blank rows are skipped, not rejected


def digits_matrix(s: pd.Series, width: int) -> np.ndarray:
    """The bytes of equal-length ASCII strings as a (n, width) uint8 matrix."""
    return np.frombuffer("".join(s).encode("ascii"), dtype=np.uint8).reshape(-1, width)


DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def real_date(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    ok = (m >= 1) & (m <= 12)
    dim = DAYS_IN_MONTH[np.where(ok, m, 1)] + ((m == 2) & leap)
    return ok & (d >= 1) & (d <= dim)


AREAS = None  # GB/T 2260 codes, loaded in main()
ID_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def valid_id(s: pd.Series, areas: bool = True) -> pd.Series:
    """居民身份证号码 (GB 11643): shape, area code, date of birth, check digit."""
    ok = s.str.fullmatch(r"\d{17}[\dX]").fillna(False).to_numpy(bool, copy=True)
    a = digits_matrix(s.where(ok, "110105194912310026"), 18)  # a valid stand-in for the others
    n = a[:, :17].astype(np.int64) - 48
    ok &= a[:, 17] == ID_CHECK[(n @ ID_W) % 11]
    y = n[:, 6:10] @ [1000, 100, 10, 1]
    m = n[:, 10:12] @ [10, 1]
    d = n[:, 12:14] @ [10, 1]
    ok &= real_date(y, m, d) & (y >= 1850)
    if areas and AREAS is not None:
        ok &= s.str[:6].isin(AREAS).to_numpy(bool)
    return pd.Series(ok, index=s.index)


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
USCC_VALUE = np.zeros(256, dtype=np.int64)
for _i, _c in enumerate(USCC_CHARS):
    USCC_VALUE[ord(_c)] = _i


def valid_uscc(s: pd.Series) -> pd.Series:
    """统一社会信用代码 (GB 32100): shape and check character."""
    cs = "0-9A-HJ-NPQRTUWXY"
    ok = s.str.fullmatch(rf"[{cs}]{{2}}\d{{6}}[{cs}]{{10}}").fillna(False).to_numpy(bool, copy=True)
    v = USCC_VALUE[digits_matrix(s.where(ok, "91110000600037341L"), 18)]
    ok &= v[:, 17] == (31 - (v[:, :17] @ USCC_W) % 31) % 31
    return pd.Series(ok, index=s.index)


def valid_phone(s: pd.Series) -> pd.Series:
    """Empty, an 11-digit mobile, or a landline with its area code (one hyphen at most)."""
    p = s.str.translate(FOLD).str.replace(" ", "", regex=False)
    digits = p.str.replace("-", "", regex=False)
    ok = (p.str.count("-") <= 1) & digits.str.fullmatch(r"1[3-9]\d{9}|0\d{9,11}").fillna(False)
    return (s == "") | ok


# Dates: the common forms at pandas speed, the rest (2021/3/5, 2021年3月5日, 20210305, Excel
# serials, times like 9时30分) one by one, as rare as they are.
DATE_RE = re.compile(
    r"(?:(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
    r"|(?P<cy>\d{4})年(?P<cm>\d{1,2})月(?P<cd>\d{1,2})(?P<sign>[日号])?"
    r"|(?P<ey>\d{4})(?P<em>\d{2})(?P<ed>\d{2}))"
    r"(?P<sep>[ \t]+|T)?(?P<rest>.*)"
)
TIME_RE = re.compile(
    r"(?P<h>\d{1,2})(?::(?P<mi>\d{2})(?::(?P<sec>\d{2})(?:\.\d+)?)?"
    r"|[时点](?:(?P<cmi>\d{1,2})分(?:(?P<csec>\d{1,2})秒)?)?)[ \t]*"
)


def parse_text_datetime(t: str):
    """(datetime, has_time) of one messy cell, or None if it is no (real) date-time."""
    t = t.translate(FOLD).strip()
    if re.fullmatch(r"\d{5}(\.\d*)?", t):  # an Excel serial
        serial = float(t)
        days, secs = int(serial), round((serial - int(serial)) * 86400)
        if days == 60:
            return None
        base = pd.Timestamp(1899, 12, 31 if days < 60 else 30)
        ts = base + pd.Timedelta(days=days, seconds=secs)
        return (ts.to_pydatetime(), secs != 0) if 1900 <= ts.year <= 2100 else None
    m = DATE_RE.fullmatch(t)
    if not m:
        return None
    g = m.groupdict()
    y, mo, d = (g["y"], g["m"], g["d"]) if g["y"] else (
        (g["cy"], g["cm"], g["cd"]) if g["cy"] else (g["ey"], g["em"], g["ed"]))
    rest = g["rest"]
    if rest and not g["sep"] and not g["sign"]:
        return None
    try:
        day = date(int(y), int(mo), int(d))
    except ValueError:
        return None
    if not 1900 <= day.year <= 2100:
        return None
    if not rest:
        return datetime(day.year, day.month, day.day), False
    tm = TIME_RE.fullmatch(rest)
    if not tm:
        return None
    h = int(tm["h"])
    mi = int(tm["mi"] or tm["cmi"] or 0)
    sec = int(tm["sec"] or tm["csec"] or 0)
    if h > 23 or mi > 59 or sec > 59:
        return None
    return datetime(day.year, day.month, day.day, h, mi, sec), True


def parse_dates(s: pd.Series):
    """A date column: (datetime64 Series with NaT where empty, mask of cells that are no date)."""
    d = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    todo = d.isna() & (s != "")
    if todo.any():
        parsed = s[todo].map(parse_text_datetime)
        d = d.copy()
        d[todo] = pd.to_datetime(parsed.map(lambda p: p[0].date() if p else None))
    d = d.dt.normalize()
    bad = (d.isna() & (s != "")) | (d.dt.year < 1900) | (d.dt.year > 2100)
    return d, bad


def parse_datetimes(s: pd.Series, end_of_day: bool):
    """A date-time column; a bare date is the start (00:00) or the end (23:59:59) of its day."""
    dt = pd.to_datetime(s, format="%Y-%m-%d %H:%M", errors="coerce")
    todo = dt.isna() & (s != "")
    if todo.any():
        dt = dt.copy()
        dt[todo] = pd.to_datetime(s[todo], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        todo = dt.isna() & (s != "")
    if todo.any():
        def one(t):
            p = parse_text_datetime(t)
            if p is None:
                return None
            v, has_time = p
            return v if has_time or not end_of_day else v.replace(hour=23, minute=59, second=59)
        dt[todo] = pd.to_datetime(s[todo].map(one))
    bad = dt.isna() | (dt.dt.year < 1900) | (dt.dt.year > 2100)
    return dt, bad


def plus_months(d: pd.Series, months: int) -> pd.Series:
    """S + n calendar months, clamped to the month's last day (29 Feb + 12 months = 28 Feb)."""
    return d + pd.DateOffset(months=months)


# ---------------------------------------------------------------------------------------------
# Import: validate, resolve references, drop what the import rejects.

class Report:
    def __init__(self):
        self.rows = []

    def add(self, table, read, kept):
        self.rows.append((table, read, kept, read - kept))

    def show(self):
        print(f"{'表':<6}{'读取':>10}{'导入':>10}{'拒绝':>10}")
        for t, r, k, x in self.rows:
            print(f"{t:<6}{r:>10}{k:>10}{x:>10}")


def load_reference(ref: Path):
    towns = set(pd.read_csv(ref / "towns.csv", dtype=str)["名称"].str.strip())
    deps = pd.read_csv(ref / "departments.csv", dtype=str)
    industry_dep = {}
    for name, inds in zip(deps["名称"], deps["监管行业"]):
        for i in inds.split(";"):
            industry_dep[i.strip()] = name.strip()  # the last department listing it, as the store
    return towns, set(deps["名称"].str.strip()), industry_dep


def import_subjects(path, reference, report):
    towns, departments, industry_dep = reference
    df = read_table(path, SUBJECT_COLS, REQUIRED["单位"])
    n = len(df)
    uscc = compact(df["统一社会信用代码"])
    industry = df["行业"].replace(INDUSTRY_ALIASES)
    kind = df["单位类型"]
    ok = valid_uscc(uscc) & (df["单位名称"] != "") & kind.isin(SUBJECT_KINDS)
    ok &= ~((kind == "生产经营单位") & (industry == ""))
    ok &= (industry == "") | industry.isin(industry_dep)
    ok &= df["所属镇街"].isin(towns)
    dep = df["行业主管部门"]
    ok &= (dep == "") | dep.isin(departments)
    # The supervising department: the one named, else the industry's, else (institutions
    # without an industry) that of the high-risk trades.
    has_dep = (dep != "") | industry.isin(industry_dep) | (
        (industry == "") & (INSTITUTIONS_SUPERVISED_AS in industry_dep))
    ok &= has_dep & valid_phone(df["联系电话"])
    s = pd.DataFrame({"uscc": uscc, "industry": industry})[ok]
    s = s[~s["uscc"].duplicated()]  # a second row of one subject is rejected
    s["high_risk"] = s["industry"].isin(HIGH_RISK)
    report.add("单位", n, len(s))
    return s.set_index("uscc")


def import_persons(path, subjects, report):
    df = read_table(path, PERSON_COLS, REQUIRED["人员"])
    n = len(df)
    employer = compact(df["统一社会信用代码"])
    idno = compact(df["身份证号"])
    name = normalize_name(df["姓名"])
    appointed, bad_date = parse_dates(df["任职日期"])
    cat = df["作业类别"]
    ok = valid_uscc(employer) & (name != "") & valid_id(idno) & valid_phone(df["手机号"])
    ok &= df["岗位类别"].isin(POSTS) & ((cat == "") | cat.isin(CATEGORIES))
    ok &= (df["任职日期"] != "") & ~bad_date
    p = pd.DataFrame({"employer": employer, "name": name, "idno": idno, "post": df["岗位类别"],
                      "category": cat.replace("", None), "appointed": appointed})[ok]
    p = p[p["employer"].isin(subjects.index)]  # the employer must exist
    p = p[~p.duplicated(["idno", "employer"])]  # one row per worker and employer
    p["high_risk"] = p["employer"].map(subjects["high_risk"]).astype(bool)
    p = p.reset_index(names="row")
    p.index.name = "pid"
    report.add("人员", n, len(p))
    return p


def normalize_cert_no(no: pd.Series) -> pd.Series:
    """`T` + ID number and the ID number are one certificate number."""
    rest = no.str[1:]
    t_id = no.str.startswith("T") & valid_id(rest, areas=False)
    return no.where(~t_id, rest)


def read_certificates(path, table):
    df = read_table(path, CERT_COLS, REQUIRED[table])
    n = len(df)
    idno = compact(df["身份证号"])
    name = normalize_name(df["姓名"])
    number = compact(df["证书编号"])
    cat = df["作业类别"]
    ok = valid_id(idno) & (name != "") & df["证书类型"].isin(CERT_TYPES) & (number != "")
    ok &= (cat == "") | cat.isin(CATEGORIES)
    c = pd.DataFrame({"idno": idno, "name": name, "type": df["证书类型"],
                      "cert_no": normalize_cert_no(number), "category": cat.replace("", None),
                      "item": df["操作项目"].replace("", None)})
    for col, key in [("初领日期", "first"), ("有效期起", "from"), ("有效期止", "until"),
                     ("应复审日期", "due"), ("实际复审日期", "reviewed")]:
        c[key], bad = parse_dates(df[col])
        ok &= ~bad
    ok &= c[["first", "from", "until"]].notna().any(axis=1)
    ok &= ~(c["until"] < c["from"])
    c = c[ok]
    c = c[~c["cert_no"].duplicated()]  # a second row of one number is rejected
    return n, c


def import_certificates(path, persons, report):
    n, c = read_certificates(path, "证书")
    # The holder: the person row of that ID number (the latest, if several employers have one).
    holder = persons.reset_index().drop_duplicates("idno", keep="last").set_index("idno")
    c["pid"] = c["idno"].map(holder["pid"])
    c = c[c["pid"].notna() & (c["name"] == c["idno"].map(holder["name"]))]
    c = c.astype({"pid": "int64"}).reset_index(names="row")
    c.index.name = "cid"
    report.add("证书", n, len(c))
    return c


def import_registry(path, report):
    n, r = read_certificates(path, "登记库")
    report.add("登记库", n, len(r))
    return r.set_index("cert_no")[["idno", "name"]]


def import_trainings(path, subjects, persons, report):
    df = read_table(path, TRAINING_COLS, REQUIRED["培训"])
    n = len(df)
    employer = compact(df["统一社会信用代码"])
    idno = compact(df["身份证号"])
    name = normalize_name(df["姓名"])
    start, bad_start = parse_datetimes(df["开始时间"], end_of_day=False)
    end, bad_end = parse_datetimes(df["结束时间"], end_of_day=True)
    def number(col):  # `８` is 8 (full-width digits as input methods type them)
        return pd.to_numeric(df[col].str.translate(FOLD), errors="coerce")

    theory = number("理论学时")
    practical = number("实操学时").where(df["实操学时"] != "", 0.0)  # empty: 0
    score = number("考核成绩")
    ok = valid_uscc(employer) & valid_id(idno) & (name != "")
    ok &= df["培训类型"].isin(TRAINING_TYPES) & df["培训形式"].isin(FORMS)
    ok &= ~bad_start & ~bad_end & ~(end < start)
    ok &= np.isfinite(theory) & (theory >= 0) & np.isfinite(practical) & (practical >= 0)
    ok &= (df["考核成绩"] == "") | score.between(0, 100)
    t = pd.DataFrame({"employer": employer, "idno": idno, "name": name, "type": df["培训类型"],
                      "form": df["培训形式"], "start": start, "end": end,
                      "hours": theory + practical})[ok]
    t = t[t["employer"].isin(subjects.index)]
    # The trainee is the employer's own row of him.
    own = persons.reset_index()[["idno", "employer", "pid", "name"]]
    t = t.reset_index(names="row").merge(own, on=["idno", "employer"], how="inner",
                                         suffixes=("", "_p"))
    dup = t.sort_values("row").duplicated(["pid", "start", "end", "type"]).sort_index()
    t = t[~dup & (t["name"] == t["name_p"])].drop(columns="name_p")
    t = t.sort_values("row", ignore_index=True)
    t.index.name = "tid"
    report.add("培训", n, len(t))
    return t


# ---------------------------------------------------------------------------------------------
# The ten checks (RULES.md §3), as of D.

def scan(p, c, t, registry, d):
    D = pd.Timestamp(d)
    year_before = D - pd.DateOffset(years=1)
    out = []

    def found(rule, rows, **extra):
        f = pd.DataFrame({"rule": rule, "pid": rows.index if "pid" not in rows else rows["pid"]})
        for k, v in extra.items():
            f[k] = v.to_numpy()
        out.append(f.reset_index(drop=True))

    is_manager = p["post"].isin(MANAGER_POSTS)
    is_employee = p["post"].isin(EMPLOYEE_POSTS)
    hr = p["high_risk"]
    S = p["appointed"]

    # Effective 有效期止 and 应复审日期 (validity and review period from 有效期起 or 初领日期).
    base = c["from"].fillna(c["first"])
    special = c["type"] == SPECIAL_CERT
    derived_until = pd.concat([
        plus_months(base[special], 12 * SPECIAL_CERT_YEARS),
        plus_months(base[~special], 12 * MANAGER_CERT_YEARS),
    ]).reindex(c.index) - pd.Timedelta(days=1)
    until = c["until"].fillna(derived_until)
    valid = until >= D
    due = c["due"].where(~special | c["due"].notna(),
                         plus_months(base, 12 * SPECIAL_REVIEW_YEARS))

    # MANAGER_CERT_MISSING
    holds_valid_manager_cert = p.index.isin(c.loc[valid & ~special, "pid"])
    hit = is_manager & hr & (plus_months(S, MANAGER_CERT_DEADLINE_MONTHS) < D)
    found("MANAGER_CERT_MISSING", p[hit & ~holds_valid_manager_cert])

    # CERT_EXPIRED: lapsed, and no certificate of the same type and 操作项目 valid on D.
    kind = c[["pid", "type", "item"]].fillna({"item": ""})
    valid_kinds = pd.MultiIndex.from_frame(kind[valid].drop_duplicates())
    has_valid_kind = pd.MultiIndex.from_frame(kind).isin(valid_kinds)
    expired = c[(until < D) & ~has_valid_kind]
    found("CERT_EXPIRED", expired, cert_no=expired["cert_no"])

    # SPECIAL_OP_NO_CERT: no 特种作业操作证 of his category (none at all if none is recorded).
    ops = p[p["post"] == SPECIAL_OPERATOR]
    sc = c[special]
    with_cat = pd.MultiIndex.from_frame(sc[["pid", "category"]].dropna())
    has_cat = pd.MultiIndex.from_arrays([ops.index, ops["category"]]).isin(with_cat)
    has_any = ops.index.isin(sc["pid"])
    no_cert = np.where(ops["category"].notna(), ~has_cat, ~has_any)
    found("SPECIAL_OP_NO_CERT", ops[no_cert])

    # REVIEW_OVERDUE
    overdue = c[special & valid & c["reviewed"].isna() & (due < D)]
    found("REVIEW_OVERDUE", overdue, cert_no=overdue["cert_no"])

    # Hours: 再培训 ending in (one year before D, D], 岗前培训 ending on or before D.
    on = t["end"].dt.normalize()
    upto_d = on <= D
    retrain = t[upto_d & (on > year_before) & (t["type"] == RETRAINING)].groupby("pid")["hours"].sum()
    prejob = t[upto_d & (t["type"] == PREJOB_TRAINING)].groupby("pid")["hours"].sum()
    retrain = retrain.reindex(p.index, fill_value=0.0)
    prejob = prejob.reindex(p.index, fill_value=0.0)

    def need(pair):
        return np.where(hr, pair[1], pair[0])

    senior = S <= year_before
    found("MANAGER_RETRAIN_SHORT",
          p[senior & is_manager & (retrain < need(MANAGER_RETRAIN) - EPS)])
    found("EMPLOYEE_RETRAIN_SHORT",
          p[senior & is_employee & (retrain < need(EMPLOYEE_RETRAIN) - EPS)])
    new = (S > year_before) & (S <= D)
    found("PREJOB_HOURS_SHORT", p[new & is_employee & (prejob < need(PREJOB) - EPS)])

    # TRAINING_OVERLAP: sorted by start, a record overlaps an earlier one of the same person
    # when the latest end before it is after its start (one finding per person).
    ts = t.sort_values(["pid", "start", "end"])
    reach = ts.groupby("pid")["end"].cummax().groupby(ts["pid"]).shift()
    overlapping = ts.loc[reach > ts["start"], "pid"].unique()
    found("TRAINING_OVERLAP", p.loc[np.sort(overlapping)])

    # HOURS_EXCEED_DURATION: hours × (45 offline, 30 online) minutes exceed end − start.
    minutes = t["form"].map(MINUTES)
    actual = (t["end"] - t["start"]).dt.total_seconds() / 60
    exceed = t[t["hours"] * minutes - actual > EPS * minutes]
    found("HOURS_EXCEED_DURATION", exceed, start=exceed["start"], end=exceed["end"],
          training_type=exceed["type"])

    # CERT_NOT_IN_REGISTRY: the number is not there, or there under another ID number or name.
    if len(registry):
        holder = c["pid"].map(p["idno"]), c["pid"].map(p["name"])
        reg_id = c["cert_no"].map(registry["idno"])
        reg_name = c["cert_no"].map(registry["name"])
        bad = reg_id.isna() | (reg_id != holder[0]) | (reg_name != holder[1])
        found("CERT_NOT_IN_REGISTRY", c[bad], cert_no=c.loc[bad, "cert_no"])

    f = pd.concat(out, ignore_index=True)
    who = p[["employer", "idno", "name"]]
    f = f.join(who, on="pid")
    f["rule"] = pd.Categorical(f["rule"], categories=RULES)
    return f.sort_values(["pid", "rule"], kind="stable").reindex(
        columns=["rule", "employer", "idno", "name", "cert_no", "start", "end", "training_type"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export_dir", type=Path)
    ap.add_argument("--as-of", required=True, type=date.fromisoformat)
    ap.add_argument("--output", type=Path, help="findings CSV (default EXPORT_DIR/pandas_findings.csv)")
    ap.add_argument("--reference", type=Path, default=REPO / "crates/anpei-store/data",
                    help="towns.csv and departments.csv")
    ap.add_argument("--areas", type=Path, default=REPO / "crates/anpei-core/data/gbt2260.txt",
                    help="GB/T 2260 codes; 'none' skips the area-code check")
    args = ap.parse_args()

    global AREAS
    if str(args.areas) != "none":
        with open(args.areas, encoding="utf-8-sig") as f:
            AREAS = {line[:6] for line in f if re.match(r"\d{6}\s", line)}

    report = Report()
    x = args.export_dir
    t = time.perf_counter()
    subjects = import_subjects(x / "单位.csv", load_reference(args.reference), report)
    persons = import_persons(x / "人员.csv", subjects, report)
    certs = import_certificates(x / "证书.csv", persons, report)
    trainings = import_trainings(x / "培训.csv", subjects, persons, report)
    registry = import_registry(x / "登记库.csv", report)
    t_import = time.perf_counter() - t
    report.show()

    t = time.perf_counter()
    findings = scan(persons, certs, trainings, registry, args.as_of)
    t_scan = time.perf_counter() - t
    out = args.output or x / "pandas_findings.csv"
    t = time.perf_counter()
    findings.to_csv(out, index=False, encoding="utf-8-sig")
    t_write = time.perf_counter() - t

    counts = findings["rule"].value_counts().reindex(RULES, fill_value=0)
    print(f"\n按 {args.as_of} 检查，共 {len(findings)} 条：")
    for rule, k in counts.items():
        print(f"  {rule:<24}{k:>8}")
    print(f"\nimport {t_import:.2f} s, scan {t_scan:.2f} s, write {t_write:.2f} s; "
          f"total wall time {time.perf_counter() - T0:.2f} s (incl. Python/pandas start-up); "
          f"findings → {out}")


if __name__ == "__main__":
    main()
