"""Where DeGroot updating leads: each agent's influence on the consensus (Golub & Jackson 2010).

Golub & Jackson (2010), "Naive learning in social networks and the wisdom of crowds", AEJ:
Microeconomics 2(1):112-149. Beliefs revised by a fixed row-stochastic influence matrix
``T``, ``y(t + 1) = T y(t)`` (DeGroot 1974, JASA 69:118), converge for every start when ``T``
is strongly connected and aperiodic (their Section II), to the consensus

    y(inf) = pi . y(0),   pi T = pi,  sum_i pi_i = 1,

``pi`` the left unit eigenvector of ``T``, their *influence vector*. With independent unbiased
private estimates of standard deviation ``sigma`` the consensus errs with standard deviation
``sigma * sqrt(sum_i pi_i**2)``, and a growing crowd is wise (the consensus converges to the
truth) if and only if the largest influence ``max_i pi_i`` goes to 0 (their Section III).

This module builds ``T`` exactly as the estimation model revises under ``rule="average"``
(:mod:`sim.models.estimation.rules`; Becker, Brackbill & Centola 2017, PNAS 114:E5070,
eq. 1): agent ``i`` with social weight ``w_i`` moves to ``(1 - w_i) y_i + w_i s_i``, ``s_i``
the influence-weighted mean of the agents it sees (its network neighbours; with influencer
reach ``all`` also the first ``n_influencers`` agents; under ``information="full"`` everyone
else), each seen agent ``j`` weighted ``c_j`` (``influencer_weight`` for the first
``n_influencers`` agents, else 1). So

    T_ii = 1 - w_i,   T_ij = w_i c_j / sum_{k seen by i} c_k   (j seen by i),

and an agent who sees nobody, or has ``w_i = 0``, keeps its estimate (``T_ii = 1``). The rule
is linear in revision space: in log space (``revision_space="log"``) the consensus is
``pi . ln x(0)``, a weighted geometric mean.

On an undirected network without influencer reach the chain is reversible and the influence
has a closed form, ``pi_i`` proportional to ``c_i (sum_{j in N(i)} c_j) / w_i``: the degree
over the social weight when every ``c`` is 1 (influence proportional to degree: Golub &
Jackson 2010, Section II). :func:`influence_weights` uses it where it applies and a sparse
solve of ``pi (I - T) = 0`` otherwise, and checks the residual ``|pi T - pi|`` either way.

Examples
--------
>>> from sim.networks import star
>>> pi = influence_weights(star(5), 0.3)
>>> pi.round(4).tolist()            # the hub holds half of the influence
[0.5, 0.125, 0.125, 0.125, 0.125]
>>> round(consensus_error_sd(pi, 1.0), 4)   # sigma * sqrt(sum pi^2): no better than 0.5 sigma
0.559
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["influence_matrix", "influence_weights", "params_influence_weights",
           "stationary_weights", "consensus_error_sd", "RESIDUAL_TOLERANCE"]

#: Largest accepted ``sum_j |(pi T - pi)_j|`` of a computed influence vector.
RESIDUAL_TOLERANCE = 1e-12
#: Above this many agents the general case iterates ``pi <- pi T`` instead of a sparse solve
#: (whose fill-in grows fast on random networks).
DIRECT_SOLVE_MAX = 4000
#: Most iterations of ``pi <- pi T`` before giving up.
MAX_ITERATIONS = 200_000
REACHES = ("network", "all")


def _check_weights(social_weight, n: int, who: str) -> np.ndarray:
    w = np.asarray(social_weight, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"{who}: social_weight must be a number or one value per agent "
                         f"(shape ({n},)), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w > 1):
        raise ValueError(f"{who}: social_weight must lie in [0, 1] for every agent, got values "
                         f"in [{np.nanmin(w):g}, {np.nanmax(w):g}]")
    return w


def _influence_of(n: int, n_influencers: int, influencer_weight: float, who: str) -> np.ndarray:
    if not 0 <= int(n_influencers) <= n or int(n_influencers) != n_influencers:
        raise ValueError(f"{who}: n_influencers must be an integer in [0, {n}], "
                         f"got {n_influencers}")
    if not (math.isfinite(influencer_weight) and influencer_weight >= 0):
        raise ValueError(f"{who}: influencer_weight must be finite and >= 0, "
                         f"got {influencer_weight}")
    c = np.ones(n)
    c[:int(n_influencers)] = influencer_weight
    return c


def _seen_matrix(network, n_influencers: int, reach_all: bool, who: str):
    """0/1 sparse matrix, entry (i, j) = 1 when agent i sees agent j."""
    from scipy import sparse

    from sim.networks import CSR

    if not isinstance(network, CSR):
        raise ValueError(f"{who}: network must be a sim.networks.CSR (for information=full "
                         f"pass sim.networks.complete(n)), got {type(network).__name__}")
    if network.weighted:
        raise ValueError(f"{who}: network has tie weights, which the estimation model's rule "
                         "does not use; pass the unweighted network")
    n = network.n_nodes
    seen = sparse.csr_array((np.ones(network.indices.size), np.array(network.indices),
                             np.array(network.indptr)), shape=(n, n))
    if reach_all and n_influencers > 0:
        # everyone also sees the influencers, unless already a neighbour or itself
        # (rules.accumulate_influencers)
        k = n_influencers
        extra = 1.0 - seen[:, :k].toarray()
        extra[np.arange(k), np.arange(k)] = 0.0
        rows, cols = np.nonzero(extra)
        seen = seen + sparse.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    return seen


def influence_matrix(network, social_weight, *, n_influencers: int = 0,
                     influencer_weight: float = 1.0, influencer_reach: str = "network",
                     who: str = "influence_matrix"):
    """The row-stochastic matrix ``T`` of one synchronous round of the estimation model's
    DeGroot rule: ``y(t + 1) = T y(t)`` in revision space.

    ``T_ii = 1 - w_i`` and ``T_ij = w_i c_j / sum_{k seen by i} c_k`` for each agent ``j``
    that ``i`` sees (module docstring; Becker et al. 2017, eq. 1); an agent who sees nobody
    (or only agents of influence weight 0), or whose weight is 0, keeps its estimate.

    Parameters
    ----------
    network : sim.networks.CSR
        Who sees whom (unweighted). For ``information="full"`` pass
        ``sim.networks.complete(n)``: everyone sees everyone else.
    social_weight : float or array_like of shape (n,)
        Each agent's ``w_i`` in [0, 1] (one number: the same for all).
    n_influencers : int
        The first agents weigh ``influencer_weight`` (``c_j``) in every mean they enter.
    influencer_weight : float
        ``c_j`` of the influencers, >= 0.
    influencer_reach : {"network", "all"}
        ``all``: every agent sees the influencers besides its neighbours.
    who : str
        The name the errors start with.

    Returns
    -------
    scipy.sparse.csr_array of float64, shape (n, n)
        Non-negative, every row summing to 1 (up to rounding).

    Examples
    --------
    >>> from sim.networks import ring_lattice
    >>> influence_matrix(ring_lattice(4, 2), 0.5).toarray()
    array([[0.5 , 0.25, 0.  , 0.25],
           [0.25, 0.5 , 0.25, 0.  ],
           [0.  , 0.25, 0.5 , 0.25],
           [0.25, 0.  , 0.25, 0.5 ]])
    """
    from scipy import sparse

    if influencer_reach not in REACHES:
        raise ValueError(f"{who}: influencer_reach must be one of {', '.join(REACHES)}, "
                         f"got {influencer_reach!r}")
    seen = _seen_matrix(network, int(n_influencers), influencer_reach == "all", who)
    n = seen.shape[0]
    w = _check_weights(social_weight, n, who)
    c = _influence_of(n, n_influencers, float(influencer_weight), who)
    weighted = seen @ sparse.diags_array(c)
    total = np.asarray(weighted.sum(axis=1)).ravel()
    # an agent who sees nobody (or nobody with weight), or with w = 0, keeps its estimate
    moves = (total > 0) & (w > 0)
    w_eff = np.where(moves, w, 0.0)
    scale = np.divide(w_eff, total, out=np.zeros(n), where=moves)
    T = sparse.diags_array(scale) @ weighted + sparse.diags_array(1.0 - w_eff)
    T = sparse.csr_array(T)
    T.eliminate_zeros()
    return T


def _period(T) -> int:
    """The period of a strongly connected chain: gcd over its edges (i -> j) of
    ``d(i) + 1 - d(j)``, ``d`` the breadth-first distance from agent 0."""
    from scipy.sparse.csgraph import shortest_path

    d = shortest_path(T, directed=True, unweighted=True, indices=0).astype(np.int64)
    coo = T.tocoo()
    return int(np.gcd.reduce(np.abs(d[coo.row] + 1 - d[coo.col])))


def _residual(pi: np.ndarray, T) -> float:
    return float(np.abs(pi @ T - pi).sum())


def stationary_weights(T, who: str = "stationary_weights") -> np.ndarray:
    """The left unit eigenvector ``pi`` of a row-stochastic sparse matrix (``pi T = pi``,
    ``sum pi = 1``), after checking that ``T`` is strongly connected and aperiodic (Golub &
    Jackson 2010, Section II: then ``T^t`` converges to the matrix whose rows are ``pi``).

    Parameters
    ----------
    T : scipy sparse matrix, shape (n, n)
        Row-stochastic, non-negative.
    who : str
        The name the errors start with.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Raises
    ------
    ValueError
        ``T`` is not strongly connected (several components: the consensus depends on the
        start) or is periodic (beliefs oscillate).
    RuntimeError
        The computed vector misses ``pi T = pi`` by more than :data:`RESIDUAL_TOLERANCE`.

    Examples
    --------
    >>> from scipy import sparse
    >>> T = sparse.csr_array(np.array([[0.5, 0.5], [0.25, 0.75]]))
    >>> stationary_weights(T).round(12).tolist()
    [0.333333333333, 0.666666666667]
    >>> stationary_weights(sparse.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]])))
    Traceback (most recent call last):
    ...
    ValueError: stationary_weights: the influence matrix is periodic (period 2: e.g. a bipartite network with social_weight 1 everywhere); beliefs oscillate instead of converging
    """  # noqa: E501
    return _stationary(T, who, guess=None)


def _check_conditions(T, who: str) -> None:
    from scipy.sparse.csgraph import connected_components

    n = T.shape[0]
    if n == 1:
        return
    count, _ = connected_components(T, directed=True, connection="strong")
    if count > 1:
        raise ValueError(f"{who}: the network is not strongly connected ({count} components: "
                         "separate groups, or agents who see nobody or never move); "
                         "consensus depends on the start")
    if np.any(T.diagonal() > 0):
        return  # a self-weight makes a strongly connected chain aperiodic
    period = _period(T)
    if period > 1:
        raise ValueError(f"{who}: the influence matrix is periodic (period {period}: e.g. a "
                         "bipartite network with social_weight 1 everywhere); beliefs "
                         "oscillate instead of converging")


def _stationary(T, who: str, guess: np.ndarray | None) -> np.ndarray:
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    _check_conditions(T, who)
    n = T.shape[0]
    if n == 1:
        return np.ones(1)
    if guess is not None and _residual(guess, T) <= RESIDUAL_TOLERANCE:
        return guess
    if n <= DIRECT_SOLVE_MAX:
        # pi (I - T) = 0 has rank n - 1: replace its last equation by sum pi = 1
        A = sparse.lil_array(sparse.eye_array(n, format="csr") - T.T)
        A[n - 1, :] = np.ones(n)
        b = np.zeros(n)
        b[n - 1] = 1.0
        pi = spsolve(sparse.csc_array(A), b)
        pi = np.clip(pi, 0.0, None)
        pi /= pi.sum()
    else:
        pi = np.full(n, 1.0 / n) if guess is None else guess
        TT = sparse.csr_array(T.T)
        for _ in range(MAX_ITERATIONS):
            nxt = TT @ pi
            nxt /= nxt.sum()
            done = np.abs(nxt - pi).sum() <= RESIDUAL_TOLERANCE / 10
            pi = nxt
            if done:
                break
    residual = _residual(pi, T)
    if residual > RESIDUAL_TOLERANCE:
        raise RuntimeError(f"{who}: the influence vector misses pi T = pi by {residual:.2e} "
                           f"(tolerance {RESIDUAL_TOLERANCE:g}); the chain mixes too slowly "
                           "for this size")
    return pi


def influence_weights(network, social_weight, *, n_influencers: int = 0,
                      influencer_weight: float = 1.0,
                      influencer_reach: str = "network") -> np.ndarray:
    """Each agent's influence on the consensus of the estimation model's DeGroot rounds: the
    left unit eigenvector ``pi`` of :func:`influence_matrix` (Golub & Jackson 2010).

    After enough rounds every estimate (in revision space) equals ``pi . y(0)``. The matrix
    must be strongly connected and aperiodic: checked, with a one-line error otherwise.

    Parameters
    ----------
    network, social_weight, n_influencers, influencer_weight, influencer_reach
        As :func:`influence_matrix`.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        Non-negative, summing to 1.

    Raises
    ------
    ValueError
        Bad arguments, or a matrix that is not strongly connected or is periodic.

    Examples
    --------
    A ring: everyone alike. Two triangles joined by one tie: influence proportional to the
    degree over the social weight.

    >>> from sim.networks import from_edges, ring_lattice
    >>> influence_weights(ring_lattice(6, 2), 0.3).round(6).tolist()
    [0.166667, 0.166667, 0.166667, 0.166667, 0.166667, 0.166667]
    >>> two = from_edges(6, [0, 0, 1, 2, 3, 3, 4], [1, 2, 2, 3, 4, 5, 5])
    >>> (influence_weights(two, 0.5) * 14).round(9).tolist()
    [2.0, 2.0, 3.0, 3.0, 2.0, 2.0]
    >>> influence_weights(from_edges(4, [0, 2], [1, 3]), 0.5)
    Traceback (most recent call last):
    ...
    ValueError: influence_weights: the network is not strongly connected (2 components: separate groups, or agents who see nobody or never move); consensus depends on the start
    """  # noqa: E501
    who = "influence_weights"
    T = influence_matrix(network, social_weight, n_influencers=n_influencers,
                         influencer_weight=influencer_weight,
                         influencer_reach=influencer_reach, who=who)
    guess = None
    n = T.shape[0]
    if influencer_reach == "network" or n_influencers == 0:
        # reversible: pi_i proportional to c_i s_i / w_i (module docstring), when all move
        w = _check_weights(social_weight, n, who)
        c = _influence_of(n, n_influencers, float(influencer_weight), who)
        rows = np.repeat(np.arange(n), np.diff(network.indptr))
        s = np.bincount(rows, weights=c[network.indices], minlength=n)
        if np.all(w > 0) and np.all(c * s > 0):
            guess = c * s / w
            guess /= guess.sum()
    return _stationary(T, who, guess)


def params_influence_weights(params, network=None, social_weights=None) -> np.ndarray:
    """:func:`influence_weights` for the estimation model's parameters, refusing settings
    whose rounds are not one fixed linear map.

    Parameters
    ----------
    params : EstimationParams
        ``rule="average"``, ``information`` ``"neighbours"`` or ``"full"``, no confidence
        bound, ``signal_space="revision"``, revision options at their defaults, no biased
        influencers; ``weight_mode="constant"`` without stubborn agents unless
        ``social_weights`` is given.
    network : sim.networks.CSR, optional
        The run's network (``information="neighbours"``); default: built from
        ``params.network`` when its kind draws nothing (ring lattice, star, complete, file).
    social_weights : array_like of shape (n_agents,), optional
        The run's drawn social weights (``CrowdBatch.social_weights[r]``).

    Returns
    -------
    numpy.ndarray of float64, shape (n_agents,)

    Examples
    --------
    >>> from sim.models.estimation import EstimationParams
    >>> p = EstimationParams(n_agents=4, rounds=1, information="neighbours",
    ...                      network={"kind": "star"}, social_weight=0.2)
    >>> params_influence_weights(p).round(6).tolist()
    [0.5, 0.166667, 0.166667, 0.166667]
    >>> params_influence_weights(p.model_copy(update={"confidence_bound": 0.5}))
    Traceback (most recent call last):
    ...
    ValueError: confidence_bound: must be None (a confidence bound makes the rounds nonlinear), got 0.5
    """  # noqa: E501
    from sim.networks import SEEDED_KINDS, build, complete

    fixed = {"rule": ("average", "synchronous DeGroot rounds"),
             "signal_space": ("revision", "the weighted mean in revision space"),
             "later_weight_factor": (1.0, "the same matrix every round"),
             "anchoring": (0.0, "no pull back to the first answer"),
             "distance_scale": (None, "weights that do not depend on the estimates"),
             "asymmetry": (0.0, "weights that do not depend on the estimates"),
             "confidence_bound": (None, "a confidence bound makes the rounds nonlinear"),
             "influencer_bias": (None, "biased influencers never move")}
    for name, (allowed, why) in fixed.items():
        value = getattr(params, name)
        if value != allowed:
            shown = repr(allowed) if isinstance(allowed, str) else allowed
            raise ValueError(f"{name}: must be {shown} ({why}), got {value}")
    if params.information not in ("neighbours", "full"):
        raise ValueError("information: must be 'neighbours' or 'full' (a fixed influence "
                         f"matrix), got {params.information!r}")
    n = params.n_agents
    if social_weights is None:
        if params.weight_mode != "constant" or params.stubborn_share > 0:
            raise ValueError(f"weight_mode: {params.weight_mode} weights (or stubborn_share > "
                             "0) are drawn per run; pass the run's social_weights")
        social_weights = params.social_weight
    if params.information == "full":
        network = complete(n)
    elif network is None:
        if params.network.kind in SEEDED_KINDS:
            raise ValueError(f"network: kind {params.network.kind} is drawn per run; pass the "
                             "run's network (sim.networks.build with the run's generator)")
        network = build(params.network, n, None)
    if network.n_nodes != n:
        raise ValueError(f"network: has {network.n_nodes} nodes for n_agents = {n}")
    return influence_weights(network, social_weights, n_influencers=params.n_influencers,
                             influencer_weight=params.influencer_weight,
                             influencer_reach=params.influencer_reach)


def consensus_error_sd(weights, sigma: float) -> float:
    """The standard deviation of the consensus ``pi . y(0)`` around the truth when private
    estimates are independent and unbiased with standard deviation ``sigma``:
    ``sigma * sqrt(sum_i pi_i**2)`` (``sigma / sqrt(n)`` for uniform influence).

    Examples
    --------
    >>> consensus_error_sd(np.full(100, 0.01), 2.0)
    0.2
    """
    pi = np.asarray(weights, dtype=np.float64)
    return float(sigma * math.sqrt(float(np.sum(pi * pi))))
