"""The report is written whatever the numbers hold (issue 13).

A property test damages synthetic results directories (NaNs, missing KPIs, missing or empty
monthly series, teams with no staff, nulls in result.json, non-numeric swept values) and
checks that ``write_report(strict=True)`` writes the page: strict mode raises on any part
that fails, so a pass means every part coped, not that a failure was papered over. Plus
the two real cases from the issue, user strings escaped in the HTML, and ``ReportError``.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from simorg.report import ReportError, write_report
from simorg.report.data import load_results
from simorg.report.figures_sweep import points_table
from tests.test_report_fixture import make_compare_dir, make_run_dir, make_sweep_dir

_BASES: dict[str, Path] = {}


def _base(kind: str, root: Path) -> Path:
    """One undamaged results directory per kind, made once (reps 3, 14 months)."""
    if kind not in _BASES:
        out = root / f"base_{kind}"
        if kind == "run":
            make_run_dir(out, reps=3, months=14)
        elif kind == "compare":
            make_compare_dir(out, reps=3, months=14)
        else:
            make_sweep_dir(out, mode="oat" if kind == "oat" else "grid", reps=3, months=14)
        _BASES[kind] = out
    return _BASES[kind]


def _null_numbers(doc: object, rng: np.random.Generator, share: float) -> object:
    """Replace a share of the numbers in a JSON document by None (NaN in strict JSON)."""
    if isinstance(doc, dict):
        return {k: (v if k in ("kind", "point") else _null_numbers(v, rng, share)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_null_numbers(v, rng, share) for v in doc]
    if isinstance(doc, float) and rng.random() < share:
        return None
    return doc


damage = st.fixed_dictionaries({
    "kind": st.sampled_from(["run", "compare", "grid", "oat"]),
    "seed": st.integers(0, 2**16),
    "nan_share": st.sampled_from([0.0, 0.3, 1.0]),
    "drop_kpis": st.lists(st.sampled_from(["arr_end", "nrr", "grr", "gtm_cost", "new_logos", "cac_ratio",
                                           "sales_cycle_days", "headcount_end_ae", "utilization_presales"]),
                          max_size=5, unique=True),
    "monthly": st.sampled_from(["keep", "drop_some", "empty"]),
    "json_null_share": st.sampled_from([0.0, 0.5, 1.0]),
    "empty_team": st.sampled_from([None, "presales", "sdr", "csm"]),
    "swept": st.sampled_from(["numbers", "plans", "text"]),
})


def damaged_dir(d: dict, root: Path) -> Path:
    """A copy of the base directory of ``d["kind"]`` damaged as ``d`` says."""
    root.mkdir(exist_ok=True, parents=True)
    out = root / f"case_{len(list(root.iterdir()))}"
    shutil.copytree(_base(d["kind"], root), out)
    rng = np.random.default_rng(d["seed"])

    kpis = pd.read_csv(out / "kpis.csv")
    kpis.loc[rng.random(len(kpis)) < d["nan_share"], "value"] = np.nan
    kpis = kpis[~kpis["kpi"].isin(d["drop_kpis"])]
    kpis.to_csv(out / "kpis.csv", index=False)

    monthly = pd.read_csv(out / "monthly.csv")
    if d["monthly"] == "empty":
        monthly = monthly.iloc[0:0]
    elif d["monthly"] == "drop_some":
        metrics = monthly["metric"].unique()
        monthly = monthly[~monthly["metric"].isin(rng.choice(metrics, size=len(metrics) // 2, replace=False))]
    monthly.to_csv(out / "monthly.csv", index=False)

    result = json.loads((out / "result.json").read_text())
    for key in ("kpis",):
        if isinstance(result.get(key), dict):
            for k in d["drop_kpis"]:
                result[key].pop(k, None)
    for p in result.get("points", []):
        for k in d["drop_kpis"]:
            p["kpis"].pop(k, None)
        if d["swept"] != "numbers":
            params = p.get("params", {})
            ae = params.get("teams.ae.headcount")
            if ae is not None:
                params["teams.ae.headcount"] = ([{"month": 3, "headcount": ae}] if d["swept"] == "plans"
                                                else f"plan {ae}")
    if d["kind"] == "oat" and d["swept"] != "numbers":
        for row in result.get("tornado", []):
            if row["parameter"] == "teams.ae.headcount":
                row["low"], row["high"] = [{"month": 3, "headcount": row["low"]}], f"plan {row['high']}"
        result.pop("base_values", None)
    result = _null_numbers(result, rng, d["json_null_share"])
    (out / "result.json").write_text(json.dumps(result))

    if d["empty_team"]:
        for p in out.glob("scenario_*.yaml"):
            doc = yaml.safe_load(p.read_text())
            doc["teams"][d["empty_team"]].update({"headcount": 0, "plan": []})
            p.write_text(yaml.safe_dump(doc))
    return out


@settings(max_examples=24, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: each example draws figures
@given(d=damage)
def test_report_is_written_from_damaged_results(d: dict, tmp_path_factory: pytest.TempPathFactory) -> None:
    out = damaged_dir(d, tmp_path_factory.getbasetemp() / "robust")
    html_path = write_report(out, strict=True)
    html = html_path.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "could not be built" not in html


def test_compare_with_a_team_without_staff(tmp_path: Path) -> None:
    """Issue 13: B has no presales (headcount 0): its presales KPIs are NaN, verdicts
    "not enough data", p-values null. The report is written and says so for that KPI."""
    out = make_compare_dir(tmp_path / "cmp", reps=3, months=14)
    result = json.loads((out / "result.json").read_text())
    result["kpis"]["utilization_presales"] = {"a_mean": 0.7, "b_mean": None, "diff_mean": None,
                                              "diff_ci95": [None, None], "p_value": None,
                                              "verdict": "not enough data"}
    result["kpis"]["headcount_end_presales"] = {"a_mean": 2.0, "b_mean": 0.0, "diff_mean": -2.0,
                                                "diff_ci95": [-2.0, -2.0], "p_value": 0.0, "q_value": 0.0,
                                                "verdict": "lower"}
    (out / "result.json").write_text(json.dumps(result))
    html = write_report(out, strict=True).read_text()
    row = html[html.index("<code>utilization_presales</code>"):]
    assert "not enough data" in row[:row.index("</tr>")]


def test_sweep_over_a_hiring_plan_is_categorical(tmp_path: Path) -> None:
    """A list-valued swept parameter (``teams.ae.plan``) gets a categorical axis, one tick per plan."""
    out = make_sweep_dir(tmp_path / "sw", mode="grid", reps=3, months=14)
    result = json.loads((out / "result.json").read_text())
    plans = {4: [], 6: [{"month": 3, "headcount": 8}], 8: [{"month": 3, "headcount": 10}]}
    for p in result["points"]:
        p["params"]["teams.ae.headcount"] = plans[p["params"]["teams.ae.headcount"]]
    result["vary"]["teams.ae.headcount"] = list(plans.values())
    (out / "result.json").write_text(json.dumps(result))
    from simorg.report.figures_sweep import fig_sweep_grid

    res = load_results(out)
    tab = points_table(res)
    assert set(tab["teams.ae.headcount"]) == {"[]", "[{month: 3, headcount: 8}]", "[{month: 3, headcount: 10}]"}
    fo = fig_sweep_grid(res)
    assert fo is not None
    ax = fo.fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "[]"
    assert len(ax.get_xticks()) == 3
    write_report(out, strict=True)


EVIL = "<script>alert(1)</script>"


def _rename(out: Path, old: str, new: str) -> None:
    """Rename a scenario inside a results directory's JSON and CSVs (not its file names)."""
    for f in ("result.json", "kpis.csv", "monthly.csv", "distributions.csv"):
        path = out / f
        path.write_text(path.read_text().replace(old, new))


def test_user_strings_are_escaped(tmp_path: Path) -> None:
    """Scenario names (and any text from the results) never reach the HTML unescaped."""
    out = make_compare_dir(tmp_path / "cmp", reps=3, months=14)
    _rename(out, "more_leads", EVIL)
    result = json.loads((out / "result.json").read_text())
    assert result["b"] == EVIL
    result["failed"] = EVIL
    (out / "result.json").write_text(json.dumps(result))
    html = write_report(out, strict=True).read_text()
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    run = make_run_dir(tmp_path / "run", reps=3, months=14)
    _rename(run, "baseline", EVIL)
    html = write_report(run, strict=True).read_text()
    assert EVIL not in html and "&lt;script&gt;" in html


def test_a_part_that_fails_becomes_a_note_not_a_lost_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``strict`` a failing part is replaced by a visible note; the page is still written."""
    import simorg.report as rep

    def broken(_res: object) -> str:
        """The comparison's answer."""
        raise ValueError("boom")

    monkeypatch.setattr(rep, "compare_headline", broken)
    out = make_compare_dir(tmp_path / "cmp", reps=3, months=14)
    html = write_report(out).read_text()
    assert "could not be built from these results: ValueError: boom" in html
    with pytest.raises(ValueError):
        write_report(out, strict=True)


def test_report_error_when_not_writable(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no result.json"):
        write_report(tmp_path)
    out = make_run_dir(tmp_path / "run", reps=2, months=13)
    (out / "report.html").mkdir()  # a directory where the page should go
    with pytest.raises(ReportError, match="cannot write the report"):
        write_report(out)
    assert not math.isnan(0.0)
