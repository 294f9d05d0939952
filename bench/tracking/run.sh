#!/usr/bin/env bash
# Tracking throughput: trials per second of `gdsweep run` on a trivial trial
# (/bin/echo loss=0, random sampler) at parallelism P, without a `tracking`
# section and with one pointing at the fake MLflow server (tests/fakes/mlflow)
# started with --delay-ms DELAY_MS --handlers HANDLERS (each request takes
# DELAY_MS inside the server, at most HANDLERS at once: a real server's pace),
# measured in the same run, alternating the order; the ratio tracking / no
# tracking, against the target of issue 15 (at least 0.5 with 5 ms and 4
# handlers at parallelism 8); and the MLflow requests per trial, by endpoint.
# Each case runs REPS times on a fresh database in a fresh folder and the
# median is shown. A tracked case passes only if the server ends with exactly
# N child runs, all FINISHED with their param, under one parent and the
# outbox table is empty. The wall-clock is the whole `gdsweep run`, including
# the delivery of what is still pending when the last trial ends.
#   usage: bench/tracking/run.sh [N_TRIALS]
#          (default 1000; REPS=3 P=8 DELAY_MS=5 HANDLERS=4 GDSWEEP=path)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gdsweep=${GDSWEEP:-$root/build/sweeper/gdsweep}
python=/usr/bin/python3
helper="$here/fake.py"
n=${1:-1000}
reps=${REPS:-3}
p=${P:-8}
delay=${DELAY_MS:-5}
handlers=${HANDLERS:-4}
[ -x "$gdsweep" ] || { echo "no gdsweep at $gdsweep (build first: scripts/build.sh)" >&2; exit 1; }

work=$(mktemp -d)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "bench/tracking: $*" >&2; exit 1; }

"$python" "$root/tests/fakes/mlflow/fake_mlflow.py" --port 0 --port-file "$work/port" \
  --admin-port-file "$work/admin-port" --delay-ms "$delay" --handlers "$handlers" \
  >"$work/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 1500); do
  [ -s "$work/port" ] && [ -s "$work/admin-port" ] && break
  kill -0 "$fake_pid" 2>/dev/null || fail "the fake MLflow server did not start: $(cat "$work/fake.log")"
  sleep 0.02
done
[ -s "$work/port" ] && [ -s "$work/admin-port" ] || fail "the fake MLflow server did not start in 30 s"
port=$(cat "$work/port")
admin=$(cat "$work/admin-port")

# One case: $1 off|on, $2 repetition. Prints trials per second; for a tracked
# case, leaves the fake's request counts in $work/req.
case_rate() {
  local tracking=$1 dir="$work/$1-$2"
  mkdir "$dir"
  cat > "$dir/study.yaml" <<YAML
study_name: bench
objective: {metric: loss, direction: minimize}
search_space: {x: {type: float, low: 0, high: 1}}
sampler: {type: random, seed: 1}
budget: {n_trials: $n, parallelism: $p}
trial: {command: [/bin/echo, "loss=0"]}
YAML
  if [ "$tracking" = on ]; then
    echo "tracking: {uri: \"http://127.0.0.1:$port\", experiment: bench}" >> "$dir/study.yaml"
    "$python" "$helper" reset "$admin"
  fi
  local start end rc=0
  start=$EPOCHREALTIME
  "$gdsweep" run "$dir/study.yaml" --db "$dir/study.db" --log-level warn \
    >"$dir/out.log" 2>&1 || rc=$?
  end=$EPOCHREALTIME
  [ "$rc" -eq 0 ] || fail "gdsweep run (tracking $tracking) exited $rc: $(tail -5 "$dir/out.log")"
  local done
  done=$(sqlite3 "$dir/study.db" "select count(*) from trials where state = 'COMPLETE'")
  [ "$done" -eq "$n" ] || fail "tracking $tracking: $done COMPLETE trials, expected $n"
  if [ "$tracking" = on ]; then
    local pending
    pending=$(sqlite3 "$dir/study.db" "select count(*) from gdsweep_tracking_outbox")
    [ "$pending" -eq 0 ] || fail "$pending rows left in gdsweep_tracking_outbox"
    "$python" "$helper" check "$admin" "$n" > "$work/req" || fail "the fake's runs are wrong"
  fi
  awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", n / (b - a) }'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

declare -A rates
for r in $(seq "$reps"); do
  if [ $((r % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
  for t in $order; do rates[$t]+="$(case_rate "$t" "$r") "; done
done
off=$(median <<<"${rates[off]}")
on=$(median <<<"${rates[on]}")
load=$(cut -d' ' -f1-3 /proc/loadavg)

echo "tracking throughput: $n trials of /bin/echo loss=0 at parallelism $p, median of $reps runs"
echo "fake MLflow: each request answered after $delay ms, at most $handlers at once; load average $load"
printf '  no tracking: %8.1f trials/s  (runs: %s)\n' "$off" "$(range <<<"${rates[off]}")"
printf '  tracking:    %8.1f trials/s  (runs: %s)\n' "$on" "$(range <<<"${rates[on]}")"
awk -v on="$on" -v off="$off" 'BEGIN { r = on / off; verdict = "NOT met"; if (r >= 0.5) verdict = "met"
  printf "  ratio tracking / no tracking: %.2f (target >= 0.50: %s)\n", r, verdict }'
awk -v n="$n" '
  $1 == "total" { total = $2; next }
  $1 == "non-200" { bad = $2; next }
  { line = line sep sprintf("%s %.2f", $1, $2 / n); sep = ", " }
  END { printf "  requests/trial (last tracked run): %.2f: %s%s\n", total / n, line,
          bad ? sprintf(" (%d not 200)", bad) : "" }' "$work/req"
