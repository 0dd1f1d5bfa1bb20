"""``cohort.Artifact`` (docs/artifacts.md): a draft of files here; the agent's SDK stores, versions and downloads it."""

import os
import shutil
import tempfile

from .errors import UsageError


class Artifact:
    """W&B's ``wandb.Artifact``: ``add_file``, ``add_dir``, ``add_reference``, ``new_file`` before logging;
    ``download``, ``verify``, ``files`` and the version's fields after ``log_artifact`` or ``use_artifact``."""

    def __init__(self, name, type, description=None, metadata=None):  # noqa: A002 - W&B's name
        self.name = name
        self.type = type
        self.description = description or ""
        self.metadata = dict(metadata or {})
        self._ops = []
        self._staging = None
        self._info = None
        self._run = None

    # ---- a draft ------------------------------------------------------------

    def add_file(self, local_path, name=None, overwrite=False):
        del overwrite
        self._draft("add_file")
        self._ops.append(["file", os.path.abspath(os.fspath(local_path)), name])

    def add_dir(self, local_path, name=None):
        self._draft("add_dir")
        self._ops.append(["dir", os.path.abspath(os.fspath(local_path)), name])

    def add_reference(self, uri, name=None, checksum=True, max_objects=None):
        del max_objects
        self._draft("add_reference")
        self._ops.append(["reference", str(uri), name, checksum if isinstance(checksum, str) else None, None])

    def new_file(self, name, mode="x", encoding=None):
        """Opens a new file that becomes entry ``name`` (written to a staging folder)."""
        self._draft("new_file")
        if self._staging is None:
            self._staging = tempfile.mkdtemp(prefix="cohort-artifact-")
        path = os.path.join(self._staging, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._ops.append(["file", path, name])
        return open(path, mode.replace("x", "w"), encoding=encoding)

    def _draft(self, what):
        if self._info is not None:
            raise UsageError("Cannot call `{}` on artifact {}: it is logged and immutable".format(what, self.name))

    def _wire(self):
        """The draft (or, once logged, the handle) the agent takes."""
        if self._info is not None:
            return self._info["handle"]
        return {"name": self.name, "type": self.type, "description": self.description, "metadata": self.metadata, "ops": self._ops}

    def _logged(self, run, info):
        self._info = info
        self._run = run
        self.name = info["name"]
        self.type = info["type"]
        self.description = info.get("description", "")
        self.metadata = info.get("metadata") or {}
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        return self

    @classmethod
    def _from_info(cls, run, info):
        return cls(info["name"], info["type"])._logged(run, info)

    # ---- a stored version ------------------------------------------------------

    def _stored(self, field):
        if self._info is None:
            raise UsageError("artifact {} has no {} until it is logged".format(self.name, field))
        return self._info[field]

    version = property(lambda self: self._stored("version"))
    digest = property(lambda self: self._stored("digest"))
    aliases = property(lambda self: list(self._stored("aliases")))
    qualified_name = property(lambda self: self._stored("qualified_name"))
    size = property(lambda self: self._stored("size"))
    state = property(lambda self: self._info["state"] if self._info else "PENDING")

    def files(self):
        """The entries: ``[{path, digest, size, ref}]``."""
        return list(self._stored("files"))

    def download(self, root=None):
        """Downloads every file (checking digests) and returns the folder."""
        return self._agent_call("artifact_download", root)

    def verify(self, root=None):
        """Raises when a file under ``root`` differs from the manifest."""
        self._agent_call("artifact_verify", root)

    def _agent_call(self, op, root):
        self._stored("handle")
        return self._run._call(op, {"handle": self._info["handle"], "root": None if root is None else os.path.abspath(os.fspath(root))})

    def __repr__(self):
        return "<cohort.Artifact {}:{} ({})>".format(self.name, self._info["version"] if self._info else "draft", self.type)
