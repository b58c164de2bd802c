"""Ex3: invariance of the penalties under latent transforms."""
from . import register

register("penalty_invariance", prefixes=("penalty_change_",))
