"""HTTP(S) front of the fake apiserver: connection handling, authentication, fault injection, latency,
the JSON-lines request log, the test-only /fake-admin/ endpoints, and the wiring of all parts.

HTTP/1.1 with keep-alive; JSON bodies end in "\n" like the real server; streams are chunked.
Every request gets its own thread (ThreadingHTTPServer); the parts it reaches are thread-safe.
"""

import hmac
import json
import os
import random
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import apierrors
import decoding
import defaults
from api import Api, Request
from crds import CrdManager
from garbagecollector import GarbageCollector
from jobcontroller import JobController
from kubelet import Kubelet
from operators import Operators
from store import Store

FAULT_CODES = ("429", "429-apf", "500", "503", "504", "reset", "reset-after")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class FaultInjector:
    """Seeded, so a given seed gives the same sequence of faults for the same sequence of requests."""

    def __init__(self, rate=0.0, codes=("429", "500"), seed=0, latency_ms=0, watch_breaks=True):
        self.lock = threading.Lock()
        self.configure(rate=rate, codes=list(codes), seed=seed, latencyMs=latency_ms, watchBreaks=watch_breaks)

    def configure(self, **kw):
        with self.lock:
            if "codes" in kw:
                codes = [str(c) for c in kw["codes"]]
                bad = [c for c in codes if c not in FAULT_CODES]
                if bad:
                    raise ValueError("unknown fault codes %s (known: %s)" % (bad, ", ".join(FAULT_CODES)))
                self.codes = codes
            if "seed" in kw:
                self.seed, self.rng = kw["seed"], random.Random(kw["seed"])
            self.rate = float(kw.get("rate", getattr(self, "rate", 0.0)))
            self.latency_ms = int(kw.get("latencyMs", getattr(self, "latency_ms", 0)))
            self.watch_breaks = bool(kw.get("watchBreaks", getattr(self, "watch_breaks", True)))

    def describe(self):
        with self.lock:
            return {"rate": self.rate, "codes": self.codes, "seed": self.seed, "latencyMs": self.latency_ms,
                    "watchBreaks": self.watch_breaks}

    def draw(self):
        with self.lock:
            if self.rate > 0 and self.codes and self.rng.random() < self.rate:
                return self.rng.choice(self.codes)
            return None

    def watch_break(self):
        with self.lock:
            return self.rate > 0 and self.watch_breaks and self.rng.random() < self.rate


class RequestLog:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding="utf-8") if path else None

    def write(self, record):
        if self.f is None:
            return
        with self.lock:
            self.f.write(json.dumps(record, separators=(",", ":")) + "\n")
            self.f.flush()

    def close(self):
        if self.f is not None:
            self.f.close()


class _Sink:
    def write(self, data):
        return len(data)

    def flush(self):
        pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 900
    record, _t0, _status, _streaming = None, 0.0, None, False  # until _dispatch sets them

    def setup(self):
        self.server.app.connections.add(self.request)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.app.connections.discard(self.request)

    def log_message(self, fmt, *args):
        if self.server.app.opts.verbose:
            super().log_message(fmt, *args)

    def send_response(self, code, message=None):
        self._status = code
        self._log_record()  # before any byte of the answer, so a client never outruns the log
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    # -- the writer interface api.py uses -------------------------------------------------------
    def _headers(self, code, ctype, headers=None, warnings=None):
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        self.send_header("X-Kubernetes-Pf-Flowschema-Uid", self.server.app.pf_uid)
        self.send_header("X-Kubernetes-Pf-Prioritylevel-Uid", self.server.app.pf_uid)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        for w in warnings or []:
            self.send_header("Warning", '299 - "%s"' % w.replace("\\", "\\\\").replace('"', '\\"'))

    def send_bytes(self, code, data, ctype, headers=None, warnings=None):
        self._headers(code, ctype, headers, warnings)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, code, obj, content_type="application/json", headers=None, warnings=None):
        self.send_bytes(code, (json.dumps(obj, separators=(",", ":")) + "\n").encode(), content_type, headers,
                        warnings)

    def send_text(self, code, text, headers=None):
        self.send_bytes(code, text.encode(), "text/plain; charset=utf-8", headers)

    def start_stream(self, ctype):
        self._headers(200, ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._streaming = True

    def write_chunk(self, data):
        if data:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")

    def client_gone(self):
        """True once the client has closed its side (streams poll this between events)."""
        conn = self.connection
        try:
            if not select.select([conn], [], [], 0)[0]:
                return False
            if isinstance(conn, ssl.SSLSocket):
                conn.setblocking(False)
                try:
                    return conn.recv(1) == b""
                except (ssl.SSLWantReadError, BlockingIOError):
                    return False
                finally:
                    conn.settimeout(self.timeout)
            return conn.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def abort(self):
        """Drop the connection with a TCP reset, mid-response or before any."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        self.wfile = _Sink()

    # -- one request ----------------------------------------------------------------------------
    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _dispatch(self, method):
        app = self.server.app
        t0 = self._t0 = time.time()
        self._status, self._streaming = None, False
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.record = {"time": defaults.now_rfc3339_nano(t0), "method": method, "path": split.path, "query": query}
        try:
            body = self._read_body()
            if split.path.startswith("/fake-admin/"):
                self.record = None
                return app.admin(self, method, split.path, body)
            if app.faults.latency_ms > 0:
                time.sleep(app.faults.latency_ms / 1000.0)
            if not app.authenticate(self):
                raise apierrors.unauthorized()
            req = Request(method, split.path, query, self.headers, body)
            fault = app.faults.draw()
            if fault:
                self.record["fault"] = fault
                if self._inject(fault, req):
                    return
            if method == "POST" and app.take_outage_after_post():
                self.wfile = _Sink()  # committed, then the server dies before answering
                app.api.handle(req, self)
                self.abort()
                app.begin_outage()
                return
            app.api.handle(req, self)
        except apierrors.ApiError as e:
            if self._streaming:
                self.abort()
            else:
                self.send_json(e.code, e.status(), headers=e.headers)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:
            traceback.print_exc()
            if self._streaming:
                self.abort()
            else:
                err = apierrors.internal_error(repr(e))
                self.send_json(err.code, err.status())
        finally:
            self._log_record()

    def _log_record(self):
        """One request-log line per API request: at the first response byte, or at the end if none was sent."""
        if self.record is None:
            return
        self.record["status"] = self._status or 0
        self.record["durationMs"] = int((time.time() - self._t0) * 1000)
        self.server.app.reqlog.write(self.record)
        self.record = None

    def _inject(self, fault, req):
        """Answer with a fault; returns True when the request is finished."""
        if fault == "429":
            raise apierrors.too_many_requests(1)
        if fault == "429-apf":  # what API Priority and Fairness really answers: plain text
            self.send_text(429, "Too many requests, please try again later.\n", {"Retry-After": "1"})
            return True
        if fault == "500":
            raise apierrors.internal_error("fake fault injection")
        if fault == "503":
            raise apierrors.service_unavailable("the server is currently unable to handle the request (fake fault "
                                                "injection)")
        if fault == "504":
            raise apierrors.timeout("Timeout: request did not complete within requested timeout - context deadline "
                                    "exceeded")
        if fault == "reset-after" and req.method in ("POST", "DELETE"):
            self.wfile = _Sink()  # do the work, lose the answer
            self.server.app.api.handle(req, self)
        self.abort()
        return True


class _Connections:
    """The open client connections, so that an outage can cut them all."""

    def __init__(self):
        self.lock, self.socks = threading.Lock(), set()

    def add(self, sock):
        with self.lock:
            self.socks.add(sock)

    def discard(self, sock):
        with self.lock:
            self.socks.discard(sock)

    def cut_all(self):
        with self.lock:
            socks = list(self.socks)
        for sock in socks:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def handle_error(self, request, client_address):
        if self.app.opts.verbose:
            traceback.print_exc()


class FakeApiServer:
    """All parts wired together; start() serves on a thread, shutdown() stops and kills pod processes."""

    def __init__(self, opts):
        self.opts = opts
        self.pf_uid = str(uuid.uuid4())
        self.store = Store(history_size=opts.watch_history)
        self.schemas = decoding.Schemas(opts.openapi_dir)
        self.faults = FaultInjector(opts.fault_rate, opts.fault_codes, opts.fault_seed, opts.latency_ms,
                                    not opts.no_watch_faults)
        self.reqlog = RequestLog(opts.request_log)
        self.token = opts.token
        self.tls = bool(opts.tls_cert)
        self.connections = _Connections()
        self.outage_lock = threading.Lock()
        self.outage_seconds, self.outage_after_post, self.down = 0.0, False, False
        self.httpd = self._listen(opts.port)
        self.port = opts.api_port = self.httpd.server_address[1]
        self.kubelet = Kubelet(self.store, opts)
        self.jobs = JobController(self.store, opts)
        self.gc = GarbageCollector(self.store)
        self.crds = CrdManager(self.store, opts)
        self.operators = Operators(self.store, opts)
        for part in (self.kubelet, self.jobs, self.gc, self.crds, self.operators):
            self.store.add_listener(part.on_event)
        for ns in list(SYSTEM_NAMESPACES) + [n for n in opts.namespaces if n not in SYSTEM_NAMESPACES]:
            self.store.create("namespaces", defaults.namespace_object(ns))
        self.crds.preload(opts.crd_docs)
        self.api = Api(self)
        self.thread = None

    def _listen(self, port):
        httpd = _HTTPServer(("127.0.0.1", port), Handler)
        httpd.app = self
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.opts.tls_cert, self.opts.tls_key)
            ctx.set_alpn_protocols(["http/1.1"])
            if self.opts.client_ca:
                ctx.verify_mode = ssl.CERT_OPTIONAL
                ctx.load_verify_locations(self.opts.client_ca)
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        return httpd

    def _serve(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                       daemon=True, name="http")
        self.thread.start()

    # -- outages: the API server process dies and is started again with etcd's state -------------
    def schedule_outage(self, seconds, after_post):
        with self.outage_lock:
            self.outage_seconds = float(seconds)
            self.outage_after_post = bool(after_post)
        if not after_post:
            threading.Thread(target=self.begin_outage, daemon=True, name="outage").start()

    def take_outage_after_post(self):
        with self.outage_lock:
            armed, self.outage_after_post = self.outage_after_post, False
            return armed

    def begin_outage(self):
        """Like kube-apiserver killed: the port refuses connections and every open one (watches, log
        follows) is cut. etcd (the store), the controllers and the kubelet's pods live on. After
        outage_seconds it listens again on the same port with a fresh watch cache: watches from a
        resourceVersion before the restart get 410 Expired, so clients re-list."""
        with self.outage_lock:
            if self.down:
                return
            self.down = True
            seconds = self.outage_seconds
        print("fake-kube: API server down for %.1f s" % seconds, file=sys.stderr, flush=True)
        self.httpd.shutdown()
        self.httpd.server_close()
        self.connections.cut_all()
        time.sleep(seconds)
        self.store.compact(0)
        while True:
            try:
                self.httpd = self._listen(self.port)
                break
            except OSError:  # the port is still in TIME_WAIT or briefly taken: a real restart retries too
                time.sleep(0.1)
        self._serve()
        with self.outage_lock:
            self.down = False
        print("fake-kube: API server up again", file=sys.stderr, flush=True)

    def authenticate(self, handler):
        if not self.token and not self.opts.client_ca:
            return True
        auth = handler.headers.get("Authorization") or ""
        if self.token and auth[:7].lower() == "bearer " and hmac.compare_digest(auth[7:].strip().encode(),
                                                                               self.token.encode()):
            return True
        conn = handler.connection
        return bool(self.opts.client_ca and isinstance(conn, ssl.SSLSocket) and conn.getpeercert())

    def admin(self, h, method, path, body):
        """Test-only controls, outside the API: no auth, no faults, not in the request log."""
        try:
            args = json.loads(body) if body.strip() else {}
            if path == "/fake-admin/faults" and method == "POST":
                self.faults.configure(**args)
                return h.send_json(200, self.faults.describe())
            if path == "/fake-admin/faults" and method == "GET":
                return h.send_json(200, self.faults.describe())
            if path == "/fake-admin/compact" and method == "POST":
                floor = self.store.compact(int(args.get("keep", 0)))
                return h.send_json(200, {"resourceVersion": str(self.store.rv), "oldestResourceVersion": str(floor)})
            if path == "/fake-admin/processes" and method == "GET":
                return h.send_json(200, {"processes": self.kubelet.processes()})
            if path == "/fake-admin/token" and method == "POST":
                self.token = args.get("token") or None  # a revoked token: 401 from now on
                return h.send_json(200, {})
            if path == "/fake-admin/outage" and method == "POST":
                after_post = bool(args.get("afterNextPost", False))
                seconds = float(args.get("seconds", 0))
                if seconds < 0:
                    raise ValueError("seconds must be >= 0")
                if after_post:
                    # Armed before the answer: the client's next POST may reach another
                    # handler thread as soon as it reads this reply.
                    self.schedule_outage(seconds, True)
                h.send_json(200, {"seconds": seconds, "afterNextPost": after_post})
                h.wfile.flush()
                if not after_post:
                    self.schedule_outage(seconds, False)  # after the answer: the server goes down
                return None
            if path == "/fake-admin/state" and method == "GET":
                return h.send_json(200, {"resourceVersion": str(self.store.rv), "pid": os.getpid(),
                                         "oldestResourceVersion": str(self.store.floor), "port": self.port})
        except (ValueError, TypeError) as e:
            return h.send_json(400, {"error": str(e)})
        return h.send_text(404, "404 page not found\n")

    def start(self):
        for part in (self.jobs, self.gc, self.crds, self.operators):
            part.start()
        self._serve()

    def shutdown(self):
        self.httpd.shutdown()
        self.kubelet.shutdown()
        for part in (self.jobs, self.gc, self.crds, self.operators):
            part.stop()
        self.httpd.server_close()
        self.reqlog.close()
