#!/usr/bin/env bash
# Checks the scheduling files as far as a machine without a cluster or a container engine can:
# shell syntax, the launcher's JVM flags against ./imednet's, the systemd units with
# systemd-analyze verify, the crontab line, the Kubernetes manifest's structure and the
# Dockerfile's inputs. Prints one line per check (ok / SKIP with the reason) and exits 0 only if
# no check failed. Skips are not failures: they say what this machine cannot try.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
failed=0
ok() { echo "ok    $*"; }
skip() { echo "SKIP  $*"; }
fail() {
  echo "FAIL  $*"
  failed=1
}

# 1. Shell syntax.
for script in imednet-daily.sh imednet-jar.sh check.sh; do
  if out="$(bash -n "$here/$script" 2>&1)"; then
    ok "bash -n $script"
  else
    fail "bash -n $script: $out"
  fi
  [ -x "$here/$script" ] || fail "$script is not executable"
done

# 2. The container's launcher uses ./imednet's JVM flags.
flags() { grep -E '^default_opts\+?=' "$1"; }
if [ -n "$(flags "$repo/imednet")" ] && [ "$(flags "$repo/imednet")" = "$(flags "$here/imednet-jar.sh")" ]; then
  ok "imednet-jar.sh default_opts = ./imednet default_opts"
else
  fail "imednet-jar.sh default_opts differ from ./imednet's: $(diff <(flags "$repo/imednet") <(flags "$here/imednet-jar.sh") | tr '\n' ' ')"
fi

# 3. systemd units, on a copy whose ExecStart points into this repository (the units name the
#    install path /opt/imednet-export, absent here). verify exits 0 on unknown values, which it
#    only warns about, so any output is a failure.
if command -v systemd-analyze >/dev/null; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp "$here/imednet-daily.timer" "$tmp/"
  sed "s#^ExecStart=/opt/imednet-export/#ExecStart=$repo/#" "$here/imednet-daily.service" \
    >"$tmp/imednet-daily.service"
  if ! grep -q "^ExecStart=$repo/runners/schedule/imednet-daily.sh\$" "$tmp/imednet-daily.service"; then
    fail "imednet-daily.service: ExecStart is not /opt/imednet-export/runners/schedule/imednet-daily.sh"
  elif out="$(systemd-analyze verify --man=no "$tmp/imednet-daily.timer" "$tmp/imednet-daily.service" 2>&1)" &&
    [ -z "$out" ]; then
    ok "systemd-analyze verify imednet-daily.timer imednet-daily.service (copy, ExecStart=$repo/runners/schedule/imednet-daily.sh)"
  else
    fail "systemd-analyze verify: $out"
  fi
  if next="$(systemd-analyze calendar '*-*-* 02:15:00 UTC' 2>&1)"; then
    ok "OnCalendar *-*-* 02:15:00 UTC: $(echo "$next" | grep -m1 'Next elapse' | sed 's/^ *//')"
  else
    fail "systemd-analyze calendar: $next"
  fi
else
  skip "systemd units: systemd-analyze is not installed"
fi

# 4, 5, 6: the crontab, the Kubernetes manifest, the Dockerfile (python3 with PyYAML).
if ! python3 -c 'import yaml' 2>/dev/null; then
  fail "python3 with the yaml module is needed for the crontab, manifest and Dockerfile checks"
elif ! python3 - "$here" "$repo" <<'PY'; then
import os, re, shlex, sys
import yaml

here, repo = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


# --- crontab: NAME=value lines, then jobs of 5 fields and a command.
RANGES = [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
          ("day of week", 0, 7)]


def field_ok(text, lo, hi):
    for part in text.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return False
        if m.group(2) is not None:
            a = int(m.group(2))
            b = int(m.group(3)) if m.group(3) is not None else a
            if not (lo <= a <= b <= hi):
                return False
        if m.group(4) is not None and int(m.group(4)) < 1:
            return False
    return True


env, jobs = {}, []
with open(os.path.join(here, "crontab")) as f:
    for n, line in enumerate(f, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", s)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        parts = s.split(None, 5)
        check(len(parts) == 6, f"crontab line {n}: 5 time fields and a command")
        if len(parts) == 6:
            jobs.append((n, parts[:5], parts[5]))
check(len(jobs) == 1, f"crontab: one job ({len(jobs)} found)")
for n, fields, command in jobs:
    for (name, lo, hi), value in zip(RANGES, fields):
        check(field_ok(value, lo, hi), f"crontab line {n}: {name} '{value}' within {lo}-{hi}")
    check(fields == ["15", "2", "*", "*", "*"], f"crontab line {n}: daily at 02:15 ({' '.join(fields)})")
    check(env.get("CRON_TZ") == "UTC", "crontab: CRON_TZ=UTC")
    check("flock" not in command, "crontab: no flock (the exporter's lock serialises runs)")
    program = shlex.split(command)[0]
    home = env.get("IMEDNET_HOME", "")
    in_repo = program.replace("$IMEDNET_HOME", repo).replace("${IMEDNET_HOME}", repo)
    check(program.startswith("$IMEDNET_HOME/") and os.access(in_repo, os.X_OK),
          f"crontab line {n}: {program} (IMEDNET_HOME={home}) is {os.path.relpath(in_repo, repo)},"
          " an executable in this repository")

# --- Kubernetes manifest.
with open(os.path.join(here, "k8s-cronjob.yaml")) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
by_kind = {d.get("kind"): d for d in docs}
check(sorted(by_kind) == ["CronJob", "PersistentVolumeClaim"],
      f"k8s-cronjob.yaml: a CronJob and a PersistentVolumeClaim ({sorted(by_kind)})")
for d in docs:
    check(bool(d.get("apiVersion")) and bool(d.get("metadata", {}).get("name")),
          f"k8s-cronjob.yaml {d.get('kind')}: apiVersion and metadata.name")
pvc = by_kind.get("PersistentVolumeClaim", {})
cron = by_kind.get("CronJob", {})
cs = cron.get("spec", {})
check(cron.get("apiVersion") == "batch/v1", "CronJob apiVersion batch/v1")
sched = str(cs.get("schedule", "")).split()
check(len(sched) == 5 and all(field_ok(v, lo, hi) for (_, lo, hi), v in zip(RANGES, sched))
      and sched == ["15", "2", "*", "*", "*"], f"CronJob schedule '{cs.get('schedule')}': daily 02:15")
check(cs.get("timeZone") in ("Etc/UTC", "UTC"), f"CronJob timeZone {cs.get('timeZone')}")
check(cs.get("concurrencyPolicy") == "Forbid", "CronJob concurrencyPolicy Forbid")
job = cs.get("jobTemplate", {}).get("spec", {})
check(job.get("backoffLimit") == 0, "Job backoffLimit 0")
pod = job.get("template", {}).get("spec", {})
check(pod.get("restartPolicy") == "Never", "Pod restartPolicy Never")
containers = pod.get("containers", [])
check(len(containers) == 1, "one container")
c = containers[0] if containers else {}
env_list = {e["name"]: e for e in c.get("env", [])}
for secret in ("IMEDNET_API_KEY", "IMEDNET_SECURITY_KEY", "SNOWFLAKE_PASSWORD"):
    e = env_list.get(secret, {})
    ref = e.get("valueFrom", {}).get("secretKeyRef", {})
    check("value" not in e and ref.get("name") and ref.get("key") == secret,
          f"{secret} from a Secret (secretKeyRef), never a literal value")
res = c.get("resources", {})
check(all(res.get(k, {}).get(r) for k in ("requests", "limits") for r in ("memory",))
      and res.get("requests", {}).get("cpu"), "container resources: requests cpu+memory, limits memory")
volumes = {v["name"]: v for v in pod.get("volumes", [])}
claim = pvc.get("metadata", {}).get("name")
pvc_volume = [n for n, v in volumes.items()
              if v.get("persistentVolumeClaim", {}).get("claimName") == claim]
check(len(pvc_volume) == 1, f"a volume from the PersistentVolumeClaim {claim}")
mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
data_dir = mounts.get(pvc_volume[0]) if pvc_volume else None
for var in ("IMEDNET_DB", "REPORT_DIR"):
    path = env_list.get(var, {}).get("value", "")
    check(bool(data_dir) and path.startswith(data_dir.rstrip("/") + "/"),
          f"{var}={path} is on the claim's mount {data_dir}")
image = c.get("image", "")

# --- Dockerfile: base image, inputs, entry point, the image name the manifest runs.
with open(os.path.join(here, "Dockerfile")) as f:
    dockerfile = f.read()
froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
check(froms == ["eclipse-temurin:17-jre"], f"Dockerfile FROM {froms}")
for src, dst in re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)\s+(\S+)", dockerfile, re.M):
    if src.endswith(".jar"):
        print(f"ok    Dockerfile COPY {src}: the shaded jar (mvn -B -Pbundle -DskipTests package"
              f" -pl runners -am); {'present' if os.path.isfile(os.path.join(repo, src)) else 'not built here'}")
        check(src == "runners/target/imednet-export-bundled.jar", f"Dockerfile jar is {src}")
    else:
        check(os.path.isfile(os.path.join(repo, src)), f"Dockerfile COPY {src} exists")
entry = re.findall(r"^ENTRYPOINT\s+(\[.*\])", dockerfile, re.M)
check(entry == ['["/opt/imednet/bin/imednet-daily.sh"]'], f"Dockerfile ENTRYPOINT {entry}")
check(re.search(r"^ENV\s+IMEDNET_BIN=/opt/imednet/bin/imednet\b", dockerfile, re.M) is not None,
      "Dockerfile IMEDNET_BIN is the jar launcher")
check(f"-t {image} " in dockerfile, f"the Dockerfile's build command tags the manifest's image {image}")
with open(os.path.join(here, "Dockerfile.dockerignore")) as f:
    ignore = [l.strip() for l in f if l.strip() and not l.startswith("#")]
check(ignore[:1] == ["*"], "Dockerfile.dockerignore: nothing but the copied files in the context")
sys.exit(1 if failures else 0)
PY
  failed=1
fi

# What this machine cannot run.
if command -v kubectl >/dev/null && kubectl version --request-timeout=5s >/dev/null 2>&1; then
  if out="$(kubectl apply --dry-run=server -f "$here/k8s-cronjob.yaml" 2>&1)"; then
    ok "kubectl apply --dry-run=server"
  else
    fail "kubectl apply --dry-run=server: $out"
  fi
else
  skip "kubectl --dry-run: no Kubernetes API server reachable (client dry runs need one too, for the schema)"
fi
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  skip "docker build: an engine is running, but the build needs the shaded jar and a minute; run it by hand (README)"
else
  skip "docker build: no Docker engine here; the Dockerfile is checked statically above"
fi

if [ "$failed" -ne 0 ]; then
  echo "check.sh: FAILED"
  exit 1
fi
echo "check.sh: all checks that can run here passed"
