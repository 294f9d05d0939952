"""Runs a study with Debian's Optuna and its SuccessiveHalvingPruner, then
prints each trial's rung values as Optuna holds them in trial.system_attrs
({"<number>": {"<rung>": value}}, infinities as "inf"/"-inf"), for gdsweep
to read the same from the file. Usage: make_pruned_study.py DB STUDY"""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    for step in range(1, 9):
        value = x * x + 1.0 / step
        if trial.number == 3 and step == 2:
            value = math.inf
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return x * x


def main():
    db, name = sys.argv[1], sys.argv[2]
    study = optuna.create_study(
        study_name=name, storage=f"sqlite:///{db}",
        sampler=optuna.samplers.RandomSampler(seed=3),
        pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    study.optimize(objective, n_trials=12)
    out = {}
    for t in study.get_trials(deepcopy=False):
        rungs = {}
        for key, value in t.system_attrs.items():
            if key.startswith("completed_rung_"):
                if math.isinf(value):
                    value = "inf" if value > 0 else "-inf"
                rungs[key[len("completed_rung_"):]] = value
        out[str(t.number)] = rungs
    print(json.dumps(out))


if __name__ == "__main__":
    main()
