"""Test control of the fake: injected faults, and a listener that can go down and come back.

Faults are set through POST /fake-admin/faults. "down" closes the listening socket (new
connections are refused) and cuts open connections, then listens again on the same port after
down_seconds or when told to. Both classes are thread-safe.
"""
import errno
import socket
import threading
import time
from http.server import ThreadingHTTPServer

from wire import invalid

MODES = ("ok", "down", "stall", "500", "503", "429", "reset", "reset-after", "echo-auth")


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 128      # socketserver's 5 refuses bursts of parallel clients


class Faults:
    """The current fault and how many more requests it applies to."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state = {"mode": "ok"}
        self._release = threading.Event()

    @staticmethod
    def parse(spec):
        if not isinstance(spec, dict) or spec.get("mode") not in MODES:
            raise invalid(f"faults: 'mode' must be one of {list(MODES)}")
        state = {"mode": spec["mode"]}
        for field in ("stall_seconds", "down_seconds"):
            if spec.get(field) is not None:
                value = spec[field]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise invalid(f"faults: '{field}' must be a non-negative number of seconds")
                state[field] = value
        if state["mode"] == "stall":
            state.setdefault("stall_seconds", 5)
        if spec.get("count") is not None:
            count = spec["count"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise invalid("faults: 'count' must be a positive integer")
            state["count"] = count
        if spec.get("paths") is not None:
            paths = spec["paths"]
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise invalid("faults: 'paths' must be a list of path substrings")
            state["paths"] = paths
        return state

    def set(self, state):
        with self._lock:
            self._release.set()          # stalled requests go on at once
            self._release = threading.Event()
            self._state = dict(state)

    def current(self):
        with self._lock:
            return dict(self._state)

    def take(self, path):
        """The fault for this request as (mode, stall_seconds, release event), or None."""
        with self._lock:
            state = self._state
            if state["mode"] in ("ok", "down"):
                return None
            if "paths" in state and not any(p in path for p in state["paths"]):
                return None
            taken = (state["mode"], state.get("stall_seconds", 0), self._release)
            if "count" in state:
                state["count"] -= 1
                if state["count"] == 0:
                    self._state = {"mode": "ok"}
            return taken

    def clear_down(self):
        with self._lock:
            if self._state["mode"] == "down":
                self._state = {"mode": "ok"}


class Listener:
    """One ThreadingHTTPServer on 127.0.0.1 that can be stopped and restarted on the same port."""

    def __init__(self, handler_class, port=0, on_up=None):
        self.handler_class = handler_class
        self.port = port
        self.on_up = on_up
        self.down = False
        self._httpd = None
        self._timer = None
        self._lock = threading.Lock()
        self._connections = set()
        self._connections_lock = threading.Lock()

    def start(self):
        deadline = time.monotonic() + 10
        while True:
            try:
                httpd = _HTTPServer(("127.0.0.1", self.port), self.handler_class)
                break
            except OSError as e:
                if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        httpd.listener = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         name=f"listener-{self.port}", daemon=True).start()

    def track(self, conn):
        with self._connections_lock:
            self._connections.add(conn)

    def untrack(self, conn):
        with self._connections_lock:
            self._connections.discard(conn)

    def _cut_connections(self, keep=None):
        with self._connections_lock:
            conns = [c for c in self._connections if c is not keep]
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def go_down(self, seconds=None, keep=None):
        """Stop listening and cut connections (all but `keep`); come back after `seconds`."""
        with self._lock:
            if self._timer:
                self._timer.cancel()
                self._timer = None
            if not self.down:
                self.down = True
                httpd, self._httpd = self._httpd, None
                httpd.shutdown()
                httpd.server_close()
                self._cut_connections(keep)
            if seconds:
                self._timer = threading.Timer(seconds, self.come_up)
                self._timer.daemon = True
                self._timer.start()

    def come_up(self):
        with self._lock:
            if self._timer:
                self._timer.cancel()
                self._timer = None
            if not self.down:
                return
            self.start()
            self.down = False
        if self.on_up:
            self.on_up()

    def stop(self):
        with self._lock:
            if self._timer:
                self._timer.cancel()
            if self._httpd:
                self._httpd.shutdown()
                self._httpd.server_close()
                self._httpd = None
            self._cut_connections()
