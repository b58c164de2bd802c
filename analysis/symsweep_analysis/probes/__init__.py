"""Per-probe registry of the analysis: for each probe, the /runs/metrics it
writes (by name or prefix) and its figures.  One module per probe registers
itself here; the report groups statistics and draws figures through it, so a
new probe (or a plug-in's) adds a module, not edits elsewhere.

    from symsweep_analysis import probes
    probes.register("layer_norms", prefixes=("layer_norm_",), figures=[my_figure])
"""


class Probe:
    def __init__(self, name, names=(), prefixes=(), figures=()):
        self.name, self.names, self.prefixes = name, tuple(names), tuple(prefixes)
        self.figures = list(figures)

    def owns(self, metric):
        return metric in self.names or metric.startswith(self.prefixes)


_REGISTRY = []


def register(name, names=(), prefixes=(), figures=()):
    """Register (or replace) probe `name`: its metrics by exact name or prefix,
    and its figure functions (each takes a figures.Context)."""
    global _REGISTRY
    _REGISTRY = [p for p in _REGISTRY if p.name != name]
    p = Probe(name, names, prefixes, figures)
    _REGISTRY.append(p)
    return p


def registered():
    """The probes in registration order."""
    return list(_REGISTRY)


def probe_of(metric):
    """The probe whose metric this is, or "other"."""
    for p in _REGISTRY:
        if p.owns(metric):
            return p.name
    return "other"


def tables(metrics):
    """metric names grouped by probe: {probe: [metric, ...]}, in registry order, "other" last."""
    order = {p.name: k for k, p in enumerate(_REGISTRY)}
    out = {}
    for m in metrics:
        out.setdefault(probe_of(m), []).append(m)
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order))))


# the built-in probes, in the order the report shows them
from . import training, reparam, centralizer, structure, penalty_invariance, lp_ball  # noqa: E402,F401
from . import orbit_loss, gradient_decomposition, stabilizer, functional_dimension  # noqa: E402,F401
from . import tangent_slice, teleport, canonical  # noqa: E402,F401
from . import hessian, hessian_lanczos, symmetry_discovery  # noqa: E402,F401
from . import conserved  # noqa: E402,F401
from . import learning_order  # noqa: E402,F401
from . import learned_group  # noqa: E402,F401
