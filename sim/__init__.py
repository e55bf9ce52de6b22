"""crowdsim: agent-based simulation of collective intelligence.

Crowds of agents with noisy private beliefs estimate quantities or choose among options,
under configurable social influence. Each model has a readable Mesa implementation and a
numba kernel that runs the same rules over arrays for fast, reproducible parameter sweeps.

>>> import sim
>>> sim.__version__
'0.1.0'
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("crowdsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
