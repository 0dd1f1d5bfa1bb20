"""Cohort's Python client: W&B's Run API (``import cohort as wandb``) for a self-hosted Cohort server.

Each call is handed to a local agent that runs Cohort's TypeScript SDK, so the
Run rules (step/commit, summaries, config, the WAL, the transport, SIGTERM)
exist once. ``log`` queues the row and returns; see docs/python.md.

Example::

    import cohort

    with cohort.init(project="mnist", config={"lr": 0.01}) as run:
        for step in range(100):
            run.log({"loss": 1 / (step + 1)})
"""

import os
import sys

from . import _lifecycle
from ._agent import Channel
from .api import Api
from .artifact import Artifact
from .errors import AgentError, ConfigError, Error, UsageError
from .media import Histogram, Html, Image, Table
from .run import Metric, Run, RunStatus
from .sweeps import TrialStopped, agent, sweep

__all__ = [
    "init", "log", "finish", "login", "watch", "unwatch", "sweep", "agent", "TrialStopped", "run", "Run", "Metric", "RunStatus",
    "Api", "Artifact", "Histogram", "Html", "Image", "Table", "Error", "UsageError", "ConfigError", "AgentError",
]
__version__ = "0.1.0"

#: The active run of this process (W&B's ``wandb.run``), or ``None``.
run = None

# W&B init arguments that change nothing in Cohort: accepted (a script passing them runs unchanged) with one warning.
_IGNORED_INIT = ("anonymous", "magic", "monitor_gym", "sync_tensorboard", "tensorboard", "allow_val_change", "force")
_REINIT = ("finish_previous", "return_previous", "create_new", True, False, None)


def init(
    project=None,
    entity=None,
    id=None,  # noqa: A002 - W&B's name
    name=None,
    group=None,
    job_type=None,
    tags=None,
    notes=None,
    config=None,
    mode=None,
    resume=None,
    resume_from=None,
    fork_from=None,
    dir=None,  # noqa: A002 - W&B's name
    settings=None,
    reinit=None,
    save_code=None,
    config_exclude_keys=None,
    config_include_keys=None,
    **ignored,
):
    """Starts a run (W&B's ``wandb.init``) and returns it; also a context manager.

    ``save_code=True`` logs the source files (``run.log_code(".")``);
    ``config_include_keys`` / ``config_exclude_keys`` filter ``config``.

    A second ``init`` finishes the active run (exit code 0) first, unless
    ``reinit`` is ``"return_previous"`` (return it) or ``"create_new"``
    (a second run beside it). Raises ``cohort.AgentError`` when the agent
    cannot be found, with how to get it.
    """
    global run
    unknown = sorted(set(ignored) - set(_IGNORED_INIT))
    if unknown:
        raise TypeError("init() got unexpected keyword arguments: {}".format(", ".join(unknown)))
    if ignored:
        sys.stderr.write("cohort: warning: init() ignores {} (nothing in Cohort for them)\n".format(", ".join(sorted(ignored))))
    if reinit not in _REINIT:
        raise ValueError("Expected `reinit` to be one of finish_previous, return_previous, create_new, got {!r}".format(reinit))
    if run is not None and reinit in ("return_previous", False):
        return run
    if run is not None and reinit != "create_new":
        run.finish(0)
    given = dict(
        project=project, entity=entity, id=id, name=name, group=group, job_type=job_type, tags=tags, notes=notes,
        config=config, mode=mode, resume=resume, resume_from=resume_from, fork_from=fork_from, dir=dir,
    )
    options = {k: v for k, v in given.items() if v is not None}
    if "config" in options:
        from .config import _as_dict
        from ._values import convert

        values = _as_dict(options["config"], "init")
        if config_include_keys is not None and config_exclude_keys is not None:
            raise UsageError("init(): `config_include_keys` and `config_exclude_keys` are mutually exclusive")
        if config_include_keys is not None:
            values = {k: v for k, v in values.items() if k in set(config_include_keys)}
        if config_exclude_keys is not None:
            values = {k: v for k, v in values.items() if k not in set(config_exclude_keys)}
        options["config"] = convert(values, "config", 1)
    if "tags" in options and isinstance(options["tags"], tuple):
        options["tags"] = list(options["tags"])
    options["settings"] = _settings(settings)
    options["program"] = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c", "-m") else ""
    channel = Channel()
    try:
        attributes = channel.call("init", options)
    except BaseException:
        channel.close()
        raise
    new = Run(channel, attributes, _ended, options)
    if reinit != "create_new":
        run = new
    if options["settings"].get("handle_sigterm", options["settings"].get("handleSigterm", True)):
        _lifecycle.watch_sigterm()
    _lifecycle.track(new)
    if save_code:
        new.log_code(".")
    return new


def _settings(settings):
    """The settings for the agent's SDK (snake_case is fine there). Console capture stays in the agent: off by default."""
    if settings is None:
        out = {}
    elif isinstance(settings, dict):
        out = dict(settings)
    elif hasattr(settings, "__dict__"):
        out = {k: v for k, v in vars(settings).items() if not k.startswith("_") and v is not None}
    else:
        raise TypeError("Expected `settings` to be a dict, got {}".format(type(settings).__name__))
    out.setdefault("console", "off")
    return out


def _ended(ended_run):
    global run
    _lifecycle.untrack(ended_run)
    if run is ended_run:
        run = None


def log(data, step=None, commit=None):
    """Logs to the active run (``wandb.log``); ``UsageError`` when there is none."""
    if run is None:
        raise UsageError("You must call `cohort.init()` before `cohort.log()`.")
    run.log(data, step=step, commit=commit)


def finish(exit_code=None, quiet=None):
    """Finishes the active run, if any (``wandb.finish``)."""
    if run is not None:
        run.finish(exit_code, quiet)


def watch(models, criterion=None, log="gradients", log_freq=1000, idx=None, log_graph=False):
    """Watches a torch model in the active run (``wandb.watch``); ``UsageError`` when there is none."""
    if run is None:
        raise UsageError("You must call `cohort.init()` before `cohort.watch()`.")
    run.watch(models, criterion, log, log_freq, idx, log_graph)


def unwatch(models=None):
    """Stops watching in the active run, if any."""
    if run is not None:
        run.unwatch(models)


def login(key=None, relogin=None, host=None, **_ignored):
    """Sets the API key (``COHORT_API_KEY``) and server (``COHORT_URL``) later runs use; returns True."""
    del relogin
    if key:
        os.environ["COHORT_API_KEY"] = key
    if host:
        os.environ["COHORT_URL"] = host
    return True
