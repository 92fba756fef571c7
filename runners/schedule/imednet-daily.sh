#!/usr/bin/env bash
# One scheduled export, for cron, a systemd timer or a Kubernetes CronJob (runners/schedule/README.md).
#
# Default command (the DuckDB target):
#   imednet export duckdb --all-studies records "$IMEDNET_DB" --incremental \
#       --report "$REPORT_DIR/<UTC start, e.g. 20260301T021500Z>.json"
#
# Environment (settings, never secrets, on the command line; all optional unless marked):
#   IMEDNET_ENV_FILE   KEY=VALUE file to load first (blank lines and # comments skipped, optional
#                      "export " and quotes; the format of the CLI's --env-file and systemd's
#                      EnvironmentFile=). Read, never executed; its values win over the environment.
#                      Holds the credentials: IMEDNET_API_KEY, IMEDNET_SECURITY_KEY,
#                      SNOWFLAKE_PASSWORD. They reach imednet through its environment only.
#   IMEDNET_BIN        the imednet command (default: the repository's ./imednet).
#   IMEDNET_TARGET     duckdb (default) | snowflake | parquet
#   IMEDNET_STUDIES    study keys separated by spaces (default: --all-studies)
#   IMEDNET_DB         duckdb: the DuckDB file (required)
#   IMEDNET_TABLE      duckdb: the table (default: records; "-" with --by-form in IMEDNET_ARGS)
#   IMEDNET_LAKE       parquet: the lake folder (required)
#   IMEDNET_INCREMENTAL  1 (default) adds --incremental; 0 a full export (a lake on an object
#                      store is exported whole: set 0 there)
#   IMEDNET_ARGS       more options, split on spaces, no quoting (e.g. "--look-back 2h
#                      --requests-per-second 20", or "--connection prod" for snowflake, whose
#                      settings otherwise come from the SNOWFLAKE_* variables). A value equal to a
#                      credential's is refused.
#   REPORT_DIR         where the run reports go (default: /var/lib/imednet/reports)
#   IMEDNET_LOCK_HELD_EXIT  what exit code 4 becomes (default 0; see below)
#
# Exit codes: those of imednet (0 done and reconciled, 1 error, 2 usage, 3 rows differ from the
# API's totals, 5 backfill partial, 128+N killed by signal N), except 4 (another run holds the
# target's lock, nothing changed), which becomes IMEDNET_LOCK_HELD_EXIT with one log line: the run
# that holds the lock is doing today's work. This wrapper's own usage errors exit 2.
set -uo pipefail

log() { echo "imednet-daily: $*" >&2; }
usage_error() {
  log "$*"
  exit 2
}

# KEY=VALUE lines into the environment, without running them through the shell.
load_env_file() {
  local file="$1" line key value n=0
  [ -f "$file" ] && [ -r "$file" ] || usage_error "IMEDNET_ENV_FILE $file is not a readable file"
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -z "$line" ] || [ "${line:0:1}" = "#" ] && continue
    line="${line#export }"
    key="${line%%=*}"
    key="${key%"${key##*[![:space:]]}"}"
    # Never echo the line: it may hold a secret.
    [[ "$line" == *=* && "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
      usage_error "$file line $n is not KEY=VALUE"
    value="${line#*=}"
    value="${value#"${value%%[![:space:]]*}"}"
    if [ "${#value}" -ge 2 ] &&
      { [[ "$value" == \"*\" ]] || [[ "$value" == \'*\' ]]; }; then
      value="${value:1:${#value}-2}"
    fi
    export "$key=$value"
  done <"$file"
}

if [ -n "${IMEDNET_ENV_FILE:-}" ]; then
  load_env_file "$IMEDNET_ENV_FILE"
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${IMEDNET_BIN:-$here/../../imednet}"
[ -x "$bin" ] || usage_error "IMEDNET_BIN $bin is not an executable file"
target="${IMEDNET_TARGET:-duckdb}"
report_dir="${REPORT_DIR:-/var/lib/imednet/reports}"
locked_exit="${IMEDNET_LOCK_HELD_EXIT:-0}"
[[ "$locked_exit" =~ ^[0-9]+$ ]] && [ "$locked_exit" -le 255 ] ||
  usage_error "IMEDNET_LOCK_HELD_EXIT must be 0..255, was '$locked_exit'"

read -r -a studies <<<"${IMEDNET_STUDIES:-}"
[ "${#studies[@]}" -gt 0 ] || studies=(--all-studies)
read -r -a extra <<<"${IMEDNET_ARGS:-}"

case "$target" in
  duckdb)
    [ -n "${IMEDNET_DB:-}" ] || usage_error "IMEDNET_DB (the DuckDB file) is not set"
    args=(export duckdb "${studies[@]}" "${IMEDNET_TABLE:-records}" "$IMEDNET_DB")
    incremental="${IMEDNET_INCREMENTAL:-1}"
    ;;
  snowflake)
    args=(export snowflake "${studies[@]}")
    incremental="${IMEDNET_INCREMENTAL:-1}"
    ;;
  parquet)
    [ -n "${IMEDNET_LAKE:-}" ] || usage_error "IMEDNET_LAKE (the lake folder) is not set"
    args=(export parquet "${studies[@]}" --lake "$IMEDNET_LAKE")
    incremental="${IMEDNET_INCREMENTAL:-1}"
    ;;
  *) usage_error "IMEDNET_TARGET must be duckdb, snowflake or parquet, was '$target'" ;;
esac
case "$incremental" in
  1) args+=(--incremental) ;;
  0) ;;
  *) usage_error "IMEDNET_INCREMENTAL must be 0 or 1, was '$incremental'" ;;
esac
mkdir -p "$report_dir" || usage_error "cannot create REPORT_DIR $report_dir"
report="$report_dir/$(date -u +%Y%m%dT%H%M%SZ).json"
args+=(--report "$report" "${extra[@]}")

# A misplaced credential (a pasted key in IMEDNET_ARGS) must not reach ps, logs or the report.
for secret_var in IMEDNET_API_KEY IMEDNET_SECURITY_KEY SNOWFLAKE_PASSWORD SNOWFLAKE_PRIVATE_KEY_FILE_PWD; do
  secret="${!secret_var:-}"
  [ -n "$secret" ] || continue
  for arg in "${args[@]}"; do
    [[ "$arg" == *"$secret"* ]] &&
      usage_error "an argument contains the value of $secret_var; credentials come from the environment only"
  done
done

log "running $(basename "$bin") ${args[*]}"
# In the background, so a SIGTERM (a Kubernetes pod stopping, where this script is PID 1 and
# would otherwise ignore it) reaches imednet; bash returns imednet's status from the last wait.
# The trap is set first: a signal that comes before $child is known is passed on just after.
child=
stopping=
forward_stop() {
  stopping=1
  [ -z "$child" ] || kill -TERM "$child" 2>/dev/null
}
trap forward_stop TERM INT HUP
"$bin" "${args[@]}" &
child=$!
[ -z "$stopping" ] || kill -TERM "$child" 2>/dev/null
wait "$child"
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
rc=$?

if [ "$rc" -eq 4 ]; then
  log "exit 4: another run holds the target's lock and this run changed nothing; exiting $locked_exit (report $report)"
  exit "$locked_exit"
fi
exit "$rc"
