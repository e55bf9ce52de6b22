"""Parts the models' pages share (``sim/models/*/app.py``, served by :mod:`sim.app`).

The page
    :class:`ModelPage` is the page every model's ``app.py`` sets up: a title, Mesa's controls
    (Reset, play, Step; :class:`mesa.visualization.solara_viz.ModelController`), the speed
    of play, the model's parameters with their values in view (:class:`ParameterInputs`) and
    Mesa's grid of views (:class:`Views`). Each browser page builds its own model when it is
    first drawn: two visitors never share one (a model made at import would be everybody's).
    The page draws all its views in one render per step (one render each would cost more
    than the drawing).
Views
    :class:`LiveFigure` is a matplotlib figure kept from step to step: what does not change
    (axes, labels, network) is drawn once, only what moves is redrawn (blitting), and the
    picture goes to the browser as a quickly compressed PNG. :func:`live_view` makes a page
    component of a view class; :func:`figure_view` one of a function drawing a new figure
    each time (simple, slower). :func:`themed` is the project's figure theme
    (:func:`sim.plots.style.apply_theme`) for one block of code.
Controls
    :func:`seed_control` is the text box for the seed, which :func:`parse_seed` and
    :func:`seed_or_default` read; :func:`choose` looks up the option picked in a select box.
    :func:`summary_column` is the frame of a page's line of numbers, with the
    :func:`reset_note` every page ends it with; :func:`keep_own_signature` keeps an app
    model's flat keyword arguments as its signature (what Mesa's Reset passes).

Importing this module imports Solara and Mesa's visualization, as the pages themselves do.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import matplotlib as mpl
import numpy as np
import PIL.Image
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mesa.visualization.solara_viz import ModelController, make_initial_grid_layout
from mesa.visualization.utils import update_counter

__all__ = ["parse_seed", "seed_control", "seed_or_default", "choose", "keep_own_signature",
           "THEME", "themed", "agent_grid", "nice_limit", "encode_png", "LiveFigure", "live_view",
           "figure_view", "control_defaults", "format_value", "ValueSlider", "ParameterInputs",
           "Cell", "Views", "ModelPage", "summary_column", "reset_note",
           "DPI", "STEPS_PER_SECOND", "Pace"]

#: Resolution of the pages' figures. A cell of Mesa's grid is about 500 pixels wide on a
#: laptop screen, so a figure 5 inches wide at 100 dpi is shown at about its own size.
DPI = 100
#: Steps per second while playing, at most, at first (the page's slider changes it). A page
#: whose step and drawing take longer runs slower (the estimation page with 200 agents takes
#: about 50 ms of the server's time per step); a quicker one waits, so that the browser
#: keeps up.
STEPS_PER_SECOND = 15


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
    """The seed's control in a page's ``model_params``: a text box, read by
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


def keep_own_signature(cls: type) -> type:
    """Class decorator: ``cls``'s signature is its own ``__init__``'s again.

    A model class built on :class:`sim.models.base.SeededModel` shows its parameter
    schema's fields as its signature; an app's model takes the page's flat controls instead,
    and Mesa reads its signature to check them.
    """
    for owner in (cls, cls.__dict__.get("__init__")):
        if owner is not None and "__signature__" in vars(owner):
            del owner.__signature__
    return cls


# ---------------------------------------------------------------------------------------------
# figures


def _theme_rc() -> dict[str, Any]:
    """The rcParams :func:`sim.plots.style.apply_theme` changes (not the backend)."""
    from sim.plots.style import apply_theme

    before = dict(mpl.rcParams)
    with mpl.rc_context():
        apply_theme()
        changed = {key: value for key, value in mpl.rcParams.items()
                   if before.get(key) != value}
    for key in ("backend", "backend_fallback", "savefig.dpi", "figure.dpi", "svg.hashsalt"):
        changed.pop(key, None)
    return changed


#: The project's figure theme as rcParams (seaborn "whitegrid", colour-blind palette).
THEME: dict[str, Any] = _theme_rc()


@contextmanager
def themed() -> Iterator[None]:
    """Inside the block, matplotlib draws in :data:`THEME` (the rest of the process does
    not change)."""
    with mpl.rc_context(THEME):
        yield


def nice_limit(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``value`` (> 0): an
    axis limit that changes seldom as ``value`` grows.

    >>> [nice_limit(v) for v in (0.3, 7, 10, 11, 140, 260)]
    [0.5, 10.0, 10.0, 20.0, 200.0, 500.0]
    """
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= factor * power * (1 + 1e-12):
            return factor * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def encode_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's picture as a PNG of at most 256 colours, quickly compressed: for a page
    redrawn at every step, encoding time and bytes sent matter more than the last shades of
    a colour bar (about 3 ms and 25 kB for a 500 x 350 figure, against 6 ms and 70 kB for
    full colour)."""
    width, height = canvas.get_width_height()
    image = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw",
                                 "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    image.quantize(256, method=PIL.Image.Quantize.FASTOCTREE).save(out, format="png",
                                                                  compress_level=1)
    return out.getvalue()


def agent_grid(fig, n: int, figsize: tuple[float, float], wide: float = 1.2):
    """Axes on the left of ``fig`` laying out ``n`` agents in rows, in their order.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The view's figure, of size ``figsize`` (inches); call inside :func:`themed`.
    n : int
        Agents, one grid cell each, left to right and top to bottom.
    wide : float
        How much wider than tall the grid is (columns about ``sqrt(n * wide)``).

    Returns
    -------
    (Axes, numpy.ndarray, float)
        The axes (no frame, equal aspect), each agent's (x, y) centre (float, shape (n, 2)),
        and a cell's width in points (a scatter marker's size is ``(share * cell) ** 2``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(figsize=(5.0, 3.5))
    >>> ax, centres, cell = agent_grid(fig, 10, (5.0, 3.5))
    >>> centres[:5].tolist(), round(cell, 1)
    ([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [0.0, -1.0]], 55.8)
    >>> plt.close(fig)
    """
    cols = max(1, math.ceil(math.sqrt(n * wide)))
    rows = math.ceil(n / cols)
    ax = fig.add_axes((0.02, 0.02, 0.62, 0.84))
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_xlim(-0.7, cols - 0.3)
    ax.set_ylim(-rows + 0.3, 0.7)
    cell = min(0.62 * figsize[0] / cols, 0.84 * figsize[1] / rows) * 72
    centres = np.c_[np.arange(n) % cols, -(np.arange(n) // cols)].astype(float)
    return ax, centres, cell


class LiveFigure:
    """A figure kept from step to step, drawn cheaply.

    A view subclasses it: its ``__init__(model)`` builds the figure (inside :func:`themed`)
    and marks with :meth:`animate` the artists that change from step to step; its
    ``update(model)`` changes those artists. :meth:`render` then draws the static part once
    (again after :meth:`restage`, e.g. when an axis limit changed), and at every step only
    restores it and draws the animated artists on top (matplotlib's blitting).
    """

    def __init__(self, figsize: tuple[float, float] = (5.0, 3.5), dpi: int = DPI) -> None:
        with themed():
            self.fig = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self._animated: list = []
        self._background = None

    def animate(self, *artists):
        """Mark ``artists`` as redrawn at every step; returns them (one: itself)."""
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)
        return artists[0] if len(artists) == 1 else artists

    def restage(self) -> None:
        """The static part changed: draw it again at the next :meth:`render`."""
        self._background = None

    def grow(self, ax, axis: str, value: float, floor: float = 1.0,
             shrink: bool = False) -> None:
        """Raise ``ax``'s upper ``axis`` ("x" or "y") limit to a :func:`nice_limit` when
        ``value`` passes it, so that the axes stay still while the model runs; with
        ``shrink``, also lower it when ``value`` falls below a quarter of it (a share that
        starts at 1 with the first download, then settles much lower)."""
        low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
        if value > high or high < floor or (shrink and value < high / 4 and high > floor):
            new = max(nice_limit(value * (1.5 if shrink else 1.0)), floor)
            if new == high:
                return
            if axis == "x":
                ax.set_xlim(low, new)
            else:
                ax.set_ylim(low, new)
            self.restage()

    def update(self, model) -> None:
        """Bring the animated artists up to ``model``'s current state (subclasses)."""

    def render(self) -> bytes:
        """The figure now, as PNG bytes."""
        if self._background is None:
            with themed():
                self.canvas.draw()  # the animated artists are left out
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        return encode_png(self.canvas)

    def texts(self) -> list[str]:
        """Every text in the figure (for tests)."""
        return [t.get_text() for t in self.fig.findobj(lambda a: hasattr(a, "get_text"))]


def live_view(view_class: Callable[[Any], LiveFigure], doc: str) -> Callable[[Any], Any]:
    """A page component showing ``view_class(model)``'s picture; ``doc`` is its docstring.

    A page component is a function of the model that the page runs at every step and
    Reset (inside :class:`Cell`): here it keeps the view for the model (a new one after a
    Reset) and draws it again."""
    def view(model):
        live = solara.use_memo(lambda: view_class(model), [model])
        live.update(model)
        return solara.Image(live.render(), width="100%")

    view.__doc__ = doc
    view.view_class = view_class
    return view


def figure_view(draw: Callable[[Any], Figure], doc: str) -> Callable[[Any], Any]:
    """A page component showing ``draw(model)``, a new figure at every step (simple, but
    slower than a :func:`live_view`); ``doc`` is its docstring."""
    def view(model):
        canvas = FigureCanvasAgg(draw(model))
        with themed():
            canvas.draw()
        return solara.Image(encode_png(canvas), width="100%")

    view.__doc__ = doc
    return view


# ---------------------------------------------------------------------------------------------
# the page


def control_defaults(model_params: Mapping[str, Any]) -> dict[str, Any]:
    """The starting value of every control (and every fixed parameter) of a page.

    >>> control_defaults({"n": {"type": "SliderInt", "value": 5, "min": 1, "max": 9},
    ...                   "rounds": 10})
    {'n': 5, 'rounds': 10}
    """
    return {name: spec["value"] if _is_control(spec) else spec
            for name, spec in model_params.items()}


def _is_control(spec) -> bool:
    return isinstance(spec, Mapping) and "type" in spec


def format_value(value, step: float = 1, shown: str | None = None) -> str:
    """A slider's value as the page shows it: with ``shown`` (a format such as
    ``"{:.0%}"``), else with as many decimals as the slider's step.

    >>> format_value(0.3, 0.05), format_value(200, 10), format_value(0.0458, 0.005, "{:.1%}")
    ('0.30', '200', '4.6%')
    """
    if shown:
        return shown.format(value)
    decimals = max(0, -Decimal(str(step)).normalize().as_tuple().exponent)
    return f"{value:.{decimals}f}"


@solara.component
def ValueSlider(label: str, value, on_value: Callable[[Any], None], min: float,
                max: float, step: float, integer: bool = True,
                shown: str | None = None):
    """A slider with its value written at its right end (Solara's sliders show it only
    while dragged)."""
    def changed(new) -> None:
        on_value(int(new) if integer else float(new))

    with solara.Row(style={"align-items": "center", "gap": "0.4em"}):
        solara.v.Slider(v_model=value, on_v_model=changed, label=label, min=min, max=max,
                        step=step, thumb_label=True, hide_details=True, dense=False,
                        style_="flex: 1 1 auto;")
        solara.Text(format_value(value, step, shown), classes=["crowdsim-slider-value"],
                    style={"min-width": "3.4em", "text-align": "right", "font-weight": "600",
                           "font-variant-numeric": "tabular-nums"})


@solara.component
def ParameterInputs(model_params: Mapping[str, Any], values: solara.Reactive):
    """A control for every parameter of ``model_params`` that has a ``type`` (Mesa's
    format: ``SliderInt``, ``SliderFloat``, ``Select``, ``InputText``, ``Checkbox``; a
    slider may add ``format``, e.g. ``"{:.0%}"``, and any control a ``help`` line). What is
    set goes into ``values``, which Reset passes to the model."""
    current = values.value
    for name, spec in model_params.items():
        if not _is_control(spec):
            continue

        def change(value, name=name) -> None:
            values.value = {**values.value, name: value}

        label = spec.get("label", name)
        value = current.get(name, spec["value"])
        kind = spec["type"]
        if kind in ("SliderInt", "SliderFloat"):
            ValueSlider(label, value, change, spec["min"], spec["max"], spec["step"],
                        integer=kind == "SliderInt", shown=spec.get("format"))
        elif kind == "Select":
            solara.Select(label, value=value, values=list(spec["values"]), on_value=change)
        elif kind == "InputText":
            solara.InputText(label, value=str(value), on_value=change)
        elif kind == "Checkbox":
            solara.Checkbox(label=label, value=value, on_value=change)
        else:
            raise ValueError(f"{name}: control type {kind!r} is not supported")
        if spec.get("help"):
            solara.Text(spec["help"], style={"color": "#666", "font-size": "0.8em",
                                             "margin": "-0.5em 0 0.4em 0"})


@solara.component
def Cell(component: Callable[[Any], Any], model, counter: int):
    """``component(model)``, run again whenever ``counter`` (a step, a Reset) or the model
    changes. A page component that is a plain function thus runs in this one render."""
    return component(model)


@solara.component
def Views(model, components: list, name: str, intro: str):
    """The title, the step, and the page components in Mesa's grid, drawn again at every
    step. The one component that follows Mesa's step counter: one render per step, however
    many views (a component each following it would cost a render each)."""
    counter = update_counter.get()
    layout, set_layout = solara.use_state(make_initial_grid_layout(len(components)))
    with solara.Column(style={"padding": "0 0.5em"}):
        with solara.Row(style={"align-items": "baseline", "gap": "1.5em"}):
            solara.Text(name, style={"font-size": "1.4em", "font-weight": "600"},
                        classes=["crowdsim-page-title"])
            state = "" if model.running else " · stopped: press Reset"
            solara.Text(f"now: step {model.steps}{state}", classes=["crowdsim-step"],
                        style={"font-size": "1.1em", "font-variant-numeric": "tabular-nums"})
        if intro:
            solara.Text(intro, style={"color": "#444"})
        solara.GridDraggable(items=[Cell(component, model, counter)
                                    for component in components],
                             grid_layout=layout, resizable=True, draggable=True,
                             on_grid_layout=set_layout)


class Pace:
    """Mesa's play interval as a pace: at most ``rate.value`` steps per second (drawn every
    ``per_drawing.value`` steps).

    Mesa's play loop sleeps ``play_interval.value`` milliseconds before each step, a pause
    on top of the step and its drawing. Given as the play interval, a :class:`Pace` makes
    that pause the rest of the step's period instead: a slow step is not slowed further, a
    quick one waits, and the browser gets frames at a steady rate it can draw (without a
    wait, a quick model would send frames faster than a browser shows them, and the page
    would stop answering).
    """

    def __init__(self, rate, per_drawing=None) -> None:
        self.rate = rate
        self.per_drawing = per_drawing
        self._start = -math.inf  # when the last step began
        self._lock = threading.Lock()

    @property
    def value(self) -> float:
        """Milliseconds to wait now, before the next step (read by Mesa's play loop)."""
        with self._lock:
            now = time.monotonic()
            steps = self.per_drawing.value if self.per_drawing is not None else 1
            period = max(int(steps), 1) / max(float(self.rate.value), 0.1)
            wait = min(max(0.0, self._start + period - now), period)
            self._start = now + wait
            return 1000.0 * wait


@solara.component
def ModelPage(model_class: type, components: list, model_params: Mapping[str, Any],
              name: str, intro: str = "", steps_per_second: int = STEPS_PER_SECOND):
    """A model's page: its own model, the run controls, the parameters and the views.

    Parameters
    ----------
    model_class : type
        Called with no arguments for this page's first model, and by Reset with the values
        of the controls (as keyword arguments).
    components : list
        Page components, ``component(model)`` returning what to show, in Mesa's grid in
        this order. The page runs them at every step and Reset (:class:`Cell`); a plain
        function (not a Solara component) is drawn in the same render as the others.
    model_params : mapping
        The controls (Mesa's format, see :class:`ParameterInputs`) and fixed parameters.
    name : str
        The page's title (browser tab, bar and heading).
    intro : str
        A line under the title (what one step is, what to try).
    steps_per_second : int
        The pace of play at first, at most (:class:`Pace`).
    """
    first = solara.use_memo(model_class, [])  # this browser page's own model
    model = solara.use_reactive(first)
    values = solara.use_reactive(control_defaults(model_params))
    rate = solara.use_reactive(steps_per_second)
    per_drawing = solara.use_reactive(1)
    pace = solara.use_memo(lambda: Pace(rate, per_drawing), [])
    threads = solara.use_reactive(False)

    solara.Title(name)
    with solara.AppBar():
        solara.AppBarTitle(name)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(model, model_parameters=values, play_interval=pace,
                            render_interval=per_drawing, use_threads=threads)
            ValueSlider("Steps per second (at most)", rate.value, rate.set, 1, 30, 1)
            ValueSlider("Steps per drawing", per_drawing.value, per_drawing.set, 1, 50, 1)
            solara.Text("Step, and each drawing while playing, advance this many steps.",
                        style={"color": "#666", "font-size": "0.8em"})
        with solara.Card("Model parameters"):
            ParameterInputs(model_params, values)
    Views(model.value, components, name, intro)


@contextmanager
def summary_column(title: str, problems: Iterable[str | None], note: str) -> Iterator[None]:
    """Inside a page component: a padded column with ``title`` in bold, a warning for each
    of ``problems`` that is not empty, what the ``with`` block shows, and ``note`` in grey
    (in a page component, which the page runs at every step and Reset)."""
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
