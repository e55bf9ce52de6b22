"""The Makefile's interpreter finder: honours PYTHON, refuses old ones, explains what to do."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "find-python.sh"


def find(python: str = "", **env):
    return subprocess.run(["sh", str(SCRIPT), python], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def test_honours_python_variable():
    result = find(sys.executable)
    assert result.returncode == 0
    assert Path(result.stdout.strip()).exists()


def test_refuses_an_old_or_missing_python(tmp_path):
    fake = tmp_path / "python3.11"
    fake.write_text("#!/bin/sh\nexit 1\n")  # behaves like an interpreter failing the check
    fake.chmod(0o755)
    result = find(str(fake))
    assert result.returncode == 1
    assert "is not a Python >= 3.12" in result.stderr


def test_explains_what_to_install_when_nothing_is_found(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    result = find("", PATH=str(empty) + ":/usr/bin:/bin", HOME=str(tmp_path),
                  PYENV_ROOT=str(tmp_path / "no-pyenv"))
    if result.returncode == 0:  # the system itself has a Python >= 3.12 on /usr/bin
        assert Path(result.stdout.strip()).exists()
    else:
        assert "no Python >= 3.12 found" in result.stderr
        assert "install Python 3.12" in result.stderr
