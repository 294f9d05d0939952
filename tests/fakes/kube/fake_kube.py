#!/usr/bin/python3
"""A fake Kubernetes API server (batch/v1 Jobs, core/v1 Pods and Namespaces) for gdsweep's tests.

Binds 127.0.0.1 only, writes the chosen port to --port-file once listening, and runs until
SIGTERM/SIGINT, then kills every pod process it started. See README.md beside this file.
Standard library only; runs with /usr/bin/python3 (3.11).
"""

import argparse
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import crds  # noqa: E402  (needs HERE on sys.path)
import server  # noqa: E402
from operators import OPERATORS  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: pick a free one)")
    p.add_argument("--port-file", help="write the port here (atomically) once listening")
    p.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (needs --tls-key)")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert")
    p.add_argument("--client-ca", help="also accept client certificates signed by this CA (HTTPS only)")
    p.add_argument("--token", help="require 'Authorization: Bearer TOKEN' on every API request")
    p.add_argument("--namespaces", default="default",
                   help="comma-separated namespaces that exist (kube-system, kube-public, kube-node-lease and "
                        "default always do)")
    p.add_argument("--fault-rate", type=float, default=0.0, help="fraction of API requests answered with a fault")
    p.add_argument("--fault-codes", default="429,500",
                   help="comma-separated faults to draw from: " + ",".join(server.FAULT_CODES))
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault sequence")
    p.add_argument("--no-watch-faults", action="store_true", help="never cut watch streams, even with faults on")
    p.add_argument("--latency-ms", type=int, default=0, help="delay before answering each API request")
    p.add_argument("--request-log", help="append one JSON line per API request to this file")
    p.add_argument("--pod-start-delay-ms", type=int, default=0, help="time a scheduled pod stays ContainerCreating")
    p.add_argument("--workdir", default=os.getcwd(),
                   help="working directory of pod processes whose workingDir does not exist locally")
    p.add_argument("--inherit-env", action="store_true",
                   help="pod processes inherit this process's environment (default: PATH and HOME only)")
    # Kubernetes' own OpenAPI documents of core v1 and batch/v1, kept beside the fake so
    # that a clone anywhere finds them (copies of ../shared/kubernetes/openapi).
    p.add_argument("--openapi-dir", default=os.path.join(HERE, "openapi"),
                   help="directory of api__v1_openapi.json and apis__batch__v1_openapi.json")
    p.add_argument("--watch-history", type=int, default=1000,
                   help="events kept for watches/consistent lists; older resourceVersions get 410 Expired")
    p.add_argument("--bookmark-interval-ms", type=int, default=60000,
                   help="BOOKMARK period on watches with allowWatchBookmarks=true (real servers: about 1 min)")
    p.add_argument("--job-backoff-ms", type=int, default=100,
                   help="base delay before replacing a failed Job pod, doubled per failure (real: 10 s)")
    p.add_argument("--crashloop-backoff-ms", type=int, default=100,
                   help="base restart delay for restartPolicy OnFailure, doubled per restart (real: 10 s)")
    p.add_argument("--crds", action="append", default=[], metavar="PATH",
                   help="CustomResourceDefinition file (.yaml/.json, several documents allowed) or directory of "
                        "them, created and Established at start; repeatable")
    p.add_argument("--crd-establish-delay-ms", type=int, default=0,
                   help="time a CRD created through the API takes to become Established (real: milliseconds)")
    p.add_argument("--operators", default="",
                   help="comma-separated simulated controllers to run: " + ",".join(OPERATORS))
    p.add_argument("--verbose", action="store_true", help="log every request and handler error to stderr")
    opts = p.parse_args(argv)
    if bool(opts.tls_cert) != bool(opts.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if opts.client_ca and not opts.tls_cert:
        p.error("--client-ca needs --tls-cert")
    opts.namespaces = [n.strip() for n in opts.namespaces.split(",") if n.strip()]
    opts.fault_codes = [c.strip() for c in opts.fault_codes.split(",") if c.strip()]
    bad = [c for c in opts.fault_codes if c not in server.FAULT_CODES]
    if bad:
        p.error("unknown --fault-codes %s" % ",".join(bad))
    opts.workdir = os.path.abspath(opts.workdir)
    opts.operators = [o.strip() for o in opts.operators.split(",") if o.strip()]
    bad = [o for o in opts.operators if o not in OPERATORS]
    if bad:
        p.error("unknown --operators %s (known: %s)" % (",".join(bad), ",".join(OPERATORS)))
    try:
        opts.crd_docs = crds.load_files(opts.crds)
    except (OSError, ValueError) as e:
        p.error("--crds: %s" % e)
    return opts


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        srv = server.FakeApiServer(opts)
    except ValueError as e:  # a --crds document the apiserver would refuse
        print("fake_kube.py: error: --crds: %s" % e, file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    srv.start()
    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.port)
        os.replace(tmp, opts.port_file)
    print("fake-kube: serving %s://127.0.0.1:%d" % ("https" if srv.tls else "http", srv.port), file=sys.stderr,
          flush=True)
    while not stop.wait(0.5):
        pass
    srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
