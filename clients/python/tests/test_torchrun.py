"""A real distributed job: PyTorch's torchrun (Debian's python3-torch), DDP on gloo, every rank logging through the client.

Marked ``torchrun`` (``-m "not torchrun"`` leaves them out). The kill -9 job starts before the
session's first test (conftest's ``killed_rank``), so its wait for the heartbeat watcher overlaps the rest.
"""

import io
import signal

import pytest
from conftest import HEARTBEAT_SWEEP_INTERVAL_MS, HEARTBEAT_TIMEOUT_SECONDS
from torchrun_job import Job

pytestmark = pytest.mark.torchrun


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
    import torch

    state = torch.load(io.BytesIO(blob))
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]


def test_sigterm_of_the_job_preempts_every_rank_and_commits_every_logged_row(server, env, project):
    job = Job(env, PROJECT=project, STEPS=100000, STEP_SLEEP=0.05, PRINT_STEPS=1)
    job.until_every_rank_logged(4, 10, 180)
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


def test_kill_9_of_one_rank_marks_it_crashed_within_the_heartbeat_timeout(server, killed_rank):
    killed_rank.wait()
    job, project, run_id = killed_rank.job, killed_rank.project, killed_rank.run_id
    job.wait(120)
    bound = HEARTBEAT_TIMEOUT_SECONDS + HEARTBEAT_SWEEP_INTERVAL_MS / 1000  # the watcher's: timeout plus one sweep
    view = server.wait_for(lambda: (lambda v: v if v["state"] == "crashed" else None)(server.run(project, run_id)), bound + 45, "rank 2 to be marked crashed")
    assert view["endTime"] - killed_rank.killed_at < bound + 5
    # What rank 2 logged up to one flush interval before the kill is committed.
    assert len(server.history(project, run_id)) >= killed_rank.logged
    states = {m["rank"]: m["state"] for m in _group(server, project)["members"]}
    assert states[2] == "crashed" and all(s != "running" for s in states.values()), states
