#!/usr/bin/env bash
# Scheduler overhead: trials per second of `gdsweep run` on a trivial trial,
# at parallelism 1 and 2, beside the raw spawn-and-wait rate of the same
# program measured in the same run (bench/spawn_rate). Every gdsweep trial is
# durably committed (SQLite WAL, synchronous=FULL) before the next one
# starts: a trial's result rides on the transaction that asks for the next.
#   usage: bench/scheduler/run.sh [N_TRIALS]   (build first: scripts/build.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gdsweep="$root/build/sweeper/gdsweep"
spawn="$root/build/bench/spawn_rate"
n=${1:-2000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

study() {  # $1 program, $2 parallelism
  cat > "$work/study.yaml" <<YAML
study_name: bench
objective: {metric: loss, direction: minimize}
search_space: {x: {type: float, low: 0, high: 1}}
sampler: {type: random, seed: 1}
budget: {n_trials: $n, parallelism: $2}
trial: {command: [$1, "loss=0"]}
YAML
}

rate() {  # $1 program, $2 parallelism -> trials/s of gdsweep
  study "$1" "$2"
  # A fresh database and log folder per case; nothing is deleted until the
  # end (ext4 allocates inodes slowly right after mass deletions).
  local db
  db="$work/b-$(basename "$1")-$2.db"
  local start end
  start=$(date +%s.%N)
  "$gdsweep" run "$work/study.yaml" --db "$db" --log-level warn >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  local done
  done=$(sqlite3 "$db" "select count(*) from trials where state in ('COMPLETE','FAIL')")
  [ "$done" -eq "$n" ] || { echo "expected $n finished trials, found $done" >&2; exit 1; }
  awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", n / (b - a) }'
}

printf '%-34s %12s %12s %8s\n' "case ($n trials)" "gdsweep/s" "raw/s" "ratio"
for program in /bin/echo /bin/true; do
  for p in 1 2; do
    ours=$(rate "$program" "$p")
    raw=$("$spawn" "$program" "$n" "$p")
    printf '%-34s %12s %12s %8s\n' "$program, parallelism $p" "$ours" "$raw" \
      "$(awk -v r="$raw" -v o="$ours" 'BEGIN { printf "%.2fx", r / o }')"
  done
done
echo "(ratio = raw rate / gdsweep rate; target: within 2x)"
