"""Probability distributions that scenario files name, as objects.

A scenario writes a distribution as a one-key mapping, for example
``{lognormal: {mean: 30, sd: 15}}`` or a bare number (a constant). Each class here
knows its ``mean`` (so tests can compare simulated against expected values) and draws by
*inverse transform*: ``ppf(u)`` maps a uniform number in (0, 1) to a value. Drawing by
inverse transform is what keeps paired comparisons tight: when arm A and arm B feed the
same uniform number for the same lead, a bigger number means a bigger deal in both arms
(common random numbers stay synchronised even if a parameter changes).

Every distribution is registered by name in :data:`REGISTRY`; an unknown name is an
error when the scenario loads, never a silent default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special

REGISTRY: dict[str, type[Distribution]] = {}


def register(name: str):
    """Class decorator: make a distribution available to scenario files under ``name``."""

    def deco(cls: type[Distribution]) -> type[Distribution]:
        cls.kind = name
        REGISTRY[name] = cls
        return cls

    return deco


class Distribution(BaseModel):
    """Base class: a frozen, validated set of parameters with ``ppf``, ``sample``, ``mean``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    kind: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _no_booleans(cls, data: Any) -> Any:
        """``mean: yes`` is YAML for true, not a number: refuse it rather than read 1."""
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, bool) or (
                    isinstance(value, list) and any(isinstance(v, bool) for v in value)
                ):
                    raise ValueError(
                        f"{key}: expected a number, found {str(value).lower()} "
                        "(yes/no/on/off/true/false are read as true or false)"
                    )
        return data

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take (may be infinite)."""
        return -math.inf, math.inf

    @model_validator(mode="after")
    def _finite_mean(self) -> Distribution:
        """Parameters whose mean overflows (a lognormal with sigma 40) are not usable numbers."""
        try:
            mean = self.mean
        except OverflowError:
            mean = math.inf
        except (TypeError, ValueError, ZeroDivisionError):
            return self  # an incomplete form: the subclass's own check says what is missing
        if not math.isfinite(mean):
            raise ValueError(f"{self.kind} with these parameters has no finite mean")
        return self

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def ppf(self, u: float | np.ndarray) -> float | np.ndarray:  # pragma: no cover
        """Inverse cumulative distribution: the value below which a share ``u`` falls."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        """Draw from ``rng`` by inverse transform (one uniform number per value)."""
        u = rng.random(size)
        return self.ppf(u) if size is not None else float(self.ppf(u))

    def to_yaml(self) -> Any:
        """The scenario-file form of this distribution (round-trips through the loader)."""
        return {self.kind: self.model_dump()}


@register("constant")
class Constant(Distribution):
    """Always the same value. A bare number in a scenario file means this."""

    value: float

    @property
    def support(self) -> tuple[float, float]:
        return self.value, self.value

    @property
    def mean(self) -> float:
        return self.value

    def ppf(self, u):
        return np.full_like(u, self.value, dtype=float) if isinstance(u, np.ndarray) else self.value

    def to_yaml(self) -> Any:
        return self.value


@register("exponential")
class Exponential(Distribution):
    """Memoryless waiting time with the given mean (e.g. time between arrivals)."""

    mean_: float = Field(alias="mean", gt=0, description="mean value")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @property
    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    @property
    def mean(self) -> float:
        return self.mean_

    def ppf(self, u):
        return -self.mean_ * np.log1p(-u)

    def to_yaml(self) -> Any:
        return {"exponential": {"mean": self.mean_}}


@register("normal")
class Normal(Distribution):
    """Normal with mean and sd; ``min`` truncates below (default 0: most quantities are positive)."""

    mean_: float = Field(alias="mean")
    sd: float = Field(ge=0)
    min: float | None = 0.0
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def _lower(self) -> float | None:
        """The truncation point in standard units, or None when nothing is cut off."""
        if self.min is None or self.sd == 0:
            return None
        return (self.min - self.mean_) / self.sd

    @property
    def support(self) -> tuple[float, float]:
        if self.sd == 0:
            return self.mean, self.mean
        return (-math.inf if self.min is None else self.min), math.inf

    @property
    def mean(self) -> float:
        if self.sd == 0:
            return self.mean_ if self.min is None else max(self.mean_, self.min)
        a = self._lower()
        if a is None:
            return self.mean_
        # pdf(a) / P(Z > a), written with erfcx so it stays exact far in the tail
        return self.mean_ + self.sd * math.sqrt(2 / math.pi) / float(special.erfcx(a / math.sqrt(2)))

    def ppf(self, u):
        uu = np.asarray(u, dtype=float)
        a = self._lower()
        if self.sd == 0:
            out = np.full_like(uu, self.mean)
        elif a is None:
            out = self.mean_ + self.sd * special.ndtri(uu)
        else:
            kept = float(special.ndtr(-a))  # share of the untruncated normal above min
            if kept == 0.0:  # min is dozens of sd above the mean: the tail is exponential
                out = self.min - self.sd * np.log1p(-uu) / a
            else:
                out = np.maximum(self.mean_ - self.sd * special.ndtri((1.0 - uu) * kept), self.min)
        return out if isinstance(u, np.ndarray) else float(out)

    def to_yaml(self) -> Any:
        return {"normal": {"mean": self.mean_, "sd": self.sd, "min": self.min}}


@register("lognormal")
class LogNormal(Distribution):
    """Positive, right-skewed (deal sizes, cycle times). Given by its own mean and sd,
    or by ``mu``/``sigma`` of the underlying normal."""

    mean_: float | None = Field(default=None, alias="mean", gt=0)
    sd: float | None = Field(default=None, ge=0)
    mu: float | None = None
    sigma: float | None = Field(default=None, ge=0)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_form(self) -> LogNormal:
        by_moments = self.mean_ is not None and self.sd is not None
        by_logs = self.mu is not None and self.sigma is not None
        if by_moments == by_logs:
            raise ValueError("lognormal needs either mean and sd, or mu and sigma")
        return self

    @property
    def log_params(self) -> tuple[float, float]:
        if self.mu is not None and self.sigma is not None:
            return self.mu, self.sigma
        if self.mean_ is None or self.sd is None:
            raise TypeError("lognormal needs either mean and sd, or mu and sigma")
        m, s = float(self.mean_), float(self.sd)
        s2 = math.log1p((s / m) ** 2)
        return math.log(m) - 0.5 * s2, math.sqrt(s2)

    @property
    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    @property
    def mean(self) -> float:
        mu, sigma = self.log_params
        return math.exp(mu + 0.5 * sigma * sigma)

    def ppf(self, u):
        mu, sigma = self.log_params
        out = np.exp(mu + sigma * special.ndtri(u))
        return out if isinstance(u, np.ndarray) else float(out)

    def to_yaml(self) -> Any:
        if self.mu is not None:
            return {"lognormal": {"mu": self.mu, "sigma": self.sigma}}
        return {"lognormal": {"mean": self.mean_, "sd": self.sd}}


@register("gamma")
class Gamma(Distribution):
    """Gamma with shape and scale (mean = shape * scale)."""

    shape: float = Field(gt=0)
    scale: float = Field(gt=0)

    @property
    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    def ppf(self, u):
        out = self.scale * special.gammaincinv(self.shape, u)
        return out if isinstance(u, np.ndarray) else float(out)


@register("beta")
class Beta(Distribution):
    """Beta on [0, 1] (a share, a lead's fit)."""

    a: float = Field(gt=0)
    b: float = Field(gt=0)

    @property
    def support(self) -> tuple[float, float]:
        return 0.0, 1.0

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    def ppf(self, u):
        out = special.betaincinv(self.a, self.b, u)
        return out if isinstance(u, np.ndarray) else float(out)


@register("triangular")
class Triangular(Distribution):
    """Triangular from ``min`` to ``max`` with peak at ``mode``: an expert's three-point estimate."""

    min: float
    mode: float
    max: float

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.min <= self.mode <= self.max) or self.min == self.max:
            raise ValueError("triangular needs min <= mode <= max and min < max")
        return self

    @property
    def support(self) -> tuple[float, float]:
        return self.min, self.max

    @property
    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3.0

    def ppf(self, u):
        a, c, b = self.min, self.mode, self.max
        u = np.asarray(u, dtype=float)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        out = np.where(u < fc, left, right)
        return out if out.ndim else float(out)


@register("uniform")
class Uniform(Distribution):
    """Every value between ``min`` and ``max`` equally likely."""

    min: float
    max: float

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.max < self.min:
            raise ValueError("uniform needs min <= max")
        return self

    @property
    def support(self) -> tuple[float, float]:
        return self.min, self.max

    @property
    def mean(self) -> float:
        return 0.5 * (self.min + self.max)

    def ppf(self, u):
        out = self.min + (self.max - self.min) * np.asarray(u, dtype=float)
        return out if out.ndim else float(out)


@register("empirical")
class Empirical(Distribution):
    """Resample a list of observed values (e.g. last year's deal sizes), each equally likely."""

    values: list[float] = Field(min_length=1)

    @property
    def support(self) -> tuple[float, float]:
        return float(min(self.values)), float(max(self.values))

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    def ppf(self, u):
        v = np.sort(np.asarray(self.values, dtype=float))
        idx = np.minimum((np.asarray(u) * len(v)).astype(int), len(v) - 1)
        out = v[idx]
        return out if out.ndim else float(out)

    def to_yaml(self) -> Any:
        return {"empirical": {"values": list(self.values)}}


def _finite(value: float) -> float:
    """A number as a float, refusing .inf, .nan and numbers too big for a float (1e400)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, found {value!r}".replace("inf", ".inf"))
    return number


@dataclass(frozen=True)
class Support:
    """The range a distribution field's quantity lives in (a deal size >= 0, a fit in 0-1).

    Declared on each distribution field of the schema. Rule: a distribution whose support
    (every value a draw can take) leaves this range is rejected when the scenario loads,
    never truncated silently; the message says how to bound it (``normal`` with ``min``,
    ``beta`` for a fraction). ``lo``/``hi`` of None mean unbounded on that side.
    """

    lo: float | None = None
    hi: float | None = None
    quantity: str = "value"

    def text(self) -> str:
        """The range in interval notation, e.g. ``[0, ∞)``."""
        lo = "-∞" if self.lo is None else f"{self.lo:g}"
        hi = "∞" if self.hi is None else f"{self.hi:g}"
        return f"{'(' if self.lo is None else '['}{lo}, {hi}{')' if self.hi is None else ']'}"

    def __call__(self, dist: Distribution) -> Distribution:
        """Pydantic after-validator: ``dist`` unchanged, or ValueError naming the breach."""
        lo, hi = dist.support
        if (self.lo is None or lo >= self.lo) and (self.hi is None or hi <= self.hi):
            return dist
        span = f"[{lo:g}, {hi:g}]".replace("inf", "∞")
        hint = ""
        if isinstance(dist, Normal) and self.lo is not None and lo < self.lo:
            hint = f"; set min: {self.lo:g} to truncate it"
        elif self.hi is not None and hi > self.hi and self.lo is not None:
            hint = "; for a share use beta (or uniform/triangular within the range)"
        raise ValueError(
            f"a {self.quantity} must lie in {self.text()}, but {dist.kind or 'this distribution'} "
            f"can draw values in {span}{hint}"
        )


def parse_distribution(value: Any) -> Distribution:
    """Build a distribution from its scenario-file form.

    A number is a constant; a one-key mapping names a registered distribution and its
    parameters. Raises ``ValueError`` (pydantic turns it into a located error) otherwise.
    """
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool):
        raise ValueError(
            f"expected a number or a distribution like {{lognormal: {{mean: 30, sd: 15}}}}, found "
            f"{str(value).lower()} (yes/no/on/off/true/false are read as true or false)"
        )
    if isinstance(value, int | float):
        return Constant(value=_finite(value))
    if isinstance(value, dict) and len(value) == 1:
        (name, params), = value.items()
        cls = REGISTRY.get(str(name))
        if cls is None:
            import difflib

            close = difflib.get_close_matches(str(name), REGISTRY, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(
                f"unknown distribution '{name}'{hint} (known: {', '.join(sorted(REGISTRY))})"
            )
        if name == "constant" and isinstance(params, int | float) and not isinstance(params, bool):
            return Constant(value=_finite(params))
        if not isinstance(params, dict):
            raise ValueError(f"parameters of '{name}' must be a mapping, found {params!r}")
        return cls.model_validate(params)
    raise ValueError(
        f"expected a number or a one-key mapping like {{lognormal: {{mean: 30, sd: 15}}}}, found {value!r}"
    )
