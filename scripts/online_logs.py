#!/usr/bin/env python3
"""Online-training platform logs for a benchmark, made from an exported ledger.

    scripts/online_logs.py CSV_DIR SESSIONS_PER_PERSON

Reads CSV_DIR/人员.csv (as `anpei demo --export` writes it) and writes CSV_DIR/学习记录.csv and
CSV_DIR/人脸核验.csv in the import format of `anpei import online`: for every person
SESSIONS_PER_PERSON sessions of 45 minutes on consecutive evenings of 2026-03 (one course each,
video covered at 95 %, the person's own device and address) and two passed face checks a
session (2 and 27 minutes in). Every 50th person shares a device with the next person at the
same time, and every 97th studies nine hours one day, so the checks have something to find
at any size. Deterministic: the same ledger gives the same files.
"""
import csv
import datetime as dt
import sys


def main() -> None:
    folder, per = sys.argv[1], int(sys.argv[2])
    with open(f"{folder}/人员.csv", encoding="utf-8-sig", newline="") as f:
        persons = [(r["统一社会信用代码"], r["身份证号"], r["姓名"]) for r in csv.DictReader(f)]
    base = dt.datetime(2026, 3, 1, 19, 0, 0)
    fmt = "%Y-%m-%d %H:%M:%S"
    with open(f"{folder}/学习记录.csv", "w", encoding="utf-8", newline="") as s, open(
        f"{folder}/人脸核验.csv", "w", encoding="utf-8", newline=""
    ) as c:
        sw, cw = csv.writer(s), csv.writer(c)
        sw.writerow(
            ["平台名称", "统一社会信用代码", "身份证号", "姓名", "课程编号", "开始时间",
             "结束时间", "视频进度秒数", "设备标识", "IP地址"]
        )
        cw.writerow(["平台名称", "身份证号", "核验时间", "核验结果", "比对相似度"])
        for i, (uscc, pid, name) in enumerate(persons):
            device = f"PC-{i // 50 * 50 if i % 50 == 1 else i}"
            ip = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
            for k in range(per):
                start = base + dt.timedelta(days=k)
                minutes = 45
                if i % 97 == 0 and k == 0:
                    start -= dt.timedelta(hours=11)
                    minutes = 9 * 60
                end = start + dt.timedelta(minutes=minutes)
                sw.writerow(
                    ["渝培在线", uscc, pid, name, f"K{k % 20:02d}", start.strftime(fmt),
                     end.strftime(fmt), minutes * 60 * 95 // 100, device, ip]
                )
                m = 2
                while m < minutes:
                    at = start + dt.timedelta(minutes=m)
                    cw.writerow(["渝培在线", pid, at.strftime(fmt), "通过", "93.5"])
                    m += 25


if __name__ == "__main__":
    main()
