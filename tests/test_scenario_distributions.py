"""Distributions: each knows its mean, draws match it, and bad names or parameters are
clear errors at load time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simorg.scenario import ScenarioError, load_dict
from simorg.scenario.distributions import REGISTRY, Constant, Distribution, parse_distribution

N = 200_000
CASES: list[tuple[str, dict]] = [
    ("constant", {"constant": {"value": 3.5}}),
    ("constant short form", {"constant": 2}),
    ("bare number", 7),
    ("exponential", {"exponential": {"mean": 30}}),
    ("normal truncated at 0", {"normal": {"mean": 5, "sd": 4}}),
    ("normal untruncated", {"normal": {"mean": -5, "sd": 4, "min": None}}),
    ("normal truncated at its mean", {"normal": {"mean": 10, "sd": 3, "min": 10}}),
    ("normal mostly cut off", {"normal": {"mean": -10, "sd": 1}}),
    ("normal far in the tail", {"normal": {"mean": -100, "sd": 1}}),
    ("normal sd 0 below min", {"normal": {"mean": -1, "sd": 0}}),
    ("lognormal by mean and sd", {"lognormal": {"mean": 30000, "sd": 15000}}),
    ("lognormal by mu and sigma", {"lognormal": {"mu": 1.0, "sigma": 0.5}}),
    ("gamma", {"gamma": {"shape": 2.5, "scale": 4}}),
    ("gamma small shape", {"gamma": {"shape": 0.3, "scale": 10}}),
    ("beta", {"beta": {"a": 2, "b": 5}}),
    ("triangular", {"triangular": {"min": 10, "mode": 20, "max": 60}}),
    ("triangular mode at min", {"triangular": {"min": 0, "mode": 0, "max": 1}}),
    ("uniform", {"uniform": {"min": -2, "max": 8}}),
    ("empirical", {"empirical": {"values": [3, 1, 4, 1, 5, 9, 2, 6]}}),
]


@pytest.mark.parametrize(("case", "form"), CASES, ids=[c[0] for c in CASES])
def test_sample_mean_matches_mean(case: str, form) -> None:
    """Over 200k draws the sample mean is within 5 standard errors of ``.mean``."""
    dist = parse_distribution(form)
    x = dist.sample(np.random.default_rng(20261123), N)
    assert x.shape == (N,)
    se = float(np.std(x)) / math.sqrt(N)
    assert abs(float(np.mean(x)) - dist.mean) <= 5 * se + 1e-12 * max(1.0, abs(dist.mean)), (
        case, float(np.mean(x)), dist.mean, se)


@pytest.mark.parametrize(("case", "form"), CASES, ids=[c[0] for c in CASES])
def test_ppf_is_monotone_and_scalar_matches_vector(case: str, form) -> None:
    """Inverse transform must be non-decreasing (common random numbers rely on it)."""
    dist = parse_distribution(form)
    u = np.linspace(0.0005, 0.9995, 999)
    v = np.asarray(dist.ppf(u), dtype=float)
    assert np.all(np.diff(v) >= -1e-9 * np.maximum(1.0, np.abs(v[1:])))
    assert np.all(np.isfinite(v))
    assert [dist.ppf(float(x)) for x in u[::100]] == pytest.approx(v[::100].tolist())
    assert isinstance(dist.sample(np.random.default_rng(1)), float)


@pytest.mark.parametrize(("case", "form"), CASES, ids=[c[0] for c in CASES])
def test_yaml_form_round_trips(case: str, form) -> None:
    dist = parse_distribution(form)
    assert parse_distribution(dist.to_yaml()) == dist


def test_known_means() -> None:
    assert parse_distribution({"lognormal": {"mean": 30, "sd": 15}}).mean == pytest.approx(30)
    assert parse_distribution({"gamma": {"shape": 2, "scale": 3}}).mean == 6
    assert parse_distribution({"beta": {"a": 1, "b": 3}}).mean == 0.25
    assert parse_distribution({"triangular": {"min": 0, "mode": 3, "max": 6}}).mean == 3
    assert parse_distribution({"normal": {"mean": 0, "sd": 1}}).mean == pytest.approx(math.sqrt(2 / math.pi))
    assert parse_distribution(4) == Constant(value=4)


def test_every_registered_distribution_is_covered() -> None:
    covered = {next(iter(f)) for _, f in CASES if isinstance(f, dict)}
    assert covered == set(REGISTRY)
    assert all(issubclass(cls, Distribution) for cls in REGISTRY.values())


def _acv_error(acv) -> str:
    doc = {"name": "x", "horizon_months": 12,
           "segments": {"s": {"acv": acv, "win_rate": 0.2, "cycle_days": 30, "onboarding_days": 10}},
           "marketing": {"channels": {}}, "teams": {}}
    with pytest.raises(ScenarioError) as info:
        load_dict(doc)
    return info.value.problems[0].format()


@pytest.mark.parametrize(("acv", "message"), [
    ({"lognormall": {"mean": 3, "sd": 1}},
     "<dict>: segments.s.acv: unknown distribution 'lognormall'; did you mean 'lognormal'? "
     "(known: beta, constant, empirical, exponential, gamma, lognormal, normal, triangular, uniform)"),
    ({"weibull": {"k": 1}},
     "<dict>: segments.s.acv: unknown distribution 'weibull' (known: beta, constant, empirical, "
     "exponential, gamma, lognormal, normal, triangular, uniform)"),
    ({"gamma": {"shape": 2}}, "<dict>: segments.s.acv.gamma.scale: missing required key 'scale'"),
    ({"beta": {"a": 0, "b": 1}}, "<dict>: segments.s.acv.beta.a: expected a number > 0, found 0"),
    ({"triangular": {"min": 5, "mode": 1, "max": 9}},
     "<dict>: segments.s.acv: triangular needs min <= mode <= max and min < max"),
    ({"empirical": {"values": []}},
     "<dict>: segments.s.acv.empirical.values: expected at least 1 entry, found an empty list"),
    ({"gamma": 3}, "<dict>: segments.s.acv: parameters of 'gamma' must be a mapping, found 3"),
    ({"gamma": {"shape": 1, "scale": 1}, "beta": {"a": 1, "b": 1}},
     "<dict>: segments.s.acv: expected a number or a one-key mapping like {lognormal: {mean: 30, "
     "sd: 15}}, found {'gamma': {'shape': 1, 'scale': 1}, 'beta': {'a': 1, 'b': 1}}"),
    (True, "<dict>: segments.s.acv: expected a number or a distribution like {lognormal: {mean: 30, sd: 15}}, "
           "found true (yes/no/on/off/true/false are read as true or false)"),
])
def test_bad_distribution_messages(acv, message: str) -> None:
    assert _acv_error(acv) == message
