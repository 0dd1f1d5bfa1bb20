"""Media (Histogram, Html, Table, Image) and run.watch, through the agent's SDK media, read back from a real server."""

import json
import math
import urllib.request

import pytest

import cohort


def _file(server, project, run_id, path):
    with urllib.request.urlopen("{}/api/v1/runs/local/{}/{}/files/{}".format(server.http, project, run_id, path), timeout=30) as resp:
        return resp.read()


def test_histogram_html_table_and_image(server, env, project, tmp_path):
    np = pytest.importorskip("numpy")
    run = cohort.init(project=project)
    table = cohort.Table(columns=["epoch", "acc"], data=[[1, 0.5]])
    table.add_data(2, 0.75)
    gray = (np.arange(12, dtype=np.uint8) * 20).reshape(3, 4)
    run.log({
        "h": cohort.Histogram([1, 2, 2, 3, 3, 3, math.nan], num_bins=3),
        "hb": cohort.Histogram(np_histogram=np.histogram(np.arange(10.0), bins=5)),
        "page": cohort.Html("<b>hello</b>"),
        "results": table,
        "img": cohort.Image(gray, caption="gray"),
        "rgb": cohort.Image(np.zeros((2, 2, 3), dtype=np.float32)),
        "plain": 1.5,
    })
    run.log({"loss": 0.5})  # a row without media after one with media keeps its order
    run.finish()
    rows = server.history(project, run.id)
    assert [r["_step"] for r in rows] == [0, 1] and rows[1]["loss"] == 0.5
    row = rows[0]
    assert row["plain"] == 1.5
    assert {k: row[k]["_type"] for k in ("h", "hb", "page", "results", "img", "rgb")} == {
        "h": "histogram", "hb": "histogram", "page": "html", "results": "table", "img": "image", "rgb": "image",
    }
    h = json.loads(_file(server, project, run.id, row["h"]["path"]))
    assert h["values"] == [1, 2, 3] and len(h["bins"]) == 4  # NaN left out by the SDK's histogram
    hb = json.loads(_file(server, project, run.id, row["hb"]["path"]))
    assert hb["values"] == [2, 2, 2, 2, 2]
    assert _file(server, project, run.id, row["page"]["path"]) == b"<b>hello</b>"
    t = json.loads(_file(server, project, run.id, row["results"]["path"]))
    assert t["columns"] == ["epoch", "acc"] and t["data"] == [[1, 0.5], [2, 0.75]]
    assert row["img"]["width"] == 4 and row["img"]["height"] == 3 and row["img"]["caption"] == "gray"
    assert _file(server, project, run.id, row["img"]["path"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_image_from_a_file_and_from_nested_lists(server, env, project, tmp_path):
    run = cohort.init(project=project)
    first = cohort.Image([[0, 128], [255, 64]])
    run.log({"rows": first})
    run.finish()
    (row,) = server.history(project, run.id)
    png = tmp_path / "copy.png"
    png.write_bytes(_file(server, project, run.id, row["rows"]["path"]))
    second = cohort.init(project=project)
    second.log({"file": cohort.Image(str(png))})
    second.finish()
    (again,) = server.history(project, second.id)
    assert again["file"]["_type"] == "image" and again["file"]["sha256"] == row["rows"]["sha256"]


def test_media_errors_are_clear(server, env, project):
    with pytest.raises(ValueError, match="either"):
        cohort.Histogram()
    with pytest.raises(TypeError, match="numbers"):
        cohort.Histogram(["a"])
    with pytest.raises(TypeError, match="Html"):
        cohort.Html(3)
    run = cohort.init(project=project)
    run.log({"h": cohort.Histogram([1, 2], num_bins=0)})  # the SDK's rule: 1 to 512 bins
    with pytest.raises(ValueError, match="numBins"):
        run.step
    run.finish()


def test_watch_logs_gradient_and_parameter_histograms_every_log_freq_steps(server, env, project):
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    run = cohort.init(project=project)
    run.watch(model, log="all", log_freq=2)
    with pytest.raises(ValueError, match="log"):
        run.watch(model, log="weights")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(4):
        opt.zero_grad()
        loss = model(torch.randn(8, 4)).pow(2).mean()
        loss.backward()
        opt.step()
        run.log({"loss": loss})
    run.finish()
    rows = server.history(project, run.id)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert "gradients/0.weight" not in rows[0] and "parameters/0.weight" not in rows[2]
    for step in (1, 3):
        for name in names:
            assert rows[step]["gradients/" + name]["_type"] == "histogram"
            assert rows[step]["parameters/" + name]["_type"] == "histogram"
    h = json.loads(_file(server, project, run.id, rows[1]["parameters/0.weight"]["path"]))
    assert len(h["values"]) == 64 and sum(h["values"]) == 12  # every one of the 4×3 weights
