#!/usr/bin/env bash
# pandas_peer.sh — the product's ledger import + scan against a straightforward pandas peer.
#
# What it measures: wall time and peak RSS (/usr/bin/time -f "%e s %M KiB (%U user %S sys)") of
#   (a) the product: the five `anpei import` runs (单位 → 人员 → 证书 → 培训 → 登记库) into a
#       fresh SQLite database, then `anpei scan --format json` as of a date;
#   (b) scripts/pandas_peer.py: the same five CSVs read, trimmed, validated (ID check digits,
#       credit-code check characters, dates), references resolved, the ten ledger checks of
#       RULES.md §3 evaluated and the findings written to a CSV, in pandas + numpy;
# and it prints the per-rule counts of both, which must be equal.
#
# How to run (from the repository root; needs a release build, target/release/anpei):
#   target/release/anpei --data-dir /tmp/peer/gen demo --subjects 10000 --persons 200000 \
#       --export /tmp/peer/export                     # once: the demo district as CSVs
#   scripts/pandas_peer.sh /tmp/peer/export 2026-12-07            # pandas peer only
#   scripts/pandas_peer.sh /tmp/peer/export 2026-12-07 --product  # and the product, twice each,
#                                                                 # alternating
#                                                                 # (PEER_ROUNDS=n: n each)
# The date should be the day the export was generated (the demo's planted violations are
# relative to it). The product stores a scan as of today in its database (findings merged);
# as of another day it only reports. pandas lives in a virtualenv at $PEER_VENV
# (default /tmp/peer/venv), created here if missing (`pip install pandas`).
# Each run prints `uptime` and any cargo/rustc first: a build beside a measurement skews it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
export_dir="${1:?usage: pandas_peer.sh EXPORT_DIR AS_OF [--product]}"
as_of="${2:?usage: pandas_peer.sh EXPORT_DIR AS_OF [--product]}"
product="${3:-}"
venv="${PEER_VENV:-/tmp/peer/venv}"
work="${PEER_WORK:-/tmp/peer}"
anpei="${ANPEI:-$repo/target/release/anpei}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet pandas
fi
"$venv/bin/python" -c 'import sys, pandas, numpy; print("Python", sys.version.split()[0], "pandas", pandas.__version__, "numpy", numpy.__version__)'

# What else is running: a build beside a measurement skews it.
machine() {
    local heavy; heavy=$(pgrep -lx 'cargo|rustc' | tr '\n' ' ' || true)
    echo "$(uptime | sed 's/^ *//'); cargo/rustc running: ${heavy:-none}"
}

run_peer() {
    echo "== pandas peer ($(machine))"
    /usr/bin/time -f "pandas peer: %e s %M KiB (%U user %S sys)" \
        "$venv/bin/python" "$here/pandas_peer.py" "$export_dir" --as-of "$as_of" \
        --output "$work/pandas_findings.csv"
}

run_product() {
    local db="$work/db"
    rm -rf "$db"
    echo "== product ($(machine))"
    local start; start=$(date +%s.%N)
    for kind_file in subjects:单位 persons:人员 certificates:证书 training:培训 registry:登记库; do
        local kind="${kind_file%%:*}" file="${kind_file#*:}"
        # Exit 3 means some rows were rejected (the valid ones are stored): not a failure here.
        /usr/bin/time -f "import $kind: %e s %M KiB (%U user %S sys)" \
            "$anpei" --data-dir "$db" import "$kind" "$export_dir/$file.csv" >"$work/import_$kind.log" \
            || [ $? -eq 3 ]
        tail -n 1 "$work/import_$kind.log"
    done
    /usr/bin/time -f "scan: %e s %M KiB (%U user %S sys)" \
        "$anpei" --data-dir "$db" scan --as-of "$as_of" --format json --output "$work/scan.json"
    echo "product total: $(echo "$(date +%s.%N) - $start" | bc) s"
    "$venv/bin/python" - "$work/scan.json" <<'EOF'
import json, sys
ledger = ["MANAGER_CERT_MISSING", "CERT_EXPIRED", "SPECIAL_OP_NO_CERT", "REVIEW_OVERDUE",
          "MANAGER_RETRAIN_SHORT", "EMPLOYEE_RETRAIN_SHORT", "PREJOB_HOURS_SHORT",
          "TRAINING_OVERLAP", "HOURS_EXCEED_DURATION", "CERT_NOT_IN_REGISTRY"]
counts = json.load(open(sys.argv[1]))["counts"]
for r in ledger:
    print(f"  {r:<24}{counts.get(r, 0):>8}")
print(f"  {'(ledger total)':<24}{sum(counts.get(r, 0) for r in ledger):>8}")
EOF
}

if [ "$product" = "--product" ]; then
    [ -x "$anpei" ] || { echo "no release binary at $anpei" >&2; exit 1; }
    for i in $(seq 1 "${PEER_ROUNDS:-2}"); do
        echo "######## round $i"
        run_product
        run_peer
    done
else
    run_peer
fi
