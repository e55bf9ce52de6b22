"""Hypothesis strategies shared by the property tests of sim.aggregate and sim.metrics.

Bounded, finite floats keep the properties about the definitions and the algorithms, not
about overflow.
"""

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

BOUND = 1e6
finite_floats = st.floats(
    -BOUND, BOUND, allow_nan=False, allow_infinity=False, allow_subnormal=False
)
positive_floats = st.floats(1e-3, BOUND, allow_nan=False, allow_infinity=False)
#: one crowd: 1 to 50 estimates
crowds = arrays(np.float64, st.integers(1, 50), elements=finite_floats)
positive_crowds = arrays(np.float64, st.integers(1, 50), elements=positive_floats)
seeds = st.integers(0, 2**32 - 1)

fast = settings(max_examples=100, deadline=None)
