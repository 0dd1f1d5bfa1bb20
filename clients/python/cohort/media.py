"""W&B's media types: ``cohort.Histogram``, ``cohort.Image``, ``cohort.Table``, ``cohort.Html``.

Each is a descriptor ``{"$media": kind, ...}`` that the agent turns into the
TypeScript SDK's media object (packages/sdk/src/media), which makes the run
file and the logged JSON; nothing about the file formats lives here.
"""

import base64
import os
import sys

from . import _values


def _numbers(values, what):
    """A flat list of floats from a sequence, numpy array or torch tensor."""
    converted = _values._array_like(values)
    if converted is not _values._MISSING:
        values = converted
    if isinstance(values, (int, float)):
        return [values]
    try:
        flat = []
        stack = [values]
        while stack:
            item = stack.pop()
            if isinstance(item, (list, tuple)):
                stack.extend(reversed(item))
            else:
                flat.append(float(item))
        return flat
    except (TypeError, ValueError):
        raise TypeError("Expected {} to be numbers (a sequence, numpy array or torch tensor), got {}".format(what, type(values).__name__)) from None


class Histogram:
    """A histogram of values (``num_bins`` bins, 64 by default), or of ``np_histogram=(counts, bin_edges)``."""

    def __init__(self, sequence=None, np_histogram=None, num_bins=64):
        if (sequence is None) == (np_histogram is None):
            raise ValueError("Histogram takes either `sequence` or `np_histogram`")
        if np_histogram is not None:
            if not isinstance(np_histogram, (list, tuple)) or len(np_histogram) != 2:
                raise ValueError("Expected `np_histogram` to be (counts, bin_edges), as numpy.histogram returns")
            self._desc = {"$media": "histogram", "counts": _numbers(np_histogram[0], "the counts"), "bins": _numbers(np_histogram[1], "the bin edges")}
        else:
            self._desc = {"$media": "histogram", "values": _numbers(sequence, "`sequence`"), "num_bins": num_bins}

    def _to_cohort_json(self):
        return self._desc


class Html:
    """An HTML document: a string, a path to a ``.html`` file, or an open file."""

    def __init__(self, data, inject=True):
        del inject
        if hasattr(data, "read"):
            data = data.read()
        elif isinstance(data, str) and data.endswith(".html") and os.path.isfile(data):
            with open(data, encoding="utf-8") as f:
                data = f.read()
        if not isinstance(data, str):
            raise TypeError("Expected Html data to be a str, a path to a .html file or a file, got {}".format(type(data).__name__))
        self._desc = {"$media": "html", "html": data}

    def _to_cohort_json(self):
        return self._desc


class Table:
    """A table: ``columns`` and ``data`` (rows), or a pandas ``dataframe``; ``add_data(*row)`` appends a row."""

    def __init__(self, columns=None, data=None, rows=None, dataframe=None):
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.values.tolist()
        data = data if data is not None else rows
        self.data = [list(r) for r in (data or [])]
        if columns is None:
            width = len(self.data[0]) if self.data else 0
            columns = ["col{}".format(i) for i in range(width)]
        self.columns = [str(c) for c in columns]

    def add_data(self, *row):
        self.data.append(list(row))

    def _to_cohort_json(self):
        return {"$media": "table", "columns": self.columns, "data": _values.convert(self.data, "table", 1)}


class Image:
    """An image from a numpy array (H×W, H×W×C; uint8, or floats 0–1), nested lists, a PIL image, or a file path."""

    def __init__(self, data_or_path, mode=None, caption=None):
        del mode
        self._desc = {"$media": "image"}
        if caption is not None:
            self._desc["caption"] = str(caption)
        if isinstance(data_or_path, (str, os.PathLike)):
            self._desc["path"] = os.path.abspath(os.fspath(data_or_path))
            return
        pil = sys.modules.get("PIL.Image")
        if pil is not None and isinstance(data_or_path, pil.Image):
            img = data_or_path
            if img.mode not in ("L", "LA", "RGB", "RGBA"):
                img = img.convert("RGBA")
            channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[img.mode]
            self._pixels(img.width, img.height, channels, "u8", img.tobytes())
            return
        np = sys.modules.get("numpy")
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(data_or_path, torch.Tensor):
            data_or_path = data_or_path.detach().cpu().numpy()
            if data_or_path.ndim == 3 and data_or_path.shape[0] in (1, 3, 4):
                data_or_path = data_or_path.transpose(1, 2, 0)  # torch's C×H×W
        if np is not None and isinstance(data_or_path, np.ndarray):
            a = data_or_path
            if a.ndim not in (2, 3):
                raise ValueError("Expected an image array of H×W or H×W×C, got shape {}".format(a.shape))
            height, width = a.shape[0], a.shape[1]
            channels = 1 if a.ndim == 2 else a.shape[2]
            if a.dtype == np.uint8:
                self._pixels(width, height, channels, "u8", np.ascontiguousarray(a).tobytes())
            else:
                self._pixels(width, height, channels, "f64", np.ascontiguousarray(a, dtype="<f8").tobytes())
            return
        if isinstance(data_or_path, (list, tuple)):
            self._desc["rows"] = _values.convert(list(data_or_path), "image", 1)
            return
        raise TypeError("Expected an image as a numpy array, nested lists, a PIL image or a path, got {}".format(type(data_or_path).__name__))

    def _pixels(self, width, height, channels, kind, data):
        self._desc.update(width=width, height=height, channels=channels, kind=kind, data=base64.b64encode(data).decode("ascii"))

    def _to_cohort_json(self):
        return self._desc
