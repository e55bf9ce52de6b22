"""Progress of a sweep: a tqdm bar on a terminal, plain lines in logs, or nothing.

Examples
--------
>>> progress = Progress(total=10, initial=0, mode="off", label="demo")
>>> progress.update(5); progress.close()
"""

from __future__ import annotations

import sys
import time
from typing import Literal, TextIO

__all__ = ["Progress", "progress_mode"]

#: Plain progress lines appear every this many seconds ...
LINE_INTERVAL = 2.0
#: ... or when another tenth of the sweep is done, but not more often than every
#: LINE_MIN_INTERVAL seconds (a sweep of a second gets one line, not ten).
LINE_STEP = 0.1
LINE_MIN_INTERVAL = 0.5


def progress_mode(quiet: bool, stream: TextIO | None = None) -> Literal["bar", "lines", "off"]:
    """``off`` when quiet, ``bar`` when ``stream`` (stderr) is a terminal, else ``lines``.

    Examples
    --------
    >>> import io
    >>> progress_mode(False, io.StringIO()), progress_mode(True)
    ('lines', 'off')
    """
    if quiet:
        return "off"
    stream = stream or sys.stderr
    return "bar" if getattr(stream, "isatty", lambda: False)() else "lines"


class Progress:
    """Counts runs as chunks complete and shows done/total, rate and time left.

    Parameters
    ----------
    total : int
        Runs in the sweep.
    initial : int
        Runs already done (or failed) before this session (a resumed sweep).
    mode : {"bar", "lines", "off"}
    label : str
        Shown in front of the counts (the sweep's name).
    stream : file, default sys.stderr
    """

    def __init__(self, total: int, initial: int, mode: str, label: str,
                 stream: TextIO | None = None):
        self.total, self.done, self.mode, self.label = total, initial, mode, label
        self.stream = stream or sys.stderr
        self._initial = initial
        self._started = self._last_line = time.monotonic()
        self._last_step = initial / total if total else 1.0
        self._bar = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="run", desc=label,
                             file=self.stream, dynamic_ncols=True, smoothing=0.1)

    def update(self, runs: int) -> None:
        """Record ``runs`` more runs done."""
        self.done += runs
        if self._bar is not None:
            self._bar.update(runs)
        elif self.mode == "lines":
            now, share = time.monotonic(), self.done / self.total if self.total else 1.0
            since = now - self._last_line
            if since >= LINE_INTERVAL or (share - self._last_step >= LINE_STEP
                                          and since >= LINE_MIN_INTERVAL):
                self._line(now)
                self._last_line, self._last_step = now, share

    def close(self) -> None:
        """Finish the bar (or write a last line if the sweep moved since the previous one)."""
        if self._bar is not None:
            self._bar.close()
        elif self.mode == "lines" and self.done > self._initial \
                and self.done / self.total > self._last_step:
            self._line(time.monotonic())

    def _line(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = (self.done - self._initial) / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = f"{left:.0f} s left" if left != float("inf") else "time left unknown"
        print(f"{self.label}: {self.done:,}/{self.total:,} runs "
              f"({100 * self.done / self.total:.0f} %), {rate:,.0f} runs/s, {eta}",
              file=self.stream, flush=True)
