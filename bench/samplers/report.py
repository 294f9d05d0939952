#!/usr/bin/python3
"""Tables of bench/samplers: final regret (median and quartiles over seeds)
per problem and sampler, each gdsweep sampler against Optuna's TPE measured in
the same run (two-sided Mann-Whitney rank-sum test, scipy), random search as
the floor; and the latency rows. Markdown on stdout.

  report.py DIR   (DIR holds ours.jsonl, optuna.jsonl and latency.json)
"""

import json
import os
import statistics
import sys

from scipy.stats import mannwhitneyu


def quartiles(values):
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
    return q[0], statistics.median(values), q[2]


def fmt(v):
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def load(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    return rows


def main(folder):
    rows = load(os.path.join(folder, "ours.jsonl")) + load(os.path.join(folder, "optuna.jsonl"))
    runs = {}
    for r in rows:
        runs.setdefault((r["problem"], r["impl"] + ":" + r["sampler"]), []).append(r["regret"])
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    columns = list(dict.fromkeys(r["impl"] + ":" + r["sampler"] for r in rows))
    ours = [c for c in columns if c.startswith("gdsweep:")]
    reference = "optuna:tpe"
    print("Final regret after the budget: median [25%, 75%] over seeds; "
          "p: two-sided Mann-Whitney against Optuna 3.1 TPE; "
          "ratio: median / Optuna TPE's median.\n")
    print("| problem | seeds | " + " | ".join(columns) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in columns) + " |")
    for p in problems:
        cells = []
        ref = runs.get((p, reference))
        for c in columns:
            v = runs.get((p, c))
            if not v:
                cells.append("")
                continue
            lo, med, hi = quartiles(v)
            cell = f"{fmt(med)} [{fmt(lo)}, {fmt(hi)}]"
            if ref and c in ours:
                pval = mannwhitneyu(v, ref, alternative="two-sided").pvalue
                ref_med = statistics.median(ref)
                ratio = med / ref_med if ref_med > 0 else float("nan")
                cell += f" p={pval:.2g} r={ratio:.2f}"
            cells.append(cell)
        n = len(runs.get((p, columns[0]), []))
        print(f"| {p} | {n} | " + " | ".join(cells) + " |")
    latency = os.path.join(folder, "latency.json")
    if os.path.exists(latency):
        print("\n| sampler | trials | params | median ms (wall) | max ms | median CPU ms | peak RSS MB |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        with open(latency) as f:
            for r in json.load(f):
                print(f"| {r['sampler']} | {r['trials']} | {r['dims']} | {r['median_ms']:.1f} | "
                      f"{r['max_ms']:.1f} | {r['median_cpu_ms']:.1f} | {r['peak_rss_kb'] / 1024:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1])
