"""W&B's ``wandb.sweep`` and ``wandb.agent`` (docs/sweeps.md, "From Python").

The sweep routes are the TypeScript SDK's ``SweepClient``, called through the
local agent (``sweep_*`` calls on a channel that holds no run); what runs here
is the loop of the SDK's ``agent(id, fn)``, because the function is Python.
"""

import ctypes
import json
import os
import socket
import subprocess
import sys
import threading
import time
import traceback

from . import _lifecycle
from ._agent import Channel, agent_command
from .errors import Error, UsageError

#: More trials than this failing at the start of an agent, none done, stop it, as W&B's agent does
#: (``WANDB_AGENT_MAX_INITIAL_FAILURES``, default 5).
MAX_INITIAL_FAILURES_ENV = "COHORT_AGENT_MAX_INITIAL_FAILURES"
DEFAULT_MAX_INITIAL_FAILURES = 5
#: W&B's flapping check: this many failed trials within the first FLAPPING_SECONDS of an agent stop it,
#: unless ``COHORT_AGENT_DISABLE_FLAPPING=true`` (``WANDB_AGENT_DISABLE_FLAPPING``).
FLAPPING_FAILURES = 3
FLAPPING_SECONDS = 60
DISABLE_FLAPPING_ENV = "COHORT_AGENT_DISABLE_FLAPPING"
# The exit code a trial's run ends with when the sweep stops it: SIGTERM's, as under `cohort agent SWEEP`.
STOPPED_EXIT_CODE = 143
# Set for a trial (the SDK's SWEEP_ENV and the run's place); an id or resume of this process would merge the trials' runs.
_TRIAL_UNSET = ("COHORT_RUN_ID", "COHORT_RESUME")


class TrialStopped(BaseException):
    """Raised inside an agent's function when the sweep stops its trial (early termination, a canceled sweep).

    A ``BaseException``, so ``except Exception`` in training code does not
    swallow it; the agent catches it, finishes the run and goes on.
    """


def sweep(sweep, entity=None, project=None, prior_runs=None):  # noqa: A002 - W&B's name
    """Creates a sweep (W&B's ``wandb.sweep``) and returns its id.

    ``sweep``: the config in W&B's format (docs/sweeps.md), a dict (sent as
    JSON text, so ``min: 0.0`` stays a float, as in W&B), YAML/JSON text, or
    a function returning the dict. A bad config raises ``ValueError``
    (``cohort.errors.InvalidArgumentError``) with the server's message, which
    names every bad path and rule.
    """
    if prior_runs:
        raise UsageError("sweep(): `prior_runs` is not supported by Cohort (a sweep starts with no trials)", "UNIMPLEMENTED")
    if callable(sweep):
        sweep = sweep()
    if isinstance(sweep, dict):
        config = json.dumps(sweep)
    elif isinstance(sweep, str):
        config = sweep
    else:
        raise TypeError("Expected `sweep` to be a dict or YAML/JSON text, got {}".format(type(sweep).__name__))
    channel = Channel()
    try:
        created = channel.call("sweep_create", {"config": config, "entity": entity, "project": project})
    finally:
        channel.close()
    sys.stderr.write("cohort: created sweep {}/{}/{}: {}\n".format(created["entity"], created["project"], created["id"], created["url"]))
    return created["id"]


def agent(sweep_id, function=None, entity=None, project=None, count=None, heartbeat_seconds=10):
    """Runs trials of a sweep in this process, one after another (W&B's ``wandb.agent``).

    ``sweep_id`` is ``id``, ``project/id`` or ``entity/project/id``. For each
    trial ``function()`` runs with the trial in the environment, so
    ``cohort.init()`` inside it joins the trial: the parameters are its
    ``run.config``, locked, and ``run.sweep_id`` names the sweep. A run the
    function leaves open is finished (exit code 1 with the traceback when it
    raised; the agent prints it and goes on, but stops, as W&B's agent does,
    when more than ``COHORT_AGENT_MAX_INITIAL_FAILURES`` trials (default 5)
    failed before any did not, or when 3 failed within its first 60 seconds
    unless ``COHORT_AGENT_DISABLE_FLAPPING=true``). When the sweep stops the trial, :class:`TrialStopped`
    is raised inside the function. Ends when the sweep is done or ``count``
    trials ran. Without ``function``, runs the sweep's program through
    ``cohort agent SWEEP`` instead (W&B's ``wandb agent``).
    """
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("Expected `count` to be an integer >= 1, got {!r}".format(count))
    if isinstance(heartbeat_seconds, bool) or not isinstance(heartbeat_seconds, (int, float)) or not 0.1 <= heartbeat_seconds <= 600:
        raise ValueError("Expected `heartbeat_seconds` to be a number in [0.1, 600], got {!r}".format(heartbeat_seconds))
    if function is None:
        _run_program(sweep_id, entity, project, count)
        return
    if not callable(function):
        raise TypeError("Expected `function` to be callable, got {}".format(type(function).__name__))
    max_initial_failures = _max_initial_failures()
    flapping_check = os.environ.get(DISABLE_FLAPPING_ENV, "").strip().lower() != "true"
    started = time.monotonic()
    name = "{}:{}".format(socket.gethostname(), os.getpid())
    channel = Channel()
    try:
        ref = channel.call("sweep_resolve", {"sweep": sweep_id, "entity": entity, "project": project})
        path = "{}/{}/{}".format(ref["entity"], ref["project"], ref["id"])
        ran = failed = 0
        while count is None or ran < count:
            trial = channel.call("sweep_next", {"sweep": path, "agent": name, "heartbeat_seconds": heartbeat_seconds})
            if trial.get("done"):
                break
            if trial.get("wait"):
                time.sleep(trial["retryAfterMs"] / 1000)
                continue
            ran += 1
            exit_code = _run_trial(channel, ref, path, trial, function, heartbeat_seconds)
            state = channel.call("sweep_end", {"sweep": path, "trial_id": trial["trialId"], "exit_code": exit_code})
            sys.stderr.write("cohort: sweep {}: trial {} {}\n".format(ref["id"], trial["trialId"], state))
            failed += exit_code not in (0, STOPPED_EXIT_CODE)
            if failed == ran and failed > max_initial_failures:
                sys.stderr.write(
                    "cohort: error: sweep {}: the first {} trials failed; stopping this agent (set {} to change the limit)\n".format(
                        ref["id"], failed, MAX_INITIAL_FAILURES_ENV
                    )
                )
                break
            if flapping_check and failed >= FLAPPING_FAILURES and time.monotonic() - started < FLAPPING_SECONDS:
                sys.stderr.write(
                    "cohort: error: sweep {}: {} trials failed in the agent's first {} s; stopping this agent (set {}=true to go on)\n".format(
                        ref["id"], failed, FLAPPING_SECONDS, DISABLE_FLAPPING_ENV
                    )
                )
                break
    finally:
        channel.close()


def _max_initial_failures():
    text = os.environ.get(MAX_INITIAL_FAILURES_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_INITIAL_FAILURES
    if not text.isdigit():
        raise ValueError("{}: expected an integer >= 0, got {!r}".format(MAX_INITIAL_FAILURES_ENV, text))
    return int(text)


def _run_program(sweep_id, entity, project, count):
    """``agent(sweep_id)`` without a function: ``cohort agent SWEEP``, which runs the config's program per trial."""
    command = agent_command() + ["agent", sweep_id]
    for flag, value in (("--entity", entity), ("--project", project), ("--count", count)):
        if value is not None:
            command += [flag, str(value)]
    code = subprocess.call(command)
    if code != 0:
        raise Error("`{}` exited with code {}".format(" ".join(command), code), "INTERNAL")


def _run_trial(channel, ref, path, trial, function, heartbeat_seconds):
    """Runs ``function`` for one trial; answers the exit code the trial ends with."""
    restore = _set_env(
        {
            "COHORT_SWEEP_ID": ref["id"],
            "COHORT_SWEEP_TRIAL": trial["trialId"],
            "COHORT_SWEEP_PARAMS": json.dumps(trial["params"]),
            "COHORT_URL": ref["url"],
            "COHORT_RUN_GROUP": trial["runGroup"],
            "COHORT_PROJECT": ref["project"],
            "COHORT_ENTITY": ref["entity"],
        }
    )
    before = list(_lifecycle._runs)
    stopper = _Stopper(channel, path, trial["trialId"], heartbeat_seconds)
    error = None
    try:
        try:
            stopper.start()
            try:
                function()
            finally:
                stopper.leave()
            exit_code = 0
        except TrialStopped:
            stopper.leave()
            exit_code = STOPPED_EXIT_CODE
            sys.stderr.write("cohort: sweep {}: the sweep stopped trial {}\n".format(ref["id"], trial["trialId"]))
        except Exception:  # noqa: BLE001 - W&B's agent reports the trial failed and goes on
            stopper.leave()
            exit_code = 1
            error = traceback.format_exc()
            sys.stderr.write("cohort: sweep {}: trial {} failed:\n{}".format(ref["id"], trial["trialId"], error))
        _finish_runs(before, exit_code, error)
    except BaseException:
        # Ctrl-C or SystemExit: the trial's runs end as failed, the trial too, then the agent stops.
        stopper.leave()
        _finish_runs(before, 1, None)
        channel.call("sweep_end", {"sweep": path, "trial_id": trial["trialId"], "exit_code": 1})
        raise
    finally:
        restore()
    return exit_code


def _finish_runs(before, exit_code, error):
    """Finishes the runs the trial started and left open."""
    for run in [r for r in _lifecycle._runs if r not in before]:
        run._finish(exit_code, error)


def _set_env(values):
    """Sets the trial's environment variables (and unsets ``_TRIAL_UNSET``); returns what restores them."""
    names = list(values) + list(_TRIAL_UNSET)
    saved = {name: os.environ.get(name) for name in names}
    for name in _TRIAL_UNSET:
        os.environ.pop(name, None)
    os.environ.update(values)

    def restore():
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return restore


class _Stopper(threading.Thread):
    """Heartbeats a trial; when the sweep stops it, raises :class:`TrialStopped` in the thread running the function.

    W&B's Python agent ends a stopped trial's function the same way (an
    exception raised in its thread). The exception arrives between two Python
    bytecodes, so a function blocked in one long C call sees it when the call returns.
    """

    def __init__(self, channel, path, trial_id, seconds):
        super().__init__(name="cohort-sweep-heartbeat", daemon=True)
        self._channel = channel
        self._path = path
        self._trial_id = trial_id
        self._seconds = seconds
        self._target = threading.get_ident()
        self._lock = threading.Lock()
        self._inside = True
        self._raised = False
        self._left = threading.Event()

    def run(self):
        while not self._left.wait(self._seconds):
            try:
                stop = self._channel.call("sweep_heartbeat", {"sweep": self._path, "trial_id": self._trial_id})
            except Error as err:
                sys.stderr.write("cohort: warning: trial {}: heartbeat failed: {}\n".format(self._trial_id, err))
                continue
            if stop:
                with self._lock:
                    if self._inside:
                        self._raised = True
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._target), ctypes.py_object(TrialStopped))
                return

    def leave(self):
        """The function returned (or raised): no exception may arrive after this, and the heartbeats stop."""
        with self._lock:
            if self._inside:
                self._inside = False
                if self._raised:
                    # Not delivered yet: cleared, so it cannot interrupt the agent itself.
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._target), None)
        self._left.set()
