"""A real `cohort server` (the monorepo's built CLI) for the client's tests, read back through its HTTP API."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CLI = os.path.join(REPO, "apps", "cli", "dist", "main.js")
CLIENT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NODE = shutil.which("node")
READY = re.compile(r"^cohort server ready grpc=(\S+) http=(\S+)")

if CLIENT not in sys.path:
    sys.path.insert(0, CLIENT)


class Server:
    """A `cohort server` process on free ports, over SQLite in a temporary folder."""

    def __init__(self, data_dir):
        if NODE is None or not os.path.isfile(CLI):
            raise RuntimeError("the client's tests need node and the built CLI ({}): run `npm run build`".format(CLI))
        self.proc = subprocess.Popen(
            [NODE, CLI, "server", "--grpc-port", "0", "--http-port", "0", "--data", data_dir],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.time() + 30
        self.http = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = READY.match(line)
            if m:
                self.grpc, self.http = m.group(1), m.group(2)
                break
        if self.http is None:
            self.proc.kill()
            raise RuntimeError("cohort server did not print its ready line within 30 s")

    def get(self, path, **query):
        url = self.http + path + ("?" + urllib.parse.urlencode(query) if query else "")
        with urllib.request.urlopen(url, timeout=30) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def get_bytes(self, path):
        with urllib.request.urlopen(self.http + path, timeout=30) as resp:
            return resp.read()

    def run(self, project, run_id, entity="local"):
        return self.get("/api/v1/runs/{}/{}/{}".format(entity, project, run_id))

    def history(self, project, run_id, entity="local"):
        return self.get("/api/v1/runs/{}/{}/{}/history".format(entity, project, run_id))["rows"]

    def wait_for(self, check, timeout, what):
        deadline = time.time() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.time() > deadline:
                raise AssertionError("timed out after {} s waiting for {}".format(timeout, what))
            time.sleep(0.2)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def server():
    data = tempfile.mkdtemp(prefix="cohort-py-server-")
    s = Server(data)
    yield s
    s.stop()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture()
def env(server, tmp_path, monkeypatch):
    """The environment a training script gets: the server's URL, the built CLI as the agent, a run folder."""
    monkeypatch.setenv("COHORT_URL", server.http)
    monkeypatch.setenv("COHORT_AGENT", "{} {}".format(NODE, CLI))
    monkeypatch.setenv("COHORT_DIR", str(tmp_path / "runs"))
    monkeypatch.delenv("COHORT_MODE", raising=False)
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "TORCHELASTIC_RUN_ID", "GROUP_RANK", "COHORT_RUN_GROUP", "COHORT_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    env = dict(os.environ)
    env["PYTHONPATH"] = CLIENT + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture()
def project(request):
    """A project name of its own per test."""
    return "py-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
