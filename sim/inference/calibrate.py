"""Calibrate the estimation model's revision rules on an observed multi-round experiment.

``crowdsim calibrate SPEC.yaml [--model NAME] [--out DIR]``: likelihood-free inference by
ABC-SMC (pyabc; Klinger, Rickert & Hasenauer 2018, Bioinformatics 34:3591) on the summary
statistics of :mod:`sim.inference.summaries`, per condition and round, matched with pyabc's
adaptive p-norm distance (each statistic scaled by its spread among the simulations,
Prangle 2017). Every simulated group starts from the observed group's own first answers, at
its own size, under its condition's protocol (:class:`sim.inference.simulate.GroupSimulator`).

Choosing the rule set
    Without ``--model`` every member of :data:`sim.inference.rulesets.RULE_SETS` is fitted
    on part of the groups and scored on the groups held out (``folds``-fold cross-validation
    over groups, stratified by condition). The score of a member is the mean over statistics
    of ``(mean predicted - observed)^2 / (predicted variance + observed variance)``: the
    predicted mean and variance over ``predictive_draws`` simulations of the held-out groups
    at parameters drawn from the member's posterior, the observed variance from a group
    bootstrap of the held-out groups. About 1 is as good as the noise allows; lower is
    better. The member with the lowest score summed over folds is then fitted on all groups.
Reproducibility
    Every random draw derives from ``seed`` (:class:`sim.inference.sampler.SeededSampler`):
    the same spec and seed give the same posterior with any number of workers.
Output
    ``calibration.json``: dataset, data hash, model, parameters (posterior median and 90 %
    interval, prior), fixed parameters, units and revision space, every member's score, the
    posterior particles and weights (read by ``crowdsim predict``), ABC settings and
    provenance; ``posterior.png``; ``report.md``.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.specs import ObservedData, load_observed, load_spec
from sim.config import ConfigError
from sim.inference.rulesets import RULE_SETS, RuleSet, priors_for
from sim.inference.simulate import GroupSimulator
from sim.inference.summaries import condition_statistics

__all__ = ["AbcSettings", "Posterior", "fit", "cross_validate", "calibrate",
           "weighted_quantiles"]

FORMAT = "crowdsim-calibration/1"


@dataclass(frozen=True)
class AbcSettings:
    """How hard the ABC-SMC works (defaults: the default calibration of ``becker2017`` in
    about 3 minutes on 2 cores)."""

    population_size: int = 200
    generations: int = 6
    min_acceptance_rate: float = 0.02
    folds: int = 2
    cv_population_size: int = 100
    cv_generations: int = 4
    predictive_draws: int = 30


@dataclass
class Posterior:
    """Accepted particles of the last generation and their weights."""

    rule_set: str
    names: list[str]
    particles: np.ndarray  # (particles, parameters)
    weights: np.ndarray
    generations: int
    simulations: int
    epsilons: list[float]

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` parameter vectors resampled by weight."""
        return self.particles[rng.choice(len(self.weights), size=size, p=self.weights)]

    def summary(self, priors: dict[str, tuple[float, float]]) -> dict[str, dict]:
        """Per parameter: posterior median, 90 % interval, prior range."""
        out = {}
        for j, name in enumerate(self.names):
            lo, median, hi = weighted_quantiles(self.particles[:, j], self.weights,
                                                [0.05, 0.5, 0.95])
            out[name] = {"estimate": median, "interval90": [lo, hi],
                         "prior": list(priors[name])}
        return out


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> list[float]:
    """Quantiles of a weighted sample (inverse of the weighted empirical CDF, midpoints).

    >>> weighted_quantiles(np.array([1.0, 2.0, 3.0]), np.ones(3) / 3, [0.5])
    [2.0]
    """
    order = np.argsort(values)
    v, w = values[order], weights[order] / weights.sum()
    cdf = np.cumsum(w) - 0.5 * w
    return [float(np.interp(q, cdf, v)) for q in qs]


class _Model:
    """pyabc's model: parameters -> summary statistics of one simulation. The generator
    comes from numpy's global one, which the sampler seeds per evaluation."""

    def __init__(self, simulator: GroupSimulator, fixed: dict[str, Any]) -> None:
        self.simulator = simulator
        self.fixed = fixed

    def __call__(self, parameters) -> dict[str, float]:
        rules = {**self.fixed, **{k: float(v) for k, v in parameters.items()}}
        # the sampler seeds numpy's global generator per evaluation (pyabc draws from it)
        rng = np.random.default_rng(int(np.random.randint(0, 2**62, dtype=np.int64)))  # noqa: NPY002
        return self.simulator.statistics(rules, rng)


def _quiet_pyabc() -> None:
    logging.getLogger("ABC").setLevel(logging.WARNING)


def fit(simulator: GroupSimulator, rule_set: RuleSet, seed: int, population_size: int,
        generations: int, min_acceptance_rate: float = 0.02, workers: int = 1,
        client=None) -> Posterior:
    """ABC-SMC posterior of one rule set's parameters given the simulator's data."""
    import pyabc

    from sim.inference.sampler import SeededSampler

    _quiet_pyabc()
    priors = priors_for(rule_set, simulator.has_controls)
    prior = pyabc.Distribution(**{name: pyabc.RV("uniform", lo, hi - lo)
                                  for name, (lo, hi) in priors.items()})
    sampler = SeededSampler(seed, workers=workers, client=client)
    np.random.seed(np.random.SeedSequence([seed, 1]).generate_state(1)[0])  # noqa: NPY002
    abc = pyabc.ABCSMC(_Model(simulator, dict(rule_set.fixed)), prior,
                       pyabc.distance.AdaptivePNormDistance(p=2),
                       population_size=population_size, sampler=sampler)
    with tempfile.TemporaryDirectory() as folder:
        abc.new(f"sqlite:///{Path(folder) / 'abc.db'}", simulator.observed_statistics())
        history = abc.run(max_nr_populations=generations,
                          min_acceptance_rate=min_acceptance_rate)
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        populations = history.get_all_populations()
        simulations = int(history.total_nr_simulations)
        generations_run = int(history.max_t) + 1
    sampler.stop()
    names = list(priors)
    return Posterior(rule_set=rule_set.name, names=names,
                     particles=frame[names].to_numpy(dtype=float),
                     weights=np.asarray(weights, dtype=float) / np.sum(weights),
                     generations=generations_run, simulations=simulations,
                     epsilons=[float(e) for e in populations["epsilon"] if np.isfinite(e)])


def _folds(observed: ObservedData, folds: int, seed: int) -> list[np.ndarray]:
    """Group indices of each fold, stratified by condition, shuffled from ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    assignment = np.empty(len(observed.groups), dtype=int)
    for condition in observed.conditions():
        members = [i for i, g in enumerate(observed.groups) if g.condition == condition]
        assignment[rng.permutation(members)] = np.arange(len(members)) % folds
    return [np.flatnonzero(assignment == k) for k in range(folds)]


def _bootstrap_statistics(measured, rng: np.random.Generator, draws: int = 200) -> np.ndarray:
    """Group-bootstrap replicates of the flat statistics, array (draws, statistics)."""
    rows = []
    for _ in range(draws):
        row = []
        for values, truths, revision in measured.values():
            pick = rng.integers(0, values.shape[0], values.shape[0])
            row += list(condition_statistics(values[pick], truths[pick],
                                             revision[pick]).values())
        rows.append(row)
    return np.array(rows)


def predictive_score(simulator: GroupSimulator, posterior: Posterior,
                     fixed: dict[str, Any], seed: int, draws: int) -> float:
    """How well a posterior predicts the simulator's (held-out) groups: the mean over
    statistics of squared error over predicted plus observed variance (see the module
    docstring)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    observed = np.array(list(simulator.observed_statistics().values()))
    simulated = np.array([
        list(simulator.statistics({**fixed, **dict(zip(posterior.names, map(float, theta)))},
                                  rng).values())
        for theta in posterior.draw(rng, draws)])
    boot = _bootstrap_statistics(simulator.observed_measured(), rng)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_var = np.nanvar(boot, axis=0)
        terms = (simulated.mean(axis=0) - observed) ** 2 / (simulated.var(axis=0) + boot_var)
    return float(np.nanmean(terms[np.isfinite(terms)]))


def cross_validate(observed: ObservedData, rule_sets: list[RuleSet], seed: int,
                   settings: AbcSettings, workers: int = 1, client=None,
                   log: Callable[[str], None] | None = None) -> dict[str, float]:
    """Each rule set's score summed over folds (lower is better)."""
    folds = _folds(observed, settings.folds, seed)
    scores = {}
    for rule_set in rule_sets:
        total = 0.0
        for k, held_out in enumerate(folds):
            train = np.setdiff1d(np.arange(len(observed.groups)), held_out)
            train_sim = GroupSimulator(observed.subset(train), seed)
            test_sim = GroupSimulator(observed.subset(held_out), seed)
            posterior = fit(train_sim, rule_set, int(np.random.SeedSequence(
                [seed, 4, k, len(scores)]).generate_state(1)[0]), settings.cv_population_size,
                settings.cv_generations, settings.min_acceptance_rate, workers, client)
            total += predictive_score(test_sim, posterior, dict(rule_set.fixed), seed + k,
                                      settings.predictive_draws)
        scores[rule_set.name] = total
        if log:
            log(f"  {rule_set.name}: held-out score {total:.3f} ({settings.folds} folds)")
    return scores


def calibrate(spec_path: str | Path, model: str | None = None, seed: int = 1,
              settings: AbcSettings = AbcSettings(), workers: int = 1, client=None,
              log: Callable[[str], None] | None = None) -> dict:
    """Fit the rule set ``model`` (or the best by cross-validation) to a dataset spec.

    Returns the calibration record (see the module docstring); nothing is written.
    """
    from sim.provenance import provenance

    if model is not None and model not in RULE_SETS:
        raise ConfigError(f"--model: unknown rule set {model!r}; allowed: "
                          f"{', '.join(sorted(RULE_SETS))}")
    spec = load_spec(spec_path)
    observed = load_observed(spec)
    say = log or (lambda _message: None)
    started = time.perf_counter()
    say(f"{spec.dataset}: {len(observed.groups)} groups in {len(observed.conditions())} "
        f"conditions ({', '.join(observed.conditions())})")
    if model is None:
        say(f"choosing the rule set: {settings.folds}-fold cross-validation over groups")
        scores = cross_validate(observed, list(RULE_SETS.values()), seed, settings, workers,
                                client, say)
        model = min(scores, key=scores.get)
    else:
        scores = {}
    rule_set = RULE_SETS[model]
    say(f"fitting {model} on all groups (ABC-SMC, population {settings.population_size}, "
        f"up to {settings.generations} generations)")
    simulator = GroupSimulator(observed, seed)
    posterior = fit(simulator, rule_set, seed, settings.population_size,
                    settings.generations, settings.min_acceptance_rate, workers, client)
    priors = priors_for(rule_set, simulator.has_controls)
    parameters = posterior.summary(priors)
    for name, value in parameters.items():
        lo, hi = value["interval90"]
        say(f"  {name} = {value['estimate']:.3f} (90 % interval {lo:.3f} to {hi:.3f})")
    return {
        "format": FORMAT,
        "dataset": spec.dataset,
        "spec": str(spec_path),
        "data_hash": observed.data_hash(),
        "groups": len(observed.groups),
        "conditions": {c: {"groups": sum(g.condition == c for g in observed.groups),
                           "protocol": spec.protocols[c].model_dump(mode="json")}
                       for c in observed.conditions()},
        "model": model,
        "model_description": rule_set.description,
        "parameters": parameters,
        "fixed": dict(rule_set.fixed),
        "units": spec.units,
        "revision_space": spec.revision_space,
        "scores": scores,
        "score_rule": ("mean over statistics of (predicted mean - observed)^2 / (predicted "
                       "variance + observed group-bootstrap variance) on held-out groups, "
                       f"summed over {settings.folds} folds; lower is better"),
        "posterior": {"names": posterior.names, "particles": posterior.particles.tolist(),
                      "weights": posterior.weights.tolist()},
        "abc": {**asdict(settings), "generations_run": posterior.generations,
                "simulations": posterior.simulations, "epsilons": posterior.epsilons,
                "seconds": round(time.perf_counter() - started, 1)},
        "provenance": provenance(config_hash=observed.data_hash()[:16], seed=seed,
                                 experiment="calibrate"),
    }


def posterior_from(record: dict) -> Posterior:
    """The posterior stored in a calibration record."""
    stored = record["posterior"]
    return Posterior(rule_set=record["model"], names=list(stored["names"]),
                     particles=np.array(stored["particles"], dtype=float).reshape(
                         -1, len(stored["names"])),
                     weights=np.array(stored["weights"], dtype=float),
                     generations=record["abc"]["generations_run"],
                     simulations=record["abc"]["simulations"],
                     epsilons=record["abc"]["epsilons"])
