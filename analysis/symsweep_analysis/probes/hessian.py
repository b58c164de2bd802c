"""Hessian spectra at the trained point (a team probe)."""
from . import register

register("hessian", prefixes=("hessian_",))
