"""The symmetry algebra found from data (a team probe)."""
from . import register

register("symmetry_discovery", prefixes=("discovery_",))
