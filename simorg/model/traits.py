"""Exogenous traits of leads, drawn per entity from counter-based streams.

A lead's segment, fit and deal size, and the uniform numbers that later decide whether it
qualifies, how long its sales cycle is and whether it is won, depend only on (replication
seed, lead id). Leads are numbered per channel in arrival order, so two arms with the same
marketing see lead-for-lead the same market. Traits are computed in vectorised blocks as
leads arrive (512 leads for a channel, 32 for one AE's own deals): segment, fit, size and the
qualify draw go on the lead; the sales cycle and the win draw stay in compact per-block
arrays (8 bytes each, kept for the run) for the leads that become opportunities: a lead
object carries only what every lead needs.
"""

from __future__ import annotations

import numpy as np

from ..scenario.distributions import Distribution
from .rng import RandomStreams

BLOCK = 512
SEQ_BITS = 40
SEQ_MASK = (1 << SEQ_BITS) - 1
"""A lead id is ``source code << SEQ_BITS | sequence number`` (the code names the channel, or
the AE who sourced it)."""


class LeadTraits:
    """Block-wise trait tables for one source of leads (a channel, or AE self-sourcing)."""

    def __init__(self, streams: RandomStreams, source_code: int, fit: Distribution,
                 segment_mix: dict[str, float], segment_acv: dict[str, Distribution],
                 segment_cycle: dict[str, Distribution], fit_scale: float = 1.0, block: int = BLOCK):
        self.code = source_code
        self.block = block  # leads per block: small for a source of few leads (one AE's own deals)
        self.fit = fit
        self.fit_scale = fit_scale
        # segments in sorted-name order: a lead's segment does not depend on the mix's key order
        self.names = sorted(s for s, share in segment_mix.items() if share > 0) or sorted(segment_acv)
        shares = np.array([segment_mix.get(s, 1.0) for s in self.names], dtype=float)
        self.cum = np.cumsum(shares / shares.sum())
        self._names_array = np.array(self.names, dtype=object)
        self.acv = [segment_acv[s] for s in self.names]
        self.cycle = [segment_cycle[s] for s in self.names]
        self.keys = [streams.key(f"lead.{k}") for k in ("segment", "fit", "acv", "qualify", "cycle", "win")]
        self._block = -1
        self._rows: list[tuple] = []
        self._cycle_days: list[np.ndarray] = []  # per block: each lead's sales cycle if it becomes an opportunity
        self._u_win: list[np.ndarray] = []       # per block: the uniform its win is decided by

    def lead_id(self, seq: int) -> int:
        return (self.code << SEQ_BITS) | seq

    def _fill(self, block: int) -> None:
        size = self.block
        seqs = np.arange(block * size, (block + 1) * size, dtype=np.uint64)
        ids = (np.uint64(self.code) << np.uint64(SEQ_BITS)) | seqs
        u = RandomStreams.u_streams(self.keys, ids)
        seg_idx = np.minimum(np.searchsorted(self.cum, u[0], side="right"), len(self.names) - 1)
        fit = np.clip(np.asarray(self.fit.ppf(u[1]), dtype=float) * self.fit_scale, 0.0, 1.0)
        acv = np.empty(size)
        cycle = np.empty(size)
        for i, (dist, cycle_dist) in enumerate(zip(self.acv, self.cycle, strict=True)):
            mask = seg_idx == i
            if mask.any():
                acv[mask] = dist.ppf(u[2][mask])
                cycle[mask] = cycle_dist.ppf(u[4][mask])
        assert block == len(self._cycle_days), "leads arrive in order: blocks fill in order"
        self._cycle_days.append(cycle)
        self._u_win.append(u[5])
        segments = self._names_array[seg_idx].tolist()
        self._rows = list(zip(ids.tolist(), segments, fit.tolist(), acv.tolist(), u[3].tolist(), strict=True))
        self._block = block

    def get(self, seq: int) -> tuple[int, str, float, float, float]:
        """(id, segment, fit, acv, u_qualify) of lead number ``seq`` (leads arrive in order)."""
        block, i = divmod(seq, self.block)
        if block != self._block:
            self._fill(block)
        return self._rows[i]

    def opportunity(self, seq: int) -> tuple[float, float]:
        """(sales cycle in days, win uniform) of lead number ``seq``, an arrived lead: the
        values of streams ``lead.cycle`` and ``lead.win`` at the lead's id."""
        block, i = divmod(seq, self.block)
        return self._cycle_days[block].item(i), self._u_win[block].item(i)


class Sampler:
    """Buffered draws from a distribution on a sequential stream (work durations and the like)."""

    __slots__ = ("dist", "gen", "_buf", "_i")

    def __init__(self, dist: Distribution, gen: np.random.Generator):
        self.dist = dist
        self.gen = gen
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            self._buf = np.asarray(self.dist.ppf(self.gen.random(BLOCK)), dtype=float).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v
