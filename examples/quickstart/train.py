"""A stand-in training script: reads Hydra-style key=value overrides from argv,
"trains" for a few epochs and prints `epoch=N loss=X` lines, the way gdsweep's
stdout collector reads them. The loss is smallest near lr=0.01, 4 layers, adam."""
import math
import random
import sys

overrides = dict(arg.split("=", 1) for arg in sys.argv[1:])
lr = float(overrides["train.lr"])
layers = int(overrides["model.layers"])
optimizer = overrides["train.optimizer"]

rng = random.Random(f"{lr}-{layers}-{optimizer}")
floor = (math.log10(lr) + 2) ** 2 + 0.1 * (layers - 4) ** 2
floor += {"adam": 0.0, "rmsprop": 0.2, "sgd": 0.5}[optimizer]
for epoch in range(1, 6):
    loss = floor + 2.0 / epoch + rng.uniform(0, 0.01)
    print(f"epoch={epoch} loss={loss:.6f}", flush=True)
