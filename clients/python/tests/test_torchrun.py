"""A real distributed job: PyTorch's torchrun (Debian's python3-torch), DDP on gloo, every rank logging through the client.

Marked ``torchrun``: test/semantics/python-client.test.ts runs these apart from the rest.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

TRAIN = os.path.join(os.path.dirname(__file__), "..", "examples", "train_ddp.py")
RUN_LINE = re.compile(r"cohort run (\S+) group (\S+) rank (\d+) pid (\d+)")
STEP_LINE = re.compile(r"rank (\d+) logged step (\d+)")

pytestmark = pytest.mark.torchrun


class Job:
    """One `torchrun --nproc_per_node N` job of examples/train_ddp.py; collects its workers' lines."""

    def __init__(self, env, nproc=4, **extra):
        pytest.importorskip("torch.distributed.run")
        env = dict(env, **{k: str(v) for k, v in extra.items()})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "-r", "1", "-t", "1", "--monitor_interval", "0.2",
             "--nproc_per_node", str(nproc), "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), TRAIN],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.runs = {}  # rank -> (run id, group, pid)
        self.logged = {}  # rank -> last step printed after its log call
        self.output = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)
            m = RUN_LINE.search(line)
            if m:
                self.runs[int(m.group(3))] = (m.group(1), m.group(2), int(m.group(4)))
            m = STEP_LINE.search(line)
            if m:
                self.logged[int(m.group(1))] = int(m.group(2))

    def wait(self, timeout):
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def text(self):
        """The job's last lines, without the per-step ones."""
        return "".join([line for line in self.output if not STEP_LINE.search(line)][-120:])

    def until(self, check, timeout, what):
        deadline = time.time() + timeout
        while not check():
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("{} did not happen (exit {}):\n{}".format(what, self.proc.poll(), self.text()))
            time.sleep(0.1)


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group(server, project):
    groups = server.get("/api/v1/groups/local/{}".format(project))["groups"]
    assert len(groups) == 1, groups
    return groups[0]


def test_ddp_job_is_one_group_of_4_with_aggregates_and_the_loss_goes_down(server, env, project):
    job = Job(env, PROJECT=project, STEPS=40)
    assert job.wait(240) == 0, job.text()
    group = _group(server, project)
    assert group["worldSize"] == 4 and group["state"] == "finished"
    assert sorted(m["rank"] for m in group["members"]) == [0, 1, 2, 3]
    assert {m["runId"] for m in group["members"]} == {job.runs[r][0] for r in range(4)}
    rows = server.get("/api/v1/groups/local/{}/{}/history".format(project, group["group"]))["rows"]
    assert [r["_step"] for r in rows] == list(range(40))
    for row in rows:
        assert row["loss"]["count"] == 4 and row["loss"]["min"] <= row["loss"]["mean"] <= row["loss"]["max"]
    first = sum(r["loss"]["mean"] for r in rows[:5]) / 5
    last = sum(r["loss"]["mean"] for r in rows[-5:]) / 5
    assert last < first * 0.8, (first, last)
    assert rows[-1]["accuracy"]["mean"] > 0.7
    # Every rank's gradients, every 10 steps (run.watch).
    for rank in range(4):
        history = server.history(project, job.runs[rank][0])
        assert [r["_step"] for r in history if "gradients/0.weight" in r] == [9, 19, 29, 39]
        assert history[9]["gradients/2.bias"]["_type"] == "histogram"
    # Rank 0's model, downloadable, loads into the model.
    model = server.get("/api/v1/artifacts/local/{}/ddp-classifier/final".format(project))
    assert model["type"] == "model" and model["loggedBy"]["runId"] == job.runs[0][0]
    (entry,) = model["files"]
    blob = server.get_bytes("/api/v1/blobs/" + entry["digest"])
    assert len(blob) == entry["size"]
    import io

    import torch

    state = torch.load(io.BytesIO(blob))
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]


def test_sigterm_of_the_job_preempts_every_rank_and_commits_every_logged_row(server, env, project):
    job = Job(env, PROJECT=project, STEPS=100000, STEP_SLEEP=0.05, PRINT_STEPS=1)
    job.until(lambda: len(job.logged) == 4 and min(job.logged.values()) >= 10, 180, "every rank logging 10 steps")
    job.proc.send_signal(signal.SIGTERM)
    job.wait(90)
    logged = dict(job.logged)
    group = _group(server, project)
    states = {m["rank"]: m["state"] for m in group["members"]}
    assert states == {0: "preempted", 1: "preempted", 2: "preempted", 3: "preempted"}, job.text()
    for rank, (run_id, _group_name, _pid) in job.runs.items():
        rows = server.history(project, run_id)
        assert len(rows) >= logged[rank] + 1, (rank, len(rows), logged[rank])
        assert server.run(project, run_id)["exitCode"] == 143


def test_kill_9_of_one_rank_marks_it_crashed_within_60_s(server, env, project):
    job = Job(env, PROJECT=project, STEPS=100000, STEP_SLEEP=0.05, PRINT_STEPS=1)
    job.until(lambda: len(job.logged) == 4 and min(job.logged.values()) >= 10, 180, "every rank logging 10 steps")
    run_id, _group_name, pid = job.runs[2]
    logged_before = job.logged[2]
    killed_at = time.time()
    os.kill(pid, signal.SIGKILL)
    job.wait(120)
    view = server.wait_for(lambda: (lambda v: v if v["state"] == "crashed" else None)(server.run(project, run_id)), 75, "rank 2 to be marked crashed")
    assert view["endTime"] - killed_at < 60 + 5  # the watcher's bound, with the sweep interval
    # What rank 2 logged up to one flush interval before the kill is committed.
    assert len(server.history(project, run_id)) >= logged_before
    states = {m["rank"]: m["state"] for m in _group(server, project)["members"]}
    assert states[2] == "crashed" and all(s != "running" for s in states.values()), states
