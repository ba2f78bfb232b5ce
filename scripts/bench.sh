#!/usr/bin/env bash
# Benchmarks (BENCHMARKS.md). Two modes:
#
#   scripts/bench.sh [SUBJECTS] [PERSONS]
#     Issue #2's floors: 10,000 subjects and 200,000 persons in SQLite; the dashboard and
#     the subjects list for one user (p50/p90/p99), and the API list endpoint's throughput;
#     the campaign's progress page and problem list (issue #4), and the time of one problem
#     list export and one 通报 docx. Needs `wrk` (Debian package).
#
#   scripts/bench.sh import [SUBJECTS] [PERSONS]
#     Issue #3's floors: exports the demo district as the five import CSVs and ledger.xlsx,
#     imports each CSV (单位, 人员, 证书, 培训, 登记库) into a fresh database, then the
#     workbook into another, each timed with its peak RSS; then a full and a one-subject
#     scan (`scan_bench`). SQLite in a temporary data directory, or the PostgreSQL database
#     that BENCH_DATABASE_URL names (dropped and created again: use a scratch database).
#
#   scripts/bench.sh online [SUBJECTS] [PERSONS] [SESSIONS_PER_PERSON]
#     Online-training logs: exports the demo ledger, makes SESSIONS_PER_PERSON sessions a
#     person with two face checks each (scripts/online_logs.py), imports 单位, 人员 and 培训, then
#     学习记录 and 人脸核验 (`anpei import online`), each timed with its peak RSS, and prints the
#     time per row of the sessions against the training rows on the same engine; then a whole
#     scan (`anpei scan`), which runs the online checks with the others. SQLite, or
#     BENCH_DATABASE_URL as above.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "online" ]; then
  shift
  subjects=${1:-10000}
  persons=${2:-200000}
  per=${3:-5}
  dir=$(mktemp -d /tmp/anpei-bench.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  cargo build --release -p anpei-cli
  bin=target/release/anpei
  "$bin" --data-dir "$dir/gen" demo --subjects "$subjects" --persons "$persons" --export "$dir/csv" --no-serve | tail -1
  python3 scripts/online_logs.py "$dir/csv" "$per"
  wc -l "$dir"/csv/培训.csv "$dir"/csv/学习记录.csv "$dir"/csv/人脸核验.csv | sed 's/^/rows+1: /'
  url=${BENCH_DATABASE_URL:-}
  mkdir -p "$dir/db"
  if [ -n "$url" ]; then
    base=${url%/*} name=${url##*/}
    psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    db=$url
  else
    db="sqlite://$dir/db/anpei.db"
  fi
  "$bin" --data-dir "$dir/db" --database-url "$db" migrate >/dev/null
  timed() { # timed LABEL ROWS anpei-args…: wall time, peak RSS and µs a row
    local label=$1 rows=$2
    shift 2
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "$label: %e s wall, %M KiB max RSS" "$bin" --data-dir "$dir/db" --database-url "$db" "$@" >/dev/null ||
      echo "$label: exit status $? (3: some rows rejected)"
    t1=$(date +%s%N)
    echo "$label: $(((t1 - t0) / 1000 / (rows > 0 ? rows : 1))) µs a row ($rows rows)"
  }
  rows() { echo $(($(wc -l <"$1") - 1)); }
  echo "== ${url:-SQLite}"
  timed 单位 "$(rows "$dir/csv/单位.csv")" import subjects "$dir/csv/单位.csv"
  timed 人员 "$(rows "$dir/csv/人员.csv")" import persons "$dir/csv/人员.csv"
  timed 培训 "$(rows "$dir/csv/培训.csv")" import training "$dir/csv/培训.csv"
  timed "whole scan before the logs" "$(rows "$dir/csv/培训.csv")" scan --format csv --output "$dir/before.csv"
  timed 学习记录 "$(rows "$dir/csv/学习记录.csv")" import online "$dir/csv/学习记录.csv"
  timed 人脸核验 "$(rows "$dir/csv/人脸核验.csv")" import online "$dir/csv/人脸核验.csv"
  timed "学习记录 again (unchanged)" "$(rows "$dir/csv/学习记录.csv")" import online "$dir/csv/学习记录.csv"
  timed "whole scan" "$(rows "$dir/csv/学习记录.csv")" scan --format csv --output "$dir/findings.csv"
  echo "online findings by rule:"
  grep -o 'ONLINE_[A-Z_]*' "$dir/findings.csv" | sort | uniq -c || true
  exit 0
fi

if [ "${1:-}" = "import" ]; then
  shift
  subjects=${1:-10000}
  persons=${2:-200000}
  dir=$(mktemp -d /tmp/anpei-bench.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  cargo build --release -p anpei-cli
  cargo build --release -p anpei-store --example scan_bench
  bin=target/release/anpei
  "$bin" --data-dir "$dir/gen" demo --subjects "$subjects" --persons "$persons" --export "$dir/csv" --no-serve | tail -1
  wc -l "$dir"/csv/*.csv | sed 's/^/rows+1: /'
  url=${BENCH_DATABASE_URL:-}
  fresh() { # fresh DATADIR: an empty, migrated database; prints its URL
    rm -rf "$1"
    mkdir -p "$1"
    if [ -n "$url" ]; then
      local base=${url%/*} name=${url##*/}
      psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
      "$bin" --data-dir "$1" --database-url "$url" migrate >/dev/null
      echo "$url"
    else
      "$bin" --data-dir "$1" migrate >/dev/null
      echo "sqlite://$1/anpei.db"
    fi
  }
  run() { # run DATADIR DB_URL LABEL anpei-args…
    local d=$1 db=$2 label=$3
    shift 3
    /usr/bin/time -f "$label: %e s wall, %M KiB max RSS" "$bin" --data-dir "$d" --database-url "$db" "$@" >/dev/null ||
      echo "$label: exit status $? (3: some rows rejected)"
  }
  echo "== CSV import, one file after the other (${url:-SQLite})"
  db=$(fresh "$dir/csvdb")
  start=$(date +%s%N)
  for k in subjects:单位 persons:人员 certificates:证书 training:培训 registry:登记库; do
    run "$dir/csvdb" "$db" "${k#*:}" import "${k%%:*}" "$dir/csv/${k#*:}.csv"
  done
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "CSV total: $((ms / 1000)).$(printf %03d $((ms % 1000))) s wall (five processes, start-ups included)"
  if [ -n "$url" ]; then
    # The limit the import is measured against: the same five files COPYed as they are into
    # tables of text columns, without keys, indexes or checks, in one psql session.
    echo "== bare COPY of the same CSVs into index-free tables (PostgreSQL's own floor)"
    sql=""
    n=0
    for f in 单位 人员 证书 培训 登记库; do
      n=$((n + 1))
      cols=$(head -1 "$dir/csv/$f.csv" | tr -d '\r\357\273\277' | awk -F, '{for (i = 1; i <= NF; i++) printf "%sc%d text", (i > 1 ? ", " : ""), i}')
      sql+="DROP TABLE IF EXISTS bare_$n; CREATE TABLE bare_$n ($cols);"$'\n'
      sql+="\\copy bare_$n FROM '$dir/csv/$f.csv' WITH (FORMAT csv, HEADER true)"$'\n'
    done
    /usr/bin/time -f "bare COPY, all five: %e s wall" psql -q -v ON_ERROR_STOP=1 "$url" <<<"$sql" >/dev/null
    psql -q "$url" -c "DROP TABLE bare_1, bare_2, bare_3, bare_4, bare_5" >/dev/null
  fi
  echo "== full and one-subject scans (load the facts and run the rules)"
  target/release/examples/scan_bench "$db" 3
  echo "== xlsx import, the whole district in one workbook"
  db=$(fresh "$dir/xlsxdb")
  run "$dir/xlsxdb" "$db" "ledger.xlsx" import ledger "$dir/csv/ledger.xlsx"
  exit 0
fi

subjects=${1:-10000}
persons=${2:-200000}
port=${BENCH_PORT:-18090}
dir=$(mktemp -d /tmp/anpei-bench.XXXXXX)
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cargo build --release -p anpei-cli
bin=target/release/anpei
echo "== loading ${subjects} subjects / ${persons} persons"
/usr/bin/time -f "load: %e s wall, %M KiB max RSS" "$bin" --data-dir "$dir" demo --subjects "$subjects" --persons "$persons" --no-serve | grep -E "已载入"
ls -l "$dir/anpei.db" | awk '{printf "database file: %.0f MiB\n", $5/1048576}'

# A benchmark signs in with a password only (a test installation: no second factor).
ANPEI_SECURITY_MFA_ROLES= "$bin" --data-dir "$dir" serve --bind "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

jar="$dir/cookies"
csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="_csrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
curl -s -b "$jar" -c "$jar" -o /dev/null -d "username=district&password=Anpei@2021&_csrf=$csrf" "http://127.0.0.1:$port/login"
cookie=$(awk '/anpei_session/ {print $7}' "$jar")
token=$(curl -s -H 'content-type: application/json' -d '{"username":"district","password":"Anpei@2021"}' \
  "http://127.0.0.1:$port/api/v1/auth/token" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')

for page in "/" "/subjects" "/subjects?high_risk=1&page=5" "/progress" "/problems" "/problems?status=overdue"; do
  echo "== page $page, one user (wrk -t1 -c1 -d10s)"
  wrk -t1 -c1 -d10s --latency -H "Cookie: anpei_session=$cookie" "http://127.0.0.1:$port$page" | grep -E "^ +(50|90|99)%|Requests/sec|Non-2xx"
done
echo "== API /api/v1/subjects (wrk -t2 -c32 -d15s)"
wrk -t2 -c32 -d15s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/subjects" | grep -E "^ +(50|99)%|Requests/sec|Non-2xx"
for file in "/problems/export.xlsx" "/bulletin.docx"; do
  curl -s -o "$dir/out" -w "== $file: %{http_code}, %{size_download} bytes in %{time_total} s\n" \
    -H "Cookie: anpei_session=$cookie" "http://127.0.0.1:$port$file"
done
