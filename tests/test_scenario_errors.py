"""A table of hand-written bad scenarios and the exact message each must produce.

Each case is a small file that ``extends`` tests/data/bad_scenarios/valid_base.yaml (or
stands alone) and breaks one thing. The messages are the product: a consultant reads them
to fix a file, so a change here is a change users see.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simorg.scenario import ScenarioError, load, load_dict, parse_set

DATA = Path(__file__).parent / "data" / "bad_scenarios"
BASE = "extends: valid_base.yaml\n"

CASES: list[tuple[str, str, str]] = [
    (
        "misspelled key",
        BASE + "teams:\n  ae:\n    ramp_monts: 3\n",
        "bad.yaml:4:5: teams.ae.ramp_monts: unknown key 'ramp_monts'; did you mean 'ramp_months'?",
    ),
    (
        "unknown key without a close match",
        BASE + "teams:\n  ae:\n    plan: [{month: 1, headcount: 2, zzz: 1}]\n",
        "bad.yaml:4:37: teams.ae.plan[0].zzz: unknown key 'zzz'; valid keys: month, headcount",
    ),
    (
        "text where a whole number belongs",
        BASE + "horizon_months: two years\n",
        "bad.yaml:2:17: horizon_months: expected a whole number, found 'two years' (text)",
    ),
    (
        "below the allowed range",
        BASE + "horizon_months: 0\n",
        "bad.yaml:2:17: horizon_months: expected a whole number >= 1, found 0",
    ),
    (
        "above the allowed range",
        BASE + "segments:\n  smb:\n    win_rate: 1.5\n",
        "bad.yaml:4:15: segments.smb.win_rate: expected a number <= 1, found 1.5",
    ),
    (
        "fraction where a whole number belongs",
        BASE + "teams:\n  ae:\n    headcount: 2.5\n",
        "bad.yaml:4:16: teams.ae.headcount: expected a whole number, found 2.5",
    ),
    (
        "number where text belongs",
        BASE + "name: 2025\n",
        "bad.yaml:2:7: name: expected text, found 2025 (put text that looks like a number in quotes)",
    ),
    (
        "misspelled choice",
        BASE + "teams: {presales: {on_no_presales: wiat}}\n",
        "bad.yaml:2:36: teams.presales.on_no_presales: expected one of 'wait', 'unsupported', "
        "found 'wiat' (text); did you mean 'wait'?",
    ),
    (
        "scalar where a list belongs",
        BASE + "teams:\n  ae:\n    plan: 5\n",
        "bad.yaml:4:11: teams.ae.plan: expected a list, found 5",
    ),
    (
        "null deletes an inherited section that is required",
        BASE + "teams:\n  ae: null\n",
        "bad.yaml:2:1: teams.ae: missing required key 'ae'; the inherited value was deleted by "
        "'ae: null' at bad.yaml:3:3",
    ),
    (
        "missing key in a list item",
        BASE + "teams:\n  ae:\n    plan:\n      - {month: 3}\n",
        "bad.yaml:5:9: teams.ae.plan[0].headcount: missing required key 'headcount' "
        "(target headcount from that month)",
    ),
    (
        "several problems, in reading order",
        BASE + "teams:\n  ae:\n    plan: [{headcount: -1, mnth: 2}]\n",
        "3 problems:\n"
        "  bad.yaml:4:12: teams.ae.plan[0].month: missing required key 'month' (from this month on (0 = start))\n"
        "  bad.yaml:4:24: teams.ae.plan[0].headcount: expected a whole number >= 0, found -1\n"
        "  bad.yaml:4:28: teams.ae.plan[0].mnth: unknown key 'mnth'; did you mean 'month'?",
    ),
    (
        "unknown distribution",
        BASE + "segments:\n  smb:\n    acv: {lognormall: {mean: 3, sd: 1}}\n",
        "bad.yaml:4:10: segments.smb.acv: unknown distribution 'lognormall'; did you mean "
        "'lognormal'? (known: beta, constant, empirical, exponential, gamma, lognormal, normal, "
        "triangular, uniform)",
    ),
    (
        "distribution parameter out of range",
        BASE + "segments:\n  smb:\n    acv: {lognormal: {mean: 3, sd: -1}}\n",
        "bad.yaml:4:36: segments.smb.acv.lognormal.sd: expected a number >= 0, found -1",
    ),
    (
        "misspelled distribution parameter",
        BASE + "segments:\n  smb:\n    acv: {lognormal: {mean: 3, sdd: 1}}\n",
        "bad.yaml:4:32: segments.smb.acv.lognormal.sdd: unknown key 'sdd'; did you mean 'sd'?",
    ),
    (
        "a distribution replaces the parent's, never merges with it",
        BASE + "segments:\n  smb:\n    acv: {lognormal: {mean: 3}}\n",
        "bad.yaml:4:10: segments.smb.acv: lognormal needs either mean and sd, or mu and sigma",
    ),
    (
        "shares that do not sum to one (a child's mix replaces the parent's, never merges)",
        BASE + "marketing:\n  channels:\n    web:\n      segment_mix: {smb: 0.5}\n",
        "bad.yaml:5:20: marketing.channels.web.segment_mix: segment_mix shares must sum to 1, found 0.5",
    ),
    (
        "not a number",
        BASE + "segments:\n  smb:\n    win_rate: .nan\n",
        "bad.yaml:4:15: segments.smb.win_rate: expected a number, found .nan (not a number)",
    ),
    (
        "a model check names the field it is about",
        BASE + "org:\n  renewals: renewal_specialist\n",
        "bad.yaml:3:13: org.renewals: is renewal_specialist but teams.renewal_specialist is not defined",
    ),
    (
        "python object tag",
        BASE + 'name: !!python/object/apply:os.system ["echo hi"]\n',
        "bad.yaml:2:7: name: YAML tag '!!python/object/apply:os.system' is not allowed: "
        "scenario files hold plain data (numbers, text, true/false, lists, mappings)",
    ),
    (
        "custom tag",
        BASE + "horizon_months: !months 12\n",
        "bad.yaml:2:17: horizon_months: YAML tag '!months' is not allowed: "
        "scenario files hold plain data (numbers, text, true/false, lists, mappings)",
    ),
    (
        "YAML syntax error",
        BASE + "teams: {ae: [1, 2}\n",
        "bad.yaml:2:18: YAML syntax error: while parsing a flow sequence, expected ',' or ']', "
        "but got '}'",
    ),
    (
        "duplicate key",
        BASE + "name: a\nname: b\n",
        "bad.yaml:3:1: name: duplicate key 'name' (first written on line 2)",
    ),
    (
        "recursive alias",
        "a: &x [*x]\n",
        "bad.yaml:1:4: a[0]: recursive alias (a value that contains itself)",
    ),
    (
        "empty file",
        "",
        "bad.yaml: the file is empty; expected a scenario (a mapping with name, horizon_months, ...)",
    ),
    (
        "a list at the top level",
        "- a\n- b\n",
        "bad.yaml:1:1: not a scenario file: expected a mapping of scenario keys at the top level, "
        "found a list",
    ),
    (
        "missing sections, all reported",
        "name: x\nhorizon_months: 12\n",
        "3 problems:\n"
        "  bad.yaml:1:1: segments: missing required key 'segments' (customer segments by name)\n"
        "  bad.yaml:1:1: marketing: missing required key 'marketing'\n"
        "  bad.yaml:1:1: teams: missing required key 'teams'",
    ),
    (
        "extends a missing file",
        "extends: nothere.yaml\n",
        "bad.yaml:1:1: extends: cannot extend 'nothere.yaml': no such file (nothere.yaml)",
    ),
    (
        "extends itself",
        "extends: bad.yaml\n",
        "bad.yaml:1:1: extends: extends cycle: bad.yaml -> bad.yaml",
    ),
    (
        "extends is not a path",
        "extends: [a.yaml, b.yaml]\n",
        "bad.yaml:1:1: extends: expected the path of a parent scenario file, found a list",
    ),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding valid_base.yaml, made current so messages show short paths."""
    shutil.copy(DATA / "valid_base.yaml", tmp_path / "valid_base.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _message(call) -> str:
    with pytest.raises(ScenarioError) as info:
        call()
    return info.value.format()


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_gives_exact_message(workdir: Path, case: str, text: str, expected: str) -> None:
    (workdir / "bad.yaml").write_text(text)
    assert _message(lambda: load("bad.yaml")) == expected


def test_valid_base_loads(workdir: Path) -> None:
    """The fixture every case breaks is itself valid (else the table tests nothing)."""
    assert load("valid_base.yaml").teams.ae.ramp_months == 4


def test_error_attributes(workdir: Path) -> None:
    (workdir / "bad.yaml").write_text(CASES[0][1])
    with pytest.raises(ScenarioError) as info:
        load("bad.yaml")
    err = info.value
    assert (err.file, err.line, err.column) == ("bad.yaml", 4, 5)
    assert err.path == "teams.ae.ramp_monts"
    assert err.suggestion == "ramp_months"
    assert err.found == "'ramp_monts'"
    assert err.expected.startswith("one of headcount, plan, salary, ramp_months")
    assert str(err) == err.format()


def test_error_in_a_parent_points_at_the_parent(workdir: Path) -> None:
    (workdir / "parent.yaml").write_text(BASE + "teams:\n  csm:\n    touches_per_month: -5\n")
    (workdir / "child.yaml").write_text("extends: parent.yaml\nname: child\n")
    assert _message(lambda: load("child.yaml")) == (
        "parent.yaml:4:24: teams.csm.touches_per_month: expected a number > 0, found -5"
    )


def test_value_from_grandparent_is_located_there(workdir: Path) -> None:
    """A value the child did not touch keeps the location of the file that wrote it."""
    (workdir / "mid.yaml").write_text(BASE + "name: mid\n")
    (workdir / "child.yaml").write_text("extends: mid.yaml\nteams:\n  ae:\n    headcount: -1\n")
    assert _message(lambda: load("child.yaml")) == (
        "child.yaml:4:16: teams.ae.headcount: expected a whole number >= 0, found -1"
    )
    (workdir / "child.yaml").write_text("extends: mid.yaml\nsegments:\n  smb:\n    win_rate: 2\n")
    assert _message(lambda: load("child.yaml")) == (
        "child.yaml:4:15: segments.smb.win_rate: expected a number <= 1, found 2"
    )


def test_extends_cycle_names_the_chain(workdir: Path) -> None:
    (workdir / "a.yaml").write_text("extends: b.yaml\n")
    (workdir / "b.yaml").write_text("name: b\nextends: sub/c.yaml\n")
    (workdir / "sub").mkdir()
    (workdir / "sub" / "c.yaml").write_text("extends: ../a.yaml\n")
    assert _message(lambda: load("a.yaml")) == (
        "sub/c.yaml:1:1: extends: extends cycle: a.yaml -> b.yaml -> sub/c.yaml -> a.yaml"
    )


def test_missing_file_and_directory(workdir: Path) -> None:
    assert _message(lambda: load("nope.yaml")) == "nope.yaml: no such file"
    assert _message(lambda: load(".")) == ".: is a directory, not a scenario file"


def test_not_utf8(workdir: Path) -> None:
    (workdir / "bad.yaml").write_bytes(b"name: \xff\xfe\n")
    assert _message(lambda: load("bad.yaml")) == (
        "bad.yaml:1: not UTF-8 text (byte 0xff cannot start a character); save it as UTF-8")


# --------------------------------------------------------------------------- overrides
OVERRIDE_CASES: list[tuple[str, object, str]] = [
    (
        "misspelled key",
        ["teams.ae.ramp_monts=3"],
        "--set teams.ae.ramp_monts=3: teams.ae.ramp_monts: unknown key 'ramp_monts'; "
        "did you mean 'ramp_months'?",
    ),
    (
        "wrong type, reported with every other problem",
        ["teams.ae.headcount=x", "horizon_months=-1"],
        "2 problems:\n"
        "  --set horizon_months=-1: horizon_months: expected a whole number >= 1, found -1\n"
        "  --set teams.ae.headcount=x: teams.ae.headcount: expected a whole number, found 'x' (text)",
    ),
    (
        "bad YAML in a value",
        {"segments.smb.acv": "{lognormal: {mean: 3"},
        "--set segments.smb.acv={lognormal: {mean: 3: segments.smb.acv: YAML syntax error: while "
        "parsing a flow mapping, expected ',' or '}', but got '<stream end>'",
    ),
    (
        "unsafe tag in a value",
        {"horizon_months": "!!python/name:os.system"},
        "--set horizon_months=!!python/name:os.system: horizon_months: YAML tag "
        "'!!python/name:os.system' is not allowed: scenario files hold plain data (numbers, "
        "text, true/false, lists, mappings)",
    ),
    (
        "through a number",
        {"horizon_months.x": 3},
        "--set horizon_months.x=3: horizon_months.x: cannot set horizon_months.x: "
        "horizon_months is 24, not a mapping",
    ),
    (
        "list index past the end",
        {"teams.ae.plan.3.month": 1},
        "--set teams.ae.plan.3.month=1: teams.ae.plan[3].month: index 3 is past the end of "
        "teams.ae.plan (1 item)",
    ),
    (
        "list addressed by name",
        {"teams.ae.plan.first.month": 1},
        "--set teams.ae.plan.first.month=1: teams.ae.plan.first.month: teams.ae.plan is a list: "
        "address its items by number, not 'first'",
    ),
]


@pytest.mark.parametrize(("case", "overrides", "expected"), OVERRIDE_CASES,
                         ids=[c[0] for c in OVERRIDE_CASES])
def test_bad_override_gives_exact_message(workdir: Path, case: str, overrides, expected: str) -> None:
    assert _message(lambda: load("valid_base.yaml", overrides=overrides)) == expected


def test_parse_set_names_every_malformed_item() -> None:
    assert _message(lambda: parse_set(["a.b=1", "novalue", "a..b=2", "=3", "x[y]=1"])) == (
        "4 problems:\n"
        "  --set: malformed override 'novalue': no '=' (expected dotted.key=value)\n"
        "  --set: malformed override 'a..b=2': empty part in key 'a..b' (two dots, or a dot at an end)\n"
        "  --set: malformed override '=3': empty key before '='\n"
        "  --set: malformed override 'x[y]=1': cannot read 'x[y]' in key 'x[y]' (use name or name[0])"
    )


def test_load_dict_errors_name_the_source() -> None:
    assert _message(lambda: load_dict({"name": "x", "horizon_months": 0, "segments": {"a": 1},
                                       "marketing": {}, "teams": {}, "bogus": 1},
                                      source="api")).splitlines()[1:3] == [
        "  api: horizon_months: expected a whole number >= 1, found 0",
        "  api: segments.a: expected a mapping, found 1",
    ]
    assert _message(lambda: load_dict([1, 2])) == (  # type: ignore[arg-type]
        "<dict>: expected a mapping of scenario keys at the top level, found a list"
    )
    assert _message(lambda: load_dict({"name": object()})) == (
        "<dict>: name: expected plain data (numbers, text, lists, mappings), found a Python object"
    )
