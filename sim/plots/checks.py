"""Checks a figure's text: no label, tick label, legend or caption may overlap another or
leave the canvas.

Only what is actually drawn counts (a tick outside the view, an empty label or a hidden axis
draws nothing), so the figure is drawn once with :meth:`matplotlib.text.Text.draw` recording
each text it draws.
"""

from __future__ import annotations

from contextlib import contextmanager

from matplotlib.text import Text

__all__ = ["text_boxes", "text_problems"]

#: Pixels two boxes may share, or stick out of the canvas, before it counts (anti-aliasing
#: and rounding put neighbouring tick labels a fraction of a pixel into each other).
TOLERANCE = 1.0


@contextmanager
def _recording(drawn: list):
    """Record every Text that draws itself (visible, non-empty, inside a drawn parent)."""
    original = Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    Text.draw = draw
    try:
        yield
    finally:
        Text.draw = original


def _roles(fig) -> dict[int, str]:
    """What each known text is, for readable messages: id(text) -> role."""
    roles: dict[int, str] = {}
    figures = [fig, *fig.subfigs] if hasattr(fig, "subfigs") else [fig]
    for figure in figures:
        for text in figure.texts:
            roles[id(text)] = "figure text"
        for name, role in (("_suptitle", "suptitle"), ("_supxlabel", "figure x label"),
                           ("_supylabel", "figure y label")):
            text = getattr(figure, name, None)
            if text is not None:
                roles[id(text)] = role
        for legend in figure.legends:
            for text in legend.get_texts():
                roles[id(text)] = "figure legend"
            roles[id(legend.get_title())] = "figure legend title"
    for ax in fig.get_axes():
        title = ax.get_title() or ("colorbar" if ax.get_label() == "<colorbar>" else "")
        where = f" [axes {title!r}]" if title else ""
        for text in (ax.title, getattr(ax, "_left_title", None),
                     getattr(ax, "_right_title", None)):
            if text is not None:
                roles[id(text)] = f"title{where}"
        for letter, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            roles[id(axis.label)] = f"{letter} label{where}"
            roles[id(axis.offsetText)] = f"{letter} offset text{where}"
            for tick in [*axis.majorTicks, *axis.minorTicks]:
                roles[id(tick.label1)] = roles[id(tick.label2)] = f"{letter} tick label{where}"
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                roles[id(text)] = f"legend{where}"
            roles[id(legend.get_title())] = f"legend title{where}"
        for text in ax.texts:
            roles[id(text)] = f"text{where}"
    return roles


def _legends(fig) -> list:
    legends = list(fig.legends)
    for sub in getattr(fig, "subfigs", []):
        legends += list(sub.legends)
    for ax in fig.get_axes():
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    return [legend for legend in legends if legend.get_visible() and legend.get_figure()]


def text_boxes(fig) -> list[tuple[str, object, set[int]]]:
    """Draw ``fig``; every drawn text's and legend's box in display pixels.

    Returns
    -------
    list of (description, Bbox, ids)
        ``ids`` are the texts a box contains (a text itself; a legend its texts), which may
        overlap it.
    """
    drawn: list[Text] = []
    with _recording(drawn):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    roles = _roles(fig)
    boxes = []
    seen = set()
    for text in drawn:
        if id(text) in seen:
            continue
        seen.add(id(text))
        # Text's own extent: an Annotation's would include its arrow
        box = Text.get_window_extent(text, renderer)
        label = " ".join(text.get_text().split())
        label = label if len(label) <= 60 else label[:57] + "..."
        boxes.append((f"{roles.get(id(text), 'text')} {label!r}", box, {id(text)}))
    for legend in _legends(fig):
        if not any(id(t) in seen for t in legend.get_texts()):
            continue  # not drawn
        members = {id(t) for t in [*legend.get_texts(), legend.get_title()]}
        owner = roles.get(id(legend.get_texts()[0]), "legend") if legend.get_texts() else \
            "legend"
        boxes.append((f"{owner} box", legend.get_window_extent(renderer), members))
    return boxes


def text_problems(fig, tolerance: float = TOLERANCE) -> list[str]:
    """Overlapping texts and texts that leave the canvas, in plain sentences.

    Every drawn text counts (titles, axis and tick labels, legends, annotations, figure
    texts such as a caption), and a legend's box counts as one more box that only its own
    texts may overlap.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    >>> _ = ax.set_xlabel("weight (lb)")
    >>> text_problems(fig)
    []
    >>> _ = fig.text(0.5, 0.02, "caption over the label", ha="center")
    >>> text_problems(fig)[0].startswith("overlap: x label 'weight (lb)'")
    True
    >>> plt.close(fig)
    """
    boxes = text_boxes(fig)
    width, height = fig.bbox.width, fig.bbox.height
    problems = []
    for name, box, _ in boxes:
        if (box.x0 < -tolerance or box.y0 < -tolerance or box.x1 > width + tolerance
                or box.y1 > height + tolerance):
            problems.append(f"off the canvas: {name} at x {box.x0:.0f}..{box.x1:.0f}, "
                            f"y {box.y0:.0f}..{box.y1:.0f} of {width:.0f} x {height:.0f} px")
    for i, (first, a, members_a) in enumerate(boxes):
        for second, b, members_b in boxes[i + 1:]:
            if members_a & members_b:
                continue  # a legend and its own texts
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > tolerance and dy > tolerance:
                problems.append(f"overlap: {first} and {second} ({dx:.0f} x {dy:.0f} px)")
    return problems
