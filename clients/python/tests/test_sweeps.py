"""cohort.sweep and cohort.agent (W&B's wandb.sweep / wandb.agent) against a real server."""

import json
import sys
import time
import urllib.request

import pytest

import cohort

GRID = {
    "method": "grid",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {"lr": {"values": [0.1, 0.01]}, "layers": {"values": [1, 2]}},
}


def _sweep_view(server, project, sweep_id):
    return server.get("/api/v1/sweeps/local/{}/{}".format(project, sweep_id))


def test_grid_sweep_runs_each_combination_once(server, env, project):
    sweep_id = cohort.sweep(GRID, project=project)
    assert "/" not in sweep_id
    seen = []

    def train():
        run = cohort.init()
        seen.append((run.config["lr"], run.config["layers"]))
        assert run.sweep_id == sweep_id
        run.config.update({"lr": 5}, allow_val_change=True)  # locked: ignored with a warning
        run.log({"loss": run.config["lr"] * run.config["layers"]})

    cohort.agent("{}/{}".format(project, sweep_id), function=train, count=4)
    assert sorted(seen) == [(0.01, 1), (0.01, 2), (0.1, 1), (0.1, 2)]
    assert cohort.run is None
    view = _sweep_view(server, project, sweep_id)
    assert [t["state"] for t in view["trials"]] == ["finished"] * 4
    runs = {r.id: r for r in cohort.Api(base_url=server.http).runs(project)}
    assert set(runs) == {t["runId"] for t in view["trials"]}
    for t in view["trials"]:
        r = runs[t["runId"]]
        assert r.state == "finished" and r.config == t["params"]
        assert r.summary["loss"] == pytest.approx(t["params"]["lr"] * t["params"]["layers"]) == t["metric"]
    # The grid is done: a second agent finds no trial and returns at once.
    cohort.agent(sweep_id, function=train, project=project)
    assert len(seen) == 4


def test_a_failing_trial_fails_and_the_agent_goes_on(server, env, project, capfd):
    sweep_id = cohort.sweep(GRID, project=project)
    calls = []

    def train():
        run = cohort.init()
        calls.append(run.id)
        if len(calls) == 1:
            raise RuntimeError("diverged")
        run.log({"loss": 1.0})

    cohort.agent(sweep_id, function=train, project=project, count=2)
    assert len(calls) == 2 and "RuntimeError: diverged" in capfd.readouterr().err
    trials = {t["runId"]: t for t in _sweep_view(server, project, sweep_id)["trials"]}
    assert trials[calls[0]]["state"] == "failed" and trials[calls[1]]["state"] == "finished"
    assert server.run(project, calls[0])["state"] == "failed"


def _failing(calls):
    """A trial function that counts its calls in `calls` and always raises."""

    def train():
        calls.append(1)
        raise ValueError("bad")

    return train


def test_the_agent_stops_after_more_than_its_initial_failures(server, env, project, monkeypatch):
    # W&B's rule: more than WANDB_AGENT_MAX_INITIAL_FAILURES failed and none did not.
    monkeypatch.setenv("COHORT_AGENT_MAX_INITIAL_FAILURES", "1")
    monkeypatch.setenv("COHORT_AGENT_DISABLE_FLAPPING", "true")
    sweep_id = cohort.sweep(GRID, project=project)
    calls = []
    train = _failing(calls)
    cohort.agent(sweep_id, function=train, project=project)
    assert len(calls) == 2


def test_the_agent_stops_when_trials_fail_fast_unless_flapping_is_off(server, env, project, monkeypatch):
    # W&B's flapping check: 3 failures within the agent's first 60 s stop it, before the initial-failure limit (5).
    sweep_id = cohort.sweep(GRID, project=project)
    calls = []
    train = _failing(calls)
    cohort.agent(sweep_id, function=train, project=project)
    assert len(calls) == 3
    monkeypatch.setenv("COHORT_AGENT_DISABLE_FLAPPING", "true")
    cohort.agent(sweep_id, function=train, project=project)
    assert len(calls) == 4  # the grid's last point: the sweep is then done


def test_a_stopped_trial_raises_trial_stopped_in_the_function(server, env, project):
    sweep_id = cohort.sweep(GRID, project=project)
    reached = []

    def train():
        run = cohort.init()
        request = urllib.request.Request(
            "{}/api/v1/sweeps/local/{}/{}/cancel".format(server.http, project, sweep_id),
            data=b"{}", headers={"Content-Type": "application/json"}, method="POST",
        )
        urllib.request.urlopen(request, timeout=30).close()
        deadline = time.time() + 30
        while time.time() < deadline:
            run.log({"loss": 1.0})
            time.sleep(0.02)
        reached.append("deadline")

    cohort.agent(sweep_id, function=train, project=project, heartbeat_seconds=0.2)
    assert reached == []
    view = _sweep_view(server, project, sweep_id)
    assert view["state"] == "canceled" and [t["state"] for t in view["trials"]] == ["stopped"]
    assert server.run(project, view["trials"][0]["runId"])["state"] == "stopped"


def test_without_a_function_the_agent_runs_the_sweep_program(server, env, project, tmp_path, monkeypatch):
    (tmp_path / "train.py").write_text("import cohort\nwith cohort.init() as run:\n    run.log({'loss': run.config['lr']})\n")
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])
    monkeypatch.setenv("COHORT_SWEEP_INTERPRETER", sys.executable)
    sweep_id = cohort.sweep({"method": "grid", "program": "train.py", "parameters": {"lr": {"values": [0.5]}}}, project=project)
    cohort.agent(sweep_id, project=project)
    [trial] = _sweep_view(server, project, sweep_id)["trials"]
    assert trial["state"] == "finished" and server.run(project, trial["runId"])["summary"]["loss"] == 0.5


def test_a_bad_config_names_the_field(server, env, project):
    with pytest.raises(ValueError, match=r"parameters\.lr\.max") as bad:
        cohort.sweep({"method": "random", "parameters": {"lr": {"min": 1, "max": 0}}}, project=project)
    assert bad.value.code == "INVALID_ARGUMENT"
    with pytest.raises(ValueError, match="method"):
        cohort.sweep(json.dumps({"parameters": {"x": {"values": [1]}}}), project=project)
    with pytest.raises(ValueError, match="count"):
        cohort.agent("x", function=lambda: None, project=project, count=0)
