#!/usr/bin/env bash
# Times `gdsweep report` on a study of 10,000 trials x 10 parameters, and the
# page in headless Chromium (page clock, from navigation start; Chromium's
# start-up is not included): in a 1400x900 window, when the first view (the
# charts near the viewport) has finished drawing and the longest main-thread
# task after it; then with ?render=all, the time each chart's drawing takes
# (what scrolling it into view costs) and when all are drawn.
# usage: bench/report/run.sh [BUILD_DIR] [N] [P]
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
print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
for _ in range(3):
    t0 = time.time()
    s = browser.summary_of(browser.dump_dom(url, budget_ms=20000, timeout=120, window="1400,900"))
    wall = time.time() - t0
    after = [d for start, d in s["long_tasks"] if start >= s["first_view_ms"]]
    print(f"first view: drawn at {s['first_view_ms'] / 1000:.2f} s (page clock), charts "
          f"{sorted(s['charts'])}, longest task before it {max([d for st, d in s['long_tasks'] if st < s['first_view_ms']] or [0])} ms, "
          f"after it {max(after or [0])} ms; {len(s['pending'])} charts waiting; {wall:.1f} s wall; errors {s['errors']}")
for _ in range(2):
    s = browser.summary_of(browser.dump_dom(url + "?render=all", budget_ms=30000, timeout=120, window="1400,900"))
    slices = [v for k, v in s["draw_ms"].items() if k.startswith("chart-slice")]
    print(f"render=all: all set at {s['first_render_ms'] / 1000:.2f} s, drawn at {s['render_ms'] / 1000:.2f} s; "
          f"draw ms per chart {s['draw_ms']} (slices {min(slices)}-{max(slices)}); "
          f"points {dict((k, v) for k, v in s['charts'].items() if k in ('chart-history', 'chart-slice-0', 'chart-timeline'))}; errors {s['errors']}")
print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
PY
