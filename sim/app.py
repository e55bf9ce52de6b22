"""Serve a model's page in the browser: ``crowdsim app NAME [--host H] [--port P]``.

Each model has an ``app`` module whose ``Page`` component Solara serves (see
``sim/models/estimation/app.py``; the parts the pages share, Mesa's controls among them, are
in :mod:`sim.app_parts`); :data:`APPS` names them: ``estimation`` (crowd estimation with
social influence), ``nest-site`` (nest-site selection by a honeybee swarm),
``majority-vote`` (Condorcet's jury), ``cascades`` (information cascades) and
``cumulative-advantage`` (the MusicLab market). Every browser page gets its own model.

:func:`launch` runs ``solara run MODULE`` in a subprocess of its own process group, waits
until it answers, prints the address and keeps serving until interrupted: Ctrl-C (SIGINT),
``kill`` (SIGTERM) or a closed terminal (SIGHUP) stop the server's whole process group too,
so the port is free again; on Linux the server also ends if the launcher is killed outright.
:func:`start` and :func:`wait_until_serving` are the same steps for callers (tests) that
drive the page while the server runs, and :func:`stop` ends a server they started.

The server runs in production mode (no auto-reload) with Solara's version check and usage
statistics off: the page is served from this machine's files alone (the browser assets come
from the ``solara-assets`` package), so it also works without internet access.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

__all__ = ["APPS", "AppError", "ServerError", "DEFAULT_HOST", "DEFAULT_PORT", "address",
           "command", "start", "free_port", "wait_until_serving", "stop", "launch"]

#: Model name (as typed after ``crowdsim app``) -> module whose ``Page`` Solara serves.
APPS: dict[str, str] = {
    "estimation": "sim.models.estimation.app",
    "nest-site": "sim.models.nest_site.app",
    "majority-vote": "sim.models.majority_vote.app",
    "cascades": "sim.models.cascades.app",
    "cumulative-advantage": "sim.models.cumulative_advantage.app",
}

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Seconds to wait for a server to answer (the first start imports Mesa, Solara, numba).
START_TIMEOUT = 90.0


class AppError(ValueError):
    """A bad app name, host or port (one-line message)."""


class ServerError(RuntimeError):
    """The server exited or did not answer in time (one-line message)."""


def address(host: str, port: int) -> str:
    """The page's URL, e.g. ``http://127.0.0.1:8765/``.

    >>> address("127.0.0.1", 8765), address("::1", 80)
    ('http://127.0.0.1:8765/', 'http://[::1]:80/')
    """
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _module(model_name: str) -> str:
    if model_name not in APPS:
        known = ", ".join(sorted(APPS))
        raise AppError(f"app: unknown app {model_name!r}; known: {known}")
    return APPS[model_name]


def command(model_name: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> list[str]:
    """The ``solara run`` command line that serves ``model_name``'s page."""
    return [sys.executable, "-m", "solara", "run", _module(model_name), "--host", host,
            "--port", str(port), "--production", "--no-open", "--no-check-version"]


def _check_port_free(host: str, port: int) -> None:
    """Fail early, in one line, when the address cannot be bound (in use, bad host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AppError(f"--host: cannot use {host!r} ({exc.strerror})") from None
    family, kind, proto, _, sockaddr = infos[0]
    with socket.socket(family, kind, proto) as probe:
        if os.name == "posix":  # as the server will: a port whose last connections are
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # closing is free
        try:
            probe.bind(sockaddr)
        except OSError as exc:
            raise AppError(f"--port: cannot listen on {host}:{port} "
                           f"({exc.strerror or exc})") from None


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port that is free on ``host`` now (for tests and ``--port 0``)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _end_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """In the server's process (Linux): receive SIGTERM when the launcher dies, even by
    SIGKILL, so that no orphaned server keeps the port."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(model_name: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          **popen_kwargs) -> tuple[subprocess.Popen, str]:
    """Start serving ``model_name``'s page; returns the server process and its address.

    ``port=0`` picks a free port. The server leads a process group of its own (unless
    ``popen_kwargs`` say otherwise), which :func:`stop` ends as a whole. Does not wait for
    the server: see :func:`wait_until_serving`.
    """
    cmd = command(model_name, host, port)  # checks the name first
    if not 0 <= port <= 65535:
        raise AppError(f"--port: must be in 0..65535, got {port}")
    if port == 0:
        port = free_port(host)
        cmd = command(model_name, host, port)
    _check_port_free(host, port)
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("MPLBACKEND", "Agg")
    # on plain http Solara falls back to SameSite=Lax cookies, as a local page should, and
    # warns about it on the first request: expected here, so not shown
    env["PYTHONWARNINGS"] = ",".join(filter(None, [
        env.get("PYTHONWARNINGS"), "ignore:Cookies with samesite=none require https:UserWarning"]))
    popen_kwargs.setdefault("start_new_session", True)
    if sys.platform.startswith("linux"):
        popen_kwargs.setdefault("preexec_fn", _end_with_parent)
    process = subprocess.Popen(cmd, env=env, **popen_kwargs)
    process.leads_group = bool(popen_kwargs["start_new_session"])  # read by stop()
    return process, address(host, port)


def wait_until_serving(url: str, process: subprocess.Popen | None = None,
                       timeout: float = START_TIMEOUT) -> float:
    """Wait until ``url`` answers 200; returns the seconds waited.

    Raises :class:`ServerError` when the process exits first or ``timeout`` passes.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    began = time.monotonic()
    while True:
        if process is not None and process.poll() is not None:
            raise ServerError(f"app: the server exited with code {process.returncode} before "
                           f"serving {url}")
        try:
            with opener.open(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - began
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() - began > timeout:
            raise ServerError(f"app: no answer from {url} after {timeout:.0f} s")
        time.sleep(0.25)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    """``signum`` to the process group ``process`` leads (what it started gets it too), or
    to the process alone when :func:`start` did not make it a group's leader."""
    with contextlib.suppress(ProcessLookupError):
        if getattr(process, "leads_group", False) and hasattr(os, "killpg"):
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)


def stop(process: subprocess.Popen, timeout: float = 10.0) -> int:
    """Stop a server started by :func:`start` and its process group (SIGTERM, then
    SIGKILL after ``timeout`` seconds); returns its exit code."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout)
    elif getattr(process, "leads_group", False) and hasattr(os, "killpg"):
        with contextlib.suppress(OSError):  # the leader is gone: end what is left of its group
            os.killpg(process.pid, signal.SIGTERM)
    return process.returncode


class _Stopped(Exception):
    """The launcher was asked to stop (SIGTERM, SIGHUP)."""


@contextlib.contextmanager
def _stopping_on_signals():
    """Within the block the first SIGTERM or SIGHUP raises :class:`_Stopped` (as Ctrl-C
    raises KeyboardInterrupt), so the server is stopped on the way out, and later ones are
    ignored (they must not cut that short); outside the main thread, where Python cannot
    set handlers, nothing changes."""
    kinds = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
             if s is not None]

    def stopped(signum, frame) -> None:
        for kind in kinds:
            signal.signal(kind, signal.SIG_IGN)
        raise _Stopped(signum)

    previous = {}
    try:
        for kind in kinds:
            previous[kind] = signal.signal(kind, stopped)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)


def launch(model_name: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve ``model_name``'s page until stopped, printing its address.

    Ctrl-C (SIGINT), SIGTERM (``kill PID``) and SIGHUP stop the server and its process
    group before returning. Returns the exit code: 0 when stopped so, else the server's own
    code when it stops by itself.
    """
    process = None
    with _stopping_on_signals():
        try:
            process, url = start(model_name, host, port)
            print(f"crowdsim: starting the {model_name} app at {url} ...", flush=True)
            waited = wait_until_serving(url, process)
            print(f"crowdsim: the {model_name} app is serving at {url} (ready in "
                  f"{waited:.0f} s; Ctrl-C stops it)", flush=True)
            return process.wait()
        except (KeyboardInterrupt, _Stopped):
            return 0
        finally:
            if process is not None:
                stop(process)
