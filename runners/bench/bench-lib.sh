# Shared helpers of the benchmark scripts in runners/bench/; sourced, not run.
#
# Environment (all optional):
#   BENCH_BUILD_SUFFIX  build directory suffix of the pipeline build the scripts run (default -bench,
#                       so a benchmark never races the ./imednet launcher's pipeline/target)
#   BENCH_SKIP_BUILD=1  use the existing build as it is
#   IMEDNET_JAVA_OPTS   JVM options of the export JVM (default: ./imednet's own)
#   EMULATOR_JAVA_OPTS  JVM options of the emulator JVMs (default -Xmx1g)
#   KEEP=1              keep the work directory (lakes, logs, JFR files) instead of deleting it
#   PROFILE=1           record a JFR file of every export JVM into the work directory
#   RUN_TIMEOUT         seconds before an export JVM is killed and its run reported as failed
#                       (default 1800; a JVM thrashing in GC near its heap limit can take long)

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/../.." && pwd)"
BENCH_BUILD_SUFFIX="${BENCH_BUILD_SUFFIX--bench}"
PIPELINE_BUILD="$REPO_DIR/pipeline/target$BENCH_BUILD_SUFFIX"
BENCH_CLASSES="$BENCH_DIR/target$BENCH_BUILD_SUFFIX/classes"
CLI_CP="$PIPELINE_BUILD/classes:$PIPELINE_BUILD/lib/*"
TOOL_CP="$BENCH_CLASSES:$CLI_CP"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# --- work directory and cleanup --------------------------------------------------------------

BG_PIDS=()
CLEANUP_HOOKS=()
WORK=""

bench_init() {
  local name="$1"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  log "work directory $WORK"
}

bench_cleanup() {
  local rc=$? pid hook
  for hook in "${CLEANUP_HOOKS[@]}"; do
    $hook || true
  done
  for pid in "${BG_PIDS[@]}"; do
    stop_pid "$pid"
  done
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ "${KEEP:-0}" == 1 || $rc -ne 0 ]]; then
      log "work directory kept: $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  return $rc
}

# SIGTERM, wait up to 20 s, then SIGKILL; only pids this script started.
stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

forget_pid() {
  local pid="$1" kept=() p
  for p in "${BG_PIDS[@]}"; do
    [[ "$p" == "$pid" ]] || kept+=("$p")
  done
  BG_PIDS=("${kept[@]}")
}

# --- ports -----------------------------------------------------------------------------------

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A random port in 20000..59999 that nothing on 127.0.0.1 listens on, excluding any given.
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 40000))
    [[ " $* " == *" $p "* ]] && continue
    port_busy "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

wait_for_port() {
  local port="$1" pid="$2" what="$3" deadline=$(($(now_ms) + 120000))
  until port_busy "$port"; do
    kill -0 "$pid" 2>/dev/null || die "$what exited during start-up (see $WORK)"
    (($(now_ms) < deadline)) || die "$what did not listen on 127.0.0.1:$port within 120 s"
    sleep 0.2
  done
}

# --- build -----------------------------------------------------------------------------------

bench_build() {
  if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building the pipeline into pipeline/target$BENCH_BUILD_SUFFIX (BENCH_SKIP_BUILD=1 skips)"
    local mvn_args=(-B -q -DskipTests -Dspotless.check.skip=true
      "-DbuildDirSuffix=$BENCH_BUILD_SUFFIX" -pl pipeline -am package)
    (cd "$REPO_DIR" && { mvn -o "${mvn_args[@]}" >"${WORK}/build.log" 2>&1 ||
      mvn "${mvn_args[@]}" >>"${WORK}/build.log" 2>&1; }) ||
      { tail -n 30 "$WORK/build.log" >&2; die "build failed, see $WORK/build.log"; }
  fi
  [[ -d "$PIPELINE_BUILD/classes" && -d "$PIPELINE_BUILD/lib" ]] ||
    die "no pipeline build in $PIPELINE_BUILD"
  # The launcher records its class-data archive once per build (a demo run and a dump); let it do
  # that here, untimed, so every timed run starts as a user's runs after the first do.
  IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" --version >"$WORK/launcher.log" 2>&1 ||
    { cat "$WORK/launcher.log" >&2; die "./imednet --version failed"; }
  mkdir -p "$BENCH_CLASSES"
  javac -nowarn -d "$BENCH_CLASSES" -cp "$CLI_CP" \
    "$BENCH_DIR"/src/org/imednet/export/bench/*.java 2>"$WORK/javac.log" ||
    { cat "$WORK/javac.log" >&2; die "javac of runners/bench/src failed"; }
}

bench_tool() { java ${EMULATOR_JAVA_OPTS:--Xmx1g} -cp "$TOOL_CP" org.imednet.export.bench.BenchTool "$@"; }

# --- emulators -------------------------------------------------------------------------------

# start_emulator NAME SPEC [emulator args...]: starts the iMednet emulator
# (org.imednet.export.testdata.emulator.ImednetEmulator, its own JVM) on a free port with
# --stats-file, writes $WORK/NAME.env (the exporter's --env-file) and sets EMU_PID, EMU_STATS.
start_emulator() {
  local name="$1" spec="$2" port
  shift 2
  port="$(free_port)"
  EMU_STATS="$WORK/$name.stats.json"
  EMU_CPU_WARM_S=0
  # exec: $! must be the JVM itself, so SIGTERM reaches it and it writes its stats file.
  # shellcheck disable=SC2086
  (exec java ${EMULATOR_JAVA_OPTS:--Xmx1g} -cp "$CLI_CP" \
    org.imednet.export.testdata.emulator.ImednetEmulator \
    --synthetic "$spec" --port "$port" --stats-file "$EMU_STATS" "$@" \
    >"$WORK/$name.emulator.log" 2>&1) &
  EMU_PID=$!
  BG_PIDS+=("$EMU_PID")
  wait_for_port "$port" "$EMU_PID" "the iMednet emulator"
  # The emulator's default credentials; in a file, never on a command line.
  (umask 077 && printf '%s\n' "IMEDNET_BASE_URL=http://127.0.0.1:$port" \
    IMEDNET_API_KEY=emulator-api-key IMEDNET_SECURITY_KEY=emulator-security-key \
    >"$WORK/$name.env")
  log "iMednet emulator ($spec $*) on 127.0.0.1:$port, pid $EMU_PID"
}

# emulator_cpu: CPU seconds the running emulator has used so far.
emulator_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$EMU_PID/stat" \
    2>/dev/null || echo "?"
}

# warm_emulator NAME: an untimed export of the first form (F001) from the emulator just started
# for run NAME. The real API is a long-running server, already warm when an export starts; an
# emulator started for the run would spend its first seconds compiling its own code (2-3 CPU-s of
# JIT) on the same 2 cores as the timed export. WARM_EMULATOR=0 skips it.
warm_emulator() {
  local name="$1"
  EMU_CPU_WARM_S=0
  [[ "${WARM_EMULATOR:-1}" == 1 ]] || return 0
  log "warming the emulator up: an untimed export of form F001"
  IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" export parquet --all-studies \
    --forms F001 --lake "$WORK/$name.warm.lake" --env-file "$WORK/$name.env" --progress none \
    >"$WORK/$name.warm.log" 2>&1 || die "the warm-up export failed, see $WORK/$name.warm.log"
  rm -rf "$WORK/$name.warm.lake" "$WORK/$name.warm.lake_metadata"
  EMU_CPU_WARM_S="$(emulator_cpu)"
}

# stop_emulator: SIGTERM makes it write $EMU_STATS.
stop_emulator() {
  # CPU seconds the emulator used (it shares the machine's cores with the exporter).
  EMU_CPU_S="$(emulator_cpu)"
  log "emulator used $EMU_CPU_S CPU-s ($(awk -v a="$EMU_CPU_S" -v b="${EMU_CPU_WARM_S:-0}" \
    'BEGIN {printf "%.1f", a - b}') after its warm-up)"
  stop_pid "$EMU_PID"
  forget_pid "$EMU_PID"
  [[ -s "$EMU_STATS" ]] || die "the emulator wrote no stats file $EMU_STATS"
}

json_field() { grep -o "\"$2\": *[0-9]*" "$1" | head -n1 | sed 's/.*: *//'; }

# --- timed runs ------------------------------------------------------------------------------

# run_export NAME ARGS...: runs `imednet ARGS...` under /usr/bin/time -v; sets RUN_OK (1 or 0),
# RUN_ERROR (the failure's first error line), RUN_WALL_MS, RUN_RSS_KB and RUN_RECORDS (from the
# "N records fetched" line). A failed run is reported, not fatal: an out-of-memory export is a
# result. Output in $WORK/NAME.{out,err,time}; with PROFILE=1 a JFR recording in $WORK/NAME.jfr.
# RUN_RECORDS_SED (optional) is the sed script that prints the record count from NAME.out, for
# commands that report it otherwise (history-benchmark.sh); the default reads the exports' line.
EXPORT_RECORDS_SED='s/^\([0-9][0-9]*\) records fetched in .*/\1/p'
run_export() {
  local name="$1" started ended jvm_env=()
  shift
  # The launcher's JVM flags unless IMEDNET_JAVA_OPTS replaces them; the recording is added to
  # whichever apply.
  [[ -n "${IMEDNET_JAVA_OPTS:-}" ]] && jvm_env+=("IMEDNET_JAVA_OPTS=$IMEDNET_JAVA_OPTS")
  if [[ "${PROFILE:-0}" == 1 ]]; then
    jvm_env+=("JDK_JAVA_OPTIONS=-XX:StartFlightRecording=filename=$WORK/$name.jfr,settings=profile")
  fi
  log "run $name: imednet $*"
  started=$(now_ms)
  RUN_OK=1
  RUN_ERROR=""
  # timeout runs under time: the JVM's peak RSS still reaches time's rusage when it is killed.
  # The launcher users run (./imednet, which execs the JVM), on this build and its class-data
  # archive (bench_build recorded it).
  if ! env "${jvm_env[@]}" IMEDNET_BUILD_DIR="$PIPELINE_BUILD" \
    /usr/bin/time -v -o "$WORK/$name.time" timeout -s KILL "${RUN_TIMEOUT:-1800}" \
    "$REPO_DIR/imednet" \
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; then
    RUN_OK=0
    if grep -q 'Command terminated by signal 9' "$WORK/$name.time"; then
      RUN_ERROR="killed after RUN_TIMEOUT=${RUN_TIMEOUT:-1800} s"
      grep -q 'OutOfMemoryError\|heap space' "$WORK/$name.err" &&
        RUN_ERROR="$RUN_ERROR (OutOfMemoryError logged before)"
    else
      RUN_ERROR="$(grep -m1 '^error:' "$WORK/$name.err" || tail -n1 "$WORK/$name.err")"
    fi
  fi
  ended=$(now_ms)
  RUN_WALL_MS=$((ended - started))
  RUN_RSS_KB="$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$WORK/$name.time")"
  RUN_RECORDS="$(sed -n "${RUN_RECORDS_SED:-$EXPORT_RECORDS_SED}" "$WORK/$name.out" | tail -n1)"
  if [[ $RUN_OK == 1 && -z "$RUN_RECORDS" ]]; then
    RUN_OK=0
    RUN_ERROR="no record count line in the output"
    [[ -n "${RUN_RECORDS_SED:-}" ]] || RUN_ERROR="no 'N records fetched' line"
  fi
  if [[ $RUN_OK == 1 ]]; then
    log "run $name: $RUN_RECORDS records in $RUN_WALL_MS ms, peak RSS $((RUN_RSS_KB / 1024)) MiB"
  else
    log "run $name FAILED after $RUN_WALL_MS ms (peak RSS $((RUN_RSS_KB / 1024)) MiB): $RUN_ERROR"
  fi
}

# check_run NAME EXPECTED_RECORDS [LAKE_DIR]: after a successful run the record count, and the
# lake's form rows, must be exactly EXPECTED; a mismatch is fatal (the figure would be wrong).
check_run() {
  local name="$1" expected="$2" lake="${3:-}" rows
  [[ $RUN_OK == 1 ]] || return 0
  [[ "$RUN_RECORDS" == "$expected" ]] || die "$name fetched $RUN_RECORDS records, expected $expected"
  if [[ -n "$lake" ]]; then
    rows="$(bench_tool count-lake "$lake" | sed 's/rows=//')"
    [[ "$rows" == "$expected" ]] || die "$name: the lake has $rows form rows, expected $expected"
  fi
}

# --- arithmetic and the table ----------------------------------------------------------------

calc() { awk "BEGIN { printf \"%s\", $1 }"; }
per_second() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v kb="$1" 'BEGIN { printf "%.0f", kb / 1024 }'; }
# verdict EXPR: PASS when the awk expression holds, else MISS.
verdict() { awk "BEGIN { exit !($1) }" && echo PASS || echo MISS; }

TABLE=()
row() { TABLE+=("$(printf '%-50s %16s  %-14s %s' "$1" "$2" "$3" "$4")"); }

print_table() {
  local title="$1" line
  {
    echo
    echo "== $title =="
    printf '%-50s %16s  %-14s %s\n' "measure" "value" "target" "result"
    for line in "${TABLE[@]}"; do
      echo "$line"
    done
  } | tee -a "${RESULTS_FILE:-/dev/null}"
}

# --- shared by the scripts that read a DuckDB file and count a run's requests -----------------

# sql_value QUERY: the single value a query of the DuckDB file $DB returns (read-only, ./imednet
# sql on the benchmark's build).
sql_value() {
  local out
  out="$(IMEDNET_BUILD_DIR="$PIPELINE_BUILD" "$REPO_DIR/imednet" sql "$DB" "$1" 2>"$WORK/sql.err")" || { cat "$WORK/sql.err" >&2; die "sql: $1"; }
  sed -n 2p <<<"$out" | tr -d ' '
}

# requests_since MS: the requests the stopped emulator answered from the epoch milliseconds MS on:
# its per-second counts from the first whole second at or after MS. The timed run's first request
# comes seconds after its JVM started at MS; the warm-up's last one came before MS.
requests_since() {
  local since="$1" first
  first="$(json_field "$EMU_STATS" firstRequestMillis)"
  sed -n 's/.*"perSecond": *\[\([^]]*\)\].*/\1/p' "$EMU_STATS" | tr ',' '\n' |
    awk -v skip="$(((since - first + 999) / 1000))" 'NR > skip { n += $1 } END { print n + 0 }'
}

# cpu_seconds NAME: user + system CPU seconds of run NAME's JVM (from /usr/bin/time -v).
cpu_seconds() {
  awk -F': *' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$WORK/$1.time"
}

secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
