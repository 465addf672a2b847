"""The leads table written as leads close equals the table read off every lead at the end."""

from __future__ import annotations

import numpy as np
import pytest

from simorg.model import records
from simorg.model.entities import DISQUALIFIED, LOST, MARKETING, SELF, WON, Lead
from simorg.model.records import LEAD_COLUMNS, LEAD_FLOATS, LeadTable, _object_columns


def _leads(n: int, rng: np.random.Generator) -> list[Lead]:
    out = []
    for i in range(n):
        lead = Lead((3 << 40) | i, "web" if i % 3 else "events", "smb" if i % 5 else "enterprise",
                    float(rng.random()), float(rng.lognormal(10, 1)), i * 0.1,
                    MARKETING if i % 7 else SELF, float(rng.random()))
        out.append(lead)
    return out


@pytest.mark.parametrize("chunk", [7, 8192])
def test_rows_written_at_close_come_out_in_creation_order(monkeypatch, chunk: int):
    monkeypatch.setattr(records, "LEAD_CHUNK", chunk)
    rng = np.random.default_rng(5)
    leads = _leads(500, rng)
    table = LeadTable()
    for lead in leads:
        table.add(lead)
    # close two thirds in a shuffled order, with the fields a closing lead has; the rest stay open or won
    for i in rng.permutation(len(leads))[:330]:
        lead = leads[i]
        lead.first_touch = lead.created + 0.5
        lead.closed_t = lead.created + 2.0
        if i % 2:
            lead.state = DISQUALIFIED
        else:
            lead.state, lead.owner, lead.qualified_t = LOST, 7, lead.created + 1.0
        table.close(lead)
    for lead in leads[:40]:
        if lead.state == "open":
            lead.state, lead.owner, lead.presales = WON, 9, "supported"
    assert len(table.live) == 170
    got = table.columns()
    expected = _object_columns(leads, LEAD_COLUMNS, floats=LEAD_FLOATS)
    assert got.keys() == expected.keys()
    for name in LEAD_COLUMNS:
        assert got[name].dtype == expected[name].dtype, name
        assert np.array_equal(got[name], expected[name], equal_nan=got[name].dtype.kind == "f"), name
    assert table.live == {} and table.columns()["id"].size == 0


def test_empty_table_has_every_column():
    cols = LeadTable().columns()
    assert tuple(cols) == LEAD_COLUMNS
    assert all(c.size == 0 for c in cols.values())
