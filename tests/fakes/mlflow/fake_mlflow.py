#!/usr/bin/python3
"""Fake MLflow tracking server for tests: MLflow's REST API over real HTTP, with fault injection.

Binds 127.0.0.1 only, writes the chosen port to --port-file once listening, and runs until
SIGTERM or SIGINT. See README.md beside this file for the API served and the deviations.
"""
import argparse
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import control  # noqa: E402
import server  # noqa: E402
import store as store_module  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: pick a free one)")
    p.add_argument("--port-file", help="write the port here (atomically) once listening")
    p.add_argument("--admin-port-file",
                   help="also serve /fake-admin/* on a second port, written here; it stays up "
                        "while the main port is 'down'")
    p.add_argument("--username", help="require HTTP Basic auth with this user (needs --password)")
    p.add_argument("--password", help="password of --username")
    p.add_argument("--token", help="require 'Authorization: Bearer TOKEN'")
    p.add_argument("--request-log", help="append one JSON line per API request to this file")
    p.add_argument("--state-file", help="persist all state here on every change; reload on start")
    p.add_argument("--artifact-root", default="mlflow-artifacts:/",
                   help="default artifact root of new experiments (mlflow server's default)")
    p.add_argument("--mlflow-version", default="2.22.0", help="what GET /version answers")
    p.add_argument("--truncate-long-values", action="store_true",
                   help="truncate over-long param/tag values as MLflow does by default "
                        "(MLFLOW_TRUNCATE_LONG_VALUES), instead of refusing them")
    p.add_argument("--keep-infinity", action="store_true",
                   help="return logged +/-Infinity as such (MLflow's file store) instead of "
                        "+/-1.7976931348623157e308 (its SQL stores)")
    p.add_argument("--delay-ms", type=float, default=0,
                   help="answer each API request after this many milliseconds (a server's own "
                        "time per request)")
    p.add_argument("--handlers", type=int, default=0,
                   help="serve at most this many API requests at once, the others wait (as "
                        "`mlflow server --workers N`); 0: no limit")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args(argv)
    if (args.username is None) != (args.password is None):
        p.error("--username and --password go together")
    if args.token is not None and args.password is not None:
        p.error("--token and --username/--password exclude each other")
    return args


def write_port_file(path, port):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    options = store_module.Options(artifact_root=args.artifact_root, state_file=args.state_file,
                                   truncate_long_values=args.truncate_long_values,
                                   keep_infinity=args.keep_infinity)
    try:
        tracking_store = store_module.Store(options)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"fake-mlflow: cannot load state file {args.state_file}: {e}")
    auth = server.Auth(args.username, args.password, args.token)
    app = server.App(tracking_store, auth, server.RequestLog(args.request_log, auth.secrets()),
                     args.mlflow_version, verbose=args.verbose,
                     has_admin_port=bool(args.admin_port_file), delay_ms=args.delay_ms,
                     handlers=args.handlers)

    main_listener = control.Listener(server.make_handler(app), args.port,
                                     on_up=app.faults.clear_down)
    app.listener = main_listener
    main_listener.start()
    admin_listener = None
    if args.admin_port_file:
        admin_listener = control.Listener(server.make_handler(app, admin_only=True))
        admin_listener.start()
        write_port_file(args.admin_port_file, admin_listener.port)
    if args.port_file:
        write_port_file(args.port_file, main_listener.port)
    sys.stderr.write(f"fake-mlflow: listening on http://127.0.0.1:{main_listener.port}\n")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    main_listener.stop()
    if admin_listener:
        admin_listener.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
