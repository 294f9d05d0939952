"""HTTP layer of the fake MLflow tracking server: routing, auth, faults, request log, admin API.

Each request is handled on its own thread (ThreadingHTTPServer, HTTP/1.1 keep-alive). Order of
work: /fake-admin/* (no auth, no faults, not logged) -> injected fault -> auth -> route.
The App and its parts are shared by all handler threads and are thread-safe.
"""
import base64
import binascii
import hmac
import json
import socket
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import api
import control
import wire

MAX_BODY = 64 * 1024 * 1024
UNAUTHENTICATED_BASIC = (
    "You are not authenticated. Please see "
    "https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow "
    "on how to authenticate.")


class Auth:
    """HTTP Basic (MLflow's basic-auth app) or Bearer token (as Databricks serves MLflow)."""

    def __init__(self, username=None, password=None, token=None):
        self.username, self.password, self.token = username, password, token

    def secrets(self):
        found = [s for s in (self.password, self.token) if s]
        if self.username is not None and self.password:
            found.append(base64.b64encode(f"{self.username}:{self.password}".encode()).decode())
        return found

    @staticmethod
    def scheme(header):
        if not header:
            return "none"
        name = header.split(" ", 1)[0].lower()
        return name if name in ("basic", "bearer") else "other"

    def check(self, header):
        """None when allowed, else (status, extra headers, content type, body)."""
        if self.password is not None:
            if self._basic_ok(header):
                return None
            return (401, {"WWW-Authenticate": 'Basic realm="mlflow"'}, "text/plain; charset=utf-8",
                    UNAUTHENTICATED_BASIC)
        if self.token is not None:
            if not header or not header.lower().startswith("bearer "):
                return (401, {"WWW-Authenticate": "Bearer"}, "application/json",
                        wire.dumps({"error_code": "UNAUTHENTICATED",
                                    "message": "Credential was not sent or was of an unsupported "
                                               "type for this API."}))
            if not hmac.compare_digest(header[7:].strip().encode(), self.token.encode()):
                return (403, {}, "application/json",
                        wire.dumps({"error_code": "PERMISSION_DENIED",
                                    "message": "Invalid access token."}))
        return None

    def _basic_ok(self, header):
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(":")
        return bool(sep) and hmac.compare_digest(user.encode(), self.username.encode()) and \
            hmac.compare_digest(password.encode(), self.password.encode())


class RequestLog:
    """One JSON object per API request, in memory and optionally appended to a file.

    Only the auth scheme is recorded, never the Authorization header; any occurrence of the
    configured password or token is replaced by "***" before anything is stored.
    """

    def __init__(self, path, secrets):
        self._secrets = secrets
        self._lock = threading.Lock()
        self._records = []
        self._file = open(path, "a", encoding="utf-8") if path else None

    def _scrub(self, obj):
        if isinstance(obj, str):
            for s in self._secrets:
                obj = obj.replace(s, "***")
            return obj
        if isinstance(obj, dict):
            return {self._scrub(k): self._scrub(val) for k, val in obj.items()}
        if isinstance(obj, list):
            return [self._scrub(x) for x in obj]
        return obj

    def add(self, record):
        record = self._scrub(record)
        line = self._scrub(json.dumps(record, separators=(",", ":")))
        with self._lock:
            self._records.append(record)
            if self._file:
                self._file.write(line + "\n")
                self._file.flush()

    def records(self):
        with self._lock:
            return list(self._records)

    def clear(self):
        with self._lock:
            self._records = []


class App:
    """Everything the handlers share."""

    def __init__(self, store, auth, request_log, version, verbose=False, has_admin_port=False,
                 delay_ms=0, handlers=0):
        self.store, self.auth, self.request_log = store, auth, request_log
        self.version, self.verbose, self.has_admin_port = version, verbose, has_admin_port
        self.faults = control.Faults()
        # A server's own time per API request, spent while holding one of `handlers` slots
        # (0: no limit), as `mlflow server --workers N` whose handlers take delay_ms each.
        self.delay_s = max(0, delay_ms) / 1000.0
        self.handlers = threading.BoundedSemaphore(handlers) if handlers > 0 else None
        self.listener = None          # the main Listener, set once it exists

    def set_faults(self, spec, keep_connection=None):
        state = control.Faults.parse(spec)
        if state["mode"] == "down" and not state.get("down_seconds") and not self.has_admin_port:
            raise wire.invalid("faults: mode 'down' needs 'down_seconds' unless the server was "
                               "started with --admin-port-file (nothing could bring it back)")
        self.faults.set(state)
        if state["mode"] == "down":
            self.listener.go_down(state.get("down_seconds"), keep=keep_connection)
        elif self.listener.down:
            self.listener.come_up()
        return self.faults.current()


def make_handler(app, admin_only=False):
    return type("Handler", (Handler,), {"app": app, "admin_only": admin_only})


def _parse_body(raw):
    """The JSON body as MLflow reads it: unparseable means empty; a JSON string is decoded again."""
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
        if isinstance(parsed, str):
            parsed = json.loads(parsed)
    except (ValueError, UnicodeDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _strict_json(text):
    def refuse(constant):
        raise ValueError(constant)
    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError:
        return text


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY each
    # answer waits out the client's delayed ACK (~40 ms), as a real server's
    # would not.
    disable_nagle_algorithm = True
    server_version = "fake-mlflow"
    app = None
    admin_only = False

    def setup(self):
        super().setup()
        self.server.listener.track(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.listener.untrack(self.connection)

    def log_message(self, fmt, *args):
        if self.app.verbose:
            sys.stderr.write("fake-mlflow: " + (fmt % args) + "\n")

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    # ---- plumbing -------------------------------------------------------------------------

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
                if sum(map(len, chunks)) > MAX_BODY:
                    raise ValueError("request body too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _send(self, status, body, content_type="application/json", headers=None):
        self._status = status
        self._log_request()  # before any byte of the answer: a client that saw it finds it logged
        if self._lose_response:
            self._reset_connection()
            return
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_json(self, status, obj, headers=None):
        self._send(status, wire.dumps(obj), "application/json", headers)

    def _send_text(self, status, text, headers=None):
        self._send(status, text, "text/plain; charset=utf-8", headers)

    def _reset_connection(self):
        """Close with a TCP RST and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _log_request(self):
        """Adds the current API request to the request log, once (admin requests have none)."""
        record, self._record = self._record, None
        if record is None:
            return
        record["status"] = self._status
        record["duration_ms"] = round((time.monotonic() - self._started) * 1000, 1)
        self.app.request_log.add(record)

    # ---- one request ----------------------------------------------------------------------

    def _handle(self):
        self._status, self._lose_response, self._record = None, False, None
        self._started = time.monotonic()
        url = urlsplit(self.path)
        try:
            raw = self._read_body()
        except ValueError as e:
            self.close_connection = True
            self._send_text(400, f"Bad Request: {e}")
            return
        if url.path.startswith("/fake-admin/"):
            self._admin(url.path, raw)
            return
        if self.admin_only:
            self._send_text(404, "Not Found")
            return
        record = {"time": round(time.time(), 3), "method": self.command, "path": url.path,
                  "auth": Auth.scheme(self.headers.get("Authorization"))}
        if url.query:
            record["query"] = url.query
        if raw:
            record["body"] = _strict_json(raw.decode("utf-8", errors="replace"))
        self._record = record
        slot = self.app.handlers
        if slot:
            slot.acquire()
        try:
            if self.app.delay_s:
                time.sleep(self.app.delay_s)
            fault = self.app.faults.take(url.path)
            if fault:
                record["fault"] = fault[0]
            if not (fault and self._inject(*fault)):
                denied = None if url.path == "/health" else \
                    self.app.auth.check(self.headers.get("Authorization"))
                if denied:
                    status, headers, content_type, body = denied
                    self._send(status, body, content_type, headers)
                else:
                    self._route(url, raw)
        finally:
            if slot:
                slot.release()
            self._log_request()  # a request dropped without an answer

    def _inject(self, mode, stall_seconds, release):
        """Applies a fault; True when the request is finished (answered or dropped)."""
        if mode == "stall":
            release.wait(stall_seconds)
            return False
        if mode == "reset-after":
            self._lose_response = True
            return False
        if mode == "reset":
            self._reset_connection()
            return True
        if mode == "echo-auth":  # a proxy that quotes the credentials it was sent
            auth = self.headers.get("Authorization") or ""
            echoed = auth
            if auth.startswith("Basic "):
                try:
                    echoed += " (" + base64.b64decode(auth[6:]).decode("utf-8", "replace") + ")"
                except ValueError:
                    pass
            self._send_json(400, {"error_code": "INVALID_PARAMETER_VALUE",
                                  "message": f"proxy refused the request; Authorization: {echoed}"})
            return True
        code, status, headers = {
            "500": ("INTERNAL_ERROR", 500, {}),
            "503": ("TEMPORARILY_UNAVAILABLE", 503, {}),
            "429": ("REQUEST_LIMIT_EXCEEDED", 429, {"Retry-After": "1"}),
        }[mode]
        self._send_json(status, {"error_code": code, "message": f"Injected fault: HTTP {status}"},
                        headers)
        return True

    def _route(self, url, raw):
        path, method = url.path, self.command
        if path in ("/health", "/version"):
            if method not in ("GET", "HEAD"):
                self._send_text(405, "Method Not Allowed", {"Allow": "GET, HEAD"})
            else:
                self._send_text(200, "OK" if path == "/health" else self.app.version)
            return
        prefix = next((p for p in api.API_PREFIXES if path.startswith(p)), None)
        endpoint = path[len(prefix):] if prefix else None
        entry = api.ENDPOINTS.get((method, endpoint))
        if entry is None:
            allowed = sorted(m for m, e in api.ENDPOINTS if e == endpoint)
            if allowed:
                self._send_text(405, "Method Not Allowed", {"Allow": ", ".join(allowed)})
            else:
                self._send_text(404, "Not Found")
            return
        function, repeated = entry
        try:
            response = function(self.app.store, self._fields(method, url.query, raw, repeated))
            self._send_json(200, response)
        except wire.MlflowError as e:
            self._send_json(e.http_status, e.body())
        except Exception as e:  # a bug in the fake: answer as MLflow does, and say so on stderr
            traceback.print_exc()
            self._send_json(500, {"error_code": "INTERNAL_ERROR",
                                  "message": f"{type(e).__name__}: {e}"})

    def _fields(self, method, query, raw, repeated):
        if method == "GET" and query:
            args = parse_qs(query, keep_blank_values=True)
            return {k: (vals if k in repeated else vals[0]) for k, vals in args.items()}
        if method in ("POST", "PUT"):
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type != "application/json":
                got = f" Got '{content_type}'." if content_type else ""
                raise wire.invalid("Bad Request. Content-Type must be one of [application/json]."
                                   + got)
        return _parse_body(raw)

    # ---- /fake-admin ----------------------------------------------------------------------

    def _admin(self, path, raw):
        app, method = self.app, self.command
        try:
            if (method, path) == ("GET", "/fake-admin/state"):
                state = app.store.snapshot()
                state["faults"] = app.faults.current()
                self._send_json(200, state)
            elif (method, path) == ("GET", "/fake-admin/faults"):
                self._send_json(200, app.faults.current())
            elif (method, path) == ("POST", "/fake-admin/faults"):
                spec = _parse_body(raw) if raw else {}
                keep = self.connection
                self._send_json(200, app.set_faults(spec, keep_connection=keep))
                if app.faults.current()["mode"] == "down" and not self.admin_only:
                    self.close_connection = True   # this connection's listener is gone
            elif (method, path) == ("GET", "/fake-admin/requests"):
                self._send_json(200, {"requests": app.request_log.records()})
            elif (method, path) == ("POST", "/fake-admin/reset"):
                app.store.reset()
                app.request_log.clear()
                app.set_faults({"mode": "ok"})
                self._send_json(200, {})
            else:
                self._send_text(404, "Not Found")
        except wire.MlflowError as e:
            self._send_json(e.http_status, e.body())
