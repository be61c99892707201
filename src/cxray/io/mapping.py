"""Column mappings: how a source's columns and values become the canonical event log.

A mapping names, for each canonical column, the source column that holds it (or several, joined with
``separator``: ``activity: [concept:name, lifecycle:transition]``), fixed values (``constants``) and value
vocabularies (``outcome_values``, ``value_maps``). A *wide* layout (one row per call with a time column per
step) lists its ``events``: each becomes one event per source row. Built-in mappings for the public logs
cxray is tested on live in ``io/mappings/*.yaml``; ``cxray mappings`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .. import schema as S
from ..errors import ConfigError
from ..yamlio import load_yaml

Columns = dict[str, str | tuple[str, ...]]
#: The units a duration column's plain numbers may be in (``duration_unit``); clocks, word forms and ISO 8601
#: durations carry their own.
DURATION_UNITS = ("seconds", "minutes", "hours", "ms")


@dataclass(frozen=True, kw_only=True)
class WideEvent:
    """One event of a wide layout: each source row yields it unless its time is ``absent``.

    ``timestamp`` is the source column with the time (or date-time); ``date``, when given, is a column
    joined before it with a space, and ``formats`` are strptime formats of the joined text.
    ``columns``/``constants`` apply to this event only (e.g. ``actor: server`` on the service step).
    """

    activity: str
    timestamp: str
    date: str | None = None
    formats: tuple[str, ...] = ()
    duration: str | None = None
    absent: tuple[str, ...] = ()
    columns: Columns = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_canonical(self.columns, "events[].columns")
        _check_canonical(self.constants, "events[].constants")
        for own in (S.ACTIVITY, S.TIMESTAMP, S.DURATION_S):
            if own in self.columns or own in self.constants:
                raise ConfigError(f"events[].columns cannot set {own!r}: the event entry does")


@dataclass(frozen=True, kw_only=True)
class Mapping:
    """How one source layout maps onto the canonical columns (see the module docstring).

    >>> m = Mapping(columns={"contact_id": "ConversationId"}, outcome_values={"Closed": "resolved"})
    >>> m.merged(columns={"activity": "Step"}).columns["activity"]
    'Step'
    """

    name: str = "custom"
    columns: Columns = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    outcome_values: dict[str, str] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str | None]] = field(default_factory=dict)
    missing_values: tuple[str, ...] = ()
    separator: str = " - "
    dayfirst: bool = False
    time_formats: tuple[str, ...] = ()
    tz: str | None = None
    duration_unit: str = "seconds"  # the unit of plain numbers in the duration column(s): DURATION_UNITS
    events: tuple[WideEvent, ...] = ()
    auto: bool = True  # unmapped canonical columns matched by name and by XES key
    reader: str | None = None  # a platform adapter (or registered format) reading the source, not its suffix
    reader_options: dict[str, str] = field(default_factory=dict)  # that reader's own settings
    #: Rows read only when each named source column holds one of its values (a history export's
    #: ``Field: [Status, Assignee]``), and rows left out when any named column holds one of its values (a
    #: report's ``Agent: [Total]``): compared trimmed and case-insensitively; counted, never silent.
    keep_rows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drop_rows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sheet: str | None = None  # a spreadsheet's sheet of events (its name, or its 1-based number)
    #: Put before every contact id of the file, so that two systems numbering their contacts alike (a
    #: phone system's '1', a chat system's '1') give contacts of their own (``chat-1``).
    contact_id_prefix: str = ""
    #: Contact ids are unique within a day only (a phone system's call numbers that restart every day):
    #: each event's id is read joined with its local date (``1001@2025-03-04``), so each day's 1001 is a
    #: contact of its own. A call across midnight then splits in two.
    contact_ids_per_day: bool = False
    #: The country of customer ids that are phone numbers written without a country code (``io.phones``).
    phone_region: str | None = None
    #: Columns a grouped report writes on a group's first row only (a contact's id above its steps,
    #: blank below): each blank takes the value above it in the file. Canonical names (``contact_id``:
    #: the column it is read from) or source column names.
    fill_down: tuple[str, ...] = ()

    @property
    def filters_rows(self) -> bool:
        return bool(self.keep_rows or self.drop_rows)

    def __post_init__(self) -> None:
        _check_canonical(self.columns, "columns")
        _check_canonical(self.constants, "constants")
        _check_canonical(self.value_maps, "value_maps")
        for key in ("keep_rows", "drop_rows"):
            object.__setattr__(self, key, _row_values(getattr(self, key) or {}, key))  # frozen
        bad = sorted(v for v in self.outcome_values.values() if v not in S.OUTCOMES)
        if bad:
            raise ConfigError(f"outcome_values map to {bad}; allowed outcomes: {', '.join(S.OUTCOMES)}")
        if self.duration_unit not in DURATION_UNITS:
            raise ConfigError(
                f"duration_unit {self.duration_unit!r} is not one of {', '.join(DURATION_UNITS)}"
            )
        if self.events:
            for own in (S.ACTIVITY, S.TIMESTAMP, S.DURATION_S):
                if own in self.columns or own in self.constants:
                    raise ConfigError(f"a wide layout (events:) sets {own!r} per event, not in columns")
        if self.phone_region is not None:
            from .phones import check_region

            object.__setattr__(self, "phone_region", check_region(self.phone_region))

    # --- building ---------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, path: str | Path | None = None) -> Mapping:
        """Build from a YAML-shaped dict; unknown keys are a ConfigError (typos must not pass silently)."""
        if not isinstance(data, dict):
            raise ConfigError("a mapping must be a YAML mapping (key: value)", path=path)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown mapping keys {unknown}; known: {sorted(known)}", path=path)
        kwargs = dict(data)
        try:
            kwargs["columns"] = _columns(data.get("columns") or {})
            kwargs["constants"] = _str_dict(data.get("constants") or {})
            kwargs["outcome_values"] = _str_dict(data.get("outcome_values") or {})
            kwargs["reader_options"] = _str_dict(data.get("reader_options") or {})
            if data.get("reader") is not None:
                kwargs["reader"] = str(data["reader"])
            if data.get("sheet") is not None:
                kwargs["sheet"] = str(data["sheet"])
            kwargs["contact_id_prefix"] = str(data.get("contact_id_prefix") or "")
            if not isinstance(data.get("contact_ids_per_day", False), bool):
                raise ConfigError(
                    f"contact_ids_per_day must be true or false, got {data['contact_ids_per_day']!r}"
                )
            if data.get("phone_region") is not None:
                kwargs["phone_region"] = str(data["phone_region"])
            kwargs["duration_unit"] = str(data.get("duration_unit") or "seconds")
            kwargs["value_maps"] = {
                str(k): {str(a): (None if b is None else str(b)) for a, b in (v or {}).items()}
                for k, v in (data.get("value_maps") or {}).items()
            }
            for key in ("missing_values", "time_formats", "fill_down"):
                kwargs[key] = tuple(str(v) for v in data.get(key) or ())
            kwargs["events"] = tuple(_wide_event(e) for e in data.get("events") or ())
            return cls(**kwargs)
        except ConfigError as exc:
            raise ConfigError(exc.message, path=path) from None
        except (TypeError, AttributeError, ValueError) as exc:
            raise ConfigError(f"malformed mapping: {exc}", path=path) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Mapping:
        """Read a mapping YAML file (see ``io/mappings/*.yaml`` for examples)."""
        p = Path(path)
        try:
            data = load_yaml(p.read_text(encoding="utf-8"), path=p)
        except OSError as exc:
            raise ConfigError(f"cannot read mapping: {exc.strerror}", path=p) from None
        data = data or {}
        if isinstance(data, dict):
            data.setdefault("name", p.stem)
        return cls.from_dict(data, path=p)

    @classmethod
    def builtin(cls, name: str) -> Mapping:
        """A built-in mapping by name (``cxray mappings`` lists them)."""
        if name not in builtin_mappings():
            raise ConfigError(f"no built-in mapping {name!r}; built-ins: {', '.join(builtin_mappings())}")
        text = (_MAPPINGS / f"{name}.yaml").read_text(encoding="utf-8")
        return cls.from_dict(
            {"name": name, **(load_yaml(text, path=f"{name}.yaml") or {})}, path=f"{name}.yaml"
        )

    @classmethod
    def resolve(
        cls,
        spec: str | Path | None = None,
        *,
        columns: dict[str, str] | None = None,
        outcomes: dict[str, str] | None = None,
        values: dict[str, dict[str, str | None]] | None = None,
        duration_unit: str | None = None,
        per_day: bool = False,
        fill_down: tuple[str, ...] = (),
    ) -> Mapping | None:
        """The mapping the CLI asks for: a built-in name or YAML file, overridden by ``--map``,
        ``--outcome``, ``--value``, ``--duration-unit``, ``--contact-ids-per-day`` and ``--fill-down``
        (:meth:`merged`).

        None when nothing is asked (canonical names and XES keys are then matched automatically).
        """
        if spec is None and not (columns or outcomes or values or duration_unit or per_day or fill_down):
            return None
        if spec is None:
            base = cls()
        elif str(spec) in builtin_mappings():
            base = cls.builtin(str(spec))
        elif str(spec) in _adapters():  # a platform adapter: its reader names the canonical columns itself
            base = cls(name=str(spec), reader=str(spec))
        elif Path(spec).is_file():
            base = cls.from_yaml(spec)
        else:
            raise ConfigError(
                f"mapping {str(spec)!r} is neither a built-in ({', '.join(builtin_mappings())}), "
                f"a platform adapter ({', '.join(_adapters())}) nor a file"
            )
        return base.merged(
            columns=columns,
            outcomes=outcomes,
            values=values,
            duration_unit=duration_unit,
            per_day=per_day,
            fill_down=fill_down,
        )

    def merged(
        self,
        *,
        columns: dict[str, str] | None = None,
        outcomes: dict[str, str] | None = None,
        values: dict[str, dict[str, str | None]] | None = None,
        duration_unit: str | None = None,
        per_day: bool = False,
        fill_down: tuple[str, ...] = (),
    ) -> Mapping:
        """A copy with these column, outcome and value pairs added (they win over the mapping's own), this
        duration unit, contact ids unique per day when ``per_day`` (``contact_ids_per_day``), and these
        columns filled down too.

        >>> m = Mapping(value_maps={"channel": {"Voice": "phone"}})
        >>> m.merged(values={"channel": {"Chatbot": "bot"}}, duration_unit="ms").value_maps["channel"]
        {'Voice': 'phone', 'Chatbot': 'bot'}
        """
        if not (columns or outcomes or values or duration_unit or per_day or fill_down):
            return self
        constants = {k: v for k, v in self.constants.items() if k not in (columns or {})}
        maps = {k: dict(v) for k, v in self.value_maps.items()}
        for column, pairs in (values or {}).items():
            maps[column] = {**maps.get(column, {}), **pairs}
        return replace(
            self,
            columns={**self.columns, **_columns(columns or {})},
            constants=constants,
            outcome_values={**self.outcome_values, **(outcomes or {})},
            value_maps=maps,
            duration_unit=duration_unit or self.duration_unit,
            contact_ids_per_day=per_day or self.contact_ids_per_day,
            fill_down=tuple(dict.fromkeys(self.fill_down + tuple(fill_down))),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``diagnosis.json`` options)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "events":
                value = [{k: _plain(getattr(e, k)) for k in (g.name for g in fields(e))} for e in value]
            out[f.name] = _plain(value)
        return out

    def value_map(self, column: str) -> dict[str, str | None]:
        """Source value -> canonical value for ``column`` (``outcome_values`` is the outcome one)."""
        own = dict(self.value_maps.get(column, {}))
        if column == S.OUTCOME:
            own.update(self.outcome_values)
        return own


def _row_values(data: Any, key: str) -> dict[str, tuple[str, ...]]:
    """``keep_rows`` / ``drop_rows``: source column -> its values (one value or a list; numbers as text)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{key} must map source columns to values, got {data!r}")
    out: dict[str, tuple[str, ...]] = {}
    for column, values in data.items():
        listed = values if isinstance(values, list | tuple) else [values]
        if not listed or any(v is None or isinstance(v, dict | list) for v in listed):
            raise ConfigError(f"{key}.{column}: give a value or a list of values, got {values!r}")
        out[str(column)] = tuple(str(v) for v in listed)
    return out


_MAPPINGS = resources.files("cxray.io") / "mappings"


def builtin_mappings() -> list[str]:
    """Names of the built-in mappings, sorted."""
    return sorted(p.name.removesuffix(".yaml") for p in _MAPPINGS.iterdir() if p.name.endswith(".yaml"))


def _adapters() -> list[str]:
    """The platform adapters (``io/readers``: Amazon Connect...) a mapping name may also be."""
    from .readers import adapters  # the readers import the options, which import this module

    return adapters()


def _check_canonical(d: dict[str, Any], where: str) -> None:
    bad = sorted(k for k in d if k not in S.CANONICAL)
    if bad:
        raise ConfigError(f"{where}: {bad} are not canonical columns; they are: {', '.join(S.CANONICAL)}")


def _columns(d: dict[str, Any]) -> Columns:
    out: Columns = {}
    for k, v in d.items():
        if isinstance(v, list | tuple):
            if not v:
                raise ConfigError(f"columns.{k}: an empty list names no source column")
            out[str(k)] = tuple(str(x) for x in v)
        elif v is None or str(v) == "":
            raise ConfigError(f"columns.{k}: no source column given")
        else:
            out[str(k)] = str(v)
    return out


def _str_dict(d: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in d.items()}


def _wide_event(d: dict[str, Any]) -> WideEvent:
    if not isinstance(d, dict) or "activity" not in d or "timestamp" not in d:
        raise ConfigError(f"each entry of events needs 'activity' and 'timestamp', got {d!r}")
    known = {f.name for f in fields(WideEvent)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ConfigError(f"unknown keys {unknown} in events entry; known: {sorted(known)}")
    return WideEvent(
        activity=str(d["activity"]),
        timestamp=str(d["timestamp"]),
        date=None if d.get("date") is None else str(d["date"]),
        formats=tuple(str(f) for f in d.get("formats") or ()),
        duration=None if d.get("duration") is None else str(d["duration"]),
        absent=tuple(str(a) for a in d.get("absent") or ()),
        columns=_columns(d.get("columns") or {}),
        constants=_str_dict(d.get("constants") or {}),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
