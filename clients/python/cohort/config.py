"""``run.config`` (docs/run-semantics.md §4): reads a copy the agent answered; writes go through the agent's rules."""

from collections.abc import Mapping

from . import _values


class Config:
    """Attribute and item access to the run's config; ``update(d, allow_val_change=)`` and ``setdefaults``."""

    def __init__(self, run, values):
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_values", dict(values))

    def update(self, d, allow_val_change=None):
        """Adds or changes keys; changing a value raises ``ConfigError`` unless ``allow_val_change``."""
        values = _as_dict(d, "update")
        answer = self._run._call("config_update", {"values": _values.convert(values, "config", 1), "allow_val_change": bool(allow_val_change)})
        object.__setattr__(self, "_values", answer)

    def setdefaults(self, d):
        """Adds only the keys not set yet."""
        answer = self._run._call("config_setdefaults", {"values": _values.convert(_as_dict(d, "setdefaults"), "config", 1)})
        object.__setattr__(self, "_values", answer)

    def _replace(self, values):
        """The agent's config after a resume."""
        object.__setattr__(self, "_values", dict(values))

    def get(self, key, default=None):
        return self._values.get(key, default)

    def keys(self):
        return [k for k in self._values if not k.startswith("_")]

    def items(self):
        return [(k, self._values[k]) for k in self.keys()]

    def values(self):
        return [self._values[k] for k in self.keys()]

    def as_dict(self):
        return dict(self._values)

    def __getitem__(self, key):
        return self._values[key]

    def __setitem__(self, key, value):
        self.update({key: value})

    def __contains__(self, key):
        return key in self._values

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError("config has no key {!r}".format(name)) from None

    def __setattr__(self, name, value):
        self.update({name: value})

    def __repr__(self):
        return repr(self._values)


def _as_dict(d, method):
    if isinstance(d, Mapping):
        return dict(d)
    if hasattr(d, "__dict__") and not isinstance(d, type):  # argparse.Namespace and the like, as W&B takes them
        return dict(vars(d))
    raise TypeError("Expected config.{}() to get a dict, got {}".format(method, type(d).__name__))
