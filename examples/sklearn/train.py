"""Cross-validated accuracy of an SVC on the digits data set that ships with
scikit-learn. Prints `fold=K accuracy=X` per fold, then the mean as the final
`accuracy=` line, which is what gdsweep records."""
import argparse

from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, required=True)
parser.add_argument("--gamma", type=float, required=True)
parser.add_argument("--kernel", choices=["rbf", "sigmoid"], required=True)
args = parser.parse_args()

X, y = load_digits(return_X_y=True)
X = X / 16.0
scores = []
folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
for k, (train, test) in enumerate(folds.split(X, y)):
    model = SVC(C=args.C, gamma=args.gamma, kernel=args.kernel).fit(X[train], y[train])
    scores.append(model.score(X[test], y[test]))
    print(f"fold={k} accuracy={scores[-1]:.5f}", flush=True)
print(f"accuracy={sum(scores) / len(scores):.5f}")
