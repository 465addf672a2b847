"""Counter-based random numbers: the scalar, array and row forms give the same numbers.

The model draws an entity's uniform numbers in whichever form is fastest where it stands
(one at a time, a block of leads, an account's successive renewals); common random numbers
across arms hold only if every form gives bit-for-bit the same value for (key, entity, index).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simorg.model.rng import RandomStreams

KEY = RandomStreams(7).key("account.renew")
ENTITIES = [0, 5, (250 << 40) | 17, (4096 + 3) << 40, (1 << 64) - 1]


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize(("start", "n"), [(0, 60), (3, 10), (1000, 40), (2000, 5), (0, 0), (7, 1), (0, 8), (0, 9)])
def test_row_equals_scalar_draws(entity: int, start: int, n: int):
    row = RandomStreams.u_row(KEY, entity, start, n)
    assert all(type(x) is float for x in row)
    assert row == [RandomStreams.u(KEY, entity, i) for i in range(start, start + n)]


def test_array_equals_scalar_draws():
    ids = np.array(ENTITIES, dtype=np.uint64)
    for index in (0, 1, 1023, 1024, 5000):
        got = RandomStreams.u_array(KEY, ids, index).tolist()
        assert got == [RandomStreams.u(KEY, e, index) for e in ENTITIES]


def test_array_draws_of_a_scalar_entity_or_an_odd_index_equal_scalar_draws():
    assert RandomStreams.u_array(KEY, 5, 3) == RandomStreams.u(KEY, 5, 3)
    assert np.ndim(RandomStreams.u_array(KEY, 5, 3)) == 0
    for index in (-1, -7, 1 << 70, 5000):
        assert RandomStreams.u_array(KEY, np.array([5, 9], dtype=np.uint64), index).tolist() == \
            [RandomStreams.u(KEY, 5, index), RandomStreams.u(KEY, 9, index)]
    idx = np.array([0, 3, 1023, 1024, 70_000], dtype=np.uint64)
    assert RandomStreams.u_array(KEY, np.full(5, 11, dtype=np.uint64), idx).tolist() == \
        [RandomStreams.u(KEY, 11, int(i)) for i in idx]


def test_several_streams_at_once_equal_one_stream_at_a_time():
    keys = [RandomStreams(3).key(f"lead.{k}") for k in ("segment", "fit", "acv")]
    ids = np.array(ENTITIES, dtype=np.uint64)
    got = RandomStreams.u_streams(keys, ids)
    assert [g.tolist() for g in got] == [RandomStreams.u_array(k, ids).tolist() for k in keys]


def test_draws_are_uniform_and_independent_of_neighbours():
    u = RandomStreams.u_array(KEY, np.arange(20_000, dtype=np.uint64))
    assert u.min() > 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 0.01
    # successive indexes of one entity (an account's renewals) are not correlated
    row = np.concatenate([RandomStreams.u_row(KEY, e, 0, 1000) for e in range(20)])
    assert abs(np.corrcoef(row[:-1], row[1:])[0, 1]) < 0.03
    assert stats.kstest(row, "uniform").pvalue > 0.01


@pytest.mark.parametrize("block", [512, 32])
def test_lead_trait_blocks_equal_per_lead_draws(block: int):
    """A lead's cycle and win come from its trait block: the same numbers as drawing them
    from its id when it becomes an opportunity (streams lead.cycle and lead.win)."""
    from simorg.model.traits import LeadTraits
    from simorg.scenario.distributions import parse_distribution

    streams = RandomStreams(11)
    acv = {"smb": parse_distribution(12000), "ent": parse_distribution({"lognormal": {"mean": 90000, "sd": 40000}})}
    cycle = {"smb": parse_distribution({"gamma": {"shape": 2, "scale": 15}}),
             "ent": parse_distribution({"lognormal": {"mean": 120, "sd": 60}})}
    traits = LeadTraits(streams, 3, parse_distribution({"beta": {"a": 2, "b": 2}}),
                        {"smb": 0.7, "ent": 0.3}, acv, cycle, block=block)
    k_cycle, k_win = streams.key("lead.cycle"), streams.key("lead.win")
    for seq in range(2 * block + 5):
        lid, segment = traits.get(seq)[:2]
        assert lid == traits.lead_id(seq)
        expected = (float(cycle[segment].ppf(RandomStreams.u(k_cycle, lid))), RandomStreams.u(k_win, lid))
        assert traits.opportunity(seq) == expected
