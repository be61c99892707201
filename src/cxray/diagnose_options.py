"""Every option of a diagnosis in one frozen value: :class:`DiagnoseOptions`, loadable from YAML.

``diagnose(source, DiagnoseOptions(...))`` and ``diagnose_spark`` take it; ``cxray diagnose --config FILE``
loads it (:func:`load_options`), its flags overriding the file's values. Each part is the typed options of
the step it drives: reading (``ReadOptions``), journeys and metrics (``AnalysisOptions``), prices
(``CostModel``), the breakdown ranking (``FinderOptions``, ``top``), each detector's own settings by code,
conformance (``ConformanceOptions``), incentive thresholds (``IncentiveOptions``), the documented process
and the declared parties. :func:`settings_table` renders them, with their defaults, for docs/cli.md.

>>> DiagnoseOptions(top=3, detectors={"MH01": {"min_hops": 4}}).top
3
>>> DiagnoseOptions(detectors={"MH01": {"hops": 4}})
Traceback (most recent call last):
...
cxray.errors.ConfigError: detectors.MH01: unknown setting 'hops' (known: min_hops, thresholds)
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .costs import CostModel
from .errors import ConfigError
from .findings.finder import FinderOptions
from .incentives import IncentiveOptions, Party, load_parties
from .incentives.parties import parties_from_list
from .io import ReadOptions
from .options import AnalysisOptions
from .process.conformance import ConformanceOptions
from .process.model import ProcessModel, load_model
from .voc import VocOptions
from .yamlio import load_yaml

if TYPE_CHECKING:
    from .findings.base import Detector


@dataclass(frozen=True, kw_only=True)
class DiagnoseOptions:
    """All the options of one diagnosis, with their defaults.

    Attributes
    ----------
    read:
        How the event files are read and mapped (``cxray.io.ReadOptions``).
    analysis:
        Repeat window, journeys, flow map and data-quality guards (``cxray.options.AnalysisOptions``).
    costs:
        The cost model every finding is priced in (``cxray.costs.CostModel``; in YAML a file or the keys).
    finder:
        How findings are de-duplicated and set aside (``cxray.findings.FinderOptions``).
    top:
        Breakdowns listed in ``breakdowns`` (every finding stays in ``all_findings``).
    detectors:
        Settings of individual detectors by code, each a detector's ``__init__`` keywords, e.g.
        ``{"MH01": {"min_hops": 4}, "PW01": {"thresholds": {"min_lift": 2.0}}}``; a nested mapping updates
        that setting's dataclass. An unknown code or keyword is a ConfigError naming it.
    conformance:
        Examples and rows listed by conformance (``cxray.process.conformance.ConformanceOptions``).
    incentives:
        Thresholds of the incentive detectors IN01-IN03 (``cxray.incentives.IncentiveOptions``).
    model:
        The documented process (``cxray.process.model.load_model``; in YAML a file); None: inferred.
    parties:
        The parties and the KPI each is measured on (``cxray.incentives.load_parties``; in YAML a file or
        the list); None: bot and IVR on containment, every team on handle time.
    voc:
        Survey files, how responses are matched, alert and intervention thresholds
        (``cxray.voc.VocOptions``, docs/voc.md).
    """

    read: ReadOptions = field(default_factory=ReadOptions)
    analysis: AnalysisOptions = field(default_factory=AnalysisOptions)
    costs: CostModel = field(default_factory=CostModel)
    finder: FinderOptions = field(default_factory=FinderOptions)
    top: int = 5
    detectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    conformance: ConformanceOptions = field(default_factory=ConformanceOptions)
    incentives: IncentiveOptions = field(default_factory=IncentiveOptions)
    model: ProcessModel | None = None
    parties: tuple[Party, ...] | None = None
    voc: VocOptions = field(default_factory=VocOptions)

    def __post_init__(self) -> None:
        if isinstance(self.top, bool) or not isinstance(self.top, int) or self.top < 1:
            raise ConfigError(f"top must be an integer >= 1, got {self.top!r}")
        if self.parties is not None:
            object.__setattr__(self, "parties", tuple(self.parties))
        object.__setattr__(self, "detectors", _check_detectors(self.detectors))

    @classmethod
    def from_yaml(cls, path: str | Path) -> DiagnoseOptions:
        """Read the options from a YAML file (keys as the attributes, each optional); ConfigError naming the
        file and the key. Files it names (``costs``, ``model``, ``parties``, ``read.mapping``,
        ``read.file_mappings``) are
        relative to its folder."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read options: {exc.strerror or exc}", path=p) from None
        data = load_yaml(text, path=p)
        return cls.from_dict({} if data is None else data, path=p)

    @classmethod
    def from_dict(cls, data: Any, *, path: str | Path | None = None) -> DiagnoseOptions:
        """The options from plain data as read from YAML (see :meth:`from_yaml`)."""
        where = Path(path) if path is not None else None
        base = where.parent if where is not None else Path()
        if not isinstance(data, dict):
            raise ConfigError("options must be a mapping of keys to values", path=where)
        _no_unknown(data, [f.name for f in dataclasses.fields(cls)], "", where)
        kw: dict[str, Any] = {}
        for key, value in data.items():
            try:
                kw[key] = _section(key, value, base, where)
            except ConfigError as exc:
                raise _named(exc, key, where) from None
        try:
            return cls(**kw)
        except ConfigError as exc:
            raise _named(exc, None, where) from None

    def replace(self, **changes: Any) -> DiagnoseOptions:
        """A copy with ``changes`` (e.g. the command line's flags over a file's values)."""
        return dataclasses.replace(self, **changes)

    def overridden(
        self,
        *,
        read: dict[str, Any] | None = None,
        analysis: dict[str, Any] | None = None,
        quality: dict[str, Any] | None = None,
        **parts: Any,
    ) -> DiagnoseOptions:
        """A copy with some fields of ``read``, ``analysis`` and ``analysis.quality`` changed and whole
        parts replaced (``costs=...``, ``top=...``): the command line's flags over a file's values."""
        new_analysis = dataclasses.replace(self.analysis, **(analysis or {}))
        if quality:
            new_analysis = dataclasses.replace(
                new_analysis, quality=dataclasses.replace(new_analysis.quality, **quality)
            )
        return dataclasses.replace(
            self,
            read=dataclasses.replace(self.read, **(read or {})),
            analysis=new_analysis,
            **parts,
        )

    def build_detectors(self) -> list[Detector]:
        """One instance of every registered detector, in code order, with its settings from ``detectors``."""
        from .findings.registry import registered_detectors

        return [cls(**self.detectors.get(code, {})) for code, cls in registered_detectors().items()]

    def to_dict(self) -> dict[str, Any]:
        """What ``diagnosis.json`` records under ``options``."""
        return {
            "analysis": asdict(self.analysis),
            "costs": self.costs.to_dict(),
            "read": self.read.to_dict(),
            "model": self.model.name if self.model else None,
            "parties": [asdict(p) for p in self.parties] if self.parties else None,
            "finder": asdict(self.finder),
            "top": self.top,
            "detectors": {code: _plain(s) for code, s in sorted(self.detectors.items())},
            "conformance": asdict(self.conformance),
            "incentives": asdict(self.incentives),
            "voc": asdict(self.voc),
        }


def load_options(path: str | Path) -> DiagnoseOptions:
    """``DiagnoseOptions.from_yaml(path)``."""
    return DiagnoseOptions.from_yaml(path)


# --- YAML -> typed options ---------------------------------------------------------------------------
def _named(exc: ConfigError, key: str | None, path: Path | None) -> ConfigError:
    """``exc`` naming ``key`` and the options file (a file it already names, e.g. a cost model's, stays)."""
    message = exc.message if key is None or exc.message.startswith(key) else f"{key}: {exc.message}"
    return ConfigError(message, path=exc.path or path)


def _no_unknown(data: dict[Any, Any], known: list[str], prefix: str, path: Path | None) -> None:
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(prefix + u for u in unknown)}; expected some of "
            f"{', '.join(prefix + k for k in sorted(known))}",
            path=path,
        )


def _section(key: str, value: Any, base: Path, path: Path | None) -> Any:
    if key == "read":
        value = _mapping(value, "read")
        if isinstance(value.get("mapping"), str) and (base / value["mapping"]).is_file():
            value = {**value, "mapping": base / value["mapping"]}
        if isinstance(value.get("file_mappings"), dict):  # mapping files relative to the options file
            own = value["file_mappings"]
            value = {**value, "file_mappings": {
                k: base / v if isinstance(v, str) and (base / v).is_file() else v for k, v in own.items()
            }}  # fmt: skip
        return _dataclass(ReadOptions(), value, "read", path)
    if key == "costs":
        if isinstance(value, str):
            return CostModel.from_yaml(base / value)
        _no_unknown(_mapping(value, key), [f.name for f in dataclasses.fields(CostModel)], "costs.", path)
        return CostModel(**value)
    if key == "model":
        if not isinstance(value, str):
            raise ConfigError(f"expected a file (YAML or BPMN), got {value!r}")
        return load_model(base / value)
    if key == "parties":
        if isinstance(value, str):
            return load_parties(base / value)
        if not isinstance(value, list):
            raise ConfigError(f"expected a file or a list of {{name, kpi, target}}, got {value!r}")
        return parties_from_list(value, path=path)
    if key == "detectors":
        return {str(code): _mapping(s, f"detectors.{code}") for code, s in _mapping(value, key).items()}
    if key == "top":
        return value
    if key == "analysis" and isinstance(value, dict) and isinstance(value.get("step_kinds"), str):
        value = {**value, "step_kinds": str(base / value["step_kinds"])}  # relative to the options file
    defaults = {
        "analysis": AnalysisOptions(),
        "finder": FinderOptions(),
        "conformance": ConformanceOptions(),
        "incentives": IncentiveOptions(),
        "voc": VocOptions(),
    }
    return _dataclass(defaults[key], value, key, path)


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping of keys to values, got {value!r}")
    return value


def _dataclass(default: Any, value: Any, key: str, path: Path | None) -> Any:
    """``default`` with the keys of ``value`` replaced; a nested mapping updates a nested dataclass."""
    value = _mapping(value, key)
    names = [f.name for f in dataclasses.fields(default) if f.init]
    _no_unknown(value, names, f"{key}.", path)
    changes = {k: _coerce(getattr(default, k), v, f"{key}.{k}", path) for k, v in value.items()}
    try:
        return dataclasses.replace(default, **changes)
    except TypeError as exc:
        raise ConfigError(f"{key}: {exc}", path=path) from None


def _coerce(default: Any, value: Any, key: str, path: Path | None) -> Any:
    """A YAML value in the shape of the setting's default: mappings into dataclasses, lists into tuples."""
    if dataclasses.is_dataclass(default) and not isinstance(default, type) and isinstance(value, dict):
        return _dataclass(default, value, key, path)
    if isinstance(value, list):
        return tuple(_coerce(None, v, key, path) for v in value)
    if isinstance(value, dict) and not dataclasses.is_dataclass(default):
        return {k: _coerce(None, v, key, path) for k, v in value.items()}
    return value


def _check_detectors(settings: Any) -> dict[str, dict[str, Any]]:
    """Each code registered, each keyword one of its detector's ``__init__``; values coerced to the
    shape of the keyword's default, and the detector built once so its own checks run now."""
    if not isinstance(settings, dict):
        raise ConfigError(f"detectors: expected a mapping of codes to settings, got {settings!r}")
    if not settings:
        return {}
    from .findings.registry import registered_detectors

    known = registered_detectors()
    out: dict[str, dict[str, Any]] = {}
    for code, given in settings.items():
        cls = known.get(code)
        if cls is None:
            raise ConfigError(f"detectors: unknown detector code {code!r} (known: {', '.join(known)})")
        params = {
            n: p
            for n, p in inspect.signature(cls.__init__).parameters.items()
            if n != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        }
        given = _mapping(given, f"detectors.{code}")
        for name in given:
            if name not in params:
                raise ConfigError(
                    f"detectors.{code}: unknown setting {name!r} (known: {', '.join(params) or 'none'})"
                )
        values = {
            n: _coerce(None if params[n].default is inspect.Parameter.empty else params[n].default, v,
                       f"detectors.{code}.{n}", None)
            for n, v in given.items()
        }  # fmt: skip
        try:
            cls(**values)
        except (ConfigError, TypeError, ValueError) as exc:
            message = exc.message if isinstance(exc, ConfigError) else str(exc)
            raise ConfigError(f"detectors.{code}: {message}") from None
        out[str(code)] = values
    return out


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses as dicts, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- the settings table ------------------------------------------------------------------------------
#: Meanings of settings whose class documents them elsewhere.
_MEANINGS: dict[str, str] = {
    "analysis.quality": "a threshold of the data-quality guards ([data-quality.md](data-quality.md))",
    "analysis.quality.opening_hours": "a channel's opening hours, `{phone: [7, 22]}` (`*` for every "
    "channel); inferred when empty",
    "conformance.examples": "contact ids listed per deviation",
    "conformance.top": "rows per conformance list (0 = all)",
    "costs": "a cost model file, or its keys inline ([costs.md](costs.md))",
    "model": "the documented process, a YAML or BPMN 2.0 file ([conformance.md](conformance.md))",
    "parties": "a parties file, or the list of `{name, kpi, target}` ([incentives.md](incentives.md))",
    "detectors": "settings of individual detectors by code, e.g. `MH01: {min_hops: 4}` "
    "([breakdowns.md](breakdowns.md))",
}
#: How a part with a computed default is shown.
_FACTORY_SHOWN: dict[str, str] = {"costs": "built-in", "detectors": "none"}
#: The ``cxray diagnose`` flag that overrides a setting (flags win over the options file).
_FLAGS: dict[str, str] = {
    "read.mapping": "--mapping",
    "read.tz": "--tz",
    "read.dayfirst": "--dayfirst",
    "read.time_format": "--time-format",
    "read.keep_duplicates": "--keep-duplicates",
    "read.drop_overlap": "--drop-overlap",
    "read.reader_options": "--reader-option",
    "read.file_mappings": "--mapping FILE=MAPPING",
    "read.file_tz": "--tz FILE=ZONE",
    "read.sheet": "--sheet",
    "read.phone_region": "--phone-region",
    "analysis.window_days": "--window-days",
    "analysis.any_reason": "--any-reason",
    "analysis.top_variants": "--top-variants",
    "analysis.keep_bulk": "--keep-bulk",
    "analysis.quality.opening_hours": "--opening-hours",
    "analysis.step_kinds": "--step-kinds",
    "costs": "--costs",
    "top": "--top",
    "model": "--model",
    "parties": "--parties",
    "voc.surveys.files": "--surveys",
    "voc.surveys.columns": "--survey-map",
    "voc.surveys.survey_type": "--survey-type",
    "voc.surveys.scores": "--survey-score",
}
_SECTIONS: tuple[tuple[str, Any], ...] = (
    ("read", ReadOptions),
    ("analysis", AnalysisOptions),
    ("finder", FinderOptions),
    ("conformance", ConformanceOptions),
    ("incentives", IncentiveOptions),
    ("voc", VocOptions),
)


def settings_table() -> str:
    """The options of :class:`DiagnoseOptions` as a Markdown table (``key | default | flag | meaning``),
    rendered from the dataclasses' fields and docstrings: the table of docs/cli.md."""
    rows = ["| key | default | flag | meaning |", "|---|---|---|---|"]
    top_doc = _attribute_docs(DiagnoseOptions)
    for f in dataclasses.fields(DiagnoseOptions):
        section = dict(_SECTIONS).get(f.name)
        if section is None:
            meaning = _MEANINGS.get(f.name, top_doc.get(f.name, ""))
            if f.default is dataclasses.MISSING:
                rows.append(_row(f.name, None, meaning, shown=_FACTORY_SHOWN[f.name]))
            else:
                rows.append(_row(f.name, f.default, meaning))
            continue
        rows.extend(_rows(f.name, section()))
    return "\n".join(rows) + "\n"


def _rows(prefix: str, instance: Any) -> list[str]:
    """One row per field of a dataclass instance; a nested dataclass's fields under ``prefix.name``."""
    docs, out = _attribute_docs(type(instance)), []
    for sub in dataclasses.fields(instance):
        key, value = f"{prefix}.{sub.name}", getattr(instance, sub.name)
        if dataclasses.is_dataclass(value):
            out.extend(_rows(key, value))
        else:
            out.append(_row(key, value, _MEANINGS.get(key, docs.get(sub.name, _MEANINGS.get(prefix, "")))))
    return out


def _row(key: str, default: Any, meaning: str, *, shown: str | None = None) -> str:
    flag = f"`{_FLAGS[key]}`" if key in _FLAGS else ""
    return f"| `{key}` | {shown or _shown(default)} | {flag} | {_markdown(meaning)} |"


def _markdown(text: str) -> str:
    """A docstring's reST as Markdown: ````x```` and ``:class:`x``` as ```x```; pipes escaped."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")
    return text.replace("|", "\\|")


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict) and not value:
        return "none"
    return f"`{value}`"


def _attribute_docs(cls: type) -> dict[str, str]:
    """``name: text`` of a numpydoc ``Attributes`` section (``a, b:`` documents both), one line each, and
    of ``#:`` comments above a field (Sphinx's attribute comments)."""
    doc = inspect.getdoc(cls) or ""
    match = re.search(r"Attributes\n-+\n(.*?)(?:\n\S[^\n]*\n-+\n|\Z)", doc, re.S)
    out: dict[str, str] = _comment_docs(cls)
    if not match:
        return out
    names: list[str] = []
    for line in match.group(1).splitlines():
        if line and not line.startswith(" ") and line.rstrip().endswith(":"):
            names = [n.strip() for n in line.rstrip()[:-1].split(",")]
            for n in names:
                out[n] = ""
        elif line.startswith(" ") and names:
            for n in names:
                out[n] = (out[n] + " " + line.strip()).strip()
    return out


def _comment_docs(cls: type) -> dict[str, str]:
    """``#: text`` lines right above ``name: type = default`` in the class body."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    comment: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("#:"):
            comment.append(stripped[2:].strip())
            continue
        field_match = re.match(r"(\w+)\s*:", stripped)
        if comment and field_match:
            out[field_match.group(1)] = " ".join(comment)
        comment = []
    return out


__all__ = ["DiagnoseOptions", "load_options", "settings_table"]
