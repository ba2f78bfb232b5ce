#!/usr/bin/env bash
# End-to-end benchmark of issue #2's floors: 10,000 subjects and 200,000 persons in SQLite;
# the dashboard and the subjects list for one user (p50/p90/p99), and the API list endpoint's
# throughput. Needs `wrk` (Debian package). Usage: scripts/bench.sh [SUBJECTS] [PERSONS]
set -euo pipefail
cd "$(dirname "$0")/.."
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

"$bin" --data-dir "$dir" serve --bind "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

jar="$dir/cookies"
csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="_csrf" value="[^"]*"' | sed 's/.*value="//;s/"//')
curl -s -b "$jar" -c "$jar" -o /dev/null -d "username=district&password=Anpei@2021&_csrf=$csrf" "http://127.0.0.1:$port/login"
cookie=$(awk '/anpei_session/ {print $7}' "$jar")
token=$(curl -s -H 'content-type: application/json' -d '{"username":"district","password":"Anpei@2021"}' \
  "http://127.0.0.1:$port/api/v1/auth/token" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')

for page in "/" "/subjects" "/subjects?high_risk=1&page=5"; do
  echo "== page $page, one user (wrk -t1 -c1 -d10s)"
  wrk -t1 -c1 -d10s --latency -H "Cookie: anpei_session=$cookie" "http://127.0.0.1:$port$page" | grep -E "^ +(50|90|99)%|Requests/sec|Non-2xx"
done
echo "== API /api/v1/subjects (wrk -t2 -c32 -d15s)"
wrk -t2 -c32 -d15s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/subjects" | grep -E "^ +(50|99)%|Requests/sec|Non-2xx"
