"""The KPI registry is the one source of KPI facts (issue 12).

* every KPI a run produces has an entry, and every entry is produced (families: at least one
  member; their members depend on the scenario's teams);
* every reader agrees with it: the verdict direction, the report's "higher is better", the
  CLI's direction text, the report's groups;
* the KPI table in docs/model.md is the one the registry generates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simorg.experiment import directions
from simorg.experiment.simulate import simulate
from simorg.experiment.stats import verdict
from simorg.metrics import registry
from simorg.metrics.registry import ENTRIES, GROUPS, REGISTRY, UNITS, family_of, lookup
from simorg.report.explain import kpi_info
from simorg.report.html import _grouped
from simorg.scenario import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def produced() -> dict[str, set[str]]:
    """KPI names of one short run of the baseline and of an org with account managers."""
    out = {}
    base = load(ROOT / "scenarios" / "baseline.yaml", {"horizon_months": 13})
    out["baseline"] = set(simulate(base, 1).kpis)
    am = load(ROOT / "scenarios" / "baseline.yaml",
              {"horizon_months": 13, "teams.am": {"headcount": 1, "salary": 150000, "capacity": 15},
               "org.key_account_arr": 60000, "org.renewals": "am"})
    out["am"] = set(simulate(am, 1).kpis)
    split = load(ROOT / "scenarios" / "examples" / "renewal_split.yaml", {"horizon_months": 13})
    out["split"] = set(simulate(split, 1).kpis)  # the owner-split KPIs exist only with a split
    return out


def test_every_produced_kpi_has_an_entry(produced: dict[str, set[str]]) -> None:
    for names in produced.values():
        missing = sorted(n for n in names if lookup(n) is None)
        assert not missing, f"KPIs without a registry entry: {missing}"
    assert "headcount_end_am" in produced["am"] and lookup("headcount_end_am") is not None


def test_every_entry_is_produced(produced: dict[str, set[str]]) -> None:
    everything = set().union(*produced.values())
    for e in ENTRIES:
        if e.is_family:
            assert any(family_of(n) is e for n in everything), f"family {e.name} produced no member"
        else:
            assert e.name in everything, f"registry entry {e.name} is never produced"


def test_compute_order_is_registry_order(produced: dict[str, set[str]]) -> None:
    base = load(ROOT / "scenarios" / "baseline.yaml", {"horizon_months": 13})
    names = list(simulate(base, 2).kpis)
    firsts = [family_of(n).name for n in names]  # type: ignore[union-attr]
    split_only = {"logo_renewal_rate_arm_<owner>", "split_months_to_detect"}  # absent without a split
    assert list(dict.fromkeys(firsts)) == [e.name for e in ENTRIES if e.name not in split_only]


def test_entries_are_well_formed() -> None:
    assert len(REGISTRY) == len(ENTRIES)
    for e in ENTRIES:
        assert e.unit in UNITS and e.group in GROUPS and e.direction in (-1, 0, 1), e.name
        assert e.definition and "\n" not in e.definition and e.label, e.name
        assert (e.compute is None) == e.is_family and (e.family is None) != e.is_family, e.name
        assert 0 < e.threshold < 1


def _all_names() -> list[str]:
    roles = ("marketing", "sdr", "ae", "presales", "implementation", "csm", "am", "renewal_specialist")
    names = [e.name for e in ENTRIES if not e.is_family]
    names += [f"headcount_end_{r}" for r in roles] + [f"utilization_{r}" for r in roles[1:6]]
    return names


@pytest.mark.parametrize("name", _all_names())
def test_directions_agree_everywhere(name: str) -> None:
    e = lookup(name)
    assert e is not None
    d = e.direction
    assert directions.direction(name) == d
    assert directions.describe(name) == {1: "higher is better", -1: "lower is better", 0: "neutral"}[d]
    assert kpi_info(name).higher_is_better == {1: True, -1: False, 0: None}[d]
    assert kpi_info(name).unit == e.unit and kpi_info(name).group == e.group
    expected = {1: "better", -1: "worse", 0: "higher"}[d]
    assert verdict(name, [1.0, 2.0]) == expected


def test_lead_qualify_rate_has_one_direction() -> None:
    """It was "higher is better" in the report and neutral in the verdicts."""
    assert directions.direction("lead_qualify_rate") == 1
    assert kpi_info("lead_qualify_rate").higher_is_better is True
    assert verdict("lead_qualify_rate", [0.01, 0.02]) == "better"


def test_unknown_kpis_are_never_judged() -> None:
    assert lookup("something_new") is None and directions.direction("something_new") == 0
    assert verdict("something_new", [1.0, 2.0]) == "higher"
    assert kpi_info("something_new").group == "other"


def test_report_groups_come_from_the_registry() -> None:
    groups = dict(_grouped(["arr_end", "grr", "utilization_ae", "lead_qualify_rate", "zzz"]))
    assert groups == {"Growth": ["arr_end"], "Retention": ["grr"], "Funnel": ["lead_qualify_rate"],
                      "People": ["utilization_ae"], "Other": ["zzz"]}


def test_docs_table_is_generated_from_the_registry() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert registry.render_doc(text) == text, (
        "docs/model.md's KPI table differs from the registry: run "
        "`python -m simorg.metrics.registry --write docs/model.md`")
    for e in ENTRIES:
        assert f"| `{e.name}` |" in text
