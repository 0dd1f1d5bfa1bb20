"""``run.watch`` for ``torch.nn.Module``: histograms of parameters and gradients every ``log_freq`` logged steps.

The same as the TypeScript SDK's ModelWatcher (packages/sdk/src/media/model-watcher.ts,
docs/run-semantics.md §10), done here because the tensors live in this process:
every ``log_freq`` calls of ``log`` (those not given ``commit=False``) the row gains
``parameters/<prefix><name>`` and ``gradients/<prefix><name>``, 64-bin histograms
of the finite values (numpy's bins: equal widths from the minimum to the maximum,
widened by 0.5 each side when they are equal), computed with torch.
"""

import sys

from .media import Histogram

WATCH_BINS = 64
_LOGS = ("gradients", "parameters", "all", None)


class Watcher:
    def __init__(self):
        self._watched = []  # [model, prefix, log, log_freq, steps]
        self._added = 0

    @property
    def active(self):
        return bool(self._watched)

    def watch(self, models, log="gradients", log_freq=1000, idx=None):
        models = list(models) if isinstance(models, (list, tuple)) else [models]
        if log not in _LOGS:
            raise ValueError('Expected `log` of watch to be "gradients", "parameters", "all" or None, got {!r}'.format(log))
        if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
            raise ValueError("Expected `log_freq` of watch to be an integer from 1 up, got {!r}".format(log_freq))
        idx = self._added if idx is None else idx
        if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0:
            raise ValueError("Expected `idx` of watch to be an integer from 0 up, got {!r}".format(idx))
        for model in models:
            if not callable(getattr(model, "named_parameters", None)):
                raise TypeError("Expected a torch.nn.Module (anything with named_parameters()), got {}".format(type(model).__name__))
        for i, model in enumerate(models):
            n = idx + i
            self._watched.append([model, "graph_{}".format(n) if n > 0 else "", log, log_freq, 0])
        self._added = max(self._added, idx + len(models))

    def unwatch(self, models=None):
        if models is None:
            self._watched.clear()
            return
        drop = {id(m) for m in (models if isinstance(models, (list, tuple)) else [models])}
        self._watched = [w for w in self._watched if id(w[0]) not in drop]

    def tick(self):
        """Counts one logged step; the histograms due at it (descriptors), or None."""
        out = None
        for w in self._watched:
            model, prefix, log, log_freq, _ = w
            w[4] += 1
            if log is None or w[4] % log_freq != 0:
                continue
            out = {} if out is None else out
            for name, param in model.named_parameters():
                if log in ("parameters", "all"):
                    out["parameters/{}{}".format(prefix, name)] = tensor_histogram(param)
                if log in ("gradients", "all") and getattr(param, "grad", None) is not None:
                    out["gradients/{}{}".format(prefix, name)] = tensor_histogram(param.grad)
        return out


def tensor_histogram(tensor, bins=WATCH_BINS):
    """A 64-bin :class:`Histogram` of a tensor's finite values, computed where the tensor is."""
    torch = sys.modules["torch"]
    t = tensor.detach().flatten().double()
    t = t[torch.isfinite(t)]
    if t.numel() == 0:
        lo, hi = 0.0, 1.0
    else:
        lo, hi = t.min().item(), t.max().item()
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
    counts = torch.histc(t, bins=bins, min=lo, max=hi)
    edges = torch.linspace(lo, hi, bins + 1, dtype=torch.float64)
    return Histogram(np_histogram=(counts.tolist(), edges.tolist()))
