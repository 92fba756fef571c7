#!/usr/bin/env bash
# Backfill benchmark (issue 13): one run, one table.
#
# STUDIES synthetic studies of RECORDS records each (FORMS forms x VARS variables) behind an
# emulator with LATENCY_MS of latency per request and a budget of RPS requests/s (429 beyond), and
# `imednet backfill duckdb --all-studies - DB --by-form --from FROM --to TO --window WINDOW
# --requests-per-second RPS --max-concurrent-requests CONCURRENCY`:
#
#  (A) uninterrupted: wall time (JVM start to exit), requests the emulator answered, requests/s ÷
#      the budget (goal >= 0.9), and the DuckDB file checked: STUDIES x RECORDS form rows, one per
#      (study, record id);
#  (B) the same backfill into another file, killed with SIGKILL at about half of (A)'s wall time,
#      then the same command again (it takes the dead run's lock over and fetches only the shards
#      its ledger lacks): requests of both together ÷ (A)'s (goal <= 1.05), the file checked as (A).
#
# A fresh emulator serves each run (its stats file counts that run's requests); none is warmed up,
# since a latency-bound run does not wait for the emulator's CPU.
#
#   runners/bench/backfill-benchmark.sh            # 20 studies x 100,000 records (about 15 min)
#   QUICK=1 runners/bench/backfill-benchmark.sh    # 20 studies x 10,000 records (about 7 min)
#
# Environment: STUDIES (20), RECORDS per study (100000; QUICK=1: 10000), FORMS (5), VARS (10),
# SEED (42), WINDOWS (10: the days the records span, cut into that many windows) or WINDOW (a
# duration such as 12h), LATENCY_MS (200), RPS (20), CONCURRENCY (8),
# BACKFILL_ARGS (extra arguments of every run), RESULTS_FILE; and those of bench-lib.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"

if [[ "${QUICK:-0}" == 1 ]]; then
  RECORDS="${RECORDS:-10000}"
fi
STUDIES="${STUDIES:-20}"
RECORDS="${RECORDS:-100000}"
FORMS="${FORMS:-5}"
VARS="${VARS:-10}"
SEED="${SEED:-42}"
WINDOWS="${WINDOWS:-10}"
LATENCY_MS="${LATENCY_MS:-200}"
RPS="${RPS:-20}"
CONCURRENCY="${CONCURRENCY:-8}"
read -r -a BACKFILL_EXTRA <<<"${BACKFILL_ARGS:-}"

SPEC="$SEED,$STUDIES,$FORMS,$VARS,$RECORDS"
# SyntheticStudyData: record i of a study is created 3i + (0..15) s after 2024-01-01T00:00:00Z and
# modified up to 65,535 s later.
FROM=2024-01-01
TO="$(date -u -d "@$((1704067200 + 3 * (RECORDS - 1) + 15 + 65535))" +%F)"
# WINDOWS windows over the UTC days FROM..TO, in whole minutes.
DAYS=$(( ($(date -u -d "$TO" +%s) - $(date -u -d "$FROM" +%s)) / 86400 + 1 ))
WINDOW="${WINDOW:-$(( (DAYS * 1440 + WINDOWS - 1) / WINDOWS ))m}"

bench_init backfill-benchmark
LOAD_BEFORE="$(loadavg)"
bench_build
WARM_EMULATOR=0

imednet() { IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" "$@"; }
BACKFILL_RECORDS_SED='s/^Backfill: [0-9]* shards loaded now (\([0-9]*\) records).*/\1/p'

backfill_args() {
  local name="$1" db="$2"
  echo backfill duckdb --all-studies - "$db" --by-form --from "$FROM" --to "$TO" \
    --window "$WINDOW" --requests-per-second "$RPS" --max-concurrent-requests "$CONCURRENCY" \
    --env-file "$WORK/$name.env" --progress none "${BACKFILL_EXTRA[@]}"
}

# check_db DB: the form tables hold STUDIES x RECORDS rows, one per (study, record id).
check_db() {
  local db="$1" union="" f out
  for f in $(seq -f 'F%03g' 1 "$FORMS"); do
    union+="${union:+ UNION ALL }SELECT study_key, record_id FROM \"$f\""
  done
  out="$(imednet sql "$db" "SELECT count(*) || ':' || count(DISTINCT (study_key, record_id)) FROM ($union)" 2>&1)" ||
    die "sql on $db: $out"
  sed -n 2p <<<"$out" | tr -d ' ' | tr ':' ' '
}

emulator() { start_emulator "$1" "$SPEC" --latency-ms "$LATENCY_MS" --rps "$RPS"; }
requests() { json_field "$EMU_STATS" requests; }
expected="$((STUDIES * RECORDS))"

# --- (A) uninterrupted -------------------------------------------------------------------------

log "(A) backfill of $SPEC, $FROM..$TO in windows of $WINDOW, uninterrupted"
emulator a
# shellcheck disable=SC2046
RUN_RECORDS_SED="$BACKFILL_RECORDS_SED" run_export a $(backfill_args a "$WORK/a.duckdb")
stop_emulator
[[ $RUN_OK == 1 ]] || die "(A) failed after $RUN_WALL_MS ms: $RUN_ERROR (see $WORK/a.err)"
WALL_A=$RUN_WALL_MS
REQ_A="$(requests)"
STATUS429_A="$(json_field "$EMU_STATS" status429)"
read -r N_A D_A <<<"$(check_db "$WORK/a.duckdb")"
SHARDS_A="$(sed -n 's/^Backfill: \([0-9]*\) shards loaded now.*/\1/p' "$WORK/a.out")"
row "(A) backfill, wall s" "$(secs "$WALL_A")" "" \
  "$SHARDS_A shards ($STUDIES studies x windows of $WINDOW, $FROM..$TO); $RUN_RECORDS records"
row "(A) form rows / distinct (study, record)" "$N_A / $D_A" "= $expected" \
  "$(verdict "$N_A == $expected && $D_A == $expected")"
row "(A) emulator requests" "$REQ_A" "" "$STATUS429_A answered 429"
RATE_A="$(awk -v n="$REQ_A" -v ms="$WALL_A" 'BEGIN { printf "%.2f", n * 1000 / ms }')"
UTIL_A="$(awk -v r="$RATE_A" -v b="$RPS" 'BEGIN { printf "%.3f", r / b }')"
row "(A) requests/s over the whole run ÷ budget" "$UTIL_A" ">= 0.9" \
  "$(verdict "$UTIL_A >= 0.9")  ($RATE_A req/s against $RPS, $LATENCY_MS ms latency)"

# --- (B) killed at about half, then resumed ----------------------------------------------------

KILL_AFTER_MS=$((WALL_A / 2))
log "(B) the same backfill, SIGKILL after $(secs "$KILL_AFTER_MS") s, then resumed"
emulator b1
# shellcheck disable=SC2046
(exec env IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" $(backfill_args b1 "$WORK/b.duckdb") \
  >"$WORK/b1.out" 2>"$WORK/b1.err") &
B1_PID=$!
BG_PIDS+=("$B1_PID")
sleep "$(secs "$KILL_AFTER_MS")"
kill -KILL "$B1_PID" 2>/dev/null || die "(B) ended before it was killed (see $WORK/b1.out)"
wait "$B1_PID" 2>/dev/null || true
forget_pid "$B1_PID"
stop_emulator
REQ_B1="$(requests)"
DONE_B1="$(grep -c ' records$' "$WORK/b1.out" || true)"

emulator b2
# shellcheck disable=SC2046
RUN_RECORDS_SED="$BACKFILL_RECORDS_SED" run_export b2 $(backfill_args b2 "$WORK/b.duckdb")
stop_emulator
[[ $RUN_OK == 1 ]] || die "(B) resumed failed after $RUN_WALL_MS ms: $RUN_ERROR (see $WORK/b2.err)"
REQ_B2="$(requests)"
ALREADY_B2="$(sed -n 's/.*), \([0-9]*\) already in the ledger.*/\1/p' "$WORK/b2.out")"
read -r N_B D_B <<<"$(check_db "$WORK/b.duckdb")"
row "(B) killed run: requests, windows committed" "$REQ_B1" "" \
  "SIGKILL after $(secs "$KILL_AFTER_MS") s; $DONE_B1 window lines printed"
row "(B) resumed run: requests, wall s" "$REQ_B2" "" \
  "$(secs "$RUN_WALL_MS") s; $ALREADY_B2 shards already in the ledger, skipped"
row "(B) form rows / distinct (study, record)" "$N_B / $D_B" "= $expected" \
  "$(verdict "$N_B == $expected && $D_B == $expected")"
RATIO_B="$(awk -v a="$((REQ_B1 + REQ_B2))" -v b="$REQ_A" 'BEGIN { printf "%.3f", a / b }')"
row "(B) requests killed + resumed ÷ (A)" "$RATIO_B" "<= 1.05" \
  "$(verdict "$RATIO_B <= 1.05")  ($REQ_B1 + $REQ_B2 against $REQ_A)"

LOAD_AFTER="$(loadavg)"
row "load average (1/5/15 min) before" "$LOAD_BEFORE" "" "$(nproc) cores, shared machine"
row "load average (1/5/15 min) after" "$LOAD_AFTER" "" ""
print_table "backfill benchmark: $STUDIES studies x $RECORDS records, $FORMS forms x $VARS variables, windows of $WINDOW, $LATENCY_MS ms latency, $RPS req/s ($(date -u +%FT%TZ), $(git -C "$REPO_DIR" rev-parse --short HEAD))"
