"""``cohort.Run``: W&B's Run, each call handed to the local agent (the TypeScript SDK)."""

import datetime
import os
import sys
import threading
import traceback

from . import _values
from ._agent import Channel
from .errors import AgentError, UsageError
from .artifact import Artifact
from .summary import Summary
from .watch import Watcher
from .config import Config

# New agents one run may start after its agent died.
MAX_RESTARTS = 3

# W&B's define_metric argument names and the SDK's.
_METRIC_OPTIONS = (
    ("step_metric", "stepMetric"),
    ("step_sync", "stepSync"),
    ("hidden", "hidden"),
    ("summary", "summary"),
    ("goal", "goal"),
    ("overwrite", "overwrite"),
)


class Metric:
    """What ``define_metric`` returns; usable as another metric's ``step_metric``."""

    __slots__ = ("name", "step_metric", "step_sync", "hidden", "summary", "goal", "overwrite")

    def __init__(self, data):
        self.name = data.get("name")
        self.step_metric = data.get("stepMetric")
        self.step_sync = data.get("stepSync")
        self.hidden = data.get("hidden")
        self.summary = data.get("summary")
        self.goal = data.get("goal")
        self.overwrite = data.get("overwrite")

    def __repr__(self):
        return "Metric(name={!r}, step_metric={!r}, summary={!r}, goal={!r})".format(self.name, self.step_metric, self.summary, self.goal)


class RunStatus:
    """``run.status()``: records produced, not yet committed, and the last commit's time."""

    __slots__ = ("sync_items_total", "sync_items_pending", "sync_time")

    def __init__(self, data):
        self.sync_items_total = data["sync_items_total"]
        self.sync_items_pending = data["sync_items_pending"]
        t = data["sync_time"]
        self.sync_time = None if t is None else datetime.datetime.fromtimestamp(t, tz=datetime.timezone.utc)

    def __repr__(self):
        return "RunStatus(sync_items_total={}, sync_items_pending={}, sync_time={!r})".format(self.sync_items_total, self.sync_items_pending, self.sync_time)


class Run:
    """One run (W&B's ``wandb.Run``). Get it from ``cohort.init()``; end it with ``finish()``.

    ``log`` queues the row and returns (no I/O on your turn); reads such as
    ``run.step`` and ``run.summary[key]`` ask the agent, after the queued rows.
    """

    def __init__(self, channel, attributes, on_end, options=None):
        self._channel = channel
        self._options = dict(options or {})
        self._restarts = 0
        self._watcher = Watcher()
        self._a = attributes
        self._on_end = on_end
        self._state = "running"
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.summary = Summary(self)
        self.config = Config(self, attributes.get("config") or {})

    # ---- attributes -----------------------------------------------------------

    id = property(lambda self: self._a["id"], doc="The run id.")
    entity = property(lambda self: self._a["entity"])
    project = property(lambda self: self._a["project"])
    path = property(lambda self: self._a["path"], doc="``entity/project/id``.")
    group = property(lambda self: self._a["group"])
    job_type = property(lambda self: self._a["job_type"])
    dir = property(lambda self: self._a["dir"], doc="The run folder (it holds the WAL).")
    mode = property(lambda self: self._a["mode"])
    resumed = property(lambda self: self._a["resumed"])
    start_time = property(lambda self: self._a["start_time"], doc="Seconds since the Unix epoch.")
    starting_step = property(lambda self: self._a["starting_step"])
    sweep_id = property(lambda self: self._a["sweep_id"])
    url = property(lambda self: self._a["url"], doc="The run's page; ``None`` offline and disabled.")
    disabled = property(lambda self: self._a["mode"] == "disabled")
    offline = property(lambda self: self._a["mode"] == "offline")

    @property
    def name(self):
        return self._a["name"]

    @name.setter
    def name(self, value):
        self._set_attribute("name", value)

    @property
    def notes(self):
        return self._a["notes"]

    @notes.setter
    def notes(self, value):
        self._set_attribute("notes", value)

    @property
    def tags(self):
        return tuple(self._a["tags"])

    @tags.setter
    def tags(self, value):
        self._set_attribute("tags", list(value) if isinstance(value, (list, tuple)) else value)

    @property
    def step(self):
        """The step the next row gets (asks the agent, after the rows queued so far)."""
        return self._call("step")

    @property
    def state(self):
        """``running``, ``finished`` or ``failed`` (the client's view)."""
        return self._state

    # ---- logging --------------------------------------------------------------

    def log(self, data, step=None, commit=None):
        """Logs a row (docs/run-semantics.md §1). Returns at once; the agent applies the step/commit rules.

        Raises ``TypeError`` at once for what W&B refuses at once (a non-dict,
        a key that is not a str, a value that cannot be logged); an error the
        agent finds surfaces on the next call that waits for an answer.
        """
        if self._state != "running":
            if self._state == "forked":
                return  # a forked child (a DataLoader worker): the run belongs to the parent
            self._guard("log")
        if step is not None and (type(step) is not int):
            if isinstance(step, bool) or not isinstance(step, int):
                raise TypeError("Expected `step` to be a non-negative integer, got {!r}".format(step))
            step = int(step)
        if commit is not None and type(commit) is not bool:
            raise TypeError("Expected `commit` to be a boolean, got {!r}".format(commit))
        row = _values.copy_row(data)
        if self._watcher.active and commit is not False:
            due = self._watcher.tick()
            if due:
                row = _values.MediaRow(row)
                for key, histogram in due.items():
                    row[key] = histogram._to_cohort_json()
        channel = self._channel
        if channel.dead is not None:
            channel = self._restart()
        channel.log(row, step, commit)

    def watch(self, models, criterion=None, log="gradients", log_freq=1000, idx=None, log_graph=False):
        """Logs histograms of a torch model's gradients and/or parameters every ``log_freq`` steps (§10)."""
        del criterion, log_graph
        self._watcher.watch(models, log=log, log_freq=log_freq, idx=idx)

    def unwatch(self, models=None):
        """Stops watching ``models`` (all when None)."""
        self._watcher.unwatch(models)

    def define_metric(self, name, step_metric=None, step_sync=None, hidden=None, summary=None, goal=None, overwrite=None, **kwargs):
        """Defines how a metric is summarized and plotted (§2); returns a :class:`Metric`."""
        if kwargs:
            raise TypeError("define_metric() got unexpected keyword arguments: {}".format(", ".join(sorted(kwargs))))
        given = {"step_metric": step_metric, "step_sync": step_sync, "hidden": hidden, "summary": summary, "goal": goal, "overwrite": overwrite}
        if isinstance(step_metric, Metric):
            given["step_metric"] = step_metric.name
        options = {sdk: given[py] for py, sdk in _METRIC_OPTIONS if given[py] is not None}
        return Metric(self._call("define_metric", {"name": name, "options": options}))

    def alert(self, title, text, level=None, wait_duration=None):
        """Sends an alert (§8); ``level`` is ``INFO``, ``WARN`` or ``ERROR`` (or an enum with that value)."""
        options = {}
        if level is not None:
            options["level"] = getattr(level, "value", level)
        if wait_duration is not None:
            options["waitDuration"] = wait_duration.total_seconds() if isinstance(wait_duration, datetime.timedelta) else wait_duration
        self._call("alert", {"title": title, "text": text, "options": options})

    def mark_preempting(self):
        """Marks the run as about to be preempted: exit 0 then gives finished, else preempted."""
        self._call("mark_preempting")

    def status(self):
        """Sync progress: records produced, not yet committed, and when the server last committed."""
        return RunStatus(self._call("status"))

    def flush(self):
        """Cohort only: waits until everything logged so far is committed (or, offline, in the WAL)."""
        self._call("flush")

    # ---- artifacts (docs/artifacts.md) ----------------------------------------------

    def log_artifact(self, artifact_or_path, name=None, type=None, aliases=None, tags=None):  # noqa: A002
        """Logs an artifact (or a file, folder or ``scheme://`` reference) as a new version; returns it once stored."""
        return self._artifact_call("log_artifact", artifact_or_path, name=name, type=type, aliases=aliases, tags=tags)

    def upsert_artifact(self, artifact_or_path, name=None, type=None, aliases=None, distributed_id=None):  # noqa: A002
        """Adds files to the PENDING version the writers of ``distributed_id`` (default: the group) share."""
        return self._artifact_call("upsert_artifact", artifact_or_path, name=name, type=type, aliases=aliases, distributed_id=distributed_id)

    def finish_artifact(self, artifact_or_path, name=None, type=None, aliases=None, distributed_id=None, expected_writers=None):  # noqa: A002
        """Commits the PENDING version of ``distributed_id``; Cohort: ``expected_writers`` waits for that many writers."""
        return self._artifact_call(
            "finish_artifact", artifact_or_path, name=name, type=type, aliases=aliases, distributed_id=distributed_id, expected_writers=expected_writers
        )

    def use_artifact(self, artifact_or_name, type=None, aliases=None, use_as=None):  # noqa: A002
        """Records this run as a consumer of ``name[:alias]``; returns the version (``download()`` it)."""
        return self._artifact_call("use_artifact", artifact_or_name, type=type, aliases=aliases, use_as=use_as)

    def link_artifact(self, artifact, target_path, aliases=None):
        """Links a logged version into a portfolio."""
        return self._artifact_call("link_artifact", artifact, target_path=target_path, aliases=aliases)

    def log_model(self, path, name=None, aliases=None):
        """Logs a model file or folder (type ``model``)."""
        return Artifact._from_info(self, self._call("log_model", {"path": _abspath(path), "name": name, "aliases": _list(aliases)}))

    def use_model(self, name):
        """Downloads a model; returns its file when it has one, else its folder."""
        return self._call("use_model", {"name": name})

    def link_model(self, path, registered_model_name, name=None, aliases=None):
        """Logs a model and links it into ``<entity>/model-registry/<registered_model_name>``."""
        info = self._call("link_model", {"path": _abspath(path), "registered_model_name": registered_model_name, "name": name, "aliases": _list(aliases)})
        return Artifact._from_info(self, info)

    def _artifact_call(self, op, artifact, **options):
        if isinstance(artifact, Artifact):
            wire = artifact._wire()
        elif isinstance(artifact, (str, os.PathLike)):
            text = os.fspath(artifact)
            wire = _abspath(text) if op != "use_artifact" and os.path.exists(text) else text
        else:
            raise TypeError("Expected an Artifact or a path, got {}".format(type(artifact).__name__))
        options = {k: (_list(v) if k in ("aliases", "tags") else v) for k, v in options.items()}
        info = self._call(op, dict(options, artifact=wire))
        if isinstance(artifact, Artifact) and op != "link_artifact":
            return artifact._logged(self, info)
        return Artifact._from_info(self, info)

    # ---- files (docs/run-semantics.md §9) -------------------------------------------

    def save(self, glob_str, base_path=None, policy="live"):
        """Saves files matching a glob into the run's files; returns their paths there."""
        return self._call("save", {"glob": os.fspath(glob_str), "base_path": None if base_path is None else os.path.abspath(os.fspath(base_path)), "policy": policy})

    def restore(self, name, run_path=None, replace=False, root=None):
        """Downloads a saved file of this run (or ``run_path``); returns it open for reading, or None when there is none."""
        path = self._call("restore", {"name": name, "run_path": run_path, "replace": bool(replace), "root": None if root is None else os.path.abspath(os.fspath(root))})
        return None if path is None else open(path)

    def log_code(self, root=".", name=None, include_fn=None, exclude_fn=None):
        """Logs the source files under ``root`` as a ``code`` artifact (None when none matched).

        ``include_fn(path, root)`` and ``exclude_fn(path, root)`` choose files (W&B's
        signatures); without them the SDK's choice of source files applies.
        """
        root = os.path.abspath(os.fspath(root))
        args = {"root": root, "name": name}
        if include_fn is not None or exclude_fn is not None:
            kept = []
            for folder, _dirs, files in os.walk(root):
                for file in files:
                    path = os.path.join(folder, file)
                    if include_fn is not None and not include_fn(path, root):
                        continue
                    if exclude_fn is not None and exclude_fn(path, root):
                        continue
                    kept.append(os.path.relpath(path, root).replace(os.sep, "/"))
            args["files"] = kept
        info = self._call("log_code", args)
        return None if info is None else Artifact._from_info(self, info)

    # ---- URLs -------------------------------------------------------------------

    def get_url(self):
        return self._a["url"]

    def get_project_url(self):
        return self._a["project_url"]

    def get_sweep_url(self):
        return self._a["sweep_url"]

    def project_name(self):
        return self._a["project"]

    # ---- lifecycle ----------------------------------------------------------------

    def finish(self, exit_code=None, quiet=None):
        """Ends the run (§5): 0 gives finished, anything else failed. A second call does nothing."""
        del quiet
        self._finish(exit_code, None)

    def _finish(self, exit_code, error):
        """``error``: the traceback of the exception that ended the run (exit code 1), shown on its page."""
        code = 0 if exit_code is None else exit_code
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError("Expected `exit_code` to be an integer, got {!r}".format(exit_code))
        with self._lock:
            if self._state != "running":
                return
            self._state = "finishing"
        try:
            if os.getpid() == self._pid:
                channel = self._channel if self._channel.dead is None else self._restart()
                channel.call("finish", {"exit_code": code, "error": error})
        except AgentError as err:
            # Training must not die of its tracker: what the agent wrote stays in the run folder.
            sys.stderr.write("cohort: error: run {} could not be finished ({}); upload what it wrote with `cohort sync {}`\n".format(self.id, err, self.dir))
        finally:
            self._state = "finished" if code == 0 else "failed"
            self._channel.close()
            self._on_end(self)

    def _terminate(self):
        """SIGTERM came: the agent runs the SDK's SIGTERM path (preempting, flush, exit 143)."""
        with self._lock:
            if self._state != "running":
                return
            self._state = "finishing"
        try:
            self._channel.terminate()
        finally:
            self._state = "failed"
            self._channel.close()
            self._on_end(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._finish(0, None)
        else:
            self._finish(1, "".join(traceback.format_exception(exc_type, exc, tb)))
        return False

    def __repr__(self):
        return "<cohort.Run {} ({})>".format(self.path, self._state)

    # ---- internals --------------------------------------------------------------

    def _forked(self):
        """This is a forked child's copy: its calls are the parent's business (logs are dropped, the rest refused)."""
        self._state = "forked"

    def _guard(self, method):
        if self._state == "forked":
            raise UsageError("run {} belongs to process {}; this forked process cannot call `{}`".format(self.id, self._pid, method))
        if self._state != "running":
            raise UsageError(
                "Run ({}) is finished. The call to `{}` will be ignored. Please make sure that you are using an active run.".format(self.id, method)
            )

    def _call(self, op, args=None):
        self._guard(op)
        if os.getpid() != self._pid:
            raise UsageError("`run.{}` from a forked process: this run belongs to process {}".format(op, self._pid))
        channel = self._channel
        if channel.dead is not None:
            channel = self._restart()
        return channel.call(op, args)

    def _restart(self):
        """The agent died: a new one resumes the run; its SDK first uploads what the old one left in its WAL.

        Says so once per restart, with the calls lost in between (rows the old
        agent had taken but not yet written to its WAL, at most the SDK's
        ``flushIntervalMs``, are not counted: only the agent knew of them).
        After ``MAX_RESTARTS`` the run's later calls are dropped.
        """
        old = self._channel
        if self._restarts >= MAX_RESTARTS or os.getpid() != self._pid:
            return old
        self._restarts += 1
        sys.stderr.write("cohort: warning: the Cohort agent of run {} is gone ({}); starting a new one that resumes the run from its WAL\n".format(self.id, old.dead))
        old.close(wait=1.0)
        options = {k: v for k, v in self._options.items() if k not in ("resume", "resume_from", "fork_from", "config")}
        options.update(id=self.id, entity=self.entity, project=self.project, resume="allow")
        try:
            new = Channel()
            attributes = new.call("init", options)
        except Exception as err:  # noqa: BLE001 - training goes on without its tracker
            sys.stderr.write("cohort: error: run {} could not be resumed by a new agent: {}; its later calls are dropped\n".format(self.id, err))
            return old
        lost = old.dropped
        self._channel = new
        self._a.update({k: v for k, v in attributes.items() if k != "config"})
        self.config._replace(attributes.get("config") or {})
        sys.stderr.write(
            "cohort: warning: run {} resumed by a new agent at step {}; {} calls were lost in between\n".format(self.id, attributes.get("starting_step"), lost)
        )
        return new

    def _set_attribute(self, name, value):
        self._call("set_attribute", {"name": name, "value": value})
        self._a[name] = value


def _abspath(path):
    text = os.fspath(path)
    return os.path.abspath(text) if "://" not in text else text


def _list(value):
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return list(value)
