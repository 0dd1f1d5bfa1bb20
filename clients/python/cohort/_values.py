"""Turns Python values into what the agent's JSON carries.

Plain values pass as they are; numpy scalars and arrays and torch tensors
become numbers and lists when those modules are already imported (this module
never imports them). The Run rules (what a key may be, how values merge) are
the SDK's, in the agent: this only copies, so a caller may change its dict
after ``log`` returns.
"""

import json
import math
import sys
from collections.abc import Mapping

_PLAIN = (float, int, str, bool, type(None))
_MAX_DEPTH = 64
_NON_FINITE = {"NaN": {"$cohort": "NaN"}, "Infinity": {"$cohort": "Infinity"}, "-Infinity": {"$cohort": "-Infinity"}}


class MediaRow(dict):
    """A ``log`` row holding media (``cohort.Histogram``...): the agent turns their descriptors into the SDK's media."""

    __slots__ = ()


# Media descriptors made so far (a row whose conversion made one is a MediaRow).
_media = [0]


def copy_row(data):
    """A copy of one ``log`` row with every value converted. Raises ``TypeError`` for a non-mapping or a non-str key."""
    if type(data) is dict:
        row = data.copy()
    elif isinstance(data, Mapping):
        row = dict(data)
    else:
        raise TypeError("Expected `data` to be a dict of values to log, got {}".format(type(data).__name__))
    media = _media[0]
    for key, value in row.items():
        if type(value) not in _PLAIN:
            if type(key) is not str:
                raise TypeError("Expected the keys of `data` to be str, got {!r}".format(key))
            row[key] = convert(value, key, 1)
        elif type(key) is not str:
            raise TypeError("Expected the keys of `data` to be str, got {!r}".format(key))
    if _media[0] != media:
        return MediaRow(row)
    return row


def convert(value, path, depth):
    """One value as JSON-ready data; ``path`` names it in errors."""
    if type(value) in _PLAIN:
        return value
    if depth > _MAX_DEPTH:
        raise ValueError("`{}` is nested more than {} levels deep".format(path, _MAX_DEPTH))
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("Expected the keys of `{}` to be str, got {!r}".format(path, k))
            out[k] = convert(v, "{}.{}".format(path, k), depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [convert(v, "{}[{}]".format(path, i), depth + 1) for i, v in enumerate(value)]
    if isinstance(value, (bool, int, float, str)):  # subclasses (IntEnum, numpy.float64)
        return _plain_subclass(value)
    to_json = getattr(value, "_to_cohort_json", None)
    if to_json is not None:  # cohort media (cohort.Histogram, ...): {"$media": kind, ...}
        _media[0] += 1
        return to_json()
    converted = _array_like(value)
    if converted is not _MISSING:
        return convert(converted, path, depth)
    raise TypeError("Cannot log `{}`: a {} is not a number, string, bool, None, list, dict, numpy value or torch tensor".format(path, type(value).__name__))


_MISSING = object()


def _plain_subclass(value):
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _array_like(value):
    """numpy and torch values as Python numbers or lists, when those modules are loaded."""
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach()
        if value.numel() == 1:
            return value.item()
        return value.cpu().tolist()
    return _MISSING


def dumps(value):
    """JSON text; NaN and ±Infinity as the protocol's ``{"$cohort": "NaN"}`` tags (packages/protocol/src/json.ts)."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_tag_non_finite(value), allow_nan=False, separators=(",", ":"))


def _tag_non_finite(value):
    if type(value) is float and not math.isfinite(value):
        return _NON_FINITE["NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")]
    if isinstance(value, dict):
        return {k: _tag_non_finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tag_non_finite(v) for v in value]
    return value


def _untag(obj):
    if len(obj) == 1 and "$cohort" in obj:
        tag = obj["$cohort"]
        if tag == "NaN":
            return math.nan
        if tag == "Infinity":
            return math.inf
        if tag == "-Infinity":
            return -math.inf
    return obj


def loads(text):
    """Parses the agent's JSON, restoring tagged NaN and ±Infinity."""
    if "$cohort" not in text and "\\u" not in text:
        return json.loads(text)
    return json.loads(text, object_hook=_untag)
