"""Numba kernel of the nest-site selection model: many independent swarms at once.

The same rules as :mod:`sim.models.nest_site.agents` (both call :mod:`sim.models.nest_site.rules`)
over arrays. Replicate ``r`` draws from ``numpy.random.default_rng(seeds[r])``, exactly the
generator ``NestSiteSelection(rng=seeds[r])`` holds, so both engines give identical swarms. A
batch runs all its swarms in one compiled loop (:func:`_run_swarms`), seeded in bulk
(:func:`sim.batching.run_compiled`), with one set of working arrays per thread.

Draw order (shared with :class:`~sim.models.nest_site.model.NestSiteSelection`)
    Nothing is drawn at creation: every scout starts uncommitted. Each step ``t = 1, 2, ...``:

    1. the snapshot of the start of the step (the end of the previous one): dancers per
       site and the sum of their strengths in index order (no draws); the visit
       thresholds and the stop-signal probabilities per site follow from it;
    2. the scouts in index order: a dancer's strength falls by ``decrement`` (no draw; at 0
       she stops); a scout who is not dancing draws one uniform for her visit (it also
       names the dancer she followed, when recruited), then, only if she visited a site: if
       she was recruited and ``copying > 0``, one uniform (copy or not), then, unless she
       copied and only if ``noise > 0``, one standard normal (her assessment);
    3. only when ``stop_rate > 0``: every scout dancing after 2., in index order, draws one
       uniform for a stop signal (against the snapshot's shares);
    4. the dancers per site at the end of the step are recorded; with a quorum, the run
       stops at the first step at which some site has at least ``quorum`` dancers.

    The run ends at the quorum or after ``horizon`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.batching import reseed, run_compiled, seed_array
from sim.models.nest_site.params import NestSiteParams
from sim.models.nest_site.rules import (
    UNCOMMITTED,
    consensus,
    copy_strength,
    dance_roster,
    decline,
    hears_stop_signal,
    join_strength,
    quorum_site,
    snapshot,
    stop_probabilities,
    visit,
    visit_thresholds,
)
from sim.stats import wilson_interval

__all__ = ["SwarmBatch", "run_swarm", "simulate_swarms", "outcomes"]


@njit(cache=True, nogil=True)
def _workspace(n_agents, n_sites):
    """A swarm's working arrays: per scout (site, strength, advertised strength, roster) and
    per site (roster starts, dancers, strength sums, two visit thresholds, stop chance)."""
    return (np.empty(n_agents, dtype=np.int64), np.empty(n_agents), np.empty(n_agents),
            np.empty(n_agents), np.empty(n_sites, dtype=np.int64),
            np.empty(n_sites, dtype=np.int64), np.empty(n_sites), np.empty(2 * n_sites),
            np.empty(n_sites))


@njit(cache=True, nogil=True)
def run_swarm(rng, qualities, discovery, interdependence, noise, noise_shift, decrement,
              copying, copy_rule, horizon, quorum, stop_rate, n_agents, record, trajectory_out,
              final_out):
    """One swarm from an all-uncommitted start; returns (decision step or -1, quorum site
    or -1, steps run).

    ``final_out`` (sites,) receives the dancers per site at the end; with ``record``,
    ``trajectory_out`` (horizon + 1, sites) the dancers per site after each step (row 0: the
    start; rows after a quorum decision repeat the state at the decision).
    """
    return _run_swarm_in(_workspace(n_agents, qualities.shape[0]), rng, qualities, discovery,
                         interdependence, noise, noise_shift, decrement, copying, copy_rule,
                         horizon, quorum, stop_rate, n_agents, record, trajectory_out,
                         final_out)


@njit(cache=True, nogil=True)
def _run_swarm_in(workspace, rng, qualities, discovery, interdependence, noise, noise_shift,
                  decrement, copying, copy_rule, horizon, quorum, stop_rate, n_agents, record,
                  trajectory_out, final_out):
    """:func:`run_swarm` in the arrays of ``workspace`` (:func:`_workspace`), which it first
    sets to the all-uncommitted start: a batch reuses one for all its swarms."""
    n_sites = qualities.shape[0]
    sites, strengths, advertised, roster, starts, counts, sums, thresholds, stop = workspace
    sites[:] = UNCOMMITTED
    strengths[:] = 0.0
    advertised[:] = 0.0  # each dancer's strength on the step she joined
    roster[:] = 0.0
    starts[:] = 0
    counts[:] = 0
    sums[:] = 0.0
    thresholds[:] = 0.0
    stop[:] = 0.0
    snapshot(sites, strengths, counts, sums)
    if record:
        trajectory_out[0, :] = counts
    decision = -1
    chosen = UNCOMMITTED
    t = 0
    while t < horizon:
        t += 1
        # counts and sums hold the start of the step (the end of the previous one)
        visit_thresholds(discovery, counts, interdependence, n_agents, thresholds)
        if stop_rate > 0.0:
            stop_probabilities(counts, n_agents, stop_rate, stop)
        if copying > 0.0:
            dance_roster(sites, advertised, counts, starts, roster)
        for i in range(n_agents):
            if sites[i] >= 0:
                s, dancing = decline(strengths[i], decrement)
                if dancing:
                    strengths[i] = s
                else:
                    sites[i] = UNCOMMITTED
                    strengths[i] = 0.0
                    advertised[i] = 0.0
            else:
                j, recruited, rank = visit(rng, thresholds, n_sites, counts, interdependence,
                                           n_agents)
                if j >= 0:
                    copied = 0.0
                    if recruited and copying > 0.0:
                        copied = copy_strength(copy_rule, j, rank, starts, roster, sums, counts)
                    s, _ = join_strength(rng, recruited, copying, qualities[j], noise,
                                         noise_shift, copied)
                    sites[i] = j
                    strengths[i] = s
                    advertised[i] = s
        if stop_rate > 0.0:
            for i in range(n_agents):
                if sites[i] >= 0 and hears_stop_signal(rng, stop[sites[i]]):
                    sites[i] = UNCOMMITTED
                    strengths[i] = 0.0
                    advertised[i] = 0.0
        snapshot(sites, strengths, counts, sums)  # the end of the step
        if record:
            trajectory_out[t, :] = counts
        if quorum > 0:
            q = quorum_site(counts, quorum)
            if q >= 0:
                decision = t
                chosen = q
                break
    if record:
        for row in range(t + 1, horizon + 1):
            trajectory_out[row, :] = counts
    final_out[:] = counts
    return decision, chosen, t


@njit(cache=True, nogil=True)
def _run_swarms(rng, words, flags, order, states, first, stop, qualities, discovery,
                interdependence, noise, noise_shift, decrement, copying, copy_rule, horizon,
                quorum, stop_rate, n_agents, record, trajectory, final, decision, quorum_sites,
                steps):
    """Swarms ``first .. stop - 1`` of a batch (rows of the output arrays; ``trajectory``
    has one row per swarm with ``record``, else one scratch row), each from its own seed:
    ``rng`` is re-set to ``states[r]`` before swarm ``r`` (see
    :func:`sim.batching.run_compiled`). One workspace serves every swarm of the block."""
    workspace = _workspace(n_agents, qualities.shape[0])
    for r in range(first, stop):
        reseed(words, flags, order, states, r)
        out = trajectory[r] if record else trajectory[0]
        decision[r], quorum_sites[r], steps[r] = _run_swarm_in(
            workspace, rng, qualities, discovery, interdependence, noise, noise_shift,
            decrement, copying, copy_rule, horizon, quorum, stop_rate, n_agents, record, out,
            final[r])


@njit(cache=True, nogil=True)
def _consensus_rows(final_dancers, plurality_out, twice_out):
    """:func:`~sim.models.nest_site.rules.consensus` of every row of ``final_dancers``."""
    for r in range(final_dancers.shape[0]):
        plurality_out[r], twice_out[r] = consensus(final_dancers[r])


@dataclass(frozen=True)
class SwarmBatch:
    """Outcomes of many independent swarms (one row per replicate).

    Attributes:
        chosen: the swarm's choice: the quorum site when a quorum is set (-1 if none was
            reached within the horizon), else the plurality site at the horizon (-1 on a tie
            or when nobody dances).
        best: whether ``chosen`` is a site of the highest quality.
        decision_time: the step of the quorum decision, -1 when none (or no quorum set).
        steps: steps run (the decision step, else the horizon).
        plurality: the site with strictly most dancers at the end, -1 when none.
        plurality_best: whether the plurality site is a best site.
        twice: the leading site when it has at least twice the runner-up's dancers, else -1.
        twice_best: whether the best site leads with at least twice the runner-up's dancers.
        final_dancers: (replicates, sites) dancers per site at the end.
        dancers: (replicates, horizon + 1, sites) dancers per site after each step (row 0:
            the start), or None when not recorded. After a quorum decision the rows repeat
            the state at the decision.
        seeds: (replicates,) the integer seed of each replicate.
        qualities: the sites' qualities.
    """

    chosen: np.ndarray
    best: np.ndarray
    decision_time: np.ndarray
    steps: np.ndarray
    plurality: np.ndarray
    plurality_best: np.ndarray
    twice: np.ndarray
    twice_best: np.ndarray
    final_dancers: np.ndarray
    dancers: np.ndarray | None
    seeds: np.ndarray
    qualities: np.ndarray

    @property
    def decided(self) -> np.ndarray:
        """Whether each swarm reached its quorum."""
        return self.decision_time >= 0

    def summary(self) -> dict:
        """Shares of runs over the batch, each with its Wilson 95 % interval (``_low``,
        ``_high``): best chosen, best by plurality, best by the twice criterion, any twice
        consensus, no plurality, decided by quorum; the mean and median decision time of
        the decided runs; the share of runs choosing each site and the mean final dancers
        per site.

        Examples
        --------
        >>> from sim.seeding import replicate_seeds
        >>> batch = simulate_swarms(NestSiteParams(horizon=30), replicate_seeds(2, 10))
        >>> s = batch.summary()
        >>> s["runs"], 0 <= s["p_best_plurality_low"] <= s["p_best_plurality"] <= 1
        (10, True)
        """
        n = int(self.seeds.shape[0])
        out: dict = {"runs": n}
        shares = {"p_best": self.best, "p_best_plurality": self.plurality_best,
                  "p_best_twice": self.twice_best, "p_twice_any": self.twice >= 0,
                  "p_no_plurality": self.plurality < 0, "p_decided": self.decided}
        for name, mask in shares.items():
            k = int(np.count_nonzero(mask))
            out[name] = k / n if n else float("nan")
            out[f"{name}_low"], out[f"{name}_high"] = wilson_interval(k, n)
        times = self.decision_time[self.decided]
        out["mean_decision_time"] = float(times.mean()) if times.size else float("nan")
        out["median_decision_time"] = float(np.median(times)) if times.size else float("nan")
        n_sites = self.final_dancers.shape[1]
        out["chosen_share"] = [float(np.mean(self.chosen == j)) if n else float("nan")
                               for j in range(n_sites)]
        out["mean_final_dancers"] = self.final_dancers.mean(axis=0).tolist() if n else []
        return out

    def to_frame(self):
        """One row per swarm (pandas DataFrame): seed, outcomes, final dancers per site."""
        import pandas as pd

        frame = pd.DataFrame({
            "seed": self.seeds, "chosen": self.chosen, "best": self.best,
            "decision_time": self.decision_time, "steps": self.steps,
            "plurality": self.plurality, "plurality_best": self.plurality_best,
            "twice": self.twice, "twice_best": self.twice_best})
        for j in range(self.final_dancers.shape[1]):
            frame[f"dancers_{j}"] = self.final_dancers[:, j]
        return frame


def kernel_arguments(params: NestSiteParams) -> tuple:
    """The parameters as :func:`run_swarm` takes them, from ``qualities`` to ``n_agents``."""
    return (params.quality_array, params.discovery_array, float(params.interdependence),
            float(params.noise), params.noise_shift, float(params.decrement), float(params.copying),
            int(params.copy_rule), int(params.horizon), params.quorum_code,
            float(params.stop_rate), int(params.n_agents))


def outcomes(params: NestSiteParams, final_dancers: np.ndarray, decision: np.ndarray,
             quorum_sites: np.ndarray) -> dict[str, np.ndarray]:
    """Chosen site and both consensus criteria from the final dancers (both engines)."""
    n = final_dancers.shape[0]
    plurality = np.empty(n, dtype=np.int64)
    twice = np.empty(n, dtype=np.int64)
    _consensus_rows(np.ascontiguousarray(final_dancers, dtype=np.int64), plurality, twice)
    chosen = quorum_sites if params.quorum is not None else plurality
    best_mask = params.best_sites

    def is_best(site):
        return (site >= 0) & best_mask[np.maximum(site, 0)]

    return {"chosen": chosen, "best": is_best(chosen), "plurality": plurality,
            "plurality_best": is_best(plurality), "twice": twice,
            "twice_best": is_best(twice)}


def simulate_swarms(params: NestSiteParams, seeds, record_dancers: bool = False,
                    n_threads: int = 1) -> SwarmBatch:
    """Simulate one swarm per seed, as a :class:`SwarmBatch`.

    Parameters
    ----------
    params : NestSiteParams
        The swarm (validated parameters; a TypeError for anything else).
    seeds : array_like of int
        One integer seed per swarm.
    record_dancers : bool, default False
        Keep the dancers per site after every step, (replicates, horizon + 1, sites).
    n_threads : int, default 1
        Threads running swarms concurrently (the kernel releases the GIL); see
        :func:`sim.batching.run_compiled`. The result does not depend on it.

    Examples
    --------
    >>> batch = simulate_swarms(NestSiteParams(horizon=50), [11, 12, 13, 14])
    >>> batch.final_dancers.shape, batch.chosen.shape
    ((4, 5), (4,))
    >>> p = NestSiteParams(n_agents=20, qualities=[5, 10], horizon=10, quorum=5)
    >>> simulate_swarms(p, [3], record_dancers=True).dancers.shape
    (1, 11, 2)
    """
    if not isinstance(params, NestSiteParams):
        raise TypeError(f"params must be NestSiteParams, got {type(params).__name__}")
    seeds = seed_array(seeds)
    n_replicates, n_sites = seeds.shape[0], params.n_sites
    final = np.zeros((n_replicates, n_sites), dtype=np.int64)
    decision = np.full(n_replicates, -1, dtype=np.int64)
    quorum_sites = np.full(n_replicates, -1, dtype=np.int64)
    steps = np.zeros(n_replicates, dtype=np.int64)
    if record_dancers:
        trajectory = np.zeros((n_replicates, params.horizon + 1, n_sites), dtype=np.int32)
    else:
        trajectory = np.zeros((1, 1, n_sites), dtype=np.int32)

    arguments = kernel_arguments(params)

    def run_block(rng, words, flags, order, states, first, stop) -> None:
        _run_swarms(rng, words, flags, order, states, first, stop, *arguments, record_dancers,
                    trajectory, final, decision, quorum_sites, steps)

    def run_one(r: int, rng: np.random.Generator) -> None:
        out = trajectory[r] if record_dancers else trajectory[0]
        decision[r], quorum_sites[r], steps[r] = run_swarm(rng, *arguments, record_dancers, out,
                                                           final[r])

    run_compiled(run_block, run_one, seeds, n_threads)
    return SwarmBatch(decision_time=decision, steps=steps, final_dancers=final,
                      dancers=trajectory if record_dancers else None, seeds=seeds,
                      qualities=params.quality_array,
                      **outcomes(params, final, decision, quorum_sites))
