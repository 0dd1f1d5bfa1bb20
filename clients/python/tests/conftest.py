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
# The server marks a run crashed once it has not heard from it for this long, looking every 0.5 s: twice
# the SDK's default 15 s heartbeat (a live run is never crashed, even with one heartbeat late), against
# the server's default 45 s and 10 s sweep, so the kill -9 test waits ~30 s instead of up to 55.
HEARTBEAT_TIMEOUT_SECONDS = 30
HEARTBEAT_SWEEP_INTERVAL_MS = 500

if CLIENT not in sys.path:
    sys.path.insert(0, CLIENT)


class Server:
    """A `cohort server` process on free ports, over SQLite in a temporary folder."""

    def __init__(self, data_dir):
        if NODE is None or not os.path.isfile(CLI):
            raise RuntimeError("the client's tests need node and the built CLI ({}): run `npm run build`".format(CLI))
        self.proc = subprocess.Popen(
            [NODE, CLI, "server", "--grpc-port", "0", "--http-port", "0", "--data", data_dir,
             "--heartbeat-timeout-seconds", str(HEARTBEAT_TIMEOUT_SECONDS),
             "--heartbeat-sweep-interval-ms", str(HEARTBEAT_SWEEP_INTERVAL_MS)],
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


# Set by torchrun (and by a parent run) in a training process's environment; a test's own process has none.
RUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "TORCHELASTIC_RUN_ID", "GROUP_RANK", "COHORT_RUN_GROUP", "COHORT_RUN_ID")


def agent_env(server, folder):
    """The environment a training script gets: the server's URL, the built CLI as the agent, a run folder under `folder`."""
    env = {k: v for k, v in os.environ.items() if k not in RUN_ENV and k != "COHORT_MODE"}
    env["COHORT_URL"] = server.http
    env["COHORT_AGENT"] = "{} {}".format(NODE, CLI)
    env["COHORT_DIR"] = str(folder / "runs")
    env["PYTHONPATH"] = CLIENT + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture()
def env(server, tmp_path, monkeypatch):
    """`agent_env` in this process too (for `cohort.init` here), in tmp_path as the working folder."""
    env = agent_env(server, tmp_path)
    for name in ("COHORT_URL", "COHORT_AGENT", "COHORT_DIR"):
        monkeypatch.setenv(name, env[name])
    for name in RUN_ENV + ("COHORT_MODE",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return env


@pytest.fixture()
def project(request):
    """A project name of its own per test."""
    return "py-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")


@pytest.fixture(scope="session")
def killed_rank(server, tmp_path_factory):
    """A 4-rank torchrun job whose rank 2 gets kill -9 once every rank has logged 10 steps (torchrun_job.KilledRank).

    The server's heartbeat watcher marks that run crashed about HEARTBEAT_TIMEOUT_SECONDS later, so
    this starts before the first test and the test that checks it runs last
    (see OVERLAPPED): the job's start and that wait are spent on the other tests.
    """
    from torchrun_job import Job, KilledRank

    folder = tmp_path_factory.mktemp("killed-rank")
    project = "py-kill-9-of-one-rank"
    job = Job(agent_env(server, folder), cwd=str(folder), PROJECT=project, STEPS=100000, STEP_SLEEP=0.05, PRINT_STEPS=1)
    try:
        yield KilledRank(job, project, nproc=4, rank=2, steps=10)
    finally:
        job.stop()


# Session fixtures that leave a test waiting idle on the server (for its heartbeat watcher):
# started before the first test, their tests run last.
OVERLAPPED = ("killed_rank",)


def _uses(item, names=OVERLAPPED):
    return any(name in item.fixturenames for name in names)


def pytest_collection_modifyitems(items):
    items.sort(key=_uses)  # stable: the others keep their order


@pytest.fixture(scope="session", autouse=True)
def _start_overlapped(request):
    """Sets up the OVERLAPPED fixtures that the selected tests use, before the first test.

    A failure here is left to the test that uses the fixture: pytest raises a
    session fixture's error again to each test that asks for it.
    """
    for name in OVERLAPPED:
        if any(_uses(item, (name,)) for item in request.session.items):
            try:
                request.getfixturevalue(name)
            except (Exception, pytest.skip.Exception, pytest.fail.Exception):
                pass
