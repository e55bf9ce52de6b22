"""The rules of a scout, shared by the Mesa agents and the numba kernel.

Both engines call these compiled functions, so both do the same arithmetic in the same order
and draw from the generator in the same order (see :mod:`sim.models.nest_site.kernel` for
the draw order of a whole step). After editing this file run ``make clean-cache``: numba's
cache of the kernel does not notice changes in the functions it calls from here.

Visit (List, Elsholtz & Seeley 2009)
    A scout that is not dancing visits site j with probability
    ``p_j = (1 - lambda) pi_j + lambda f_j`` (``f_j``: share of *all* scouts dancing for j at
    the start of the step) and finds nothing with probability ``1 - sum_j p_j``. One uniform
    ``u`` decides where she goes, read against the cumulative thresholds
    ``(1 - lambda) pi_1, ..., (1 - lambda) sum pi, (1 - lambda) sum pi + lambda f_1, ...,
    (1 - lambda) sum pi + lambda sum f``: a ``u`` below the first block means she found the
    site on her own (independent discovery), one in the second block that she followed a
    dance (recruited), anything above that she found nothing. Site j's share
    ``lambda f_j`` of the second block is split into one slice of width
    ``lambda / n_agents`` per dancer for j, in index order: the slice ``u`` falls in names
    the dancer she followed (each of j's dancers recruits with the same chance; no extra
    draw, see :func:`followed_rank`).
Joining
    A recruited scout copies with probability ``mu`` (one more uniform, drawn only when
    ``mu > 0`` and she was recruited): she adopts the site without assessing it. With
    ``copy_strength = "followed_dancer"`` (the default; List, Elsholtz & Seeley 2009: a
    recruit who does not assess the site herself dances with the strength she observed) she
    dances with the *advertised* strength ``a_k`` of the dancer ``k`` she followed: the
    strength that dancer started her dance with (her own assessment, or what she copied in
    turn), not what is left of it. With ``"mean_current"`` (an ablation) she dances with the
    mean current, already declined strength of the site's dancers, ``sum_i d_i / n_j``.
    A dancer's advertised strength is her dance strength on the step she joined.
    Otherwise she assesses the site: her dance
    strength is ``q_j * exp(sigma * z - shift)`` with ``z`` standard normal (drawn only when
    ``sigma > 0``): multiplicative log-normal noise. With ``noise_centre = "mean"`` (the
    default) ``shift = sigma**2 / 2`` and the mean strength is ``q_j``, so the noise changes
    how reliable a dance is but not how much dancing a site gets on average; with
    ``"median"`` ``shift = 0`` (plain ``q_j e^(sigma z)``, median ``q_j``), so noisier
    assessments also dance longer on average.
Dancing
    Each step a dancer's strength falls by ``decrement``; at 0 or below she stops and is
    uncommitted again (from the next step on she may find or be recruited to any site).
Stop signals (Seeley et al. 2012, Science 335:108)
    With ``stop_rate > 0`` each dancer for j hears a stop signal with probability
    ``min(1, stop_rate * (dancers for other sites) / n_agents)`` (one uniform per dancer).
Outcome
    Quorum: the first step at which some site has at least ``Q`` dancers (committed = dancing
    for it); if several do at once, the one with most dancers, then the lowest index.
    Plurality: the site with strictly more dancers than any other (none on a tie or when
    nobody dances). Twice criterion: the leading site has at least twice the dancers of the
    runner-up (and at least one).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["snapshot", "dance_roster", "visit_thresholds", "choose_site", "followed_rank",
           "visit", "assess", "copy_strength", "join_strength", "decline", "stop_probability",
           "stop_probabilities", "hears_stop_signal", "quorum_site", "consensus",
           "UNCOMMITTED", "COPY_RULES", "COPY_FOLLOWED_DANCER", "COPY_MEAN_CURRENT"]

#: Site index of a scout that is not dancing.
UNCOMMITTED = -1

#: What a copier dances with, as the kernels take it (``NestSiteParams.copy_strength``).
COPY_FOLLOWED_DANCER = 0
COPY_MEAN_CURRENT = 1
COPY_RULES = {"followed_dancer": COPY_FOLLOWED_DANCER, "mean_current": COPY_MEAN_CURRENT}


@njit(cache=True, nogil=True)
def snapshot(sites, strengths, counts_out, sums_out):
    """Dancers per site and the sum of their strengths (in index order), in place."""
    counts_out[:] = 0
    sums_out[:] = 0.0
    for i in range(sites.shape[0]):
        j = sites[i]
        if j >= 0:
            counts_out[j] += 1
            sums_out[j] += strengths[i]


@njit(cache=True, nogil=True)
def dance_roster(sites, advertised, counts, starts_out, roster_out):
    """The advertised strengths of the dancers, site by site and in index order within a
    site, in place: site j's dancers are ``roster_out[starts_out[j]:starts_out[j] +
    counts[j]]`` (``counts`` from :func:`snapshot` of the same state)."""
    total = 0
    for j in range(counts.shape[0]):
        starts_out[j] = total
        total += counts[j]
    filled = np.zeros(counts.shape[0], dtype=np.int64)
    for i in range(sites.shape[0]):
        j = sites[i]
        if j >= 0:
            roster_out[starts_out[j] + filled[j]] = advertised[i]
            filled[j] += 1


@njit(cache=True, nogil=True)
def visit_thresholds(discovery, counts, interdependence, n_agents, out):
    """Cumulative visit thresholds (length 2 * sites, see the module docstring), in place."""
    n_sites = discovery.shape[0]
    independent = 1.0 - interdependence
    total = 0.0
    for j in range(n_sites):
        total += independent * discovery[j]
        out[j] = total
    for j in range(n_sites):
        total += interdependence * (counts[j] / n_agents)
        out[n_sites + j] = total


@njit(cache=True, nogil=True, inline="always")
def choose_site(u, thresholds, n_sites):
    """Where a uniform ``u`` sends a scout: (site, recruited); site -1 when she finds
    nothing."""
    if u >= thresholds[2 * n_sites - 1]:
        return UNCOMMITTED, False
    for k in range(2 * n_sites):
        if u < thresholds[k]:
            if k < n_sites:
                return k, False
            return k - n_sites, True
    return UNCOMMITTED, False


@njit(cache=True, nogil=True, inline="always")
def followed_rank(u, thresholds, site, n_sites, interdependence, n_agents, dancers):
    """Which of ``site``'s ``dancers`` (0, 1, ... in index order) a scout recruited to it by
    the uniform ``u`` followed: the slice of width ``interdependence / n_agents`` of the
    site's block that ``u`` falls in (clipped against rounding)."""
    lower = thresholds[n_sites + site - 1]
    rank = int((u - lower) * n_agents / interdependence)
    return min(max(rank, 0), dancers - 1)


@njit(cache=True, nogil=True)
def visit(rng, thresholds, n_sites, counts, interdependence, n_agents):
    """One uniform: where a scout who is not dancing goes, (site or -1, recruited, rank of
    the dancer she followed among the site's dancers or -1 when not recruited)."""
    u = rng.random()
    site, recruited = choose_site(u, thresholds, n_sites)
    if not recruited:
        return site, False, -1
    return site, True, followed_rank(u, thresholds, site, n_sites, interdependence, n_agents,
                                     counts[site])


@njit(cache=True, nogil=True)
def assess(rng, quality, noise, shift):
    """A scout's noisy assessment of a site: her dance strength
    ``quality * exp(noise * z - shift)``; ``shift`` is ``noise**2 / 2`` for a mean of
    ``quality`` and 0 for a median of ``quality`` (see ``NestSiteParams.noise_centre``)."""
    if noise > 0.0:
        return quality * math.exp(noise * rng.standard_normal() - shift)
    return quality


@njit(cache=True, nogil=True)
def copy_strength(rule, site, rank, starts, roster, sums, counts):
    """The strength a copier recruited to ``site`` by its dancer number ``rank`` dances
    with: that dancer's advertised strength (:data:`COPY_FOLLOWED_DANCER`, ``starts`` and
    ``roster`` from :func:`dance_roster`) or the mean current strength of the site's
    dancers (:data:`COPY_MEAN_CURRENT`, ``sums`` and ``counts`` from :func:`snapshot`)."""
    if rule == COPY_MEAN_CURRENT:
        return sums[site] / counts[site]
    return roster[starts[site] + rank]


@njit(cache=True, nogil=True)
def join_strength(rng, recruited, copying, quality, noise, shift, copied_strength):
    """Dance strength of a scout who just visited a site: (strength, copied).

    A recruited scout copies with probability ``copying`` and dances with
    ``copied_strength`` (see :func:`copy_strength`); otherwise she assesses the site.
    """
    if recruited and copying > 0.0 and rng.random() < copying:
        return copied_strength, True
    return assess(rng, quality, noise, shift), False


@njit(cache=True, nogil=True)
def decline(strength, decrement):
    """A dance one step later: (new strength, still dancing)."""
    s = strength - decrement
    return s, s > 0.0


@njit(cache=True, nogil=True)
def stop_probability(counts, site, n_agents, stop_rate):
    """Chance that a dancer for ``site`` stops on a stop signal this step."""
    others = 0
    for j in range(counts.shape[0]):
        if j != site:
            others += counts[j]
    return min(1.0, stop_rate * (others / n_agents))


@njit(cache=True, nogil=True)
def stop_probabilities(counts, n_agents, stop_rate, out):
    """:func:`stop_probability` for every site, in place (once per step)."""
    for j in range(counts.shape[0]):
        out[j] = stop_probability(counts, j, n_agents, stop_rate)


@njit(cache=True, nogil=True)
def hears_stop_signal(rng, probability):
    """One uniform: does a dancer stop on a stop signal (given her site's probability)?"""
    return rng.random() < probability


@njit(cache=True, nogil=True)
def quorum_site(counts, quorum):
    """The site reaching the quorum (most dancers, then lowest index), or -1."""
    if quorum <= 0:
        return UNCOMMITTED
    best = int(np.argmax(counts))
    return best if counts[best] >= quorum else UNCOMMITTED


@njit(cache=True, nogil=True)
def consensus(counts):
    """(plurality site, twice-the-runner-up site) of a dance count, -1 where none."""
    lead = UNCOMMITTED
    first = 0
    second = 0
    tied = False
    for j in range(counts.shape[0]):
        c = counts[j]
        if c > first:
            second = first
            first = c
            lead = j
            tied = False
        elif c == first:
            second = c
            tied = True
        elif c > second:
            second = c
    if first == 0:
        return UNCOMMITTED, UNCOMMITTED
    plurality = UNCOMMITTED if tied else lead
    twice = lead if (not tied and first >= 2 * second) else UNCOMMITTED
    return plurality, twice
