"""cohort.Api() against a real server's HTTP API."""

import math

import pytest

import cohort


def test_runs_run_history_and_scan_history(server, env, project):
    with cohort.init(project=project, group="g1", config={"lr": 0.1}) as run:
        for i in range(30):
            run.log({"loss": 1 / (i + 1), "acc": i / 30, "bad": math.nan if i == 5 else 0.0})
    with cohort.init(project=project) as other:
        other.log({"loss": 1.0})
        other_id = other.id
    api = cohort.Api(base_url=server.http)
    runs = api.runs(project)
    assert {r.id for r in runs} == {run.id, other_id}
    assert [r.id for r in api.runs("local/" + project, filters={"group": "g1"})] == [run.id]
    r = api.run("{}/{}".format(project, run.id))
    assert r.state == "finished" and r.config == {"lr": 0.1} and r.summary["loss"] == pytest.approx(1 / 30) and r.group == "g1"
    rows = r.history(pandas=False)
    assert len(rows) == 30 and math.isnan(rows[5]["bad"])
    assert [row["_step"] for row in r.history(keys=["acc"], min_step=10, max_step=12, pandas=False)] == [10, 11, 12]
    scanned = list(r.scan_history(keys=["loss"], page_size=7))
    assert [row["_step"] for row in scanned] == list(range(30)) and set(scanned[3]) == {"_step", "loss"}
    with pytest.raises(cohort.Error, match="does not exist") as missing:
        api.run("{}/nosuchrun".format(project))
    assert missing.value.code == "NOT_FOUND"
    with pytest.raises(ValueError):
        api.run("just-one-part")


def test_group_and_artifact(server, env, project, tmp_path, monkeypatch):
    ids = []
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        with cohort.init(project=project, group="ddp") as run:
            for step in range(5):
                run.log({"loss": step + rank})
            if rank == 0:
                (tmp_path / "w.bin").write_bytes(b"abc")
                run.log_model(str(tmp_path / "w.bin"), name="net")
        ids.append(run.id)
    api = cohort.Api(base_url=server.http)
    group = api.group("{}/ddp".format(project))
    assert sorted(m["rank"] for m in group.members()) == [0, 1]
    rows = group.history(keys=["loss"])
    assert rows[2]["loss"] == {"mean": 2.5, "min": 2, "max": 3, "count": 2}
    art = api.artifact("{}/net:latest".format(project), type="model")
    assert art.version == "v0" and art.logged_by().id == ids[0]
    root = art.download(str(tmp_path / "dl"))
    assert open(tmp_path / "dl" / "w.bin", "rb").read() == b"abc" and root == str(tmp_path / "dl")
