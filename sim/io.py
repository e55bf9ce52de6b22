"""Atomic output: a reader never sees a half-written file, and a bad output path is refused
before any work.

Every file crowdsim writes goes to a temporary name in the target folder first and is then
moved into place with :func:`os.replace`, which is atomic on POSIX and Windows.

:func:`check_writable_folder` and :func:`check_writable_file` try an output path before a
command starts working (``--out``, ``--figure``, ``--csv``): a folder that is read-only, a
path through a file, a path the system refuses to create, each is one line naming the option
and the operating system's reason (a :class:`sim.config.ConfigError`), and the check leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# read once: os.umask can only be read by setting it
_UMASK = os.umask(0o022)
os.umask(_UMASK)

__all__ = ["atomic_path", "write_text", "write_json", "write_parquet", "save_figure",
           "check_writable_folder", "check_writable_file", "results_kind"]

#: What marks a sweep's folder (:mod:`sim.sweep.store`) and an experiment's folder
#: (``experiments/_runner.py``: its summary, and its stages' sweeps under ``runs/``).
SWEEP_MARKER = "manifest.json"
EXPERIMENT_MARKERS = ("summary.json", "runs")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "",
                durable: bool = False, sync_folder: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` if the block succeeds.

    With ``durable=True`` the file's bytes are flushed to the disk (fsync) before the rename
    and the folder's entry after it, so that a power cut or a kernel crash cannot leave an
    empty or partial file under ``target``'s name (the rename alone only orders the steps for
    other processes, not for the disk). ``sync_folder=False`` leaves the folder's entry to
    a later durable write in the same folder (one fsync of a folder makes every rename in
    it durable): until then a crash may lose the new name, never leave a partial file
    under it. A sweep's chunks do so, its manifest then syncs the folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (folder / "a.txt").read_text()
    'hello'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.",
                                        suffix=suffix or target.suffix, dir=target.parent)
    except OSError as exc:  # named after the file wanted, not the random temporary name
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    os.close(handle)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; results are ordinary files
    try:
        yield tmp
        if durable:
            _fsync(tmp)
        os.replace(tmp, target)
        if durable and sync_folder:
            _fsync(target.parent)
    except OSError as exc:
        if exc.filename is not None and exc.filename != str(tmp):
            raise
        # name the file being written, not its temporary name (nor none: pyarrow and
        # matplotlib name none), with the system's reason for the error's number
        reason = os.strerror(exc.errno) if exc.errno else " ".join(str(exc).split())
        raise OSError(exc.errno, reason, str(target)) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's) data to the disk; a no-op where folders cannot be
    opened (Windows)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except (IsADirectoryError, PermissionError):
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_text(target: str | os.PathLike, text: str, durable: bool = False) -> Path:
    """Write ``text`` to ``target`` atomically (``durable``: see :func:`atomic_path`)."""
    with atomic_path(target, durable=durable) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(target: str | os.PathLike, data: Any, durable: bool = False) -> Path:
    """Write ``data`` as indented JSON (NaN written as null) atomically."""
    return write_text(target, json.dumps(_jsonable(data), indent=2, allow_nan=False) + "\n",
                      durable=durable)


def write_parquet(target: str | os.PathLike, frame) -> Path:
    """Write a pandas DataFrame to Parquet atomically."""
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(target)


def save_figure(fig, target: str | os.PathLike, **kwargs) -> Path:
    """Save a matplotlib figure atomically; the format follows ``target``'s suffix."""
    target = Path(target)
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=target.suffix.lstrip("."), **kwargs)
    return target


def check_writable_folder(folder: str | os.PathLike, option: str = "--out") -> Path:
    """Refuse, before any work, an output folder that cannot be written; create nothing.

    An existing folder must accept a new file (tried with a temporary file, removed at
    once: permission bits alone would not tell about a read-only file system, and the
    superuser ignores them). A missing folder must be creatable: it is created with its
    missing parents and they are removed again, so that a command refused later leaves no
    folder behind.

    Parameters
    ----------
    folder : path-like
        The output folder.
    option : str
        The option (or argument) that named it, for the message.

    Returns
    -------
    pathlib.Path
        ``folder`` as a path.

    Raises
    ------
    ConfigError
        One line naming ``option``, the path and the reason, e.g. ``--out: cannot create
        afile/sub: afile is a file, not a folder``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> check_writable_folder(base / "new" / "deeper") == base / "new" / "deeper"
    True
    >>> (base / "new").exists()  # tried, and removed again
    False
    >>> _ = (base / "afile").write_text("x")
    >>> check_writable_folder(base / "afile" / "sub")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: --out: cannot create .../afile/sub: .../afile is a file, not a folder
    """
    from sim.config import ConfigError

    folder = Path(folder)
    try:
        if folder.exists():
            if not folder.is_dir():
                raise ConfigError(f"{option}: {folder} exists and is not a folder")
            _try_a_file_in(folder, option)
            return folder
        ancestor = _nearest_existing(folder)
        if not ancestor.is_dir():
            raise ConfigError(f"{option}: cannot create {folder}: {ancestor} is a file, not "
                              "a folder")
        _try_to_create(folder)
    except OSError as exc:  # a name too long, a path the system refuses ...
        raise ConfigError(f"{option}: cannot create {folder}: {_reason(exc)}") from None
    return folder


def _try_a_file_in(folder: Path, option: str) -> None:
    from sim.config import ConfigError

    try:
        handle, probe = tempfile.mkstemp(prefix=".crowdsim-write-test.", dir=folder)
    except OSError as exc:
        raise ConfigError(f"{option}: cannot write in {folder}: {_reason(exc)}") from None
    os.close(handle)
    os.unlink(probe)


def _nearest_existing(path: Path) -> Path:
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    return ancestor


def _try_to_create(folder: Path) -> None:
    """Create ``folder`` and its missing parents, then remove what was created."""
    created = []
    try:
        for missing in reversed([folder, *folder.parents]):
            if missing.exists():
                continue
            try:
                os.mkdir(missing)
            except FileExistsError:  # made meanwhile by someone else: not ours to remove
                continue
            created.append(missing)
    finally:
        for made in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(made)


def check_writable_file(target: str | os.PathLike, option: str,
                        make_folders: bool = True) -> Path:
    """Refuse, before any work, an output file that cannot be written; create nothing.

    The file is written beside itself and moved into place (:func:`atomic_path`), so its
    folder must be writable (:func:`check_writable_folder`), and the path must not be a
    folder. ``make_folders=False``: the folder must exist already (for a writer that does
    not create folders, so that a typo makes none).

    Raises
    ------
    ConfigError
        One line naming ``option``, the path and the reason.

    Examples
    --------
    >>> check_writable_file("/etc/passwd/h.png", "--figure")
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: --figure: cannot create /etc/passwd/h.png: /etc/passwd is a file, ...
    """
    from sim.config import ConfigError

    target = Path(target)
    try:
        if target.is_dir():
            raise ConfigError(f"{option}: {target} is a folder; give a file name")
        ancestor = _nearest_existing(target)
        if not ancestor.is_dir():
            raise ConfigError(f"{option}: cannot create {target}: {ancestor} is a file, not "
                              "a folder")
        if target.parent.exists():
            _try_a_file_in(target.parent, option)
        elif make_folders:
            _try_to_create(target.parent)
        else:
            raise ConfigError(f"{option}: cannot create {target}: folder {target.parent} does "
                              "not exist")
    except OSError as exc:
        raise ConfigError(f"{option}: cannot create {target}: {_reason(exc)}") from None
    return target


def results_kind(folder: str | os.PathLike) -> str | None:
    """``"sweep"``, ``"experiment"`` or None: what kind of results ``folder`` holds.

    A sweep's folder has :data:`SWEEP_MARKER`; an experiment's has its ``summary.json`` or,
    before its first run finished, its stages under ``runs/``.

    Examples
    --------
    >>> import tempfile
    >>> results_kind(tempfile.mkdtemp()) is None
    True
    """
    folder = Path(folder)
    if (folder / SWEEP_MARKER).is_file():
        return "sweep"
    summary, runs = EXPERIMENT_MARKERS
    if (folder / summary).is_file() or (folder / runs).is_dir():
        return "experiment"
    return None


def _reason(exc: OSError) -> str:
    """The operating system's reason, without the errno and file name ``str(exc)`` adds."""
    return exc.strerror or str(exc)


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and non-finite floats into JSON-safe values."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
