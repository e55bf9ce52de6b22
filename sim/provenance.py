"""Provenance of results: versions, git commit, config hash, seed, time."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import sim

__all__ = ["git_commit", "provenance"]


def git_commit(where: str | Path | None = None) -> str | None:
    """The commit of the git checkout holding crowdsim's sources (``-dirty`` if modified),
    or None outside a checkout."""
    root = Path(where) if where is not None else Path(sim.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "") if commit else None


def _version_of(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def provenance(config_hash: str | None = None, seed: int | None = None,
               experiment: str | None = None) -> dict:
    """A dict recording what produced a result.

    >>> record = provenance(config_hash="abc", seed=1)
    >>> sorted(record)[:3]
    ['config_hash', 'crowdsim_version', 'experiment']
    """
    return {
        "config_hash": config_hash,
        "crowdsim_version": sim.__version__,
        "experiment": experiment,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "seed": seed,
        "timestamp": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": {name: _version_of(name) for name in
                     ("numpy", "numba", "mesa", "scipy", "pandas", "pyarrow", "matplotlib")},
    }
