"""The named family of revision rule sets a calibration chooses from.

Each member fixes some of the estimation model's parameters
(:class:`~sim.models.estimation.params.EstimationParams`) and gives the others a uniform
prior; the data choose between members by cross-validation over groups
(:func:`sim.inference.calibrate.calibrate`). Every member has the same start: each simulated
person starts from their observed first answer. The rules and their sources are in the
estimation model's ODD description (:mod:`sim.models.estimation.model`).

``degroot``
    One social weight for everybody and every round (DeGroot 1974, JASA 69:118; Becker et
    al. 2017, eq. 1).
``anchored``
    A first revision weighing differently from later ones and a pull back towards one's own
    first answer (Friedkin & Johnsen 1990, J. Math. Sociol. 15:193).
``distance``
    Revision growing with the distance to the social signal (Moussaid et al. 2013, PLoS ONE
    8:e78433) and different weights for upward and downward moves (Jayles et al. 2017,
    PNAS 114:12620).
``full``
    All of the above, with weights drawn per person from a Beta distribution (Soll & Larrick
    2009, JEP:LMC 35:780).

Conditions without social information (controls) also fit ``drift`` and ``drift_noise``
(second estimates: Vul & Pashler 2008; Herzog & Hertwig 2009), in every member.

Examples
--------
>>> sorted(RULE_SETS)
['anchored', 'degroot', 'distance', 'full']
>>> RULE_SETS["degroot"].priors
{'social_weight': (0.0, 1.0)}
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RuleSet", "RULE_SETS", "DRIFT_PRIORS", "priors_for"]


@dataclass(frozen=True)
class RuleSet:
    """A member of the family: fixed parameters and uniform priors ``(low, high)``."""

    name: str
    description: str
    priors: dict[str, tuple[float, float]]
    fixed: dict[str, object] = field(default_factory=dict)


RULE_SETS: dict[str, RuleSet] = {rule.name: rule for rule in (
    RuleSet("degroot", "one social weight for everybody and every round (DeGroot 1974)",
            {"social_weight": (0.0, 1.0)}),
    RuleSet("anchored", "first revision weighs differently from later ones, pull back "
                        "towards one's first answer (Friedkin & Johnsen 1990)",
            {"social_weight": (0.0, 1.0), "later_weight_factor": (0.0, 1.5),
             "anchoring": (0.0, 0.8)}),
    RuleSet("distance", "revision grows with the distance to the signal (Moussaid et al. "
                        "2013), upward and downward moves differ (Jayles et al. 2017)",
            {"social_weight": (0.0, 1.0), "distance_scale": (0.05, 3.0),
             "asymmetry": (-0.8, 0.8)}),
    RuleSet("full", "all of the above, weights drawn per person from a Beta distribution "
                    "(Soll & Larrick 2009)",
            {"social_weight": (0.02, 0.98), "later_weight_factor": (0.0, 1.5),
             "anchoring": (0.0, 0.8), "distance_scale": (0.05, 3.0),
             "asymmetry": (-0.8, 0.8), "weight_spread": (0.0, 0.9)},
            fixed={"weight_mode": "beta"}),
)}

#: Priors of the drift of people without social information (fitted only when the data have
#: such a condition).
DRIFT_PRIORS = {"drift": (0.0, 0.3), "drift_noise": (0.0, 0.5)}


def priors_for(rule_set: RuleSet, has_controls: bool) -> dict[str, tuple[float, float]]:
    """The priors a calibration fits: the member's, plus the drift's with controls.

    >>> sorted(priors_for(RULE_SETS["degroot"], True))
    ['drift', 'drift_noise', 'social_weight']
    """
    return {**rule_set.priors, **(DRIFT_PRIORS if has_controls else {})}
