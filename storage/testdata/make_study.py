"""Creates and runs a study with Debian's Optuna, for gdsweep to adopt.
Usage: make_study.py DB STUDY N_TRIALS"""
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", -5, 5)
    opt = trial.suggest_categorical("opt", ["adam", "sgd", True, 3])
    trial.report(x * x, 1)
    return x * x + y + len(str(opt))


def main():
    db, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    study = optuna.create_study(study_name=name, storage=f"sqlite:///{db}",
                                sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=n)


if __name__ == "__main__":
    main()
