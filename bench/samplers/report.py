#!/usr/bin/python3
"""Tables of bench/samplers: final regret (median and quartiles over seeds)
per problem and sampler, each sampler against Optuna's TPE measured in the
same run (two-sided Mann-Whitney rank-sum test, scipy; r = median / Optuna
TPE's median), random search as the floor; and the latency rows. Markdown on
stdout.

  report.py DIR   (DIR holds ours.jsonl, optuna.jsonl and latency.json)
"""

import json
import os
import statistics
import sys

from scipy.stats import mannwhitneyu

REFERENCE = "optuna:tpe"


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
        # A seed measured twice (runs appended to one folder) counts once.
        runs.setdefault((r["problem"], r["impl"] + ":" + r["sampler"]), {})[r["seed"]] = r["regret"]
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    columns = sorted(dict.fromkeys(r["impl"] + ":" + r["sampler"] for r in rows))
    print("Final regret after the budget over seeds; p: two-sided Mann-Whitney against "
          "Optuna 3.1 TPE (better/worse when p < 0.05); r: median / Optuna TPE's median.\n")
    print("| problem | sampler | seeds | median | q1 | q3 | p vs optuna:tpe | r |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for p in problems:
        ref = list(runs.get((p, REFERENCE), {}).values())
        ref_med = statistics.median(ref) if ref else None
        for c in columns:
            v = list(runs.get((p, c), {}).values())
            if not v:
                continue
            lo, med, hi = quartiles(v)
            test = ratio = ""
            if ref and c != REFERENCE:
                pval = mannwhitneyu(v, ref, alternative="two-sided").pvalue
                test = f"{pval:.2g}"
                if pval < 0.05:
                    test += " better" if med < ref_med else " worse"
                ratio = f"{med / ref_med:.2f}" if ref_med > 0 else ""
            print(f"| {p} | {c} | {len(v)} | {fmt(med)} | {fmt(lo)} | {fmt(hi)} | {test} | {ratio} |")
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
