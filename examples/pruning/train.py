"""A real learning curve for early stopping: a one-hidden-layer MLPClassifier
trained epoch by epoch with partial_fit on the digits data set that ships with
scikit-learn (no download), its training images augmented with copies shifted
by one pixel, printing the validation accuracy after every epoch as
`epoch=E accuracy=X cpu_s=C` (E counts from 0, as Optuna's examples number
steps; C is the CPU time the process has used).

At each epoch's end it checks the file named by $GDSWEEP_PRUNE_FILE: gdsweep
creates it when the pruner stops the trial, and the script then exits by
itself (exit 0) instead of waiting for SIGTERM. The last `accuracy=` line is
the trial's value, as for a pruned trial.

Hyperparameters come as argv (gdsweep passes them without a shell);
bench/pruning/bench.py runs this script the same way under Optuna."""
import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lr", type=float, required=True, help="Adam's learning rate")
    parser.add_argument("--alpha", type=float, required=True, help="L2 penalty")
    parser.add_argument("--hidden", type=int, required=True, help="hidden units")
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=81)
    parser.add_argument("--shifts", type=int, default=4, choices=range(9),
                        help="copies of each training image shifted by one pixel "
                             "(right, left, down, up, then the diagonals)")
    parser.add_argument("--seed", type=int, default=0, help="weights and shuffling")
    return parser.parse_args(argv)


SHIFTS = [(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1)]


def shifted(images, rows, cols):
    """8x8 images moved by (rows, cols) pixels, the uncovered border blank."""
    out = np.zeros_like(images)
    out[:, max(rows, 0):8 + min(rows, 0), max(cols, 0):8 + min(cols, 0)] = \
        images[:, max(-rows, 0):8 + min(-rows, 0), max(-cols, 0):8 + min(-cols, 0)]
    return out


def augment(X, y, shifts):
    """The training set plus `shifts` copies moved by one pixel each way (the
    "nudging" of scikit-learn's RBM example): more, harder epochs."""
    images = X.reshape(-1, 8, 8)
    copies = [X] + [shifted(images, r, c).reshape(len(X), 64) for r, c in SHIFTS[:shifts]]
    return np.vstack(copies), np.tile(y, shifts + 1)


def train_curve(lr, alpha, hidden, batch_size, epochs=81, seed=0, shifts=4):
    """Yields (epoch, validation accuracy) after each epoch, epoch from 0."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    X_train, y_train = augment(X_train, y_train, shifts)
    model = MLPClassifier(hidden_layer_sizes=(hidden,), learning_rate_init=lr,
                          alpha=alpha, batch_size=batch_size, random_state=seed)
    classes = np.unique(y)
    for epoch in range(epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(X_train, y_train, classes=classes)
        yield epoch, model.score(X_val, y_val)


def main(argv):
    args = parse_args(argv)
    prune_file = os.environ.get("GDSWEEP_PRUNE_FILE")
    for epoch, accuracy in train_curve(args.lr, args.alpha, args.hidden, args.batch_size,
                                       args.epochs, args.seed, args.shifts):
        # cpu_s: this process's CPU seconds so far (start-up included), which
        # bench/pruning reads; gdsweep records only the objective, accuracy.
        print(f"epoch={epoch} accuracy={accuracy:.4f} cpu_s={time.process_time():.3f}",
              flush=True)
        if prune_file and os.path.exists(prune_file):
            # A real script would save a checkpoint here.
            print(f"pruned after epoch {epoch}", file=sys.stderr)
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
