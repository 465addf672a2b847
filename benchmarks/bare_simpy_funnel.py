"""The reference funnel as a plain, idiomatic SimPy script: the yardstick for simorg's speed.

Same work as ``benchmarks/reference_funnel.yaml`` (issue 8): leads arrive as a Poisson stream
of 50 a day; 5 SDRs (one ``simpy.Resource``) work each lead for an exponential time with mean
0.08 days; 30% qualify; 8 AEs (a ``simpy.Resource``) work each opportunity for a lognormal time
(mean 0.4 d, log-sd 0.5); 25% are won; 3 implementers (a ``simpy.Resource``) onboard each
customer for an exponential time with mean 0.6 days; a customer churns with probability 0.02 at
the end of every month (30.4375 days) after signing; 5 years.

One process per lead, as a SimPy user would write it. Randomness comes from a numpy
``Generator``, drawn one number at a time. Churn is drawn as a time to churn (a geometric
number of months), one timeout per customer, rather than a monthly poll.

Run ``python benchmarks/bare_simpy_funnel.py [seed]`` to print the run's new logos, customers
at the end and mean SDR wait (compare with ``simorg run benchmarks/reference_funnel.yaml``).
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import simpy

LEADS_PER_DAY = 50.0
SDRS, SDR_MEAN = 5, 0.08
QUALIFY = 0.30
AES, AE_MU, AE_SIGMA = 8, math.log(0.4) - 0.125, 0.5
WIN = 0.25
IMPLEMENTERS, IMPL_MEAN = 3, 0.6
MONTH = 365.25 / 12
CHURN_PER_MONTH = 0.02
HORIZON = 60 * MONTH


class Funnel:
    """State and processes of one run of the reference funnel."""

    def __init__(self, seed: int) -> None:
        self.env = simpy.Environment()
        self.rng = np.random.default_rng(seed)
        self.sdr = simpy.Resource(self.env, SDRS)
        self.ae = simpy.Resource(self.env, AES)
        self.impl = simpy.Resource(self.env, IMPLEMENTERS)
        self.leads = 0
        self.sdr_waits: list[float] = []
        self.new_logos = 0
        self.customers = 0

    def arrivals(self):
        env, rng = self.env, self.rng
        while True:
            yield env.timeout(rng.exponential(1.0 / LEADS_PER_DAY))
            self.leads += 1
            env.process(self.lead())

    def lead(self):
        env, rng = self.env, self.rng
        created = env.now
        with self.sdr.request() as req:
            yield req
            self.sdr_waits.append(env.now - created)
            yield env.timeout(rng.exponential(SDR_MEAN))
        if rng.random() >= QUALIFY:
            return
        with self.ae.request() as req:
            yield req
            yield env.timeout(rng.lognormal(AE_MU, AE_SIGMA))
        if rng.random() >= WIN:
            return
        self.new_logos += 1
        self.customers += 1
        env.process(self.customer(env.now))

    def customer(self, signed: float):
        env, rng = self.env, self.rng
        with self.impl.request() as req:
            yield req
            yield env.timeout(rng.exponential(IMPL_MEAN))
        churn_at = signed + rng.geometric(CHURN_PER_MONTH) * MONTH  # end of the month it leaves
        yield env.timeout(churn_at - env.now)
        self.customers -= 1

    def run(self) -> dict[str, float]:
        self.env.process(self.arrivals())
        self.env.run(until=HORIZON)
        return {
            "leads": float(self.leads),
            "new_logos": float(self.new_logos),
            "customers_end": float(self.customers),
            "sdr_wait_days": float(np.mean(self.sdr_waits)),
        }


def main(argv: list[str]) -> None:
    seed = int(argv[1]) if len(argv) > 1 else 1
    t0 = time.perf_counter()
    out = Funnel(seed).run()
    out["wall_s"] = time.perf_counter() - t0
    out["lead_response_hours"] = out["sdr_wait_days"] * 24.0
    for k, v in out.items():
        print(f"{k:20s} {v:12.4f}")


if __name__ == "__main__":
    main(sys.argv)
