"""Randomness: named streams and counter-based common random numbers.

Two kinds of randomness live in a replication:

* **Exogenous traits** of the market: a lead's segment, fit, deal size and the "luck" of
  its qualify and win decisions; an account's renewal and expansion draws. These must be
  the same in arm A and arm B of a comparison even when the arms process work in a
  different order. They are *counter-based*: a uniform number is a hash of
  (stream key, entity id, index), so lead 17 gets the same deal size in both arms whatever
  else happened. This is what makes paired comparisons tight (common random numbers).
* **Sequential streams** (arrival times, work durations): one ``numpy.random.Generator``
  per named stream, each spawned from the replication seed with ``SeedSequence`` so that
  adding a stream never shifts another.

The hash is SplitMix64's finaliser, vectorised over numpy ``uint64`` arrays.
"""

from __future__ import annotations

import zlib

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_INV53 = 1.0 / (1 << 53)


def _mix(x: int) -> int:
    """SplitMix64 finaliser on a Python int (64-bit wraparound)."""
    x = (x + _GOLDEN) & _MASK
    x = ((x ^ (x >> 30)) * _M1) & _MASK
    x = ((x ^ (x >> 27)) * _M2) & _MASK
    return x ^ (x >> 31)


_SMALL = 1024
_MIX_SMALL = [_mix(i) for i in range(_SMALL)]  # _mix(index) for the usual small indexes
_MIX_SMALL_ARRAY = np.array(_MIX_SMALL, dtype=np.uint64)
_ROW_SCALAR = 8  # rows up to this long: the scalar hash beats numpy's per-call overhead

_U_GOLDEN, _U_M1, _U_M2 = np.uint64(_GOLDEN), np.uint64(_M1), np.uint64(_M2)
_U11, _U27, _U30, _U31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)


def _mix_in_place(x: np.ndarray) -> None:
    """SplitMix64 finaliser on a uint64 array, overwriting it (uint64 arrays wrap silently)."""
    x += _U_GOLDEN
    x ^= x >> _U30
    x *= _U_M1
    x ^= x >> _U27
    x *= _U_M2
    x ^= x >> _U31


def _finish(key: int, x: np.ndarray) -> np.ndarray:
    """The uniforms of ``u`` from ``x = entity ^ mix(index)`` (overwritten): two more finalisers
    around the stream key."""
    _mix_in_place(x)
    return _keyed(key, x)


def _keyed(key: int, x: np.ndarray) -> np.ndarray:
    """The last finaliser, on ``x = mix(entity ^ mix(index))`` xor the stream key (overwritten)."""
    x ^= np.uint64(key)
    _mix_in_place(x)
    return _to_unit(x)


def _to_unit(x: np.ndarray) -> np.ndarray:
    """The top 53 bits of each hash as a float in (0, 1) (``x`` is overwritten)."""
    x >>= _U11
    u = x.astype(np.float64)
    u += 0.5
    u *= _INV53
    return u


def stream_code(name: str) -> int:
    """A stable 32-bit code for a stream name (same in every process and Python version)."""
    return zlib.crc32(name.encode())


NAME_CODE_BITS = 22
NAMED_SOURCE = 1 << NAME_CODE_BITS
"""Codes of named lead sources (channels, partners) lie in [2**22, 2**23) (a lead id, code << 40
| sequence, stays below 2**63): clear of the
self-sourced AEs' codes (200-249, then 4096 + ordinal) and the initial customers' (250)."""


def name_code(kind: str, name: str, bits: int = NAME_CODE_BITS) -> int:
    """A stable code for a named thing (``kind`` "channel", "partner", "role"...), from the name
    alone: ids built from it do not depend on where the name sits in the scenario file."""
    return zlib.crc32(f"{kind}:{name}".encode()) & ((1 << bits) - 1)


def source_codes(sources: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Id codes of named lead sources, ``(kind, name)`` pairs (kind "channel" or "partner"):
    ``2**22 + name_code``. Two sources whose codes collide (about one pair in four million)
    are separated by probing upward in sorted order, so the codes depend on the set of
    sources, never on their order in the file."""
    taken: set[int] = set()
    out: dict[tuple[str, str], int] = {}
    for kind, name in sorted(sources):
        code = name_code(kind, name)
        while code in taken:
            code = (code + 1) % NAMED_SOURCE
        taken.add(code)
        out[kind, name] = NAMED_SOURCE | code
    return out


class RandomStreams:
    """All randomness of one replication, derived from one integer seed."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._keys: dict[str, int] = {}

    def generator(self, name: str) -> np.random.Generator:
        """A sequential generator for the named stream (independent of every other name)."""
        ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(stream_code(name),))
        return np.random.Generator(np.random.PCG64(ss))

    def key(self, name: str) -> int:
        """The 64-bit key of a counter-based stream."""
        k = self._keys.get(name)
        if k is None:
            ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(stream_code(name), 1))
            k = int(ss.generate_state(1, np.uint64)[0])
            self._keys[name] = k
        return k

    @staticmethod
    def u(key: int, entity: int, index: int = 0) -> float:
        """Uniform number in (0, 1) for (stream key, entity id, index).

        The three SplitMix64 finalisers of ``_mix(key ^ _mix(entity ^ _mix(index)))``, written
        out in one function: this is called for every renewal, attrition and onboarding draw."""
        if 0 <= index < _SMALL:
            x = (_MIX_SMALL[index] ^ (entity & _MASK)) + _GOLDEN & _MASK
        else:
            x = ((index & _MASK) + _GOLDEN) & _MASK
            x = ((x ^ (x >> 30)) * _M1) & _MASK
            x = ((x ^ (x >> 27)) * _M2) & _MASK
            x = ((x ^ (x >> 31)) ^ (entity & _MASK)) + _GOLDEN & _MASK
        x = ((x ^ (x >> 30)) * _M1) & _MASK
        x = ((x ^ (x >> 27)) * _M2) & _MASK
        x = ((x ^ (x >> 31)) ^ key) + _GOLDEN & _MASK
        x = ((x ^ (x >> 30)) * _M1) & _MASK
        x = ((x ^ (x >> 27)) * _M2) & _MASK
        return (((x ^ (x >> 31)) >> 11) + 0.5) * _INV53

    @staticmethod
    def u_row(key: int, entity: int, start: int, n: int) -> list[float]:
        """``[u(key, entity, i) for i in range(start, start + n)]``: the draws of one entity's
        successive events (an account's renewals, term after term), from the scalar hash for
        a few numbers and from one vectorised pass for more."""
        if n <= _ROW_SCALAR:
            return [RandomStreams.u(key, entity, i) for i in range(start, start + n)]
        if start + n > _SMALL:
            return RandomStreams.u_array(key, np.full(n, entity, dtype=np.uint64),
                                         np.arange(start, start + n, dtype=np.uint64)).tolist()
        return _finish(key, _MIX_SMALL_ARRAY[start:start + n] ^ np.uint64(entity & _MASK)).tolist()

    @staticmethod
    def u_array(key: int, entities: np.ndarray, index: int | np.ndarray = 0) -> np.ndarray:
        """Vectorised :meth:`u` over arrays of entity ids (and indexes); a scalar entity gives
        a scalar."""
        if isinstance(index, int):
            i = _MIX_SMALL_ARRAY[index] if 0 <= index < _SMALL else np.uint64(_mix(index & _MASK))
        else:
            i = np.array(index, dtype=np.uint64, ndmin=1)
            _mix_in_place(i)
        u = _finish(key, np.array(entities, dtype=np.uint64, ndmin=1) ^ i)
        return u if np.ndim(entities) else u[0]

    @staticmethod
    def u_streams(keys: list[int], entities: np.ndarray) -> list[np.ndarray]:
        """``[u_array(key, entities) for key in keys]`` (index 0): several streams' draws for
        the same entities, sharing the part of the hash that depends on the entity only."""
        shared = np.array(entities, dtype=np.uint64, ndmin=1) ^ _MIX_SMALL_ARRAY[0]
        _mix_in_place(shared)
        return [_keyed(key, shared.copy()) for key in keys]
