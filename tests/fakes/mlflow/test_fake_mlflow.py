"""Tests of the fake MLflow tracking server, over real HTTP against a real process.

Run from the repo root: /usr/bin/python3 -m unittest discover -s tests/fakes/mlflow -v
"""
import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_mlflow.py")
MAX_DOUBLE = 1.7976931348623157e308
CONNECTION_ERRORS = (urllib.error.URLError, ConnectionError, http.client.HTTPException, OSError)


class Fake:
    """One fake server process and a small urllib client for it."""

    def __init__(self, *args, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="fake-mlflow-")
        self.args = list(args)
        self.port_file = os.path.join(self.tmp, "port")
        self.proc = None
        self.port = None

    def start(self):
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.stderr = open(os.path.join(self.tmp, "stderr.txt"), "ab")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file",
                                      self.port_file, *self.args], stderr=self.stderr)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("fake server did not start")
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        return self

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        self.stderr.close()
        return rc

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def call(self, method, path, body=None, headers=None, raw=None, timeout=10):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, resp_headers, text = resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, resp_headers, text = e.code, e.headers, e.read().decode()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return status, resp_headers, parsed

    def post(self, endpoint, body, **kw):
        status, _, parsed = self.call("POST", "/api/2.0/mlflow/" + endpoint, body, **kw)
        return status, parsed

    def get(self, endpoint, query="", **kw):
        status, _, parsed = self.call("GET", "/api/2.0/mlflow/" + endpoint + query, **kw)
        return status, parsed

    def ok(self, method, endpoint, body=None, query=""):
        if method == "POST":
            status, parsed = self.post(endpoint, body)
        else:
            status, parsed = self.get(endpoint, query)
        assert status == 200, (endpoint, status, parsed)
        return parsed

    def admin(self, method, path, body=None):
        return self.call(method, "/fake-admin/" + path, body)[2]

    # conveniences
    def experiment(self, name):
        return self.ok("POST", "experiments/create", {"name": name})["experiment_id"]

    def run(self, experiment_id, **fields):
        body = {"experiment_id": experiment_id, "start_time": 1000, **fields}
        return self.ok("POST", "runs/create", body)["run"]

    def batch(self, run_id, metrics=(), params=(), tags=()):
        return self.post("runs/log-batch", {"run_id": run_id, "metrics": list(metrics),
                                            "params": list(params), "tags": list(tags)})

    def get_run(self, run_id):
        return self.ok("GET", "runs/get", query=f"?run_id={run_id}")["run"]


def as_dict(items):
    return {i["key"]: i["value"] for i in items}


def metric(key, value, timestamp=1000, step=0):
    return {"key": key, "value": value, "timestamp": timestamp, "step": step}


class ErrorAssertions:
    def assertError(self, result, status, code, fragment=""):
        got_status, body = result
        self.assertEqual(got_status, status, body)
        self.assertEqual(body["error_code"], code, body)
        self.assertIn(fragment, body["message"])


class ServerTestCase(ErrorAssertions, unittest.TestCase):
    ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(*cls.ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        shutil.rmtree(cls.fake.tmp, ignore_errors=True)


class ExperimentTest(ServerTestCase):
    def test_create_get_by_name_and_duplicate(self):
        f = self.fake
        eid = f.ok("POST", "experiments/create", {"name": "exp-a", "tags": [
            {"key": "team", "value": "sweep"}]})["experiment_id"]
        exp = f.ok("GET", "experiments/get-by-name", query="?experiment_name=exp-a")["experiment"]
        self.assertEqual(exp["experiment_id"], eid)
        self.assertEqual(exp["name"], "exp-a")
        self.assertEqual(exp["lifecycle_stage"], "active")
        self.assertEqual(exp["artifact_location"], f"mlflow-artifacts:/{eid}")
        self.assertEqual(exp["tags"], [{"key": "team", "value": "sweep"}])
        self.assertIsInstance(exp["creation_time"], int)
        self.assertEqual(f.ok("GET", "experiments/get", query=f"?experiment_id={eid}")
                         ["experiment"], exp)
        self.assertError(f.post("experiments/create", {"name": "exp-a"}), 400,
                         "RESOURCE_ALREADY_EXISTS", "exp-a")

    def test_missing_experiment_is_404(self):
        self.assertError(self.fake.get("experiments/get-by-name", "?experiment_name=nope"), 404,
                         "RESOURCE_DOES_NOT_EXIST", "nope")
        self.assertError(self.fake.get("experiments/get", "?experiment_id=999"), 404,
                         "RESOURCE_DOES_NOT_EXIST", "999")

    def test_default_experiment_exists(self):
        exp = self.fake.ok("GET", "experiments/get", query="?experiment_id=0")["experiment"]
        self.assertEqual(exp["name"], "Default")

    def test_request_shape_errors(self):
        f = self.fake
        self.assertError(f.post("experiments/create", {}), 400, "INVALID_PARAMETER_VALUE",
                         "Missing value for required parameter 'name'")
        self.assertError(f.post("experiments/create", {"name": 5}), 400,
                         "INVALID_PARAMETER_VALUE", "'name'")
        status, _, body = f.call("POST", "/api/2.0/mlflow/experiments/create", raw=b"{}",
                                 headers={"Content-Type": "text/plain"})
        self.assertEqual((status, body["error_code"]), (400, "INVALID_PARAMETER_VALUE"))
        self.assertIn("Content-Type must be one of [application/json]", body["message"])
        self.assertEqual(f.call("GET", "/api/2.0/mlflow/no/such-endpoint")[0], 404)
        status, headers, _ = f.call("GET", "/api/2.0/mlflow/runs/create")
        self.assertEqual((status, headers["Allow"]), (405, "POST"))

    def test_ajax_prefix_health_and_version(self):
        f = self.fake
        status, _, body = f.call("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")
        self.assertEqual((status, body["experiment"]["name"]), (200, "Default"))
        self.assertEqual(f.call("GET", "/health")[::2], (200, "OK"))
        status, _, version = f.call("GET", "/version")
        self.assertEqual(status, 200)
        self.assertRegex(str(version), r"^\d+\.\d+")


class RunTest(ServerTestCase):
    def setUp(self):
        self.eid = self.fake.experiment(self.id())

    def test_create_update_get(self):
        f = self.fake
        run = f.run(self.eid, run_name="trial-7", start_time=1700000000000,
                    tags=[{"key": "hptuning_tag", "value": "1641159546"}])
        info = run["info"]
        self.assertRegex(info["run_id"], r"^[0-9a-f]{32}$")
        self.assertEqual(info["run_uuid"], info["run_id"])
        self.assertEqual((info["experiment_id"], info["run_name"], info["status"],
                          info["lifecycle_stage"], info["start_time"]),
                         (self.eid, "trial-7", "RUNNING", "active", 1700000000000))
        self.assertEqual(info["artifact_uri"],
                         f"mlflow-artifacts:/{self.eid}/{info['run_id']}/artifacts")
        self.assertNotIn("end_time", info)
        self.assertEqual(as_dict(run["data"]["tags"]),
                         {"hptuning_tag": "1641159546", "mlflow.runName": "trial-7"})
        updated = f.ok("POST", "runs/update", {"run_id": info["run_id"], "status": "FINISHED",
                                               "end_time": 1700000005000, "run_name": "trial-7b"})
        self.assertEqual((updated["run_info"]["status"], updated["run_info"]["end_time"],
                          updated["run_info"]["run_name"]), ("FINISHED", 1700000005000, "trial-7b"))
        got = f.get_run(info["run_id"])
        self.assertEqual(got["info"], updated["run_info"])
        self.assertEqual(as_dict(got["data"]["tags"])["mlflow.runName"], "trial-7b")
        # the tag drives the name too, and GET accepts the deprecated run_uuid
        f.ok("POST", "runs/set-tag", {"run_id": info["run_id"], "key": "mlflow.runName",
                                      "value": "trial-7c"})
        got = f.ok("GET", "runs/get", query=f"?run_uuid={info['run_id']}")["run"]
        self.assertEqual(got["info"]["run_name"], "trial-7c")

    def test_run_name_sources(self):
        f = self.fake
        run = f.run(self.eid, tags=[{"key": "mlflow.runName", "value": "from-tag"}])
        self.assertEqual(run["info"]["run_name"], "from-tag")
        generated = f.run(self.eid)
        self.assertTrue(generated["info"]["run_name"])
        self.assertEqual(as_dict(generated["data"]["tags"])["mlflow.runName"],
                         generated["info"]["run_name"])
        self.assertError(f.post("runs/create", {"experiment_id": self.eid, "run_name": "a",
                                                "tags": [{"key": "mlflow.runName", "value": "b"}]}),
                         400, "INVALID_PARAMETER_VALUE", "Both 'run_name' argument")

    def test_errors(self):
        f = self.fake
        self.assertError(f.get("runs/get", "?run_id=0123456789abcdef0123456789abcdef"), 404,
                         "RESOURCE_DOES_NOT_EXIST", "Run with id=0123456789abcdef0123456789abcdef")
        self.assertError(f.post("runs/create", {"experiment_id": "98765"}), 404,
                         "RESOURCE_DOES_NOT_EXIST")
        run_id = f.run(self.eid)["info"]["run_id"]
        self.assertError(f.post("runs/update", {"run_id": run_id, "status": "DONE"}), 400,
                         "INVALID_PARAMETER_VALUE", "status")
        f.ok("POST", "runs/delete", {"run_id": run_id})
        self.assertEqual(f.get_run(run_id)["info"]["lifecycle_stage"], "deleted")
        self.assertError(f.post("runs/update", {"run_id": run_id, "status": "FINISHED"}), 400,
                         "INVALID_PARAMETER_VALUE", "must be in the 'active' state")
        self.assertError(f.batch(run_id, metrics=[metric("m", 1)]), 400,
                         "INVALID_PARAMETER_VALUE", "must be in the 'active' state")

    def test_delete_and_view_types(self):
        f = self.fake
        keep, gone = (f.run(self.eid)["info"]["run_id"] for _ in range(2))
        f.ok("POST", "runs/delete", {"run_id": gone})

        def ids(view):
            body = {"experiment_ids": [self.eid]}
            if view:
                body["run_view_type"] = view
            return {r["info"]["run_id"] for r in f.ok("POST", "runs/search", body).get("runs", [])}
        self.assertEqual(ids(None), {keep})
        self.assertEqual(ids("DELETED_ONLY"), {gone})
        self.assertEqual(ids("ALL"), {keep, gone})
        f.ok("POST", "runs/restore", {"run_id": gone})
        self.assertEqual(ids(None), {keep, gone})


class LoggingTest(ServerTestCase):
    def setUp(self):
        self.run_id = self.fake.run(self.fake.experiment(self.id()))["info"]["run_id"]

    def test_batch_limits(self):
        f, rid = self.fake, self.run_id
        many = lambda n, prefix: [{"key": f"{prefix}{i}", "value": "v"} for i in range(n)]  # noqa
        metrics = [metric(f"m{i}", i) for i in range(1001)]
        self.assertError(f.batch(rid, metrics=metrics), 400, "INVALID_PARAMETER_VALUE",
                         "A batch logging request can contain at most 1000 metrics. Got 1001")
        self.assertError(f.batch(rid, params=many(101, "p")), 400, "INVALID_PARAMETER_VALUE",
                         "at most 100 params. Got 101")
        self.assertError(f.batch(rid, tags=many(101, "t")), 400, "INVALID_PARAMETER_VALUE",
                         "at most 100 tags. Got 101")
        self.assertError(f.batch(rid, metrics=metrics[:900], params=many(100, "p"),
                                 tags=many(1, "t")),
                         400, "INVALID_PARAMETER_VALUE",
                         "at most 1000 metrics, params, and tags. Got 1001")
        self.assertNotIn("metrics", f.get_run(rid)["data"])    # refused batches write nothing
        self.assertEqual(f.batch(rid, metrics=metrics[:1000])[0], 200)
        self.assertEqual(f.batch(rid, metrics=metrics[:900], params=many(50, "p"),
                                 tags=many(50, "t"))[0], 200)
        self.assertEqual(len(f.get_run(rid)["data"]["metrics"]), 1000)

    def test_params_are_write_once(self):
        f, rid = self.fake, self.run_id
        self.assertEqual(f.batch(rid, params=[{"key": "lr", "value": "0.01"}]), (200, {}))
        self.assertEqual(f.batch(rid, params=[{"key": "lr", "value": "0.01"}]), (200, {}))
        self.assertError(f.batch(rid, params=[{"key": "lr", "value": "0.02"}],
                                 metrics=[metric("after", 1)]),
                         400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
        self.assertNotIn("metrics", f.get_run(rid)["data"])
        self.assertEqual(f.post("runs/log-parameter", {"run_id": rid, "key": "lr",
                                                       "value": "0.01"}), (200, {}))
        self.assertError(f.post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "1"}),
                         400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
        self.assertError(f.batch(rid, params=[{"key": "x", "value": "1"},
                                              {"key": "x", "value": "1"}]),
                         400, "INVALID_PARAMETER_VALUE", "Duplicate parameter keys")
        self.assertEqual(as_dict(f.get_run(rid)["data"]["params"]), {"lr": "0.01"})

    def test_value_types_and_lengths(self):
        f, rid = self.fake, self.run_id
        self.assertEqual(f.batch(rid, params=[{"key": "long", "value": "x" * 6000}])[0], 200)
        self.assertError(f.batch(rid, params=[{"key": "longer", "value": "x" * 6001}]), 400,
                         "INVALID_PARAMETER_VALUE", "exceeds the maximum length of 6000")
        self.assertError(f.batch(rid, params=[{"key": "k" * 251, "value": "1"}]), 400,
                         "INVALID_PARAMETER_VALUE", "maximum length of 250")
        self.assertEqual(f.batch(rid, tags=[{"key": "t", "value": "y" * 8000}])[0], 200)
        self.assertError(f.batch(rid, tags=[{"key": "t", "value": "y" * 8001}]), 400,
                         "INVALID_PARAMETER_VALUE", "exceeds the maximum length of 8000")
        self.assertError(f.batch(rid, params=[{"key": "num", "value": 0.01}]), 400,
                         "INVALID_PARAMETER_VALUE", "params[0].value")
        self.assertError(f.batch(rid, params=[{"key": "bad/../key", "value": "1"}]), 400,
                         "INVALID_PARAMETER_VALUE", "params[0].key")
        self.assertError(f.batch(rid, metrics=[{"key": "m", "value": 1}]), 400,
                         "INVALID_PARAMETER_VALUE",
                         "Missing value for required parameter 'metrics[0].timestamp'")
        self.assertError(f.batch(rid, metrics=[metric("m", 1, timestamp=-1)]), 400,
                         "INVALID_PARAMETER_VALUE", "Timestamp must be a nonnegative long")
        self.assertError(f.post("runs/log-batch", {"metrics": []}), 400,
                         "INVALID_PARAMETER_VALUE", "'run_id'")

    def test_nan_and_infinity_encoding(self):
        f, rid = self.fake, self.run_id
        self.assertEqual(f.batch(rid, metrics=[metric("nan", "NaN"), metric("pinf", "Infinity"),
                                               metric("ninf", "-Infinity"),
                                               metric("str", "0.25"), metric("int", 3)])[0], 200)
        got = as_dict(f.get_run(rid)["data"]["metrics"])
        self.assertEqual(got, {"nan": "NaN", "pinf": MAX_DOUBLE, "ninf": -MAX_DOUBLE,
                               "str": 0.25, "int": 3.0})
        history = f.ok("GET", "metrics/get-history", query=f"?run_id={rid}&metric_key=nan")
        self.assertEqual(history["metrics"], [metric("nan", "NaN")])
        status, _, body = f.call("POST", "/api/2.0/mlflow/runs/log-batch",
                                 raw=('{"run_id": "%s", "metrics": [{"key": "bare", "value": NaN,'
                                      ' "timestamp": 1}]}' % rid).encode())
        self.assertEqual((status, body["error_code"]), (400, "INVALID_PARAMETER_VALUE"))
        self.assertIn('use quoted \\"NaN\\"', json.dumps(body["message"]))
        self.assertError(f.post("runs/log-metric", {"run_id": rid, "key": "m", "value": "fast",
                                                    "timestamp": 1}),
                         400, "INVALID_PARAMETER_VALUE", "'value'")

    def test_latest_metric_and_history(self):
        f, rid = self.fake, self.run_id
        f.batch(rid, metrics=[metric("loss", 1.0, timestamp=100, step=2),
                              metric("loss", 5.0, timestamp=200, step=1)])
        self.assertEqual(f.get_run(rid)["data"]["metrics"], [metric("loss", 1.0, 100, 2)])
        f.ok("POST", "runs/log-metric", {"run_id": rid, "key": "loss", "value": 3.0,
                                         "timestamp": 100, "step": 2})
        self.assertEqual(f.get_run(rid)["data"]["metrics"], [metric("loss", 3.0, 100, 2)])
        f.batch(rid, metrics=[metric("loss", 3.0, timestamp=100, step=2)])   # identical: ignored
        history = f.ok("GET", "metrics/get-history",
                       query=f"?run_id={rid}&metric_key=loss")["metrics"]
        self.assertEqual(history, [metric("loss", 1.0, 100, 2), metric("loss", 3.0, 100, 2),
                                   metric("loss", 5.0, 200, 1)])
        page = f.ok("GET", "metrics/get-history",
                    query=f"?run_id={rid}&metric_key=loss&max_results=2")
        self.assertEqual(len(page["metrics"]), 2)
        rest = f.ok("GET", "metrics/get-history", query=f"?run_id={rid}&metric_key=loss"
                    f"&max_results=2&page_token={page['next_page_token']}")
        self.assertEqual(rest, {"metrics": [metric("loss", 5.0, 200, 1)]})
        self.assertEqual(f.ok("GET", "metrics/get-history",
                              query=f"?run_id={rid}&metric_key=none"), {})


class SearchTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        f = cls.fake
        cls.eid = f.experiment("search")
        cls.other = f.experiment("search-other")
        cls.runs = {}
        losses = {"a": 0.5, "b": 0.1, "c": "NaN", "d": None, "e": 0.3}
        for i, (name, loss) in enumerate(losses.items()):
            run = f.run(cls.eid, run_name=name, start_time=1000 + i,
                        tags=[{"key": "hptuning_tag", "value": "1641159546"},
                              {"key": "key.with.dots", "value": "x" if name in "ab" else "y"}])
            rid = run["info"]["run_id"]
            cls.runs[name] = rid
            f.batch(rid, metrics=[metric("loss", loss)] if loss is not None else [],
                    params=[{"key": "lr", "value": "0.01" if name in "abc" else "0.1"}])
        f.ok("POST", "runs/update", {"run_id": cls.runs["a"], "status": "FINISHED",
                                     "end_time": 5000})
        stray = f.run(cls.eid, run_name="stray", start_time=999,
                      tags=[{"key": "hptuning_tag", "value": "other"}])
        cls.runs["stray"] = stray["info"]["run_id"]
        f.run(cls.other, run_name="elsewhere",
              tags=[{"key": "hptuning_tag", "value": "1641159546"}])

    def search(self, filter_string="", order_by=(), **extra):
        body = {"experiment_ids": [self.eid], "filter": filter_string, "order_by": list(order_by),
                **extra}
        return self.fake.post("runs/search", body)

    def names(self, filter_string="", order_by=(), **extra):
        status, body = self.search(filter_string, order_by, **extra)
        self.assertEqual(status, 200, body)
        return [r["info"]["run_name"] for r in body.get("runs", [])]

    def test_tag_filter_order_by_metric_and_pagination(self):
        tag = 'tags.hptuning_tag = "1641159546"'
        self.assertEqual(self.names(tag, ["metrics.loss ASC"]), ["b", "e", "a", "c", "d"])
        self.assertEqual(self.names(tag, ["metrics.loss DESC"]), ["a", "e", "b", "c", "d"])
        pages, token = [], None
        while True:
            extra = {"max_results": 2, **({"page_token": token} if token else {})}
            status, body = self.search(tag, ["metrics.loss ASC"], **extra)
            self.assertEqual(status, 200, body)
            pages.append([r["info"]["run_name"] for r in body.get("runs", [])])
            token = body.get("next_page_token")
            if not token:
                break
        self.assertEqual(pages, [["b", "e"], ["a", "c"], ["d"]])
        # MLflow's SQL store hands out a token for every full page, even the last one.
        status, body = self.search(tag + " AND metrics.loss < 1", ["metrics.loss ASC"],
                                   max_results=3)
        self.assertEqual(len(body["runs"]), 3)
        status, body = self.search(tag + " AND metrics.loss < 1", ["metrics.loss ASC"],
                                   max_results=3, page_token=body["next_page_token"])
        self.assertEqual((status, body), (200, {}))

    def test_default_order_and_attribute_order(self):
        self.assertEqual(self.names(), ["e", "d", "c", "b", "a", "stray"])   # start_time DESC
        self.assertEqual(self.names("", ["attributes.start_time ASC"])[:2], ["stray", "a"])
        self.assertEqual(self.names("", ["params.lr DESC", "attributes.run_name"]),
                         ["d", "e", "a", "b", "c", "stray"])
        self.assertEqual(self.names("", ["tags.`key.with.dots` DESC"]),
                         ["e", "d", "c", "b", "a", "stray"])   # ties: start_time DESC; missing last

    def test_filter_grammar(self):
        r = self.runs
        cases = {
            "tags.\"key.with.dots\" = 'x'": ["b", "a"],
            "tags.`key.with.dots` = 'x'": ["b", "a"],
            "metrics.loss < 0.5": ["e", "b"],
            "metrics.loss >= 0.3 and params.lr = '0.01'": ["a"],
            "params.lr = '0.01'": ["c", "b", "a"],
            "params.lr != '0.01'": ["e", "d"],
            "attributes.status = 'FINISHED'": ["a"],
            "status != 'FINISHED' AND tags.hptuning_tag = '1641159546'": ["e", "d", "c", "b"],
            "attributes.run_name = 'b'": ["b"],
            "attributes.run_name LIKE 'st%'": ["stray"],
            "attributes.run_name ILIKE 'STR_Y'": ["stray"],
            "tags.hptuning_tag LIKE '%6'": ["e", "d", "c", "b", "a"],
            f"attributes.run_id IN ('{r['a']}', '{r['d']}')": ["d", "a"],
            f"attributes.run_id NOT IN ('{r['a']}') AND params.lr = '0.1'": ["e", "d"],
            "attributes.end_time > 0": ["a"],
            "metrics.loss != 0.5": ["e", "c", "b"],
            "attributes.start_time >= 1003": ["e", "d"],
        }
        for filter_string, expected in cases.items():
            with self.subTest(filter=filter_string):
                self.assertEqual(self.names(filter_string), expected)

    def test_filter_parse_errors(self):
        cases = {
            "tags.a = 'x' OR tags.b = 'y'": "OR",
            "params.lr = 0.01": "Expected a quoted string value",
            "metrics.loss < 'low'": "Expected numeric value type for metric",
            "metrics.loss LIKE 1": "Invalid comparator 'LIKE'",
            "tags.a > 'x'": "Invalid comparator '>'",
            "foo.bar = 'x'": "Invalid entity type 'foo'",
            "attributes.bogus = 'x'": "Invalid attribute key 'bogus'",
            "tags.my-key = 'x'": "unexpected character '-'",
            "tags.a =": "expected a value",
            "tags.a 'x'": "Expected comparison",
            "params.lr IN ('a')": "Only the 'run_id' attribute",
            "params.lr = unquoted": "not quoted",
            "metrics.loss < 1 AND": "expected a comparison after AND",
        }
        for filter_string, fragment in cases.items():
            with self.subTest(filter=filter_string):
                self.assertError(self.search(filter_string), 400, "INVALID_PARAMETER_VALUE",
                                 fragment)

    def test_bad_order_by_page_token_and_max_results(self):
        self.assertError(self.search("", ["metrics.loss SIDEWAYS"]), 400,
                         "INVALID_PARAMETER_VALUE", "Invalid ordering key")
        self.assertError(self.search("", ["nope.loss"]), 400, "INVALID_PARAMETER_VALUE",
                         "Invalid entity type")
        self.assertError(self.search(page_token="!!!notatoken"), 400, "INVALID_PARAMETER_VALUE",
                         "Invalid page token")
        self.assertError(self.search(max_results=50001), 400, "INVALID_PARAMETER_VALUE",
                         "max_results")
        self.assertEqual(len(self.names(max_results=50000)), 6)

    def test_experiment_search(self):
        f = self.fake
        body = f.ok("POST", "experiments/search", {"filter": "name LIKE 'search%'",
                                                   "order_by": ["name DESC"]})
        self.assertEqual([e["name"] for e in body["experiments"]], ["search-other", "search"])
        body = f.ok("GET", "experiments/search", query="?filter=name%20%3D%20%27search%27")
        self.assertEqual([e["name"] for e in body["experiments"]], ["search"])


class AdminAndLogTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fake-mlflow-")
        cls.log = os.path.join(cls.tmp, "requests.jsonl")
        cls.ARGS = ("--request-log", cls.log)
        cls.fake = Fake(*cls.ARGS, tmp=cls.tmp).start()

    def test_state_and_request_log(self):
        f = self.fake
        rid = f.run(f.experiment("logged"))["info"]["run_id"]
        f.batch(rid, metrics=[metric("loss", 0.5, step=1), metric("loss", 0.4, step=2)])
        state = f.admin("GET", "state")
        run = next(r for r in state["runs"] if r["info"]["run_id"] == rid)
        self.assertEqual([m["value"] for m in run["metric_history"]["loss"]], [0.5, 0.4])
        self.assertIn("logged", [e["name"] for e in state["experiments"]])
        self.assertEqual(state["faults"], {"mode": "ok"})
        with open(self.log) as fh:
            records = [json.loads(line) for line in fh]
        batch = [r for r in records if r["path"].endswith("/runs/log-batch")][-1]
        self.assertEqual((batch["method"], batch["status"]), ("POST", 200))
        self.assertEqual(batch["body"]["run_id"], rid)
        self.assertEqual(f.admin("GET", "requests")["requests"][-1]["path"],
                         "/api/2.0/mlflow/runs/log-batch")
        self.assertFalse(any(r["path"].startswith("/fake-admin") for r in records))


class FaultTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fake-mlflow-")
        cls.admin_port_file = os.path.join(cls.tmp, "admin-port")
        cls.fake = Fake("--admin-port-file", cls.admin_port_file, tmp=cls.tmp).start()
        with open(cls.admin_port_file) as fh:
            cls.admin_port = int(fh.read())

    def tearDown(self):
        self.via_admin_port("POST", "faults", {"mode": "ok"})

    def down(self):
        try:
            self.fake.call("GET", "/health", timeout=2)
            return False
        except CONNECTION_ERRORS:
            return True

    def via_admin_port(self, method, path, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}/fake-admin/{path}",
                                     data=json.dumps(body).encode() if body else None,
                                     method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def test_error_modes_with_count(self):
        f = self.fake
        for mode, status, code in (("500", 500, "INTERNAL_ERROR"),
                                   ("503", 503, "TEMPORARILY_UNAVAILABLE"),
                                   ("429", 429, "REQUEST_LIMIT_EXCEEDED")):
            f.admin("POST", "faults", {"mode": mode, "count": 2})
            for _ in range(2):
                self.assertError(f.post("experiments/create", {"name": f"never-{mode}"}),
                                 status, code)
            self.assertEqual(f.post("experiments/create", {"name": f"then-{mode}"})[0], 200)
            self.assertError(f.get("experiments/get-by-name", f"?experiment_name=never-{mode}"),
                             404, "RESOURCE_DOES_NOT_EXIST")

    def test_fault_scoped_to_paths(self):
        f = self.fake
        f.admin("POST", "faults", {"mode": "503", "paths": ["/runs/log-batch"]})
        rid = f.run("0")["info"]["run_id"]
        self.assertEqual(f.batch(rid, metrics=[metric("m", 1)])[0], 503)
        f.admin("POST", "faults", {"mode": "ok"})
        self.assertEqual(f.batch(rid, metrics=[metric("m", 1)])[0], 200)

    def test_stall(self):
        f = self.fake
        f.admin("POST", "faults", {"mode": "stall", "stall_seconds": 1, "count": 1})
        started = time.monotonic()
        self.assertEqual(f.call("GET", "/health")[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        started = time.monotonic()
        f.call("GET", "/health")
        self.assertLess(time.monotonic() - started, 0.5)

    def test_reset_and_reset_after(self):
        f = self.fake
        f.admin("POST", "faults", {"mode": "reset", "count": 1})
        with self.assertRaises(CONNECTION_ERRORS):
            f.post("experiments/create", {"name": "reset-lost"})
        self.assertEqual(f.get("experiments/get-by-name", "?experiment_name=reset-lost")[0], 404)
        f.admin("POST", "faults", {"mode": "reset-after", "count": 1})
        with self.assertRaises(CONNECTION_ERRORS):
            f.post("experiments/create", {"name": "reset-after-done"})
        self.assertEqual(f.get("experiments/get-by-name",
                               "?experiment_name=reset-after-done")[0], 200)

    def test_down_for_a_while_then_back_on_same_port(self):
        f = self.fake
        eid = f.experiment("survives-down")
        self.assertEqual(f.admin("POST", "faults", {"mode": "down", "down_seconds": 1})["mode"],
                         "down")
        with self.assertRaises(urllib.error.URLError) as caught:
            f.call("GET", "/health", timeout=2)
        self.assertIsInstance(caught.exception.reason, ConnectionRefusedError)
        deadline = time.monotonic() + 5
        while self.down():
            self.assertLess(time.monotonic(), deadline, "server did not come back")
            time.sleep(0.05)
        self.assertEqual(f.get("experiments/get", f"?experiment_id={eid}")[0], 200)
        self.assertEqual(f.admin("GET", "faults"), {"mode": "ok"})

    def test_down_until_told_via_admin_port(self):
        f = self.fake
        self.via_admin_port("POST", "faults", {"mode": "down"})
        self.assertTrue(self.down())
        self.assertEqual(self.via_admin_port("GET", "faults")["mode"], "down")
        self.assertIn("runs", self.via_admin_port("GET", "state"))
        self.via_admin_port("POST", "faults", {"mode": "ok"})
        self.assertFalse(self.down())
        self.assertEqual(f.call("GET", "/health")[0], 200)

    def test_down_needs_a_way_back(self):
        f = Fake().start()
        try:
            status, _, body = f.call("POST", "/fake-admin/faults", {"mode": "down"})
            self.assertEqual(status, 400)
            self.assertIn("down_seconds", body["message"])
        finally:
            f.stop()
            shutil.rmtree(f.tmp, ignore_errors=True)


class AuthTest(unittest.TestCase):
    def start(self, *args):
        tmp = tempfile.mkdtemp(prefix="fake-mlflow-")
        log = os.path.join(tmp, "requests.jsonl")
        fake = Fake("--request-log", log, *args, tmp=tmp).start()
        self.addCleanup(shutil.rmtree, tmp, True)
        self.addCleanup(fake.stop)
        return fake, log

    def test_basic_auth(self):
        fake, log = self.start("--username", "sweeper", "--password", "s3cret-pw")
        status, headers, body = fake.call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
        self.assertEqual(status, 401)
        self.assertEqual(headers["WWW-Authenticate"], 'Basic realm="mlflow"')
        self.assertIn("You are not authenticated", body)
        wrong = "Basic " + base64.b64encode(b"sweeper:nope").decode()
        self.assertEqual(fake.call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0",
                                   headers={"Authorization": wrong})[0], 401)
        right = "Basic " + base64.b64encode(b"sweeper:s3cret-pw").decode()
        status, _, body = fake.call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0",
                                    headers={"Authorization": right})
        self.assertEqual((status, body["experiment"]["name"]), (200, "Default"))
        self.assertEqual(fake.call("POST", "/api/2.0/mlflow/experiments/create",
                                   {"name": "mentions s3cret-pw"},
                                   headers={"Authorization": right})[0], 200)
        self.assertEqual(fake.call("GET", "/health")[0], 200)        # unprotected, like MLflow
        with open(log) as fh:
            text = fh.read()
        self.assertNotIn("s3cret-pw", text)
        self.assertNotIn(right.split()[1], text)
        self.assertIn('"auth":"basic"', text)

    def test_bearer_token(self):
        fake, log = self.start("--token", "tok-123456")
        path = "/api/2.0/mlflow/experiments/get?experiment_id=0"
        status, _, body = fake.call("GET", path)
        self.assertEqual((status, body["error_code"]), (401, "UNAUTHENTICATED"))
        status, _, body = fake.call("GET", path, headers={"Authorization": "Bearer wrong"})
        self.assertEqual((status, body["error_code"]), (403, "PERMISSION_DENIED"))
        self.assertEqual(fake.call("GET", path, headers={"Authorization": "Bearer tok-123456"})[0],
                         200)
        with open(log) as fh:
            self.assertNotIn("tok-123456", fh.read())


class DelayAndHandlersTest(ServerTestCase):
    ARGS = ("--delay-ms", "100", "--handlers", "2")

    def test_each_request_takes_the_delay_and_at_most_two_run_at_once(self):
        import concurrent.futures
        started = time.monotonic()
        self.assertEqual(self.fake.get("experiments/get", "?experiment_id=0")[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.1)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(
                lambda _: self.fake.get("experiments/get", "?experiment_id=0")[0], range(4)))
        self.assertEqual(statuses, [200] * 4)
        # Four requests through two handlers of 100 ms each: two rounds.
        self.assertGreaterEqual(time.monotonic() - started, 0.2)


class PersistenceTest(ErrorAssertions, unittest.TestCase):
    def test_state_survives_restart(self):
        tmp = tempfile.mkdtemp(prefix="fake-mlflow-")
        self.addCleanup(shutil.rmtree, tmp, True)
        state = os.path.join(tmp, "state.json")
        fake = Fake("--state-file", state, "--keep-infinity", tmp=tmp).start()
        eid = fake.experiment("persisted")
        rid = fake.run(eid, run_name="kept")["info"]["run_id"]
        fake.batch(rid, metrics=[metric("loss", "NaN", step=1), metric("acc", "Infinity")],
                   params=[{"key": "lr", "value": "0.01"}])
        fake.ok("POST", "runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 2000})
        before = fake.get_run(rid)
        self.assertEqual(as_dict(before["data"]["metrics"]), {"loss": "NaN", "acc": "Infinity"})
        self.assertEqual(fake.stop(), 0)

        fake.start()
        self.addCleanup(fake.stop)
        self.assertEqual(fake.get_run(rid), before)
        self.assertEqual(fake.ok("GET", "experiments/get-by-name",
                                 query="?experiment_name=persisted")["experiment"]["experiment_id"],
                         eid)
        self.assertEqual(fake.experiment("after-restart"), str(int(eid) + 1))
        self.assertError(fake.batch(rid, params=[{"key": "lr", "value": "0.02"}]), 400,
                         "INVALID_PARAMETER_VALUE", "Changing param values")


if __name__ == "__main__":
    unittest.main()
