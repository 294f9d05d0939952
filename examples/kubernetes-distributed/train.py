"""Data-parallel SGD over plain sockets: the same script on one machine and as
the N pods of a gdsweep Indexed Job trial (kubernetes.kind: indexed_job).

Each replica fits a linear model to its shard of a synthetic data set; every
step the replicas average their gradients through replica 0 (an all-reduce
through one hub), so all of them hold the same weights. Replica 0 prints the
metrics gdsweep reads (`epoch=3 loss=0.41`, then `loss=...`).

Who is who comes from the environment gdsweep and Kubernetes give each pod:
  JOB_COMPLETION_INDEX     this replica's rank (default 0)
  GDSWEEP_WORLD_SIZE       how many replicas (default 1: a plain local run)
  GDSWEEP_RENDEZVOUS_HOST  replica 0's stable hostname (default 127.0.0.1)
  RENDEZVOUS_PORT          the port replica 0 listens on (default 29500)
As a PyTorchJob's pod it reads the operator's RANK, WORLD_SIZE, MASTER_ADDR
and MASTER_PORT instead.

  python3 train.py lr=0.05 batch=32 epochs=20          # one machine, one replica
  # two local replicas, as two pods would run:
  GDSWEEP_WORLD_SIZE=2 JOB_COMPLETION_INDEX=0 python3 train.py lr=0.05 &
  GDSWEEP_WORLD_SIZE=2 JOB_COMPLETION_INDEX=1 python3 train.py lr=0.05
Standard library only.
"""
import json
import os
import random
import socket
import sys
import time


def parse_args(argv):
    args = {"lr": 0.05, "batch": 32, "epochs": 20, "samples": 4096, "seed": 0}
    for a in argv:
        if "=" in a:
            key, value = a.split("=", 1)
            args[key.split(".")[-1]] = float(value) if "." in value or "e" in value else int(value)
    return args


def make_data(n, seed, dim=8):
    rng = random.Random(seed)
    truth = [rng.uniform(-2, 2) for _ in range(dim)]
    rows = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in range(dim)]
        rows.append((x, sum(w * v for w, v in zip(truth, x)) + rng.gauss(0, 0.1)))
    return rows


def gradient(w, batch):
    g = [0.0] * len(w)
    loss = 0.0
    for x, y in batch:
        err = sum(a * b for a, b in zip(w, x)) - y
        loss += err * err
        for i, v in enumerate(x):
            g[i] += 2 * err * v
    n = max(1, len(batch))
    return [v / n for v in g], loss / n


class Hub:
    """Replica 0: accepts the others, averages what each step sends."""

    def __init__(self, world, port):
        self.peers = []
        server = socket.create_server(("", port), reuse_port=False)
        server.settimeout(300)
        while len(self.peers) < world - 1:
            conn, _ = server.accept()
            self.peers.append(conn.makefile("rw"))
        server.close()

    def allreduce(self, values):
        total = list(values)
        received = [json.loads(p.readline()) for p in self.peers]
        for r in received:
            total = [a + b for a, b in zip(total, r)]
        mean = [v / (len(self.peers) + 1) for v in total]
        for p in self.peers:
            p.write(json.dumps(mean) + "\n")
            p.flush()
        return mean


class Spoke:
    """Replicas 1..N-1: connect to replica 0 (retrying while it starts)."""

    def __init__(self, host, port):
        deadline = time.time() + 300
        while True:
            try:
                self.conn = socket.create_connection((host, port), timeout=300).makefile("rw")
                return
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def allreduce(self, values):
        self.conn.write(json.dumps(values) + "\n")
        self.conn.flush()
        return json.loads(self.conn.readline())


class Alone:
    def allreduce(self, values):
        return values


def main():
    args = parse_args(sys.argv[1:])
    rank = int(os.environ.get("JOB_COMPLETION_INDEX", os.environ.get("RANK", "0")))
    world = int(os.environ.get("GDSWEEP_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
    host = os.environ.get("GDSWEEP_RENDEZVOUS_HOST", os.environ.get("MASTER_ADDR", "127.0.0.1"))
    port = int(os.environ.get("RENDEZVOUS_PORT", os.environ.get("MASTER_PORT", "29500")))
    if world == 1:
        comm = Alone()
    elif rank == 0:
        comm = Hub(world, port)
    else:
        comm = Spoke(host, port)

    data = make_data(int(args["samples"]), int(args["seed"]))
    shard = data[rank::world]
    rng = random.Random(1000 + rank)
    w = [0.0] * len(data[0][0])
    batch = int(args["batch"])
    steps = max(1, len(shard) // batch)
    for epoch in range(1, int(args["epochs"]) + 1):
        rng.shuffle(shard)
        epoch_loss = 0.0
        for s in range(steps):
            g, loss = gradient(w, shard[s * batch:(s + 1) * batch])
            # One message per step: the gradient, and the loss for the log.
            reduced = comm.allreduce(g + [loss])
            w = [a - args["lr"] * b for a, b in zip(w, reduced[:-1])]
            epoch_loss += reduced[-1]
        if rank == 0:
            print(f"epoch={epoch} loss={epoch_loss / steps:.6f}", flush=True)
    _, final = gradient(w, data)
    if rank == 0:
        print(f"loss={final:.6f}", flush=True)
    else:
        print(f"replica {rank} of {world} done", flush=True)


if __name__ == "__main__":
    main()
