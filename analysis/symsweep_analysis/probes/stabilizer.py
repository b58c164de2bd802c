"""Orbit and stabilizer dimensions of the trained points (the stabilizer probe)."""
from ..figures import _integer_bars
from . import register

WHAT = (("stabilizer_algebra_dimension", "symmetry algebra"),
        ("stabilizer_orbit_dimension", "orbit"),
        ("stabilizer_dimension", "stabilizer"))


def stabilizer_dims(ctx):
    if "runs/metrics/stabilizer_dimension" not in ctx.f:
        return "no stabilizer probe"
    return _integer_bars(ctx, WHAT, "orbit + stabilizer = symmetry algebra\n(at the trained points)",
                         "stabilizer_dimensions")


register("stabilizer", prefixes=("stabilizer_",), figures=[stabilizer_dims])
