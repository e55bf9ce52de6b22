"""Parts the models' Mesa pages share (``sim/models/*/app.py``, served by :mod:`sim.app`).

Controls
    :func:`seed_control` is the text box for the seed, which :func:`parse_seed` and
    :func:`seed_or_default` read; :func:`choose` looks up the option picked in a select box.
Components
    :func:`figure_view` makes a page component of a function drawing the model (shown by
    :class:`FigureView`); :func:`summary_column` is the frame of a page's line of numbers,
    with the :func:`reset_note` every page ends it with.

Importing this module imports Solara and Mesa's visualization, as the pages themselves do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

__all__ = ["parse_seed", "seed_control", "seed_or_default", "choose", "FigureView", "figure_view",
           "summary_column", "reset_note"]


# ---------------------------------------------------------------------------------------------
# controls


def parse_seed(seed) -> int:
    """The seed control's value (an int, or the text typed into the box) as an int >= 0.

    >>> parse_seed(" 7 "), parse_seed(42)
    (7, 42)
    >>> parse_seed("x")
    Traceback (most recent call last):
    ...
    ValueError: seed: must be a whole number >= 0; got 'x'
    """
    text = str(seed).strip()
    if isinstance(seed, bool) or not text.isdigit():
        raise ValueError(f"seed: must be a whole number >= 0; got {seed!r}")
    return int(text)


def seed_control(default: int) -> dict[str, Any]:
    """The seed's control in SolaraViz's ``model_params``: a text box, read by
    :func:`seed_or_default`.

    >>> seed_control(42)
    {'type': 'InputText', 'value': 42, 'label': 'Seed'}
    """
    return {"type": "InputText", "value": default, "label": "Seed"}


def seed_or_default(seed, default: int) -> tuple[int, str | None]:
    """The seed control's value read by :func:`parse_seed`, and no problem; or, for a value
    it refuses, ``default`` and the problem for the page to show.

    A bad seed must not stop a page: Mesa's Reset has no error handling, and an exception
    there replaces the page with a traceback.

    >>> seed_or_default("3", 42), seed_or_default("abc", 42)
    ((3, None), (42, "seed: must be a whole number >= 0; got 'abc': used seed 42"))
    """
    try:
        return parse_seed(seed), None
    except ValueError as exc:
        return default, f"{exc}: used seed {default}"


def choose(options: Mapping[str, Any], label: str, control: str) -> Any:
    """The value of the option ``label`` picked in the select box ``control``.

    >>> choose({"none": 0, "one": 1}, "one", "influencer")
    1
    >>> choose({"none": 0, "one": 1}, "two", "influencer")
    Traceback (most recent call last):
    ...
    ValueError: influencer: must be one of 'none', 'one'; got 'two'
    """
    if label not in options:
        allowed = ", ".join(repr(k) for k in options)
        raise ValueError(f"{control}: must be one of {allowed}; got {label!r}")
    return options[label]


# ---------------------------------------------------------------------------------------------
# components


@solara.component
def FigureView(model, draw: Callable[[Any], Figure]):
    """``draw(model)`` as a PNG, redrawn at every step and at every Reset.

    The PNG keeps the size and resolution ``draw`` gives the figure (no
    ``bbox_inches="tight"``), so a figure drawn for a cell of Mesa's grid fills it.
    """
    update_counter.get()
    solara.FigureMatplotlib(draw(model), format="png",
                            dependencies=[model, model.steps, update_counter.value])


def figure_view(draw: Callable[[Any], Figure], doc: str) -> Callable[[Any], Any]:
    """A Mesa page component (``component(model)``, as ``SolaraViz`` calls it) showing the
    :class:`FigureView` of ``draw``.

    Parameters
    ----------
    draw : callable
        ``draw(model) -> matplotlib.figure.Figure``.
    doc : str
        The component's docstring.
    """
    def view(model):
        return FigureView(model, draw)

    view.__doc__ = doc
    return view


@contextmanager
def summary_column(title: str, problems: Iterable[str | None], note: str) -> Iterator[None]:
    """Inside a page component: a padded column with ``title`` in bold, a warning for each
    of ``problems`` that is not empty, what the ``with`` block shows, and ``note`` in grey;
    re-rendered at every step and Reset."""
    update_counter.get()
    with solara.Column(style={"padding": "0.5em 1em"}):
        solara.Text(title, style={"font-weight": "bold", "font-size": "1.1em"})
        for problem in problems:
            if problem:
                solara.Warning(problem)
        yield
        solara.Text(note, style={"color": "#666"})


def reset_note(made: str) -> str:
    """How a page's controls take effect, for a page that makes a ``made``.

    >>> reset_note("swarm")
    'Change a parameter, then press Reset: the same seed and parameters give the same swarm.'
    """
    return ("Change a parameter, then press Reset: the same seed and parameters give the "
            f"same {made}.")
