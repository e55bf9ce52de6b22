"""Shared helpers for the CLI and experiment tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"
BAD_CONFIGS = Path(__file__).resolve().parent / "bad_configs"


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m sim ARGS`` in a fresh interpreter with ``cwd`` as working folder."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(stderr: str, *mentions: str) -> str:
    """``stderr`` is exactly one non-empty ``crowdsim: error:`` line naming ``mentions``."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{stderr}"
    line = lines[0]
    assert line.startswith("crowdsim: error:"), line
    assert line.removeprefix("crowdsim: error:").strip(), "empty error message"
    for mention in mentions:
        assert mention.lower() in line.lower(), f"{mention!r} not named in: {line}"
    return line


def config_copy(name: str, folder: Path, **overrides) -> Path:
    """A copy of ``configs/NAME`` in ``folder`` with top-level scalar keys replaced."""
    lines = (CONFIGS / name).read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in overrides and not line.startswith((" ", "#")):
            line = f"{key}: {overrides.pop(key)}"
        out.append(line)
    assert not overrides, f"keys not in {name}: {sorted(overrides)}"
    path = folder / name
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cli():
    """The :func:`run_cli` helper as a fixture."""
    return run_cli
