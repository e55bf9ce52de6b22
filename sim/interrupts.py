"""Ctrl-C and SIGTERM as a request to stop: save what is done, then exit 130 or 143.

Both signals end a command the same way: the work already finished is saved, the sweep's
manifest says ``interrupted``, and the exit code is 128 plus the signal's number (130 for
Ctrl-C, SIGINT; 143 for SIGTERM, what ``kill PID``, systemd and batch schedulers send).

:class:`StopSignals` installs the handlers for the duration of a ``with`` block, in the main
thread only (Python delivers signals there; elsewhere the block changes nothing). Its modes:

``raise`` (the default)
    a signal raises :class:`Interrupted` at once, as Ctrl-C raises ``KeyboardInterrupt``;
``poll``
    a first signal is only recorded (:attr:`StopSignals.received`) so that the code can
    stop at a point of its choosing, e.g. after saving the chunks that have finished; a
    second signal raises at once if ``escalate`` (the user insists), else is ignored;
``ignore``
    signals are recorded and ignored: the code is saving what is done and stops next.

Once a stop is under way in this process (any :class:`StopSignals` has seen a signal), an
outer block in ``raise`` mode with ``exit_when_repeated`` (the command line's) ends the
process at once with the first signal's exit code on any further signal, and keeps its
handlers installed after the block: a double Ctrl-C while the process winds down must exit
130, not die by the signal (-2) or print a traceback.

Examples
--------
>>> with StopSignals() as signals:
...     signals.received is None
True
>>> Interrupted(15).exit_code
143
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
from collections.abc import Iterator

__all__ = ["Interrupted", "StopSignals", "STOP_SIGNALS", "exit_code_of", "reset"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: The first stop signal this process received (None: none yet), whichever block saw it.
_first_signal: int | None = None


class Interrupted(KeyboardInterrupt):
    """Work stopped by a signal (a ``KeyboardInterrupt``, so code that handles Ctrl-C
    handles SIGTERM the same way).

    Parameters
    ----------
    signum : int
        The signal: ``signal.SIGINT`` or ``signal.SIGTERM``.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """128 plus the signal's number, the shell's convention: 130 and 143."""
        return 128 + self.signum


@atexit.register
def _ignore_signals_at_exit() -> None:
    # Registered when this module is first imported, so it runs after the exit functions of
    # the libraries imported later (worker pools, multiprocessing). After it Python tears its
    # modules down and puts the default handlers back: a further Ctrl-C would kill the process
    # by the signal (exit -2). A stop under way is done by now: ignore the signals.
    if _first_signal is not None and threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


def exit_code_of(exc: BaseException, default: int) -> int:
    """The exit code an interruption asks for: :attr:`Interrupted.exit_code`, else ``default``
    (a plain ``KeyboardInterrupt``)."""
    return exc.exit_code if isinstance(exc, Interrupted) else default


def reset() -> None:
    """Forget an earlier stop (a new command starts in this process)."""
    global _first_signal
    _first_signal = None


class StopSignals:
    """Handle SIGINT and SIGTERM within a ``with`` block (see the module's description).

    Parameters
    ----------
    exit_when_repeated : bool
        In ``raise`` mode, end the process at once (``os._exit``) with the first signal's exit
        code when a signal arrives after a stop is already under way.
    """

    def __init__(self, exit_when_repeated: bool = False):
        self.exit_when_repeated = exit_when_repeated
        self.received: int | None = None
        self.mode = "raise"
        self.escalate = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.exit_when_repeated and _first_signal is not None:
            # the process is stopping: keep the handler, which now ends it at once on a
            # further signal, through its last moments (messages, interpreter exit)
            return
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame) -> None:
        global _first_signal
        stop_under_way = _first_signal is not None
        repeated = self.received is not None
        if not repeated:
            self.received = signum
        if not stop_under_way:
            _first_signal = signum
        if self.mode == "raise":
            if stop_under_way and self.exit_when_repeated:
                os.write(2, b"crowdsim: stopped at once\n")
                os._exit(128 + _first_signal)
            raise Interrupted(self.received)
        if self.mode == "poll" and repeated and self.escalate:
            raise Interrupted(self.received)
        # poll (a first signal, or a repeated one that may not cut the stop short) or
        # ignore: recorded; the code looks at `received` when it can stop cleanly

    @contextlib.contextmanager
    def polled(self, escalate: bool = False) -> Iterator[StopSignals]:
        """Within the block, record a first signal instead of raising (``poll`` mode)."""
        with self._mode("poll"):
            self.escalate = escalate
            yield self

    @contextlib.contextmanager
    def ignored(self) -> Iterator[StopSignals]:
        """Within the block, record and ignore signals (``ignore`` mode)."""
        with self._mode("ignore"):
            yield self

    @contextlib.contextmanager
    def _mode(self, mode: str) -> Iterator[None]:
        before = self.mode
        self.mode = mode
        try:
            yield
        finally:
            self.mode = before

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal was received."""
        if self.received is not None:
            raise Interrupted(self.received)
