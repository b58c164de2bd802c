#!/usr/bin/env python3
"""symsweep_analysis.stats.orbit_order (seed 004: small orbits first?) on tables whose answer is
known: time = orbit size gives Spearman's rho = 1 and a bootstrap interval [1, 1]; time = minus
the orbit size gives -1; a time drawn independently of the orbit (shuffled) gives rho near 0 with
an interval containing 0; never learned (-1 or NaN) ranks after every learned prototype, so a
table where only the largest orbit is never learned is still rho = 1; the interval resamples
whole runs from a fixed seed (the same call gives the same numbers) and narrows with more runs.

usage: test_orbit_order.py SOURCE_DIR   (ctest: analysis.orbit_order)
"""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "analysis"))
from symsweep_analysis import stats  # noqa: E402

ORBITS = np.array([1, 2, 4, 1, 4, 8], dtype=float)  # cross, bar, corner, blob, edge, generic under D4


def table(runs):
    return np.tile(ORBITS, (runs, 1))


class OrbitOrder(unittest.TestCase):
    def test_time_equal_to_orbit_is_one(self):
        o = table(30)
        r = stats.orbit_order(o, 10 * o)
        self.assertAlmostEqual(r["rho"], 1.0, places=12)
        self.assertAlmostEqual(r["lo"], 1.0, places=12)
        self.assertAlmostEqual(r["hi"], 1.0, places=12)
        self.assertEqual((r["runs"], r["pairs"], r["never"]), (30, 180, 0))

    def test_reversed_is_minus_one(self):
        o = table(10)
        self.assertAlmostEqual(stats.orbit_order(o, 100 - o)["rho"], -1.0, places=12)

    def test_shuffled_is_near_zero(self):
        rng = np.random.default_rng(5)
        o = table(400)
        t = rng.permutation(o.ravel()).reshape(o.shape) * 5
        r = stats.orbit_order(o, t, n_boot=400)
        self.assertLess(abs(r["rho"]), 0.08)
        self.assertTrue(r["lo"] < 0 < r["hi"], r)

    def test_never_learned_ranks_last(self):
        o = table(20)
        t = o.copy()
        t[:, 5] = -1.0          # the generic patch (orbit 8) never learned
        t[::2, 5] = np.nan      # NaN counts as never too
        r = stats.orbit_order(o, t)
        self.assertAlmostEqual(r["rho"], 1.0, places=12)
        self.assertEqual(r["never"], 20)
        # the same never-learned prototype counted as learned first: the correlation drops
        t2 = o.copy()
        t2[:, 5] = 0.0
        self.assertLess(stats.orbit_order(o, t2)["rho"], 0.5)

    def test_bootstrap_fixed_and_over_runs(self):
        rng = np.random.default_rng(1)
        o = table(200)
        t = o + rng.normal(0, 3, o.shape)
        a, b = stats.orbit_order(o, t, n_boot=300), stats.orbit_order(o, t, n_boot=300)
        self.assertEqual(a, b)
        small = stats.orbit_order(o[:20], t[:20], n_boot=300)
        self.assertLess(a["hi"] - a["lo"], small["hi"] - small["lo"])
        self.assertTrue(a["lo"] < a["rho"] < a["hi"])

    def test_shapes_refused(self):
        with self.assertRaises(ValueError):
            stats.orbit_order(table(3), table(4))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
