"""The one parameter schema of the estimation model (defaults, valid ranges, sources).

The Mesa model, the kernel, configs and the CLI all validate through
:class:`EstimationParams`; nothing else declares a default. The choices of the named
parameters (``noise``, ``information``, ...) are derived from the one tuple of names each in
:mod:`sim.models.estimation.beliefs` and :mod:`sim.models.estimation.rules`, whose order gives
the integer codes of :class:`RuleSettings`, the parameters as the compiled rules take them.
"""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

import numpy as np
from pydantic import AfterValidator, Field, model_validator

from sim.config import Strict
from sim.models.estimation.beliefs import MULTIPLICATIVE_FAMILIES, NOISE_FAMILIES
from sim.models.estimation.rules import (
    INFLUENCER_REACH,
    INFORMATION,
    REVISION_SPACES,
    RULES,
    SIGNAL_SPACES,
    SIGNALS,
    WEIGHT_MODES,
)
from sim.networks import NetworkSpec
from sim.networks import check as check_network

__all__ = ["EstimationParams", "RuleSettings", "GALTON_NORMAL_SD"]

#: Galton's (1907) probable error of 37 lb read as a normal standard deviation (37 / 0.6745).
GALTON_NORMAL_SD = 37.0 / 0.6744897501960817

#: The revision options of rules.revise_agent at their defaults (rule=deffuant takes none).
REVISION_DEFAULTS = {"later_weight_factor": 1.0, "anchoring": 0.0, "distance_scale": None,
                     "asymmetry": 0.0}

# The allowed names, from the one tuple of each (their order is the order of the codes).
NoiseFamily = Literal[*NOISE_FAMILIES]
Information = Literal[*INFORMATION]
Signal = Literal[*SIGNALS]
SignalSpace = Literal[*SIGNAL_SPACES]
Rule = Literal[*RULES]
RevisionSpace = Literal[*REVISION_SPACES]
WeightMode = Literal[*WEIGHT_MODES]
InfluencerReach = Literal[*INFLUENCER_REACH]


class RuleSettings(NamedTuple):
    """:class:`EstimationParams` as the compiled rules take them: numbers only.

    A name is its index in its tuple of names (``family`` in
    :data:`~sim.models.estimation.beliefs.NOISE_FAMILIES`, ``information`` in
    :data:`~sim.models.estimation.rules.INFORMATION`, ...); ``epsilon`` is the confidence
    bound, -1.0 for none; ``shown_signal`` whether ``signal_space`` is ``"shown"``;
    ``distance_scale`` -1.0 for none; ``influencer_bias`` 0.0 for none
    (``influencer_estimate`` is ``truth * (1 + influencer_bias)``). Built once per model or batch by
    :meth:`EstimationParams.rule_settings`; numba passes it to the kernel as a tuple of
    scalars (every field has one type, so the kernel is compiled once).
    """

    # private beliefs (sim.models.estimation.beliefs)
    family: int
    centre: float
    scale_below: float
    scale_above: float
    expertise_spread: float
    correlation: float
    n_groups: int
    # social influence (sim.models.estimation.rules)
    truth: float
    rounds: int
    information: int
    signal: int
    shown_signal: bool
    rule: int
    log_space: bool
    epsilon: float
    social_weight: float
    weight_mode: int
    weight_spread: float
    stubborn_share: float
    n_influencers: int
    influencer_weight: float
    reach_all: bool
    biased_influencers: bool
    influencer_estimate: float
    influencer_bias: float
    # revision rules for multi-round data (sim.models.estimation.rules.revise_agent)
    later_weight_factor: float
    anchoring: float
    distance_scale: float
    asymmetry: float
    drift: float
    drift_noise: float


#: Largest magnitude of the truth, shifts and additive noise scales: errors are squared in the
#: metrics, and squares of values beyond about 1e154 overflow float64 (so 1e100 leaves room).
MAX_MAGNITUDE = 1e100
#: Largest ln-error scale of a multiplicative family: estimates are centre * exp(scale * z),
#: z reaches about +-7 in large crowds, and exp(709) is float64's largest; above 100 the
#: estimates themselves overflow (below it, a run whose metrics still overflow is a failed run).
MAX_LOG_SCALE = 100.0


def _within_magnitude(value: float) -> float:
    if abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"must be within +-{MAX_MAGNITUDE:g} (squared errors of larger values "
                         f"overflow float64), got {value:g}")
    return value


#: A float of at most :data:`MAX_MAGNITUDE` in size (the check travels with the type, so a
#: sweep checking one parameter value alone applies it too).
Magnitude = Annotated[float, AfterValidator(_within_magnitude)]


class EstimationParams(Strict):
    """Parameters of a crowd estimating one quantity.

    Defaults describe Galton's (1907) fair-goers read as an unbiased normal crowd: 787 valid
    tickets, dressed weight 1198 lb, probable error 37 lb.

    Examples
    --------
    >>> p = EstimationParams(n_agents=12, noise="lognormal", noise_scale=0.5, truth=100.0)
    >>> p.centre
    100.0
    >>> EstimationParams(n_agents=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for EstimationParams
    n_agents
      Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, ...
        ...
    """

    n_agents: int = Field(787, ge=1, description="crowd size (Galton 1907: 787 valid tickets)")
    truth: Magnitude = Field(1198.0, description="the true value (Galton 1907: 1198 lb)")
    noise: NoiseFamily = Field(
        "normal", description="noise family of private estimates "
                              "(see sim.models.estimation.beliefs)")
    noise_scale: Magnitude = Field(
        GALTON_NORMAL_SD, ge=0,
        description="SD of the error (normal), of ln-error (lognormal), scale of ln-error "
                    "(log_cauchy); default Galton's p.e. 37 lb as a normal SD")
    noise_scale_below: float | None = Field(
        None, ge=0, description="split_normal: SD below the centre (default noise_scale)")
    noise_scale_above: float | None = Field(
        None, ge=0, description="split_normal: SD above the centre (default noise_scale)")
    bias_shift: Magnitude = Field(0.0, description="crowd-wide additive shift of the centre")
    bias_factor: float = Field(1.0, gt=0, description="crowd-wide factor on the truth")
    expertise_spread: float = Field(
        0.0, ge=0, description="SD of ln of each agent's noise-scale multiplier (0: all alike)")
    correlation: float = Field(
        0.0, ge=0, le=1, description="share rho of the error common to the agent's group")
    n_groups: int = Field(1, ge=1, description="groups sharing a common error (1: whole crowd)")

    # --- social influence (sim.models.estimation.rules) ---
    rounds: int = Field(0, ge=0, description="revision rounds after the private estimates "
                                             "(Lorenz et al. 2011: 4; Becker et al. 2017: 2)")
    information: Information = Field(
        "none", description="what each agent sees of the others' previous estimates")
    signal: Signal = Field(
        "mean", description="the aggregate shown under information=aggregate (and under full "
                            "or neighbours with signal_space=shown)")
    signal_space: SignalSpace = Field(
        "revision", description="information=full or neighbours: the signal is the weighted "
                                "mean of the seen estimates in revision space (revision), or "
                                "the signal aggregate of the answers as shown on a screen, "
                                "then taken into revision space (shown; Becker et al. 2017 "
                                "showed the neighbours' arithmetic mean)")
    rule: Rule = Field(
        "average", description="synchronous averaging (DeGroot / Hegselmann-Krause), pairwise "
                               "meetings (Deffuant) or sequential answering (herding)")
    revision_space: RevisionSpace = Field(
        "linear", description="revise x (linear) or ln x (log; Lorenz et al. 2011)")
    social_weight: float = Field(
        0.3, ge=0, le=1, description="w in x <- (1 - w) x + w s (weight of advice about 0.2-0.3:"
                                     " Yaniv 2004, OBHDP 93:1)")
    weight_mode: WeightMode = Field(
        "constant", description="w the same for all, drawn per agent (random: uniform; beta: "
                                "Soll & Larrick 2009), or larger for agents further from the "
                                "truth in revision space (accuracy; Becker et al. 2017)")
    weight_spread: float = Field(
        0.0, ge=0, description="random: half-width of w's uniform range; accuracy: strength "
                               "of the coupling, in [0, 1]; beta: SD of w as a share of its "
                               "maximum sqrt(m (1 - m)), in [0, 1)")
    later_weight_factor: float = Field(
        1.0, ge=0, description="w is multiplied by this in revision rounds r >= 2 (Lorenz et "
                               "al. 2011 data: about 0.58 first, 0.14-0.27 later; Mavrodiev, "
                               "Tessone & Schweitzer 2013, Sci. Rep. 3:1360)")
    anchoring: float = Field(
        0.0, ge=0, le=1, description="a in y <- (1 - a) y' + a y0 after each revision, y0 the "
                                     "agent's first answer (Friedkin & Johnsen 1990, J. Math. "
                                     "Sociol. 15:193)")
    distance_scale: float | None = Field(
        None, gt=0, description="w is multiplied by 1 - exp(-|s - y| / distance_scale), "
                                "revision-space units (Moussaid et al. 2013, PLoS ONE "
                                "8:e78433; None: not)")
    asymmetry: float = Field(
        0.0, ge=-1, le=1, description="w times 1 + asymmetry when the signal is above the "
                                      "estimate, 1 - asymmetry when below (Jayles et al. 2017,"
                                      " PNAS 114:12620)")
    drift: float = Field(
        0.0, ge=0, le=1, description="information=none: each round answers afresh around the "
                                     "first answer moved this share towards the truth (Vul & "
                                     "Pashler 2008; Herzog & Hertwig 2009)")
    drift_noise: float = Field(
        0.0, ge=0, description="information=none: SD of the fresh answer's normal noise, "
                               "revision-space units")
    stubborn_share: float = Field(0.0, ge=0, le=1, description="chance an agent never moves")
    confidence_bound: float | None = Field(
        None, gt=0, description="bounded confidence epsilon in revision space (None: none)")
    n_influencers: int = Field(0, ge=0, description="the first agents (a star's hub) are "
                                                    "influencers")
    influencer_weight: float = Field(1.0, ge=0, description="influencers' weight in every mean")
    influencer_reach: InfluencerReach = Field(
        "network", description="all: every agent sees the influencers besides its neighbours")
    influencer_bias: float | None = Field(
        None, gt=-1, description="a biased influencer announces truth * (1 + bias), never moves")
    network: NetworkSpec = Field(default_factory=lambda: {"kind": "none"}, validate_default=True,
                                 description="who sees whom under information=neighbours")

    @model_validator(mode="after")
    def _check_consistency(self) -> EstimationParams:
        self._check_magnitudes()
        if self.noise != "split_normal":
            for name in ("noise_scale_below", "noise_scale_above"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} applies only to noise=split_normal, "
                                     f"not noise={self.noise}")
        if self.noise in MULTIPLICATIVE_FAMILIES and not self.centre > 0:
            raise ValueError(f"noise={self.noise} is multiplicative and needs a positive centre "
                             f"(truth * bias_factor + bias_shift), got {self.centre:g}")
        if self.n_groups > self.n_agents:
            raise ValueError(f"n_groups ({self.n_groups}) cannot exceed n_agents "
                             f"({self.n_agents})")
        if self.n_influencers > self.n_agents:
            raise ValueError(f"n_influencers ({self.n_influencers}) cannot exceed n_agents "
                             f"({self.n_agents})")
        if self.needs_positive and self.noise not in MULTIPLICATIVE_FAMILIES:
            raise ValueError("revision_space=log and signal=geometric_mean need positive "
                             f"estimates: use noise={' or '.join(MULTIPLICATIVE_FAMILIES)}")
        has_network = self.network.kind != "none"
        if self.information == "neighbours" and not has_network:
            raise ValueError("information=neighbours needs a network (network.kind)")
        if has_network and self.network.kind != "file":
            check_network(self.network, self.n_agents)  # e.g. degree >= n_agents
        if has_network and self.information != "neighbours":
            raise ValueError("a network is used only with information=neighbours")
        if self.rule == "deffuant" and self.information not in ("full", "neighbours"):
            raise ValueError("rule=deffuant pairs agents of the whole crowd (information=full) "
                             "or along the network (information=neighbours)")
        if self.signal_space == "shown" and self.information not in ("full", "neighbours"):
            raise ValueError("signal_space=shown applies only to information=full or "
                             "information=neighbours")
        if self.signal_space == "shown" and self.rule == "deffuant":
            raise ValueError("signal_space=shown applies only to rule=average or "
                             "rule=sequential (Deffuant pairs meet in revision space)")
        if self.weight_mode == "accuracy" and self.weight_spread > 1:
            raise ValueError("weight_spread must be in [0, 1] with weight_mode=accuracy")
        if self.weight_mode == "beta" and self.weight_spread >= 1:
            raise ValueError("weight_spread must be in [0, 1) with weight_mode=beta")
        if self.rule == "deffuant":
            for name, default in REVISION_DEFAULTS.items():
                if getattr(self, name) != default:
                    raise ValueError(f"{name} applies only to rule=average or "
                                     "rule=sequential")
        if (self.drift > 0 or self.drift_noise > 0) and self.information != "none":
            raise ValueError("drift and drift_noise apply only to information=none")
        return self

    def _check_magnitudes(self) -> None:
        # refused here, before a run: values this large overflow float64 in the simulation or
        # in its metrics (a run that still overflows is a failed run: sim.sweep.worker)
        # (truth, bias_shift and noise_scale are bounded one by one by their type)
        for name in ("noise_scale_below", "noise_scale_above"):
            value = getattr(self, name)
            if value is not None and value > MAX_MAGNITUDE:
                raise ValueError(f"{name} must be within {MAX_MAGNITUDE:g} (squared errors of "
                                 f"larger values overflow float64), got {value:g}")
        if abs(self.centre) > MAX_MAGNITUDE:
            raise ValueError(f"the centre (truth * bias_factor + bias_shift) {self.centre:g} is "
                             f"beyond +-{MAX_MAGNITUDE:g}: squared errors would overflow float64")
        if self.noise in MULTIPLICATIVE_FAMILIES and self.noise_scale > MAX_LOG_SCALE:
            raise ValueError(f"noise_scale {self.noise_scale:g} is above {MAX_LOG_SCALE:g} for "
                             f"noise={self.noise}: estimates are centre * exp(noise_scale * z), "
                             "which would overflow float64")

    @property
    def centre(self) -> float:
        """Where the crowd's errors are centred: the truth moved by the crowd's bias."""
        return self.truth * self.bias_factor + self.bias_shift

    @property
    def scale_below(self) -> float:
        """Noise scale applied to negative standardised errors."""
        return self.noise_scale if self.noise_scale_below is None else self.noise_scale_below

    @property
    def scale_above(self) -> float:
        """Noise scale applied to non-negative standardised errors."""
        return self.noise_scale if self.noise_scale_above is None else self.noise_scale_above

    def rule_settings(self) -> RuleSettings:
        """The parameters as the compiled rules and the kernel take them.

        Examples
        --------
        >>> s = EstimationParams(noise="lognormal", noise_scale=0.5, information="full",
        ...                      confidence_bound=0.2).rule_settings()
        >>> s.family, s.information, s.epsilon, s.log_space
        (1, 2, 0.2, False)
        """
        return RuleSettings(
            family=NOISE_FAMILIES.index(self.noise),
            centre=float(self.centre),
            scale_below=float(self.scale_below),
            scale_above=float(self.scale_above),
            expertise_spread=float(self.expertise_spread),
            correlation=float(self.correlation),
            n_groups=int(self.n_groups),
            truth=float(self.truth),
            rounds=int(self.rounds),
            information=INFORMATION.index(self.information),
            signal=SIGNALS.index(self.signal),
            shown_signal=self.signal_space == "shown",
            rule=RULES.index(self.rule),
            log_space=self.revision_space == "log",
            epsilon=-1.0 if self.confidence_bound is None else float(self.confidence_bound),
            social_weight=float(self.social_weight),
            weight_mode=WEIGHT_MODES.index(self.weight_mode),
            weight_spread=float(self.weight_spread),
            stubborn_share=float(self.stubborn_share),
            n_influencers=int(self.n_influencers),
            influencer_weight=float(self.influencer_weight),
            reach_all=self.influencer_reach == "all",
            biased_influencers=self.influencer_bias is not None,
            influencer_estimate=(0.0 if self.influencer_bias is None
                                 else self.truth * (1.0 + self.influencer_bias)),
            influencer_bias=(0.0 if self.influencer_bias is None
                             else float(self.influencer_bias)),
            later_weight_factor=float(self.later_weight_factor),
            anchoring=float(self.anchoring),
            distance_scale=-1.0 if self.distance_scale is None else float(self.distance_scale),
            asymmetry=float(self.asymmetry),
            drift=float(self.drift),
            drift_noise=float(self.drift_noise),
        )

    @property
    def needs_positive(self) -> bool:
        """Whether estimates must be positive: revision in log space, or a geometric mean
        shown."""
        return self.revision_space == "log" or (
            self.information != "none" and self.signal == "geometric_mean")

    def check_initial_estimates(self, values, replicates: int | None = None) -> np.ndarray:
        """Observed round-0 estimates as float64, checked: shape ``(n_agents,)`` (or
        ``(replicates, n_agents)`` when ``replicates`` is given; a 1-d array is then
        repeated), finite, positive when :attr:`needs_positive`.

        Examples
        --------
        >>> EstimationParams(n_agents=2).check_initial_estimates([1, 2]).tolist()
        [1.0, 2.0]
        >>> EstimationParams(n_agents=3).check_initial_estimates([1.0, 2.0])
        Traceback (most recent call last):
        ...
        ValueError: initial_estimates must have n_agents = 3 values per crowd, got shape (2,)
        """
        x = np.array(values, dtype=np.float64)
        n = self.n_agents
        if replicates is not None and x.ndim == 1 and x.shape[0] == n:
            x = np.broadcast_to(x, (replicates, n)).copy()
        ok = x.shape == ((n,) if replicates is None else (replicates, n))
        if not ok and replicates is not None and x.ndim == 2 and x.shape[1] == n:
            raise ValueError(f"initial_estimates has {x.shape[0]} rows for {replicates} "
                             "seeds")
        if not ok:
            raise ValueError(f"initial_estimates must have n_agents = {n} values per crowd, "
                             f"got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("initial_estimates must be finite")
        if self.needs_positive and not np.all(x > 0):
            raise ValueError("initial_estimates must be positive with revision_space=log or "
                             "signal=geometric_mean")
        return x
