#!/usr/bin/env bash
# Scheduler overhead: trials per second of `gdsweep run` on a trivial trial,
# at parallelism 1 and 2, beside the raw spawn-and-wait rate of the same
# program measured in the same run (bench/spawn_rate). Each figure is the
# median of ROUNDS runs. Every gdsweep trial is durably committed: its result
# is committed at once (a crash of gdsweep loses nothing) and synced to disk
# (fdatasync of SQLite's WAL) within 5 ms, in one sync for all the results
# committed meanwhile, before the trial is announced and before the run ends.
#   usage: bench/scheduler/run.sh [N_TRIALS] [ROUNDS]   (build first: scripts/build.sh)
# Run it on a quiet machine and not within minutes of deleting many files:
# ext4 then spends a long time finding free inodes for new trial folders.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gdsweep="$root/build/sweeper/gdsweep"
spawn="$root/build/bench/spawn_rate"
n=${1:-2000}
rounds=${2:-3}
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

rate() {  # $1 program, $2 parallelism, $3 round -> trials/s of gdsweep
  study "$1" "$2"
  # A fresh database and log folder per run; nothing is deleted until the
  # end (ext4 allocates inodes slowly right after mass deletions).
  local db
  db="$work/b-$(basename "$1")-$2-$3.db"
  local start end
  start=$(date +%s.%N)
  "$gdsweep" run "$work/study.yaml" --db "$db" --log-level warn >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  local done
  done=$(sqlite3 "$db" "select count(*) from trials where state in ('COMPLETE','FAIL')")
  [ "$done" -eq "$n" ] || { echo "expected $n finished trials, found $done" >&2; exit 1; }
  awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", n / (b - a) }'
}

median() { awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-34s %12s %12s %8s\n' "case ($n trials, median of $rounds)" "gdsweep/s" "raw/s" "ratio"
for program in /bin/echo /bin/true; do
  for p in 1 2; do
    ours=$(for r in $(seq "$rounds"); do rate "$program" "$p" "$r"; echo; done | median)
    raw=$(for r in $(seq "$rounds"); do "$spawn" "$program" "$n" "$p"; echo; done | median)
    printf '%-34s %12s %12s %8s\n' "$program, parallelism $p" "$ours" "$raw" \
      "$(awk -v r="$raw" -v o="$ours" 'BEGIN { printf "%.2fx", r / o }')"
  done
done
echo "(ratio = raw rate / gdsweep rate; target: within 2x)"
