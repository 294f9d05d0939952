#!/usr/bin/env bash
# Tracking overhead: wall-clock per trial of `gdsweep run` on a trivial trial
# (/bin/echo loss=0, random sampler) without a `tracking` section and with one
# pointing at the fake MLflow server (tests/fakes/mlflow), at parallelism 1
# and 2; the MLflow requests per trial, by endpoint; and the raw cost of one
# request to the fake, so that its own speed can be told apart. Each case runs
# REPS times (alternating the order) on a fresh database in a fresh folder and
# the median is shown. A tracked case passes only if the server ends with
# exactly N child runs under one parent and the outbox table is empty.
# The wall-clock is the whole `gdsweep run`, including the delivery of what is
# still pending when the last trial ends.
#   usage: bench/tracking/run.sh [N_TRIALS]   (default 1000; REPS=3, GDSWEEP=path)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gdsweep=${GDSWEEP:-$root/build/sweeper/gdsweep}
python=/usr/bin/python3
helper="$here/fake.py"
n=${1:-1000}
reps=${REPS:-3}
[ -x "$gdsweep" ] || { echo "no gdsweep at $gdsweep (build first: scripts/build.sh)" >&2; exit 1; }

work=$(mktemp -d)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "bench/tracking: $*" >&2; exit 1; }

# The fake MLflow server, as tests/e2e/tracking_fake.py starts it.
"$python" "$root/tests/fakes/mlflow/fake_mlflow.py" --port 0 --port-file "$work/port" \
  --admin-port-file "$work/admin-port" >"$work/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 1500); do
  [ -s "$work/port" ] && [ -s "$work/admin-port" ] && break
  kill -0 "$fake_pid" 2>/dev/null || fail "the fake MLflow server did not start: $(cat "$work/fake.log")"
  sleep 0.02
done
[ -s "$work/port" ] && [ -s "$work/admin-port" ] || fail "the fake MLflow server did not start in 30 s"
port=$(cat "$work/port")
admin=$(cat "$work/admin-port")

# One case: $1 parallelism, $2 off|on, $3 repetition. Prints ms per trial; for
# a tracked case, leaves the fake's request counts in $work/req-$1.
case_ms() {
  local p=$1 tracking=$2 dir="$work/p$1-$2-$3"
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
  [ "$rc" -eq 0 ] || fail "gdsweep run (parallelism $p, tracking $tracking) exited $rc: $(tail -5 "$dir/out.log")"
  local done
  done=$(sqlite3 "$dir/study.db" "select count(*) from trials where state = 'COMPLETE'")
  [ "$done" -eq "$n" ] || fail "parallelism $p, tracking $tracking: $done COMPLETE trials, expected $n"
  if [ "$tracking" = on ]; then
    local pending
    pending=$(sqlite3 "$dir/study.db" "select count(*) from gdsweep_tracking_outbox")
    [ "$pending" -eq 0 ] || fail "parallelism $p: $pending rows left in gdsweep_tracking_outbox"
    "$python" "$helper" check "$admin" "$n" > "$work/req-$p" || fail "parallelism $p: the fake's runs are wrong"
  fi
  awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) * 1000 / n }'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'; }

declare -A times
for r in $(seq "$reps"); do
  for p in 1 2; do
    if [ $((r % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
    for t in $order; do
      times[$p-$t]+="$(case_ms "$p" "$t" "$r") "
    done
  done
done

raw=$("$python" "$helper" raw "$port" "$admin" "$n")

echo "tracking overhead: $n trials of /bin/echo loss=0, median of $reps runs per case"
printf '%-15s %12s %12s %12s %7s %10s\n' "" "no tracking" "tracking" "added" "ratio" "requests"
printf '%-15s %12s %12s %12s %7s %10s\n' "" "ms/trial" "ms/trial" "ms/trial" "" "/trial"
for p in 1 2; do
  off=$(median <<<"${times[$p-off]}")
  on=$(median <<<"${times[$p-on]}")
  total=$(awk '$1 == "total" { print $2 }' "$work/req-$p")
  awk -v p="$p" -v off="$off" -v on="$on" -v req="$total" -v n="$n" 'BEGIN {
    printf "%-15s %12.2f %12.2f %+12.2f %6.2fx %10.2f\n", "parallelism " p, off, on, on - off,
      on / off, req / n }'
done
for p in 1 2; do
  awk -v p="$p" -v n="$n" '
    $1 == "non-200" { bad = $2; next }
    $1 != "total" { line = line sep sprintf("%s %.3f", $1, $2 / n); sep = ", " }
    END { printf "  requests/trial at parallelism %s: %s%s\n", p, line,
            bad ? sprintf(" (%d not 200)", bad) : "" }' "$work/req-$p"
done
for p in 1 2; do
  printf '  spread over %s runs at parallelism %s (ms/trial): no tracking %s, tracking %s\n' \
    "$reps" "$p" "$(range <<<"${times[$p-off]}")" "$(range <<<"${times[$p-on]}")"
done
read -r client inside <<<"$raw"
printf 'fake server: %.2f ms per request (%s x {runs/create, 2 log-batch, runs/update} on one kept-alive\n' "$client" "$n"
printf '  connection from Python http.client; %.2f ms of it inside the server)\n' "$inside"
echo "(added = tracking - no tracking, per trial, including the final delivery; ratio = tracking / no"
echo " tracking. A trial starts only once its MLflow run exists, so that it gets MLFLOW_RUN_ID: the"
echo " runs/create round trip and the scheduler's re-check for it are on every trial's path, most visibly"
echo " at parallelism 1; the other requests are delivered in the background from the outbox.)"
