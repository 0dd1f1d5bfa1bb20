"""run.save / run.restore / run.log_code through the agent's SDK, against a real server."""

import os
import subprocess
import sys
import textwrap

import cohort


def test_save_and_restore(server, env, project, tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "epoch1.txt").write_text("weights 1")
    with cohort.init(project=project) as run:
        saved = run.save(str(tmp_path / "ckpt" / "*.txt"), base_path=str(tmp_path), policy="now")
        assert [os.path.basename(p) for p in saved] == ["epoch1.txt"]
    files = server.get("/api/v1/runs/local/{}/{}/files".format(project, run.id))["files"]
    assert "ckpt/epoch1.txt" in [f["path"] for f in files]
    with cohort.init(project=project) as other:
        f = other.restore("ckpt/epoch1.txt", run_path="{}/{}".format(project, run.id), root=str(tmp_path / "restored"))
        with f:
            assert f.read() == "weights 1"
        assert other.restore("nothing/here.txt", run_path="{}/{}".format(project, run.id), root=str(tmp_path / "restored")) is None


def test_log_code_names_the_python_script_and_applies_include_fn(server, env, project, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "helpers.py").write_text("X = 1\n")
    (src / "notes.txt").write_text("not code\n")
    (src / "train_x.py").write_text(
        textwrap.dedent(
            """
            import sys, cohort
            with cohort.init(project=sys.argv[1]) as run:
                every = run.log_code(".")
                only = run.log_code(".", name="only-helpers", include_fn=lambda path, root: path.endswith("helpers.py"))
                print(every.name, sorted(e["path"] for e in every.files()), only.name, [e["path"] for e in only.files()])
            """
        )
    )
    out = subprocess.run([sys.executable, "train_x.py", project], cwd=str(src), env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split("\n")[0] == "source-{}-train_x.py ['helpers.py', 'train_x.py'] only-helpers ['helpers.py']".format(project)


def test_offline_save_and_artifacts_upload_with_cohort_sync(server, env, project, tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "last.pt").write_text("first")
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    with cohort.init(project=project, mode="offline") as run:
        # The glob is expanded now: a file created later is not saved.
        saved = run.save(str(tmp_path / "ckpt" / "*.pt"), base_path=str(tmp_path), policy="live")
        assert [os.path.basename(p) for p in saved] == ["last.pt"]
        (tmp_path / "ckpt" / "later.pt").write_text("not saved")
        (tmp_path / "ckpt" / "last.pt").write_text("last")
        run.log_artifact(str(tmp_path / "data.csv"), name="table", type="dataset")
        run.log({"x": 1})
    assert run.name and run.name != run.id
    out = subprocess.run(env["COHORT_AGENT"].split() + ["sync", str(tmp_path / "runs")], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    files = server.get("/api/v1/runs/local/{}/{}/files".format(project, run.id))["files"]
    assert [f["path"] for f in files] == ["ckpt/last.pt"]
    assert server.run(project, run.id)["name"] == run.name
    info = server.get("/api/v1/artifacts/local/{}/table/v0".format(project))
    assert info["loggedBy"]["runId"] == run.id


def test_disabled_save_and_artifacts_do_nothing(server, env, project, tmp_path):
    (tmp_path / "a.txt").write_text("a")
    with cohort.init(project=project, mode="disabled") as run:
        assert run.save(str(tmp_path / "*.txt"), base_path=str(tmp_path.parent)) == []
        run.log_artifact(str(tmp_path / "a.txt"), name="nothing", type="dataset")
        run.log_model(str(tmp_path / "a.txt"), name="m")
        assert run.log_code(str(tmp_path)) is None
