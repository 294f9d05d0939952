"""Prints, as JSON, what Debian's Optuna reads of one study in a SQLite file:
directions, every trial (number, state, params, distributions, values,
intermediate values, system attributes) and the best trial(s). With
--optimize N it then runs N more trials through Optuna on the same study, to
show Optuna can write to the file too. Usage:
  read_study.py DB STUDY [--optimize N]"""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def number(v):
    """JSON has no inf/nan: spell them as strings."""
    if v is None:
        return None
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        return repr(v)
    return v


def main():
    db, name = sys.argv[1], sys.argv[2]
    storage = optuna.storages.RDBStorage(f"sqlite:///{db}")
    study = optuna.load_study(study_name=name, storage=storage)
    if len(sys.argv) > 4 and sys.argv[3] == "--optimize":
        dists = study.trials[0].distributions

        def objective(trial):
            for n, d in dists.items():
                trial._suggest(n, d)
            return [1.0] * len(study.directions) if len(study.directions) > 1 else 1.0

        study.optimize(objective, n_trials=int(sys.argv[4]))
    trials = []
    for t in study.get_trials(deepcopy=False):
        trials.append({
            "number": t.number,
            "state": t.state.name,
            "params": t.params,
            "distributions": {k: optuna.distributions.distribution_to_json(d)
                              for k, d in t.distributions.items()},
            "values": None if t.values is None else [number(v) for v in t.values],
            "intermediate_values": {str(k): number(v) for k, v in t.intermediate_values.items()},
            "system_attrs": {k: number(v) for k, v in t.system_attrs.items()},
            "has_start": t.datetime_start is not None,
            "has_complete": t.datetime_complete is not None,
        })
    out = {
        "alembic": storage.get_current_version(),
        "directions": [d.name for d in study.directions],
        "trials": trials,
    }
    if len(study.directions) == 1:
        try:
            out["best_number"] = study.best_trial.number
        except ValueError:  # no COMPLETE trial
            out["best_number"] = None
    else:
        out["pareto_numbers"] = sorted(t.number for t in study.best_trials)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
