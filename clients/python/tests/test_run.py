"""The Python client against a real `cohort server`, through the real agent (the built CLI)."""

import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import cohort


def test_init_log_finish_reads_back(server, env, project):
    run = cohort.init(project=project, config={"lr": 0.1, "layers": [64, 32]}, tags=("a", "b"), notes="hello", job_type="train")
    assert cohort.run is run
    assert run.project == project and run.entity == "local" and run.job_type == "train"
    assert run.tags == ("a", "b") and run.notes == "hello"
    assert run.get_url() == "{}/local/{}/runs/{}".format(server.http, project, run.id)
    assert run.path == "local/{}/{}".format(project, run.id)
    assert os.path.isdir(run.dir)
    assert run.step == 0
    for i in range(50):
        run.log({"train/loss": 1 / (i + 1), "acc": i / 50})
    run.log({"val": {"loss": 0.5}}, commit=False)
    run.log({"val": {"acc": 0.7}})
    assert run.step == 51
    assert run.summary["train/loss"] == pytest.approx(1 / 50)
    assert run.summary["val"]["acc"] == 0.7
    run.finish()
    assert cohort.run is None
    view = server.run(project, run.id)
    assert view["state"] == "finished" and view["exitCode"] == 0
    assert view["config"] == {"lr": 0.1, "layers": [64, 32]}
    assert view["tags"] == ["a", "b"]
    rows = server.history(project, run.id)
    assert len(rows) == 51
    assert [r["_step"] for r in rows] == list(range(51))
    assert rows[10]["train/loss"] == pytest.approx(1 / 11)
    assert rows[50]["val"] == {"loss": 0.5, "acc": 0.7}


def test_a_bad_run_id_or_project_is_a_usage_error_and_a_run_gets_a_readable_name(server, env, project):
    with pytest.raises(cohort.UsageError, match="`id`"):
        cohort.init(project=project, id="a/b")
    with pytest.raises(cohort.UsageError, match="`project`"):
        cohort.init(project="a#b")
    with cohort.init(project=project) as run:
        assert run.name != run.id
    assert server.run(project, run.id)["name"] == run.name


def test_with_block_finishes_failed_and_reraises(server, env, project):
    with pytest.raises(RuntimeError, match="boom"):
        with cohort.init(project=project) as run:
            run.log({"x": 1})
            raise RuntimeError("boom")
    view = server.run(project, run.id)
    assert view["state"] == "failed" and view["exitCode"] == 1
    detail = server.get("/api/v1/runs/local/{}/{}/events".format(project, run.id))["events"][-1]["detail"]
    assert detail.startswith("exit code 1: Traceback") and "RuntimeError: boom" in detail, detail
    assert len(server.history(project, run.id)) == 1


def test_log_refuses_at_once_what_wandb_refuses(server, env, project):
    run = cohort.init(project=project)
    with pytest.raises(TypeError, match="dict"):
        run.log([1, 2])
    with pytest.raises(TypeError, match="keys"):
        run.log({1: 2})
    with pytest.raises(TypeError, match="commit"):
        run.log({"a": 1}, commit="yes")
    with pytest.raises(TypeError, match="step"):
        run.log({"a": 1}, step=1.5)
    with pytest.raises(TypeError, match="Cannot log `obj`"):
        run.log({"obj": object()})
    run.finish()
    with pytest.raises(cohort.UsageError, match="finished"):
        run.log({"a": 1})
    with pytest.raises(cohort.UsageError):
        cohort.log({"a": 1})


def test_an_agent_side_error_surfaces_on_the_next_call(server, env, project):
    run = cohort.init(project=project)
    run.log({"a": 1}, step=-1)  # the SDK's rule: a non-negative integer
    with pytest.raises(ValueError, match="non-negative integer"):
        run.step
    assert run.step == 0  # reported once
    run.finish()


def test_config_rules_come_from_the_sdk(server, env, project):
    run = cohort.init(project=project, config={"lr": 0.1})
    assert run.config.lr == 0.1 and run.config["lr"] == 0.1
    run.config.batch = 32
    run.config.update({"lr": 0.1})  # the same value again is fine
    with pytest.raises(cohort.ConfigError, match="lr"):
        run.config.update({"lr": 0.2})
    run.config.update({"lr": 0.2}, allow_val_change=True)
    run.config.setdefaults({"lr": 0.5, "epochs": 3})
    assert dict(run.config.items()) == {"lr": 0.2, "batch": 32, "epochs": 3}
    with pytest.raises(AttributeError):
        run.config.missing
    run.finish()
    assert server.run(project, run.id)["config"] == {"lr": 0.2, "batch": 32, "epochs": 3}


def test_define_metric_and_summary(server, env, project):
    run = cohort.init(project=project)
    epoch = run.define_metric("epoch")
    m = run.define_metric("val/loss", step_metric=epoch, summary="min", goal="minimize")
    assert isinstance(m, cohort.Metric) and m.name == "val/loss" and m.step_metric == "epoch"
    with pytest.raises(ValueError):
        run.define_metric("x", summary="median")
    for e, loss in enumerate([0.9, 0.3, 0.5]):
        run.log({"epoch": e, "val/loss": loss})
    assert run.summary["val/loss"]["min"] == 0.3
    run.summary["best_epoch"] = 1
    run.summary.update({"note": "ok"})
    del run.summary["note"]
    assert "note" not in run.summary and run.summary["best_epoch"] == 1
    run.finish()
    summary = server.run(project, run.id)["summary"]
    assert summary["val/loss"] == {"min": 0.3} and summary["best_epoch"] == 1 and "note" not in summary


def test_numpy_torch_and_non_finite_values(server, env, project):
    np = pytest.importorskip("numpy")
    torch = pytest.importorskip("torch")
    run = cohort.init(project=project)
    run.log({"np": np.float32(0.5), "i": np.int64(3), "arr": np.arange(3), "t": torch.tensor(2.5), "tv": torch.ones(2), "nan": math.nan, "inf": -math.inf})
    run.finish()
    (row,) = server.history(project, run.id)
    assert row["np"] == 0.5 and row["i"] == 3 and row["arr"] == [0, 1, 2] and row["t"] == 2.5 and row["tv"] == [1.0, 1.0]
    summary = server.run(project, run.id)["summary"]
    assert summary["i"] == 3


def test_status_attributes_alert_and_preempting(server, env, project):
    run = cohort.init(project=project, name="first")
    run.name = "renamed"
    run.log({"a": 1})
    run.flush()
    status = run.status()
    assert status.sync_items_pending == 0 and status.sync_items_total >= 1 and status.sync_time is not None
    run.alert("loss is nan", "at step 1", level="WARN")
    with pytest.raises(ValueError):
        run.alert("x", "y", level="LOUD")
    run.mark_preempting()
    run.finish(0)
    view = server.run(project, run.id)
    assert view["name"] == "renamed" and view["state"] == "finished"
    alerts = server.get("/api/v1/runs/local/{}/{}/alerts".format(project, run.id))["alerts"]
    assert [a["title"] for a in alerts] == ["loss is nan"]


def test_reinit_finishes_the_previous_run(server, env, project):
    first = cohort.init(project=project)
    second = cohort.init(project=project)
    assert cohort.run is second and first.state == "finished"
    second.finish()
    assert server.run(project, first.id)["state"] == "finished"


def test_no_agent_says_how_to_get_one(monkeypatch):
    from cohort import _agent

    with pytest.raises(cohort.AgentError, match="COHORT_AGENT"):
        _agent.agent_command({"PATH": "/nonexistent"})


def _script(body):
    return textwrap.dedent(
        """
        import sys, time, cohort
        run = cohort.init(project=sys.argv[1])
        print(run.id, flush=True)
        """
    ) + textwrap.dedent(body)


def test_kill_9_of_the_training_process_loses_no_accepted_row(server, env, project):
    code = _script(
        """
        for i in range(200):
            run.log({"loss": 1 / (i + 1)})
        time.sleep(0.5)  # several flush intervals
        print("logged", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code, project], env=env, stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "logged"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    server.wait_for(lambda: len(server.history(project, run_id)) == 200, 20, "the 200 rows to be committed")
    assert server.run(project, run_id)["state"] == "running"  # until the heartbeat watcher marks it crashed


def test_sigterm_preempts_and_commits_every_row(server, env, project):
    code = _script(
        """
        for i in range(300):
            run.log({"loss": 1 / (i + 1)})
        print("logged", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code, project], env=env, stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "logged"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    view = server.run(project, run_id)
    assert view["state"] == "preempted" and view["exitCode"] == 143
    assert len(server.history(project, run_id)) == 300


def test_uncaught_exception_fails_the_run(server, env, project):
    code = _script(
        """
        run.log({"a": 1})
        raise SystemError("crash in training")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code, project], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 1 and "crash in training" in proc.stderr
    view = server.run(project, proc.stdout.split()[0])
    assert view["state"] == "failed" and view["exitCode"] == 1
    detail = server.get("/api/v1/runs/local/{}/{}/events".format(project, view["id"]))["events"][-1]["detail"]
    assert "SystemError: crash in training" in detail and "Traceback" in detail, detail


def test_a_killed_agent_is_replaced_by_one_that_resumes_the_run(server, env, project, capfd):
    run = cohort.init(project=project)
    for i in range(30):
        run.log({"loss": 1 / (i + 1)})
    run.flush()
    first_agent = run._channel.pid
    os.kill(first_agent, signal.SIGKILL)
    time.sleep(0.5)  # the client notices within its flush interval
    for i in range(30, 60):
        run.log({"loss": 1 / (i + 1)})  # not raised into the training loop
    assert run._channel.pid != first_agent
    assert run.step == 60
    run.finish()
    err = capfd.readouterr().err
    assert err.count("is gone") == 1 and "resumed by a new agent at step 30; 0 calls were lost" in err, err
    view = server.run(project, run.id)
    assert view["state"] == "finished" and view["resumed"] is True
    rows = server.history(project, run.id)
    assert [r["_step"] for r in rows] == list(range(60))


def test_calls_in_flight_when_the_agent_dies_are_counted(server, env, project, capfd):
    run = cohort.init(project=project)
    run.log({"a": 0})
    run.flush()
    os.kill(run._channel.pid, signal.SIGKILL)
    run._channel._proc.wait()
    for i in range(1, 6):
        run._channel.log({"a": i}, None, None)  # queued for the dead agent, as a log() racing the death would be
    run._channel.flush_rows()
    assert run.step == 1
    run.finish()
    assert "resumed by a new agent at step 1; 5 calls were lost" in capfd.readouterr().err
    assert [r["a"] for r in server.history(project, run.id)] == [0]


def test_offline_writes_a_wal_that_cohort_sync_uploads(server, env, project, monkeypatch):
    monkeypatch.setenv("COHORT_MODE", "offline")
    run = cohort.init(project=project, config={"lr": 0.1})
    assert run.get_url() is None and run.mode == "offline"
    for i in range(20):
        run.log({"loss": 1 / (i + 1)})
    run.finish()
    from conftest import CLI, NODE

    out = subprocess.run([NODE, CLI, "sync", run.dir, "--url", server.http], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    view = server.wait_for(lambda: server.run(project, run.id), 10, "the synced run")
    assert view["state"] == "finished" and view["config"] == {"lr": 0.1}
    assert len(server.history(project, run.id)) == 20


def test_a_forked_child_neither_logs_nor_finishes_the_run(server, env, project):
    run = cohort.init(project=project)
    run.log({"a": 1})
    pid = os.fork()
    if pid == 0:  # the child: as a DataLoader worker would
        code = 0
        try:
            run.log({"a": 99})  # dropped
            try:
                run.step
                code = 3
            except cohort.UsageError:
                pass
        except BaseException:  # noqa: BLE001
            code = 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    run.log({"a": 2})
    assert run.step == 2
    run.finish()
    assert [r["a"] for r in server.history(project, run.id)] == [1, 2]


def test_common_wandb_init_arguments_run_unchanged(server, env, project, capfd):
    import argparse

    args = argparse.Namespace(lr=0.1, batch=32, secret="x")
    with cohort.init(project=project, config=args, config_exclude_keys=["secret"], save_code=False, sync_tensorboard=False) as run:
        assert run.config.as_dict() == {"lr": 0.1, "batch": 32}
    assert "ignores sync_tensorboard" in capfd.readouterr().err
    with pytest.raises(TypeError, match="bogus"):
        cohort.init(project=project, bogus=1)
    with pytest.raises(cohort.UsageError, match="exclusive"):
        cohort.init(project=project, config={"a": 1}, config_include_keys=["a"], config_exclude_keys=["b"])
