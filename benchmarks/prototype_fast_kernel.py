"""PROTOTYPE (not used by crowdsim): a faster ``simulate_crowds`` with bit-identical results.

Measured by ``bench_estimation``: with crowds of 1,000 agents, most of the kernel's time per
replicate is not drawing but Python work around it - ``np.random.default_rng(int)`` (seeding)
and numba unboxing the new ``Generator`` on every ``draw_crowd`` call (dispatch) - and that
part holds the GIL, so threads barely help. This prototype keeps every result bit-identical
(same seeds, same ``np.random.default_rng(seed)`` streams, same belief arithmetic) and removes
that per-replicate Python work:

1. ``NativePCG64``: numpy's ``default_rng(int)`` rebuilt in numba - ``SeedSequence`` pool
   mixing and ``generate_state(4, uint64)``, PCG64 (XSL-RR 128/64) seeding and stepping - plus
   the ziggurat ``standard_normal`` numba itself uses for ``Generator.standard_normal``, copied
   from ``numba.np.random.distributions`` with its tables. Its output is checked against
   numpy's here (raw 64-bit words, states) and against ``simulate_crowds``.
2. The kernel's own ``draw_crowd`` and the ``sim.beliefs`` helpers are re-compiled from their
   source (``py_func``; no copy of the model rules, no numba cache written) for this generator,
   and one nogil call draws a whole chunk of replicates, so n threads work in parallel.
3. Optionally (``inline=True``), the ``sim.beliefs`` helpers are inlined at numba-IR level
   (``inline="always"``), which lets LLVM optimise the agent loop as a whole.

Run: ``.venv/bin/python benchmarks/prototype_fast_kernel.py [--quick]``: verifies identity,
then times the current kernel and the prototype on the same work.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import types as pytypes
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.experimental import jitclass
from numba.extending import intrinsic
from numba.np.random._constants import (fi_double, ki_double, wi_double, ziggurat_nor_inv_r,
                                        ziggurat_nor_r)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (fmt_rate, load_average, nogil_scaling, summarise,  # noqa: E402
                     table, timings)

U32 = np.uint64(0xFFFFFFFF)
U64_0 = np.uint64(0)
U64_1 = np.uint64(1)
# numpy/random/bit_generator.pyx (SeedSequence)
INIT_A = np.uint64(0x43B0D7E5)
MULT_A = np.uint64(0x931E8875)
INIT_B = np.uint64(0x8B51F9DD)
MULT_B = np.uint64(0x58F38DED)
MIX_MULT_L = np.uint64(0xCA01F9DD)
MIX_MULT_R = np.uint64(0x4973F715)
XSHIFT = np.uint64(16)
# numpy/random/src/pcg64/pcg64.h: PCG_DEFAULT_MULTIPLIER_128
PCG_MULT_HI = np.uint64(2549297995355413924)
PCG_MULT_LO = np.uint64(4865540595714422341)
SH58 = np.uint64(58)
SH32 = np.uint64(32)
SH11 = np.uint64(11)
SH8 = np.uint64(8)
SH1 = np.uint64(1)
SH63 = np.uint64(63)
SH64 = np.uint64(64)
MASK8 = np.uint64(0xFF)
MASK52 = np.uint64(0x000FFFFFFFFFFFFF)
TWO_M53 = 1.0 / 9007199254740992.0


@intrinsic
def umulh(typingctx, a, b):
    """High 64 bits of the 128-bit product of two uint64 (one ``mul`` on x86-64)."""
    sig = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        return builder.trunc(builder.lshr(product, ir.Constant(i128, 64)), ir.IntType(64))

    return sig, codegen


@njit(inline="always")
def _hashmix(value, hash_const):
    value = (value ^ hash_const) & U32
    hash_const = (hash_const * MULT_A) & U32
    value = (value * hash_const) & U32
    return value ^ (value >> XSHIFT), hash_const


@njit(inline="always")
def _mix(x, y):
    result = (MIX_MULT_L * x - MIX_MULT_R * y) & U32
    return result ^ (result >> XSHIFT)


@njit
def seed_sequence_state(seed):
    """``np.random.SeedSequence(seed).generate_state(4, np.uint64)`` for 0 <= seed < 2**64."""
    seed = np.uint64(seed)
    entropy = np.zeros(2, dtype=np.uint64)
    entropy[0] = seed & U32
    entropy[1] = seed >> SH32
    n_entropy = 2 if entropy[1] != U64_0 else 1
    pool = np.zeros(4, dtype=np.uint64)
    hash_const = INIT_A
    for i in range(4):
        value = entropy[i] if i < n_entropy else U64_0
        pool[i], hash_const = _hashmix(value, hash_const)
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                hashed, hash_const = _hashmix(pool[i_src], hash_const)
                pool[i_dst] = _mix(pool[i_dst], hashed)
    words = np.zeros(8, dtype=np.uint64)
    hash_const = INIT_B
    for i_dst in range(8):
        data = pool[i_dst % 4] ^ hash_const
        hash_const = (hash_const * MULT_B) & U32
        data = (data * hash_const) & U32
        words[i_dst] = data ^ (data >> XSHIFT)
    out = np.zeros(4, dtype=np.uint64)
    for k in range(4):  # uint32 pairs viewed as little-endian uint64
        out[k] = words[2 * k] | (words[2 * k + 1] << SH32)
    return out


spec = [("s_hi", types.uint64), ("s_lo", types.uint64),
        ("i_hi", types.uint64), ("i_lo", types.uint64)]


@jitclass(spec)
class NativePCG64:
    """``np.random.default_rng(seed)`` (PCG64) with numba's ``Generator.standard_normal``."""

    def __init__(self, seed):
        state = seed_sequence_state(seed)
        # pcg64_set_seed -> pcg_setseq_128_srandom_r(initstate, initseq)
        init_hi, init_lo = state[0], state[1]
        seq_hi, seq_lo = state[2], state[3]
        self.i_hi = (seq_hi << SH1) | (seq_lo >> SH63)
        self.i_lo = (seq_lo << SH1) | U64_1
        self.s_hi = U64_0
        self.s_lo = U64_0
        self._step()
        lo = self.s_lo + init_lo
        carry = U64_1 if lo < self.s_lo else U64_0
        self.s_hi = self.s_hi + init_hi + carry
        self.s_lo = lo
        self._step()

    def _step(self):
        s_hi, s_lo = self.s_hi, self.s_lo
        hi = umulh(s_lo, PCG_MULT_LO) + s_hi * PCG_MULT_LO + s_lo * PCG_MULT_HI
        lo = s_lo * PCG_MULT_LO
        new_lo = lo + self.i_lo
        carry = U64_1 if new_lo < lo else U64_0
        self.s_hi = hi + self.i_hi + carry
        self.s_lo = new_lo

    def next_uint64(self):
        self._step()
        rot = self.s_hi >> SH58
        x = self.s_hi ^ self.s_lo
        return (x >> rot) | (x << ((SH64 - rot) & SH63))

    def next_double(self):
        return np.float64(self.next_uint64() >> SH11) * TWO_M53

    def standard_normal(self):
        # numba.np.random.distributions.random_standard_normal, verbatim but for the source.
        while 1:
            r = self.next_uint64()
            idx = r & MASK8
            r >>= SH8
            sign = r & SH1
            rabs = (r >> SH1) & MASK52
            x = rabs * wi_double[idx]
            if sign & SH1:
                x = -x
            if rabs < ki_double[idx]:
                return x
            if idx == 0:
                while 1:
                    xx = -ziggurat_nor_inv_r * np.log1p(-self.next_double())
                    yy = -np.log1p(-self.next_double())
                    if yy + yy > xx * xx:
                        if (rabs >> SH8) & SH1:
                            return -(ziggurat_nor_r + xx)
                        else:
                            return ziggurat_nor_r + xx
            else:
                if ((fi_double[idx - U64_1] - fi_double[idx]) * self.next_double()
                        + fi_double[idx]) < np.exp(-0.5 * x * x):
                    return x


@njit
def raw_words(seed, n):
    rng = NativePCG64(seed)
    out = np.empty(n, dtype=np.uint64)
    for i in range(n):
        out[i] = rng.next_uint64()
    return out


@njit
def pcg_state(seed):
    rng = NativePCG64(seed)
    return rng.s_hi, rng.s_lo, rng.i_hi, rng.i_lo


# ---------------------------------------------------------------- the kernel, recompiled

def _rejit(func, namespace, **options):
    """njit the Python source of ``func`` (a numba dispatcher) with names from ``namespace``
    in its globals: the same rules, without touching the original's on-disk cache."""
    py = func.py_func
    fn = pytypes.FunctionType(py.__code__, {**py.__globals__, **namespace}, py.__name__,
                              py.__defaults__, py.__closure__)
    return njit(nogil=True, **options)(fn)


def build_kernel(inline: bool):
    """``draw_rows(seeds, lo, hi, consts..., estimates, multipliers)`` drawing rows lo..hi."""
    import sim.beliefs as beliefs
    from sim.models.estimation.kernel import draw_crowd

    opts = {"inline": "always"} if inline else {}
    helpers = {name: _rejit(getattr(beliefs, name), {}, **opts)
               for name in ("standard_error", "expertise_multiplier", "combine_errors",
                            "apply_noise", "group_of")}
    crowd = _rejit(draw_crowd, helpers)

    @njit(nogil=True)
    def draw_rows(seeds, lo, hi, family, centre, below, above, spread, rho, n_groups,
                  estimates, multipliers):
        for r in range(lo, hi):
            if seeds[r] < 0:
                raise ValueError("seeds must be non-negative")
            crowd(NativePCG64(seeds[r]), family, centre, below, above, spread, rho, n_groups,
                  estimates[r], multipliers[r])

    return draw_rows


def make_simulate(inline: bool):
    """A drop-in ``simulate_crowds(params, seeds, n_threads)`` built on the prototype."""
    from sim.models.estimation.kernel import CrowdBatch

    draw_rows = build_kernel(inline)

    def simulate(params, seeds, n_threads: int = 1):
        seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
        n = seeds.shape[0]
        estimates = np.empty((n, params.n_agents))
        multipliers = np.empty((n, params.n_agents))
        consts = (params.family_code, params.centre, params.scale_below, params.scale_above,
                  params.expertise_spread, params.correlation, params.n_groups)
        if n_threads == 1 or n < 2:
            draw_rows(seeds, 0, n, *consts, estimates, multipliers)
        else:
            bounds = np.linspace(0, n, n_threads + 1).astype(int)
            with ThreadPoolExecutor(n_threads) as pool:
                list(pool.map(lambda ab: draw_rows(seeds, ab[0], ab[1], *consts, estimates,
                                                   multipliers),
                              zip(bounds[:-1], bounds[1:])))
        return CrowdBatch(estimates=estimates, noise_multipliers=multipliers, seeds=seeds)

    return simulate


# ---------------------------------------------------------------- verification and timing

CONFIGS = {
    "split_normal": dict(noise="split_normal", noise_scale_below=77.5, noise_scale_above=46.9,
                         bias_shift=10.0),
    "lognormal+expertise+corr": dict(noise="lognormal", noise_scale=0.05,
                                     expertise_spread=0.3, correlation=0.2),
}
EXTRA_CHECKS = {
    "normal": dict(),
    "log_cauchy, 7 groups": dict(noise="log_cauchy", noise_scale=0.1, correlation=0.5,
                                 n_groups=7, expertise_spread=0.5),
    "split_normal, 3 groups": dict(noise="split_normal", noise_scale_below=77.5,
                                   noise_scale_above=46.9, correlation=0.3, n_groups=3),
}


def verify(simulates, n_seeds: int) -> list[dict]:
    """Bit-identity checks: raw streams vs numpy, then whole batches vs simulate_crowds."""
    from sim.models.estimation import EstimationParams, simulate_crowds
    from sim.seeding import replicate_seeds

    edge = [0, 1, 2**32 - 1, 2**32, 2**63 - 1, 1907]
    seeds = [*edge, *(int(s) for s in replicate_seeds(99, n_seeds))]
    for s in seeds:
        want = np.random.default_rng(s).bit_generator
        st = want.state["state"]
        got = pcg_state(s)
        assert (int(got[0]) << 64 | int(got[1])) == st["state"], s
        assert (int(got[2]) << 64 | int(got[3])) == st["inc"], s
        assert np.array_equal(raw_words(s, 64), want.random_raw(64)), s
    checks = [{"check": "PCG64 state + first 64 raw words vs numpy", "seeds": len(seeds),
               "identical": True}]
    seeds_arr = np.array(seeds, dtype=np.int64)
    for name, config in {**CONFIGS, **EXTRA_CHECKS}.items():
        for n_agents in (1, 1000):
            p = EstimationParams(n_agents=n_agents, **config) if n_agents >= config.get(
                "n_groups", 1) else None
            if p is None:
                continue
            ref = simulate_crowds(p, seeds_arr)
            for label, sim_fn in simulates.items():
                for nt in (1, 2):
                    got = sim_fn(p, seeds_arr, n_threads=nt)
                    same = (np.array_equal(got.estimates, ref.estimates)
                            and np.array_equal(got.noise_multipliers, ref.noise_multipliers))
                    checks.append({"check": f"{label} vs simulate_crowds", "config": name,
                                   "n_agents": n_agents, "replicates": len(seeds),
                                   "n_threads": nt, "identical": bool(same)})
    return checks


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)

    from sim.models.estimation import EstimationParams, simulate_crowds
    from sim.seeding import replicate_seeds

    started = time.perf_counter()
    simulates = {"prototype": make_simulate(inline=False),
                 "prototype+inline": make_simulate(inline=True)}
    p0 = EstimationParams(n_agents=10, **CONFIGS["split_normal"])
    for fn in simulates.values():          # compile (not cached) for both configs
        for config in CONFIGS.values():
            fn(EstimationParams(n_agents=10, **config), [1, 2], n_threads=2)
    simulate_crowds(p0, [1, 2], n_threads=2)
    compile_s = time.perf_counter() - started
    print(f"prototype compiled in {compile_s:.1f} s (no cache)")

    checks = verify(simulates, 50 if args.quick else 500)
    bad = [c for c in checks if not c["identical"]]
    print(f"bit-identity: {len(checks) - len(bad)}/{len(checks)} checks identical"
          + ("" if not bad else f"; DIFFERENT: {bad}"))

    cpus = os.cpu_count() or 1
    totals = (10**5,) if args.quick else (10**5, 10**7)
    seeds = replicate_seeds(1907, max(totals) // 1000)
    engines = {"simulate_crowds": simulate_crowds, **simulates}
    rows, results = [], []
    for name, config in CONFIGS.items():
        params = EstimationParams(n_agents=1000, **config)
        for total in totals:
            sub = seeds[: total // 1000]
            for nt in sorted({1, cpus}):
                base = None
                for label, fn in engines.items():
                    times = timings(lambda: fn(params, sub, n_threads=nt), repeat)
                    s = summarise(times, work=total)
                    s.update(engine=label, config=name, total_agents=total, n_threads=nt)
                    base = base or s["rate_median"]
                    results.append(s)
                    rows.append([name, f"{total:.0e}", str(nt), label,
                                 fmt_rate(s["rate_median"]), fmt_rate(s["rate_best"]),
                                 fmt_rate(s["rate_median"] / nt),
                                 f"{s['rate_median'] / base:.2f}x"])
    scaling = nogil_scaling(cpus) if cpus > 1 else None
    if scaling:
        print(f"\ncontrol: a compute-bound GIL-free loop speeds up "
              f"{scaling['speedup_median']:.2f}x on {cpus} threads right now (ideal {cpus}x)")
    print(f"load average: {load_average()}")
    print("\nCrowds of 1,000 agents, agent estimates per second "
          f"(median of {repeat}; best; per core = median / threads)")
    print(table(rows, ["config", "total", "threads", "engine", "rate (med)", "rate (best)",
                       "per core", "vs current"], "<><<>>>>"))
    return {"compile_s": compile_s, "checks": checks, "timings": results,
            "nogil_scaling_control": scaling}


if __name__ == "__main__":
    from _common import OUT_DIR, atomic_write_json, machine_info

    argv = sys.argv[1:]
    machine = machine_info()
    record = {"benchmark": "prototype_fast_kernel", "argv": argv, "machine": machine,
              "results": main(argv)}
    record["load_average_after"] = load_average()
    path = OUT_DIR / ("prototype_fast_kernel" + (".quick" if "--quick" in argv else "") + ".json")
    atomic_write_json(path, record)
    print(f"\n[results written to {path}]")
