"""Rules of the cumulative-advantage model, compiled with numba and shared by both engines.

A listener picks song j to listen to with probability

    P(j) = (a_j + s d_j) / sum_k (a_k + s d_k),                                      (1)

a_j the song's appeal, d_j its downloads so far, s the social weight, then downloads it with
probability q_j, its quality (Krumme, Cebrian, Pickard & Pentland 2012, PLOS ONE 7:e33785;
Abeliuk, Berbeglia, Cebrian & Van Hentenryck 2015, PLOS ONE 10:e0121934, whose sampling
probability (a_j + d_j) / sum (a_k + d_k) without position bias is s = 1 here).

Draw order: the songs (per song its quality, then its appeal, each only when drawn), then
per listener in turn one uniform for the song (inverse CDF over the songs in index order)
and one uniform for the download.
"""

from __future__ import annotations

from numba import njit

__all__ = ["draw_songs", "pick_song", "listen"]


@njit(cache=True, nogil=True)
def draw_songs(rng, low, high, spread, draw_quality, draw_appeal, quality_out, appeal_out):
    """Fill the songs' qualities ~ U(low, high) and appeals ~ U(1 - spread, 1 + spread),
    each only where drawn (the others are left as given), song by song."""
    for j in range(quality_out.shape[0]):
        if draw_quality:
            quality_out[j] = rng.uniform(low, high)
        if draw_appeal:
            appeal_out[j] = rng.uniform(1.0 - spread, 1.0 + spread)


@njit(cache=True, nogil=True)
def pick_song(u, appeal, downloads, social_weight):
    """The song whose cumulative weight (1) first exceeds ``u`` times the total."""
    m = appeal.shape[0]
    total = 0.0
    for j in range(m):
        total += appeal[j] + social_weight * downloads[j]
    target = u * total
    cumulative = 0.0
    for j in range(m):
        cumulative += appeal[j] + social_weight * downloads[j]
        if target < cumulative:
            return j
    return m - 1  # u * total rounded up to the total: the last song (appeals are > 0)


@njit(cache=True, nogil=True)
def listen(rng, quality, appeal, downloads, social_weight):
    """One listener: the song she listens to and whether she downloads it."""
    j = pick_song(rng.random(), appeal, downloads, social_weight)
    return j, rng.random() < quality[j]
