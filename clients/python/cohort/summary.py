"""``run.summary``: a dict-like view of the agent's summary (docs/run-semantics.md §3)."""

from collections.abc import MutableMapping

from . import _values


class _SummaryView(MutableMapping):
    """The summary, or one dict inside it (``run.summary["val"]["acc"] = 0.9`` writes through)."""

    def __init__(self, run, path):
        self._run = run
        self._path = path

    def _whole(self):
        found = self._run._call("summary_get", {"key": self._path} if self._path else {})
        if not self._path:
            return found
        value = found.get("value") if isinstance(found, dict) else None
        return value if isinstance(value, dict) else {}

    def __getitem__(self, key):
        if not isinstance(key, str):
            raise KeyError(key)
        found = self._run._call("summary_get", {"key": self._path + [key]})
        if "value" not in found:
            raise KeyError(key)
        value = found["value"]
        if isinstance(value, dict):
            return _SummaryView(self._run, self._path + [key])
        return value

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError("Expected a summary key to be a str, got {!r}".format(key))
        self._run._call("summary_set", {"key": self._path + [key], "value": _values.convert(value, key, 1)})

    def __delitem__(self, key):
        if not self._run._call("summary_delete", {"key": self._path + [key]}):
            raise KeyError(key)

    def __iter__(self):
        return iter(list(self._whole().keys()))

    def __len__(self):
        return len(self._whole())

    def __contains__(self, key):
        return isinstance(key, str) and "value" in self._run._call("summary_get", {"key": self._path + [key]})

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def update(self, values=None, **kwargs):
        """Sets each key of ``values`` (W&B's ``summary.update``)."""
        values = dict(values or {}, **kwargs)
        if not self._path:
            self._run._call("summary_update", {"values": _values.convert(values, "summary", 1)})
            return
        for key, value in values.items():
            self[key] = value

    def as_dict(self):
        """The (sub)summary as a plain nested dict (a copy)."""
        return self._whole()

    _as_dict = as_dict

    def __repr__(self):
        return repr(self._whole())


class Summary(_SummaryView):
    """``run.summary``: reads ask the agent (rows logged so far count); writes set keys explicitly."""

    def __init__(self, run):
        super().__init__(run, [])
