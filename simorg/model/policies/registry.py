"""Named registries of policies (strategy objects), without SimPy.

Org-design rules are data: a scenario names a policy (``org.lead_routing: segment_pods``) and
the model builds the registered class of that name. The scenario schema takes its allowed
names from these registries, so this module and the policy modules next to it import nothing
that imports SimPy (``simorg/scenario`` must stay free of it, DESIGN.md). Adding a policy is
one registered class; adding a *kind* of policy (a hiring rule, a budget rule, a market
response) is one ``Registry`` instance here plus its classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")


class UnknownPolicyError(ValueError):
    """A scenario named a policy nobody registered."""


class Registry(Generic[T]):
    """Policies of one kind, by name, in the order they were registered."""

    def __init__(self, kind: str):
        self.kind = kind
        self._classes: dict[str, type[T]] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *aliases: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: register the class under ``name`` (and accept ``aliases`` for it)."""

        def deco(cls: type[T]) -> type[T]:
            if name in self._classes or name in self._aliases:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._classes[name] = cls
            for alias in aliases:
                self._aliases[alias] = name
            return cls

        return deco

    def names(self, where: Callable[[type[T]], bool] | None = None) -> tuple[str, ...]:
        """The registered names (aliases not included), in registration order; ``where``
        keeps the names whose class it accepts."""
        return tuple(n for n, cls in self._classes.items() if where is None or where(cls))

    def canonical(self, name: str) -> str:
        """``name`` with an alias resolved; an unknown name raises :class:`UnknownPolicyError`."""
        name = self._aliases.get(name, name)
        if name not in self._classes:
            raise UnknownPolicyError(
                f"unknown {self.kind} {name!r}; registered: {', '.join(self.names())}")
        return name

    def get(self, name: str) -> type[T]:
        """The class registered under ``name`` (or an alias of it)."""
        return self._classes[self.canonical(name)]

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        """An instance of the policy named ``name``."""
        return self.get(name)(*args, **kwargs)

    def literal(self, where: Callable[[type[T]], bool] | None = None) -> Any:
        """``Literal[name, ...]`` of the registered names (those ``where`` accepts): the
        schema's field type, so that validation, the JSON schema and the generated reference
        list exactly these names."""
        return Literal[self.names(where)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._aliases.get(name, name) in self._classes
