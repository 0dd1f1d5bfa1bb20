"""Artifacts and models through the agent's SDK, against a real server and its blob store."""

import os

import pytest

import cohort


def test_log_use_and_download_an_artifact(server, env, project, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("x,y\n1,2\n")
    (data / "sub").mkdir()
    (data / "sub" / "labels.txt").write_text("cat\n")
    with cohort.init(project=project) as producer:
        art = cohort.Artifact("dataset", "dataset", description="toy", metadata={"rows": 1})
        art.add_dir(str(data))
        with art.new_file("notes.md") as f:
            f.write("# notes\n")
        logged = producer.log_artifact(art, aliases=["best"])
        assert logged is art and art.version == "v0" and "best" in art.aliases and "latest" in art.aliases
        assert sorted(e["path"] for e in art.files()) == ["notes.md", "sub/labels.txt", "train.csv"]
        with pytest.raises(cohort.UsageError):
            art.add_file(str(data / "train.csv"))
        again = cohort.Artifact("dataset", "dataset")
        again.add_dir(str(data))
        with again.new_file("notes.md") as f:
            f.write("# notes\n")
        assert producer.log_artifact(again).version == "v0"  # the same content is the same version
    with cohort.init(project=project) as consumer:
        used = consumer.use_artifact("dataset:best", type="dataset")
        root = used.download(str(tmp_path / "dl"))
        assert open(os.path.join(root, "sub", "labels.txt")).read() == "cat\n"
        used.verify(root)
        with pytest.raises(cohort.Error):
            consumer.use_artifact("dataset:nope")
    info = server.get("/api/v1/artifacts/local/{}/dataset/v0".format(project))
    assert info["loggedBy"]["runId"] == producer.id and [u["runId"] for u in info["usedBy"]] == [consumer.id]


def test_log_and_use_a_model(server, env, project, tmp_path):
    weights = tmp_path / "model.pt"
    weights.write_bytes(b"\x00weights\x01")
    with cohort.init(project=project) as run:
        model = run.log_model(str(weights), name="tiny", aliases=["prod"])
        assert model.type == "model" and model.version == "v0"
        path = run.use_model("tiny:prod")
        assert open(path, "rb").read() == b"\x00weights\x01"


def test_use_artifact_logs_a_draft_with_its_aliases_and_finds_a_digest(server, env, project, tmp_path):
    (tmp_path / "rows.csv").write_text("a\n1\n")
    with cohort.init(project=project) as run:
        draft = cohort.Artifact("table", "dataset")
        draft.add_file(str(tmp_path / "rows.csv"))
        used = run.use_artifact(draft, aliases=["gold"])
        assert used is draft and draft.version == "v0" and "gold" in draft.aliases
        assert run.use_artifact("table:" + draft.digest).version == "v0"
        with pytest.raises(cohort.UsageError):
            run.log_model(str(tmp_path / "rows.csv"), name="not a model name!")
    info = server.get("/api/v1/artifacts/local/{}/table/v0".format(project))
    assert info["loggedBy"]["runId"] == run.id and run.id in [u["runId"] for u in info["usedBy"]]
