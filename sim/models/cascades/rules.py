"""Rules of the information-cascade model, compiled with numba and shared by both engines.

The Bayesian decision of Bikhchandani, Hirshleifer & Welch (1992) reduces to counting. Let
``d`` be the number of "adopt" minus "reject" actions taken before a cascade began (the
public state). Every signal has likelihood ratio p / (1 - p), so an agent weighs the
evidence ``d + s`` in units of one signal, with s = +1 for a high and -1 for a low signal:

- ``d + s > 0``: adopt; ``d + s < 0``: reject;
- ``d + s = 0`` (only when |d| = 1 and the signal disagrees): indifferent; she flips a fair
  coin (BHW's convention, ``coin_ties``) or follows her own signal;
- once |d| = 2 every later agent's evidence has the sign of d whatever her signal: a
  cascade; her action reveals nothing, so d stays frozen.

Before a cascade an action reveals the signal exactly (at d = 0 trivially; at |d| = 1 an
action against d is taken only on a disagreeing signal, with likelihood ratio (1 - p) / p),
and an action with d at |d| = 1 leaves the public evidence above one signal (its likelihood
ratio is (1 + p) / (2 - p) > 1 under coin ties, p / (1 - p) under own-signal ties), so
counting is exactly Bayesian.

Draw order of one sequence: the true state, then per agent in turn her signal and, only when
she is indifferent and ties are coin flips, the coin.
"""

from __future__ import annotations

from numba import njit

__all__ = ["ADOPT", "REJECT", "draw_state", "draw_signal", "decide", "update_public",
           "in_cascade"]

ADOPT, REJECT = 1, 0
#: |d| at which a cascade has begun.
CASCADE_AT = 2


@njit(cache=True, nogil=True)
def draw_state(rng):
    """The true state V: 1 (adopting is right) or 0, equally likely."""
    return 1 if rng.random() < 0.5 else 0


@njit(cache=True, nogil=True)
def draw_signal(rng, state, precision):
    """A private signal equal to ``state`` with probability ``precision``."""
    return state if rng.random() < precision else 1 - state


@njit(cache=True, nogil=True)
def in_cascade(d):
    """Whether the public state ``d`` is a cascade (|d| >= 2)."""
    return d >= CASCADE_AT or d <= -CASCADE_AT


@njit(cache=True, nogil=True)
def decide(rng, d, signal, coin_ties):
    """The Bayesian action (1 adopt, 0 reject) given the public state ``d`` and a signal."""
    evidence = d + (1 if signal == 1 else -1)
    if in_cascade(d) or evidence != 0:
        return ADOPT if evidence > 0 else REJECT
    if coin_ties:
        return ADOPT if rng.random() < 0.5 else REJECT
    return signal


@njit(cache=True, nogil=True)
def update_public(d, action):
    """The public state after an action: counted before a cascade, frozen in one."""
    if in_cascade(d):
        return d
    return d + 1 if action == ADOPT else d - 1
