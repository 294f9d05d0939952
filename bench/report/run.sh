#!/usr/bin/env bash
# Times `gdsweep report` on a study of 10,000 trials x 10 parameters, and how
# long headless Chromium takes until every chart of the page has rendered (the
# page's own performance.now() when it writes its summary; Chromium's start-up
# is not included). usage: bench/report/run.sh [BUILD_DIR] [N] [P]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
n="${2:-10000}"
p="${3:-10}"
ninja -C "$build" -j2 gdsweep report_bench_study >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/bench/report/report_bench_study" "$work/bench.db" "$n" "$p"
for i in 1 2 3; do
  /usr/bin/time -f "gdsweep report: %e s wall, %M KB max RSS" \
    "$build/sweeper/gdsweep" report --db "$work/bench.db" -o "$work/report.html"
done
ls -l "$work/report.html" | awk '{printf "report size: %.1f MB\n", $5 / 1e6}'
cd "$root/tests/e2e"
python3 - "$work/report.html" <<'PY'
import sys, time
import browser
url = "file://" + sys.argv[1]
for _ in range(3):
    t0 = time.time()
    s = browser.summary_of(browser.dump_dom(url, budget_ms=20000, timeout=120))
    wall = time.time() - t0
    print(f"chromium: charts set at {s['first_render_ms'] / 1000:.2f} s, drawn at "
          f"{s['render_ms'] / 1000:.2f} s (page clock); per view {s['timings']}; "
          f"{wall:.1f} s wall with chromium start-up; errors {s['errors']}; "
          f"history points {s['charts'].get('chart-history')}; table rows {s['table_rows']}")
PY
