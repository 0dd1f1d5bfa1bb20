"""The Run-semantics cases of test/semantics/cases.json against the Python client (offline, through the agent).

test/semantics/semantics.test.ts runs the same file against the TypeScript SDK,
so the two clients cannot drift.
"""

import json
import os

import pytest

import cohort

CASES_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "test", "semantics", "cases.json")
with open(CASES_FILE, encoding="utf-8") as f:
    CASES = json.load(f)["cases"]

ERRORS = {
    "TypeError": TypeError,
    "ValueError": ValueError,
    "UsageError": cohort.UsageError,
    "ConfigError": cohort.ConfigError,
}


def make(run, call):
    if "log" in call:
        a = call["log"]
        run.log(a["data"], step=a.get("step"), commit=a.get("commit"))
    elif "define_metric" in call:
        a = call["define_metric"]
        run.define_metric(a["name"], **a.get("options", {}))
    elif "summary_set" in call:
        run.summary[call["summary_set"]["key"]] = call["summary_set"]["value"]
    elif "summary_update" in call:
        run.summary.update(call["summary_update"]["values"])
    elif "summary_delete" in call:
        del run.summary[call["summary_delete"]["key"]]
    elif "config_update" in call:
        a = call["config_update"]
        run.config.update(a["values"], allow_val_change=a.get("allow_val_change", False))
    elif "config_setdefaults" in call:
        run.config.setdefaults(call["config_setdefaults"]["values"])
    elif "finish" in call:
        run.finish(call["finish"].get("exit_code", 0))
    else:
        raise AssertionError("cases.json: a call with no known operation: {}".format(call))


def summary_of(run):
    return {k: v for k, v in run.summary.as_dict().items() if k not in ("_runtime", "_timestamp")}


def test_every_section_has_cases():
    assert {c["section"] for c in CASES} == {"§1", "§2", "§3", "§4"}


@pytest.mark.parametrize("case", CASES, ids=[c["section"] + " " + c["name"] for c in CASES])
def test_case(case, env, monkeypatch):
    monkeypatch.setenv("COHORT_MODE", "offline")
    run = cohort.init(project="semantics", settings={"silent": True})
    try:
        for call in case["calls"]:
            if "expect" in call:
                e = call["expect"]
                if "step" in e:
                    assert run.step == e["step"]
                if "summary" in e:
                    assert summary_of(run) == e["summary"]
                for key in e.get("summary_has", []):
                    assert key in run.summary.as_dict()
                for key in e.get("summary_lacks", []):
                    assert key not in run.summary.as_dict()
                if "config" in e:
                    assert run.config.as_dict() == e["config"]
                continue
            if "raises" not in call:
                make(run, call)
                continue
            kind = ERRORS[call["raises"]]
            with pytest.raises(kind):
                make(run, call)
                # An error the agent found comes with the next call that waits for an answer.
                run.step
    finally:
        run.finish(0)
