"""Reading networks from files: edge lists and GraphML.

:func:`from_file` reads either format into a :class:`CSR` and the nodes' labels in the
file; every problem with a file is a one-line ValueError naming the file (and, for edge
lists, the line), so a bad ``network: {kind: file}`` fails before any run.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from sim.networks.csr import CSR, _assemble, _positive_weights

__all__ = ["from_file"]


def from_file(path: str | Path) -> tuple[CSR, list]:
    """Read a network from an edge list or a GraphML file.

    Edge list (any suffix but ``.graphml``): one tie per line, ``u v`` or ``u v weight``,
    fields separated by whitespace and/or commas; ``#`` starts a comment; a line with a single
    node declares it (isolated nodes); blank lines are skipped. Ties are undirected: a tie
    listed twice (``u v`` and ``v u``) is kept once if its weights agree. Either every tie
    has a weight or none does; weights must be finite and positive. GraphML (suffix
    ``.graphml``) is read with networkx; a directed or multi-edge file is read as undirected
    under the same rules, with the edge attribute ``weight`` as weights.

    Nodes are relabelled ``0 .. n-1`` in sorted order: numerically when every label is an
    integer, else as strings.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    csr : CSR
    labels : list
        ``labels[i]`` is node ``i``'s label in the file (an int when all labels are integers).

    Raises
    ------
    ValueError
        One line naming the file and, for edge lists, the line number: a missing or
        unreadable file, a malformed line, a self-loop, a bad or inconsistent weight, no nodes.

    Examples
    --------
    >>> import tempfile
    >>> text = "# who listens to whom\\n10 2\\n2,7\\n7 10  # a triangle\\n99\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "ties.txt"
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     g, labels = from_file(path)
    >>> labels, g.degrees
    ([2, 7, 10, 99], array([2, 2, 2, 0]))
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: file not found")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    if path.suffix.lower() == ".graphml":
        nodes, ends, weights, where = _read_graphml(path)
    else:
        nodes, ends, weights, where = _read_edge_list(path)
    return _relabel(path, nodes, ends, weights, where)


#: What separates the fields of an edge-list line: whitespace and/or commas.
_SEPARATORS = re.compile(r"[\s,]+")


def _read_edge_list(path: Path):
    """Declared nodes, tie ends, weights (as text, or None) and where each tie is, by line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    nodes: list[str] = []
    ends: list[tuple[str, str]] = []
    weights: list[str] = []
    where: list[str] = []
    weighted_line: int | None = None
    unweighted_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        fields = [f for f in _SEPARATORS.split(line.split("#", 1)[0]) if f]
        if not fields:
            continue
        if len(fields) == 1:
            nodes.append(fields[0])
            continue
        if len(fields) > 3:
            raise ValueError(f"{path}: line {number}: expected 'u v' or 'u v weight', got "
                             f"{len(fields)} fields: {line.strip()[:60]!r}")
        if fields[0] == fields[1]:
            raise ValueError(f"{path}: line {number}: self-loop {fields[0]} - {fields[1]} "
                             f"(a node cannot be its own neighbour)")
        if len(fields) == 3:
            weighted_line = weighted_line or number
            if unweighted_line is not None:
                raise ValueError(f"{path}: line {number}: has a weight but line "
                                 f"{unweighted_line} has none; weight every tie or none")
            weights.append(fields[2])
            try:
                w = float(fields[2])
            except ValueError:
                w = math.nan
            if not (math.isfinite(w) and w > 0):
                hint = " (comment out a header line with '#')" if number == 1 or \
                    not ends else ""
                raise ValueError(f"{path}: line {number}: weight must be a finite positive "
                                 f"number, got {fields[2]!r}{hint}")
        else:
            unweighted_line = unweighted_line or number
            if weighted_line is not None:
                raise ValueError(f"{path}: line {number}: has no weight but line "
                                 f"{weighted_line} has one; weight every tie or none")
        ends.append((fields[0], fields[1]))
        where.append(f"line {number}")
    return nodes, ends, weights if weighted_line is not None else None, where


def _read_graphml(path: Path):
    """As :func:`_read_edge_list`, for a GraphML file read with networkx."""
    import xml.etree.ElementTree as ET

    import networkx as nx

    try:
        G = nx.read_graphml(path)
    except (ET.ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"{path}: not valid GraphML: {message[:120]}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    edges = list(G.edges(data="weight"))
    ends = [(str(a), str(b)) for a, b, _ in edges]
    for (a, b) in ends:
        if a == b:
            raise ValueError(f"{path}: edge {a} - {b} is a self-loop (a node cannot be its "
                             f"own neighbour)")
    given = [w for _, _, w in edges if w is not None]
    weights = None
    if given:
        missing = next(((a, b) for a, b, w in edges if w is None), None)
        if missing is not None:
            raise ValueError(f"{path}: edge {missing[0]} - {missing[1]} has no weight but "
                             f"others do; weight every edge or none")
        weights = [w for _, _, w in edges]
    return [str(x) for x in G.nodes], ends, weights, [f"edge {a} - {b}" for a, b in ends]


def _relabel(path: Path, nodes: list[str], ends: list[tuple[str, str]],
             weights: list | None, where: list[str]) -> tuple[CSR, list]:
    """The CSR on labels sorted numerically (or as text) and the labels; a repeated tie is
    kept once if its weights agree."""
    names = set(nodes)
    for a, b in ends:
        names.add(a)
        names.add(b)
    if not names:
        raise ValueError(f"{path}: no nodes (an empty network file)")
    try:
        labels: list = sorted(int(x) for x in names)
        if len(set(labels)) != len(names):           # "01" and "1": keep them apart
            raise ValueError
        lookup = {x: int(x) for x in names}
    except ValueError:
        labels = sorted(names)
        lookup = {x: x for x in names}
    index = {label: i for i, label in enumerate(labels)}
    n = len(labels)
    w = None if weights is None else _positive_weights(weights, where, str(path))
    first: dict[int, int] = {}
    u, v, keep = [], [], []
    for k, (a, b) in enumerate(ends):
        i, j = index[lookup[a]], index[lookup[b]]
        pair = min(i, j) * n + max(i, j)
        seen = first.get(pair)
        if seen is None:
            first[pair] = k
            u.append(i)
            v.append(j)
            keep.append(k)
        elif w is not None and w[seen] != w[k]:
            raise ValueError(f"{path}: {where[k]}: tie {a} - {b} repeated with weight "
                             f"{w[k]:g} ({where[seen]} has {w[seen]:g})")
    csr = _assemble(n, np.array(u, np.int64), np.array(v, np.int64),
                    None if w is None else w[keep], who=str(path))
    return csr, labels
