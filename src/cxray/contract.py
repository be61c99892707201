"""The contract of ``diagnosis.json``: its shapes as types, identifiers marked in them, a JSON Schema.

Each section of the document has a type: a dataclass whose fields are what ``to_dict`` writes, or a
``TypedDict`` where a producer builds the JSON shape directly. ``mypy`` then checks every producer and
every reader (the report) against the same keys, :func:`json_schema` derives ``docs/diagnosis.schema.json``
from the types, and redaction finds identifiers where the types say they are (:data:`Identifier`,
:class:`IdentifiersAt`), not by guessing key names.

>>> from typing_extensions import TypedDict
>>> class Row(TypedDict):
...     contact: Identifier
...     examples: list[Identifier]
...     evidence: Annotated[dict[str, Any], IdentifiersAt("ids")]
...     label: str
>>> sorted(identifier_paths(Row))
[('contact',), ('evidence', 'ids'), ('examples',)]
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union

from typing_extensions import is_typeddict

from .errors import CxrayError

Path = tuple[str, ...]
#: The path element standing for any key of a ``dict[str, T]``.
ANY_KEY = "*"


class _Identifier:
    """Marks a string (or the strings of a list) as a customer or contact identifier."""

    def __repr__(self) -> str:
        return "IDENTIFIER"

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        # Called by pydantic only when the schema is generated (a dev-time dependency, see json_schema).
        schema = handler(core_schema)
        schema["x-cxray-identifier"] = True
        return schema


IDENTIFIER = _Identifier()
#: A customer or contact identifier: pseudonymised by ``--redact``.
Identifier = Annotated[str, IDENTIFIER]


@dataclasses.dataclass(frozen=True)
class IdentifiersAt:
    """On an open mapping (a finding's ``evidence``): the keys whose values are identifiers."""

    keys: tuple[str, ...]

    def __init__(self, *keys: str) -> None:
        object.__setattr__(self, "keys", keys)

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema["x-cxray-identifier-keys"] = list(self.keys)
        return schema


def identifier_paths(tp: Any) -> frozenset[Path]:
    """The paths (dict keys from the root; lists add nothing; ``*`` is any key) holding identifiers."""
    found: set[Path] = set()
    _walk(tp, (), found, set())
    return frozenset(found)


def _walk(tp: Any, path: Path, found: set[Path], seen: set[Any]) -> None:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *meta = typing.get_args(tp)
        for m in meta:
            if m is IDENTIFIER:
                found.add(path)
            elif isinstance(m, IdentifiersAt):
                found.update((*path, k) for k in m.keys)
        _walk(base, path, found, seen)
    elif origin in (Union, types.UnionType):
        for arm in typing.get_args(tp):
            _walk(arm, path, found, seen)
    elif origin in (list, tuple, set, frozenset, Sequence):
        for arg in typing.get_args(tp):
            if arg is not Ellipsis:
                _walk(arg, path, found, seen)
    elif origin in (dict, Mapping):
        args = typing.get_args(tp)
        if len(args) == 2:
            _walk(args[1], (*path, ANY_KEY), found, seen)
    elif isinstance(tp, type) and (dataclasses.is_dataclass(tp) or is_typeddict(tp)):
        if (tp, path) in seen:  # a recursive type: its paths are already being collected
            return
        seen.add((tp, path))
        hints = typing.get_type_hints(tp, include_extras=True)
        names = [f.name for f in dataclasses.fields(tp)] if dataclasses.is_dataclass(tp) else list(hints)
        for name in names:
            _walk(hints[name], (*path, name), found, seen)


def matches(path: Path, patterns: frozenset[Path]) -> bool:
    """Whether a concrete path (keys only) is one of ``patterns`` (``*`` matching any one key)."""
    return any(
        len(p) == len(path) and all(a in (ANY_KEY, b) for a, b in zip(p, path, strict=True)) for p in patterns
    )


def json_schema(tp: Any, *, title: str | None = None) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a document type, identifiers marked ``x-cxray-identifier``.

    Generated with pydantic, which cxray needs only here (``pip install cxray[dev]``): the published
    schema, ``docs/diagnosis.schema.json``, is made by the tests' generator and checked to be current.
    """
    try:
        from pydantic import TypeAdapter
    except ImportError as exc:  # pragma: no cover - dev dependency
        raise CxrayError("generating the JSON Schema needs pydantic (pip install 'cxray[dev]')") from exc
    schema: dict[str, Any] = TypeAdapter(tp).json_schema(mode="serialization")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    if title:
        schema["title"] = title
    return schema


__all__ = [
    "ANY_KEY",
    "IDENTIFIER",
    "Identifier",
    "IdentifiersAt",
    "identifier_paths",
    "json_schema",
    "matches",
]
