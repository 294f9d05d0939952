#!/usr/bin/python3
"""Median and quartiles of the final regret per problem and sampler, and a
two-sided Mann-Whitney U (rank-sum) test of each against Optuna's TPE: a
Markdown table. Reads the JSON lines of evo_bench and optuna_evo.py on stdin.
"""
import collections
import json
import sys

import numpy as np
from scipy.stats import mannwhitneyu

runs = collections.defaultdict(list)
for line in sys.stdin:
    if line.startswith("{"):  # evo_bench's log lines (auto's choices) are not results
        r = json.loads(line)
        runs[(r["problem"], f'{r["side"]}:{r["sampler"]}')].append(r["regret"])

problems = sorted({p for p, _ in runs})
samplers = sorted({s for _, s in runs})
print("| problem | sampler | n | median | q1 | q3 | vs optuna:tpe (p, U test) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for problem in problems:
    ref = runs.get((problem, "optuna:tpe"))
    for s in samplers:
        v = runs.get((problem, s))
        if not v:
            continue
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        cmp = ""
        if ref and s != "optuna:tpe":
            p = mannwhitneyu(v, ref, alternative="two-sided").pvalue
            better = np.median(v) < np.median(ref)
            cmp = f"{p:.3g}" + ((" better" if better else " worse") if p < 0.05 else "")
        print(f"| {problem} | {s} | {len(v)} | {med:.4g} | {q1:.4g} | {q3:.4g} | {cmp} |")
