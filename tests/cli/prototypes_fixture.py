"""The fixture cli.learning_order and cli.learning_order_diverged share: the four 8x8 prototypes
in closed form (P, in the order of `prototypes: [cross, bar, corner, edge]`) and the starting
weights of a 64 -> 4 -> 64 autoencoder whose first-layer rows are the corner turned by a quarter
(an element of its D4 orbit, not the corner itself), the cross, minus the bar, and noise."""
import numpy as np

P = np.zeros((4, 8, 8))
P[0, 3:5, :] = P[0, :, 3:5] = 1          # cross
P[1, 3:5, 2:6] = 1                       # bar
P[2, 2, 2:6] = P[2, 2:6, 2] = 1          # corner
P[3, :, 4:] = 1                          # edge

_rng = np.random.default_rng(2)
W1 = np.stack([np.rot90(P[2]).ravel(), P[0].ravel(), -P[1].ravel(), 0.01 * _rng.standard_normal(64)])
DEC = _rng.standard_normal((64, 4))
