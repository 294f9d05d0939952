"""Debian's Optuna on the trial queue of a study gdsweep made (the space of
test_support.h's SmallStudy: lr, layers, opt); DB is a SQLite file or a
postgresql:// URL. Usage:
  queue_interop.py enqueue DB STUDY JSON   study.enqueue_trial(JSON)
  queue_interop.py optimize DB STUDY N     study.optimize for N trials; prints
                                           [{"number", "params"}] of each run"""
import json
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def main():
    mode, db, name = sys.argv[1], sys.argv[2], sys.argv[3]
    # A PostgreSQL URL as Optuna takes it, else a SQLite file.
    if db.startswith("postgresql://"):
        storage = "postgresql+psycopg2://" + db[len("postgresql://"):]
    else:
        storage = f"sqlite:///{db}"
    study = optuna.load_study(study_name=name, storage=storage)
    if mode == "enqueue":
        study.enqueue_trial(json.loads(sys.argv[4]))
        return
    ran = []

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        trial.suggest_int("layers", 1, 8)
        trial.suggest_categorical("opt", ["adam", "sgd"])
        ran.append({"number": trial.number, "params": trial.params})
        return lr

    study.optimize(objective, n_trials=int(sys.argv[4]))
    print(json.dumps(ran))


if __name__ == "__main__":
    main()
