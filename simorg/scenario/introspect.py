"""Walk the scenario schema by path: what type lives at ``teams.ae.ramp_months``?

The loader uses this to suggest the closest valid key for a misspelled one, to convert
``--set`` strings by the type of their target, and to merge ``extends`` parents without
mixing two distributions; the reference generator uses it to list every field. Everything
is read from the pydantic models themselves, so new schema fields need no change here.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel

from .distributions import REGISTRY, Distribution

Key = str | int


def strip(tp: Any) -> Any:
    """Remove ``Annotated`` wrappers and ``None`` from an optional: the type that matters."""
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return strip(args[0])
    return tp


def is_model(tp: Any) -> bool:
    """True for a pydantic model class (a section of the scenario)."""
    tp = strip(tp)
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def is_distribution(tp: Any) -> bool:
    """True for a distribution field (a number or ``{name: {params}}``)."""
    tp = strip(tp)
    return isinstance(tp, type) and issubclass(tp, Distribution)


def is_text(tp: Any) -> bool:
    """True when the field holds text (a ``str`` or a choice among string literals)."""
    tp = strip(tp)
    if tp is str:
        return True
    if typing.get_origin(tp) is Literal:
        return all(isinstance(a, str) for a in typing.get_args(tp))
    return False


def is_number_map(tp: Any) -> bool:
    """True for a mapping of names to numbers (a segment mix, pod shares): such a mapping is
    one value, so a child file's mix replaces its parent's instead of merging with it."""
    tp = strip(tp)
    if typing.get_origin(tp) is not dict:
        return False
    value = strip(typing.get_args(tp)[1])
    return value in (int, float)


def literal_choices(tp: Any) -> list[str]:
    """The allowed values of a ``Literal`` field as text (empty for other fields)."""
    tp = strip(tp)
    if typing.get_origin(tp) is Literal:
        return [str(a) for a in typing.get_args(tp)]
    return []


def model_fields(model: type[BaseModel]) -> dict[str, Any]:
    """Field name as written in a scenario file (the alias if any) -> pydantic FieldInfo."""
    return {(f.alias or name): f for name, f in model.model_fields.items()}


def child_type(tp: Any, key: Key) -> Any | None:
    """The type of ``key`` inside a value of type ``tp``; None when ``key`` cannot be there."""
    tp = strip(tp)
    if is_distribution(tp):
        if tp is Distribution:
            return REGISTRY.get(str(key))
        field = model_fields(tp).get(str(key))
        return None if field is None else _annotation(field)
    if is_model(tp):
        field = model_fields(tp).get(str(key))
        return None if field is None else _annotation(field)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (list, tuple, Sequence) and args:
        return args[0] if isinstance(key, int) or str(key).isdigit() else None
    if origin in (Union, types.UnionType):
        for arg in args:
            found = child_type(arg, key)
            if found is not None:
                return found
    return None


def _annotation(field: Any) -> Any:
    """A field's annotation with its constraints (pydantic keeps them in ``metadata``).

    A field whose type is defined further down schema.py (``tiers: list[CSMTier]``) keeps a
    forward reference; it is resolved in the schema module's namespace."""
    annotation = field.annotation
    if isinstance(annotation, typing.ForwardRef):
        from . import schema

        annotation = eval(annotation.__forward_arg__, vars(schema))  # noqa: S307 - our own schema text
    if field.metadata:
        return Annotated[(annotation, *field.metadata)]
    return annotation


def root() -> type[BaseModel]:
    """The root model (imported late so schema.py may import from this package freely)."""
    from .schema import Scenario

    return Scenario


def type_at(path: Sequence[Key], start: Any | None = None) -> Any | None:
    """The declared type at ``path`` below ``start`` (default: the whole scenario)."""
    tp: Any = root() if start is None else start
    for key in path:
        tp = child_type(tp, key)
        if tp is None:
            return None
    return tp


def valid_keys(tp: Any) -> list[str]:
    """Keys a mapping of type ``tp`` may hold (empty when any name is allowed)."""
    tp = strip(tp)
    if tp is Distribution:
        return sorted(REGISTRY)
    if is_model(tp):
        return list(model_fields(tp))
    return []
