"""``cohort.Api()``: W&B's public API over Cohort's HTTP API (docs/http-api.md): runs, history, groups, artifacts.

Reads only: it needs no agent. The server is ``COHORT_URL`` (an http(s) URL)
unless given; the key is ``COHORT_API_KEY`` (or ``WANDB_API_KEY``).
"""

import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request

from . import _values
from .errors import Error, InvalidArgumentError

DEFAULT_URL = "http://127.0.0.1:7712"
_TIMEOUT = 60


class Api:
    """``cohort.Api(overrides=None, api_key=None, base_url=None)``."""

    def __init__(self, overrides=None, timeout=None, api_key=None, base_url=None):
        overrides = overrides or {}
        base = base_url or overrides.get("base_url") or os.environ.get("COHORT_URL") or DEFAULT_URL
        if not base.startswith(("http://", "https://")):
            raise InvalidArgumentError("cohort.Api needs the server's http(s):// URL (COHORT_URL is {!r}): pass base_url=".format(base))
        self.base_url = base.rstrip("/")
        self.api_key = api_key or os.environ.get("COHORT_API_KEY") or os.environ.get("WANDB_API_KEY")
        self.timeout = timeout or _TIMEOUT
        self._entity = overrides.get("entity")
        self._project = overrides.get("project")

    # ---- HTTP ------------------------------------------------------------------

    def _request(self, path, query=None):
        query = {k: v for k, v in (query or {}).items() if v is not None}
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        req = urllib.request.Request(url)
        if self.api_key:
            req.add_header("Authorization", "Bearer " + self.api_key)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as err:
            body = err.read().decode("utf-8", "replace")
            try:
                e = json.loads(body)["error"]
                code, message = e.get("code", "UNKNOWN"), e.get("message", body)
            except (ValueError, KeyError, TypeError):
                code, message = "HTTP_{}".format(err.code), body[:500]
            raise Error("GET {}: {}".format(path, message), code) from None
        except urllib.error.URLError as err:
            raise Error("cannot reach the Cohort server at {}: {}".format(self.base_url, err.reason), "UNAVAILABLE") from None

    def _get(self, path, query=None):
        return _values.loads(self._request(path, query).decode("utf-8"))

    @property
    def default_entity(self):
        if self._entity is None:
            self._entity = self._get("/api/v1/info")["defaultEntity"]
        return self._entity

    def _split(self, path, parts, what):
        """``path`` as ``parts`` names (e.g. entity, project, id), the entity defaulting to the server's."""
        items = [p for p in str(path).split("/") if p]
        if len(items) == parts - 1:
            items = [self.default_entity] + items
        if len(items) != parts:
            raise InvalidArgumentError("Expected a path like {} (the entity may be left out), got {!r}".format(what, path))
        return items

    @staticmethod
    def _q(*parts):
        return "/".join(urllib.parse.quote(str(p), safe="") for p in parts)

    # ---- W&B's names --------------------------------------------------------------

    def projects(self, entity=None):
        return self._get("/api/v1/projects", {"entity": entity or self.default_entity})["projects"]

    def runs(self, path=None, filters=None, per_page=100, order=None):
        """The runs of ``entity/project`` (or ``project``), newest first; ``filters`` as in docs/http-api.md."""
        del order
        path = path or self._project
        if not path:
            raise InvalidArgumentError("Expected `path` as entity/project or project")
        entity, project = self._split(path, 2, "entity/project")
        out = []
        cursor = None
        while True:
            page = self._get(
                "/api/v1/runs/" + self._q(entity, project),
                {"filters": json.dumps(filters) if filters else None, "limit": per_page, "cursor": cursor, "fields": "config,summary"},
            )
            out.extend(ApiRun(self, r) for r in page["runs"])
            cursor = page.get("nextCursor")
            if not cursor:
                return out

    def run(self, path):
        """One run: ``entity/project/id`` or ``project/id``."""
        entity, project, run_id = self._split(path, 3, "entity/project/id")
        return ApiRun(self, self._get("/api/v1/runs/" + self._q(entity, project, run_id)))

    def group(self, path):
        """Cohort only: a training group, ``entity/project/group`` or ``project/group``."""
        entity, project, group = self._split(path, 3, "entity/project/group")
        return ApiGroup(self, entity, project, group)

    def artifact(self, name, type=None):  # noqa: A002 - W&B's name
        """``entity/project/name:alias`` (or ``project/name:alias``; the alias defaults to latest)."""
        base, _, alias = str(name).partition(":")
        entity, project, art = self._split(base, 3, "entity/project/name")
        info = self._get("/api/v1/artifacts/" + self._q(entity, project, art, alias or "latest"))
        if type is not None and info.get("type") != type:
            raise InvalidArgumentError("artifact {} has type {!r}, not {!r}".format(name, info.get("type"), type))
        return ApiArtifact(self, info)


class ApiRun:
    """A run as the server has it: ``id``, ``name``, ``state``, ``summary``, ``config``, ``group``..."""

    def __init__(self, api, view):
        self._api = api
        self._view = view
        for key in ("id", "entity", "project", "name", "state", "group", "tags", "notes", "url", "path"):
            setattr(self, key, view.get(key))
        self.job_type = view.get("jobType")
        self.summary = view.get("summary") or {}
        self.config = view.get("config") or {}
        self.exit_code = view.get("exitCode")
        self.last_step = view.get("lastStep")

    def _path(self, suffix):
        return "/api/v1/runs/" + Api._q(self.entity, self.project, self.id) + suffix

    def history(self, samples=500, keys=None, x_axis="_step", pandas=True, min_step=None, max_step=None):
        """Rows (dicts) ordered by ``x_axis``; with ``samples``, each key keeps the rows of its min, max and last value per bucket.

        A pandas DataFrame when ``pandas`` is true and pandas is installed.
        """
        rows = self._api._get(
            self._path("/history"),
            {"keys": ",".join(keys) if keys else None, "samples": samples, "xAxis": x_axis, "minStep": min_step, "maxStep": max_step},
        )["rows"]
        if pandas:
            try:
                import pandas as pd  # noqa: PLC0415 - only when asked for
            except ImportError:
                return rows
            return pd.DataFrame(rows)
        return rows

    def scan_history(self, keys=None, page_size=1000, min_step=None, max_step=None):
        """Every row, a page at a time (an iterator of dicts)."""
        step = min_step or 0
        while step is not None:
            page = self._api._get(self._path("/history/scan"), {"fromStep": step, "pageSize": page_size})
            for row in page["rows"]:
                if max_step is not None and row.get("_step", 0) > max_step:
                    return
                yield {k: v for k, v in row.items() if k in keys or k == "_step"} if keys else row
            step = page.get("nextStep")

    def __repr__(self):
        return "<cohort.ApiRun {}/{}/{} ({})>".format(self.entity, self.project, self.id, self.state)


class ApiGroup:
    """Cohort only: a training group's ranks and its aggregates across ranks (docs/distributed.md)."""

    def __init__(self, api, entity, project, group):
        self._api = api
        self.entity, self.project, self.group = entity, project, group

    def _path(self, suffix=""):
        return "/api/v1/groups/" + Api._q(self.entity, self.project, self.group) + suffix

    def info(self):
        return self._api._get(self._path())

    def members(self):
        return self.info()["members"]

    def history(self, keys=None, min_step=None, max_step=None):
        """``[{"_step": n, "loss": {"mean", "min", "max", "count"}}, ...]``."""
        return self._api._get(self._path("/history"), {"keys": ",".join(keys) if keys else None, "minStep": min_step, "maxStep": max_step})["rows"]


class ApiArtifact:
    """A stored artifact version: ``name``, ``type``, ``version``, ``aliases``, ``files()``, ``download(root)``."""

    def __init__(self, api, info):
        self._api = api
        self._info = info
        for key in ("entity", "project", "name", "type", "version", "digest", "aliases", "size", "description", "metadata"):
            setattr(self, key, info.get(key))

    def files(self):
        return list(self._info.get("files") or [])

    def logged_by(self):
        ref = self._info.get("loggedBy")
        return None if ref is None else self._api.run("{}/{}/{}".format(ref["entity"], ref["project"], ref["runId"]))

    def used_by(self):
        return [self._api.run("{}/{}/{}".format(r["entity"], r["project"], r["runId"])) for r in self._info.get("usedBy") or []]

    def download(self, root=None):
        """Downloads every stored file (each checked against its sha256) under ``root``; returns the folder."""
        root = os.path.abspath(root or os.path.join("artifacts", "{}-{}".format(self.name, self.version)))
        for entry in self.files():
            if entry.get("ref"):
                continue  # a reference names data elsewhere
            target = os.path.normpath(os.path.join(root, entry["path"]))
            if not target.startswith(root + os.sep):
                raise Error("artifact entry {!r} points outside {}".format(entry["path"], root), "INVALID_ARGUMENT")
            data = self._api._request("/api/v1/blobs/" + entry["digest"])
            if hashlib.sha256(data).hexdigest() != entry["digest"]:
                raise Error("artifact entry {} does not match its digest".format(entry["path"]), "DATA_LOSS")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        return root

    def __repr__(self):
        return "<cohort.ApiArtifact {}:{} ({})>".format(self.name, self.version, self.type)
