#!/usr/bin/env bash
# Starts a Flink 1.19 session cluster on 127.0.0.1: one JobManager and one TaskManager JVM, built from
# Maven Central jars (runners/flink-cluster/pom.xml), as Flink's bin/jobmanager.sh and bin/taskmanager.sh
# would. Returns once the TaskManager has registered and a slot is free; prints the REST address.
#
#   runners/flink-cluster/start-cluster.sh          # REST on 127.0.0.1:8081
#   FLINK_REST_PORT=18081 FLINK_RPC_PORT=16123 FLINK_RUN_DIR=/tmp/flink1 runners/flink-cluster/start-cluster.sh
#
# Environment (defaults in cluster-env.sh): FLINK_REST_PORT, FLINK_RPC_PORT, FLINK_BLOB_PORT,
# FLINK_TM_RPC_PORT, FLINK_RUN_DIR (conf, logs, pid files, tmp), FLINK_LIB_DIR, BUILD_DIR_SUFFIX,
# FLINK_START_TIMEOUT (s), FLINK_JM_MEMORY / FLINK_TM_MEMORY (process sizes, e.g. 4096m), JAVA_HOME,
# MAVEN_ARGS (extra arguments for the mvn call that fetches the lib on first use), FLINK_TM_ENV_FILE
# (a KEY=VALUE file whose variables only the TaskManager's environment gets, e.g. the AWS keys a job
# writing to S3 needs: never on a command line, and not in the JobManager).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

started=$(now_ms)
[[ -n "$JAVA" ]] || die "java not found: set JAVA_HOME or put java 17 on the PATH"
for p in FLINK_REST_PORT FLINK_RPC_PORT FLINK_BLOB_PORT FLINK_TM_RPC_PORT; do
  [[ "${!p}" =~ ^[0-9]+$ ]] || die "$p must be a port number, was '${!p}'"
done

if live_pid jobmanager "$JM_CLASS" >/dev/null || live_pid taskmanager "$TM_CLASS" >/dev/null; then
  die "a Flink cluster is already running from $FLINK_RUN_DIR; stop it with stop-cluster.sh"
fi
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in FLINK_REST_PORT FLINK_RPC_PORT; do
  if port_busy "${!p}"; then die "127.0.0.1:${!p} is in use; choose another $p"; fi
done

# The lib directory is a build output; fetch it on first use.
if ! compgen -G "$FLINK_LIB_DIR/flink-runtime-*.jar" >/dev/null; then
  log "fetching the Flink cluster jars into $FLINK_LIB_DIR"
  fetch_lib() {
    # shellcheck disable=SC2086
    mvn -B -q "$@" ${MAVEN_ARGS:-} -f "$FLINK_CLUSTER_HOME/pom.xml" package \
      "-DbuildDirSuffix=$BUILD_DIR_SUFFIX" "-Dflink.lib.dir=$FLINK_LIB_DIR" >&2
  }
  # Offline first: after a project build every jar is usually in the local repository already.
  fetch_lib -o 2>/dev/null || fetch_lib \
    || die "could not fetch the Flink jars (mvn -f $FLINK_CLUSTER_HOME/pom.xml package)"
fi

conf="$FLINK_RUN_DIR/conf"
mkdir -p "$conf" "$FLINK_RUN_DIR/log" "$FLINK_RUN_DIR/pid" "$FLINK_RUN_DIR/tmp" "$FLINK_RUN_DIR/plugins"
# No plugins (filesystems, metric reporters) are used; an empty directory keeps Flink from warning.
export FLINK_PLUGINS_DIR="$FLINK_RUN_DIR/plugins"
cp "$FLINK_CONF_TEMPLATE/log4j.properties" "$conf/log4j.properties"
{
  # A key given twice makes Flink refuse the file: the template's memory sizes give way to the
  # environment's.
  awk -v jm="${FLINK_JM_MEMORY:-}" -v tm="${FLINK_TM_MEMORY:-}" '
    jm != "" && /^jobmanager\.memory\.process\.size:/ { next }
    tm != "" && /^taskmanager\.memory\.process\.size:/ { next }
    { print }' "$FLINK_CONF_TEMPLATE/config.yaml"
  printf '\n# Appended by start-cluster.sh\n'
  printf 'rest.port: %s\n' "$FLINK_REST_PORT"
  printf 'jobmanager.rpc.port: %s\n' "$FLINK_RPC_PORT"
  printf 'blob.server.port: %s\n' "$FLINK_BLOB_PORT"
  printf 'taskmanager.rpc.port: %s\n' "$FLINK_TM_RPC_PORT"
  printf 'io.tmp.dirs: %s\n' "$FLINK_RUN_DIR/tmp"
  printf 'web.tmpdir: %s\n' "$FLINK_RUN_DIR/tmp"
  printf 'blob.storage.directory: %s\n' "$FLINK_RUN_DIR/tmp"
  [[ -n "${FLINK_JM_MEMORY:-}" ]] && printf 'jobmanager.memory.process.size: %s\n' "$FLINK_JM_MEMORY"
  [[ -n "${FLINK_TM_MEMORY:-}" ]] && printf 'taskmanager.memory.process.size: %s\n' "$FLINK_TM_MEMORY"
  true
} >"$conf/config.yaml"

# Flink 1.19's own env.java.default-opts.all for Java 17 (Kryo and Pekko reflect into the JDK).
J17_OPTS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED
  --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
)
for pkg in java.lang java.net java.io java.nio sun.nio.ch java.lang.reflect java.text java.time \
  java.util java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
  J17_OPTS+=("--add-opens=java.base/$pkg=ALL-UNNAMED")
done

# BashJavaUtils (in flink-runtime) turns the process sizes into JVM flags (line 1) and the -D memory
# properties the processes expect (line 2), exactly as bin/config.sh does.
resource_params() {
  local out
  out="$("$JAVA" -Dlog.file="$FLINK_RUN_DIR/log/bash-java-utils.log" \
    -Dlog4j.configurationFile="file:$conf/log4j.properties" -cp "$FLINK_LIB_DIR/*" \
    org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$conf" 2>&1)" \
    || die "BashJavaUtils $1 failed: $out"
  grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}
mapfile -t jm_params < <(resource_params GET_JM_RESOURCE_PARAMS)
mapfile -t tm_params < <(resource_params GET_TM_RESOURCE_PARAMS)
[[ ${#jm_params[@]} -eq 2 && ${#tm_params[@]} -eq 2 ]] || die "unexpected BashJavaUtils output"

# From here on, a failure or an interrupt must not leave half a cluster behind.
cleanup_on_failure() {
  local pids=()
  [[ -n "${tm_pid:-}" ]] && pids+=("$tm_pid")
  [[ -n "${jm_pid:-}" ]] && pids+=("$jm_pid")
  [[ ${#pids[@]} -gt 0 ]] && terminate_pids "${pids[@]}"
  rm -f "$FLINK_RUN_DIR/pid/jobmanager.pid" "$FLINK_RUN_DIR/pid/taskmanager.pid"
}
trap 'cleanup_on_failure' EXIT
trap 'exit 130' INT TERM

# Exports each KEY=VALUE line of a file, taken literally (no shell expansion); blank lines and
# # comments are skipped. Runs in start_process's subshell, so only that process gets them.
export_env_file() {
  local line n=0
  [[ -r "$1" ]] || die "cannot read FLINK_TM_ENV_FILE $1"
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    [[ -z "${line//[[:space:]]/}" || "$line" =~ ^[[:space:]]*# ]] && continue
    # Never echo the line: it may hold a secret.
    [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || die "$1 line $n is not KEY=VALUE"
    export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
  done <"$1"
}
# Checked before anything starts (in a subshell: nothing is exported here).
if [[ -n "${FLINK_TM_ENV_FILE:-}" ]]; then (export_env_file "$FLINK_TM_ENV_FILE") || exit 1; fi

start_process() {
  local role="$1" class="$2" jvm_flags="$3" dynamic="$4"
  if [[ $role == taskmanager && -n "${FLINK_TM_ENV_FILE:-}" ]]; then
    export_env_file "$FLINK_TM_ENV_FILE"
  fi
  # shellcheck disable=SC2086  # the flag strings are space-separated lists without spaces inside
  nohup "$JAVA" $jvm_flags "${J17_OPTS[@]}" ${FLINK_JVM_OPTS:-} \
    -Dlog.file="$FLINK_RUN_DIR/log/$role.log" \
    -Dlog4j.configurationFile="file:$conf/log4j.properties" \
    -cp "$FLINK_LIB_DIR/*" "$class" --configDir "$conf" $dynamic \
    >"$FLINK_RUN_DIR/log/$role.out" 2>&1 </dev/null &
  echo $! >"$FLINK_RUN_DIR/pid/$role.pid"
  echo $!
}
jm_pid="$(start_process jobmanager "$JM_CLASS" "${jm_params[0]}" "${jm_params[1]}")"
tm_pid="$(start_process taskmanager "$TM_CLASS" "${tm_params[0]}" "${tm_params[1]}")"

# Ready means: the REST endpoint answers and the TaskManager has registered at least one free slot.
deadline=$(( $(now_ms) + FLINK_START_TIMEOUT * 1000 ))
while :; do
  for role in jobmanager taskmanager; do
    if [[ $role == jobmanager ]]; then pid=$jm_pid; else pid=$tm_pid; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the $role exited during start-up; last lines of $FLINK_RUN_DIR/log/$role.{out,log}:"
      tail -n 20 "$FLINK_RUN_DIR/log/$role.out" "$FLINK_RUN_DIR/log/$role.log" >&2 2>/dev/null || true
      exit 1
    fi
  done
  overview="$(curl -fsS --max-time 2 "http://127.0.0.1:$FLINK_REST_PORT/overview" 2>/dev/null || true)"
  if [[ "$overview" =~ \"slots-available\":([0-9]+) ]] && (( BASH_REMATCH[1] >= 1 )); then
    break
  fi
  if (( $(now_ms) >= deadline )); then
    log "no free slot after ${FLINK_START_TIMEOUT}s (overview: ${overview:-none}); see $FLINK_RUN_DIR/log"
    exit 1
  fi
  sleep 0.2
done
trap - EXIT INT TERM

log "Flink session cluster up in $(( $(now_ms) - started )) ms: JobManager pid $jm_pid, TaskManager pid $tm_pid, logs in $FLINK_RUN_DIR/log"
log "submit with: --runner=FlinkRunner --flinkMaster=127.0.0.1:$FLINK_REST_PORT --parallelism=2"
# The one line on stdout, for scripts: the REST address.
echo "127.0.0.1:$FLINK_REST_PORT"
