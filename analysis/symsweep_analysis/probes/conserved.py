"""Conserved quantities of gradient flow over training."""
from . import register

register("conserved", prefixes=("conserved_",))
