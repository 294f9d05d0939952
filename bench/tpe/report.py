#!/usr/bin/python3
"""Prints bench/tpe's tables from the JSON files run.sh writes into DIR:
ours_quality.json, optuna_quality.json, ours_speed.json, optuna_speed.json,
ours_sqlite_speed.json, optuna_sqlite_speed.json (any may be missing).

  report.py DIR
"""

import json
import os
import sys

import numpy as np


def load(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def quartiles(values):
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return q2, q1, q3


def fmt(values):
    med, q1, q3 = quartiles(values)
    return f"{med:10.4g} [{q1:.3g}, {q3:.3g}]"


def mann_whitney_p(a, b):
    """Two-sided p-value that the two samples differ, or None without SciPy."""
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        return None
    if np.allclose(a, b):
        return 1.0
    return mannwhitneyu(a, b, alternative="two-sided").pvalue


def quality_table(ours, optuna):
    columns = [("gdsweep TPE", ours, "tpe"), ("Optuna TPE", optuna, "tpe"),
               ("gdsweep random", ours, "random"), ("Optuna random", optuna, "random")]
    columns = [c for c in columns if c[1] is not None]
    ref = ours or optuna
    seeds = ref["seeds"]
    print(f"Best value found so far (lower is better): median [quartiles] over {seeds} seeds")
    if ours and optuna:
        print("last column: Mann-Whitney two-sided p of gdsweep TPE vs Optuna TPE "
              "(< 0.05: a real difference; the sign says who is better)")
    header = f"{'problem':12} {'trials':>6} " + " ".join(f"{c[0]:>32}" for c in columns)
    print(header + ("   winner (p)" if ours and optuna else ""))
    print("-" * (len(header) + 14))
    for problem in ref["runs"]:
        for i, checkpoint in enumerate(ref["checkpoints"]):
            cells = []
            for _, data, sampler in columns:
                values = [run[i] for run in data["runs"][problem][sampler]]
                cells.append(f"{fmt(values):>32}")
            line = f"{problem:12} {checkpoint:>6} " + " ".join(cells)
            if ours and optuna:
                a = [run[i] for run in ours["runs"][problem]["tpe"]]
                b = [run[i] for run in optuna["runs"][problem]["tpe"]]
                p = mann_whitney_p(a, b)
                winner = "gdsweep" if np.median(a) < np.median(b) else "optuna"
                if np.median(a) == np.median(b):
                    winner = "tie"
                line += f"   {winner:7} ({p:.2g})" if p is not None else f"   {winner}"
            print(line)
    print()
    for name, data in (("gdsweep", ours), ("Optuna", optuna)):
        if data:
            print(f"{name}: all quality runs took {data['seconds']:.1f} s")
    print()


def speed_table(ours, optuna):
    print("Time per ask+tell, in-memory history of N random COMPLETE trials (median; "
          "cold = the first call, which fills gdsweep's cache)")
    rows = {}
    for data, key in ((ours, "ours"), (optuna, "optuna")):
        for r in (data or {}).get("rows", []):
            rows.setdefault((r["dims"], r["n"]), {})[key] = r
    header = (f"{'params':>6} {'N':>6} {'gdsweep ms':>11} {'(cold ms)':>10} {'Optuna ms':>11} "
              f"{'ratio':>8}")
    print(header)
    print("-" * len(header))
    for (dims, n), r in sorted(rows.items()):
        o, p = r.get("ours"), r.get("optuna")
        ours_ms = f"{o['ms_median']:11.3f}" if o else f"{'-':>11}"
        cold = f"{o['ms_cold']:10.2f}" if o else f"{'-':>10}"
        opt_ms = f"{p['ms_median']:11.1f}" if p else f"{'-':>11}"
        ratio = f"{p['ms_median'] / o['ms_median']:7.0f}x" if o and p else f"{'-':>8}"
        print(f"{dims:>6} {n:>6} {ours_ms} {cold} {opt_ms} {ratio}")
    print()


def sqlite_table(ours, optuna):
    print("Time per ask+tell on a SQLite file with N COMPLETE trials (median ms; gdsweep: "
          "Study::Ask + Study::Tell, each commit fsync'd; Optuna: create_study(storage="
          "\"sqlite:///...\"); cold = the first ask of a freshly opened study)")
    rows = {}
    for data, key in ((ours, "ours"), (optuna, "optuna")):
        for r in (data or {}).get("rows", []):
            rows.setdefault((r["dims"], r["n"]), {})[key] = r
    print("no fsync = the same with synchronous=NORMAL: gdsweep's own cost, without the disk's")
    header = (f"{'params':>6} {'N':>6} {'gdsweep ms':>11} {'(ask':>7} {'+ tell)':>8} "
              f"{'(cold)':>8} {'no fsync':>9} {'Optuna ms':>10} {'(cold)':>8} {'ratio':>7}")
    print(header)
    print("-" * len(header))
    for (dims, n), r in sorted(rows.items()):
        o, p = r.get("ours"), r.get("optuna")
        cells = [f"{dims:>6}", f"{n:>6}"]
        if o:
            cells += [f"{o['ms_median']:11.2f}", f"{o['ms_ask_median']:7.2f}",
                      f"{o['ms_tell_median']:8.2f}", f"{o['ms_cold']:8.1f}",
                      f"{o['ms_no_fsync_median']:9.2f}"]
        else:
            cells += [f"{'-':>11}", f"{'-':>7}", f"{'-':>8}", f"{'-':>8}", f"{'-':>9}"]
        if p:
            cells += [f"{p['ms_median']:10.1f}", f"{p['ms_cold']:8.0f}"]
        else:
            cells += [f"{'-':>10}", f"{'-':>8}"]
        ratio = f"{p['ms_median'] / o['ms_median']:6.0f}x" if o and p else f"{'-':>7}"
        print(" ".join(cells + [ratio]))
    cli = (ours or {}).get("cli")
    if cli:
        print(f"\ngdsweep ask + gdsweep tell, one trial, {cli['n']:,} trials x {cli['dims']} "
              f"params (process start included; median of {cli['trials']}): "
              f"{cli['ms_roundtrip_median']:.1f} ms (ask {cli['ms_ask_median']:.1f}, "
              f"tell {cli['ms_tell_median']:.1f}); spawning /bin/true: "
              f"{cli['ms_true_median']:.2f} ms, gdsweep --version: "
              f"{cli.get('ms_version_median', float('nan')):.1f} ms")
    print()


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "."
    ours_q, optuna_q = load(directory, "ours_quality.json"), load(directory, "optuna_quality.json")
    if ours_q or optuna_q:
        quality_table(ours_q, optuna_q)
    ours_s, optuna_s = load(directory, "ours_speed.json"), load(directory, "optuna_speed.json")
    if ours_s or optuna_s:
        speed_table(ours_s, optuna_s)
    ours_db = load(directory, "ours_sqlite_speed.json")
    optuna_db = load(directory, "optuna_sqlite_speed.json")
    if ours_db or optuna_db:
        sqlite_table(ours_db, optuna_db)


if __name__ == "__main__":
    main()
