"""The few lines a person reads after a run: rows accounted for, headline KPIs, the top breakdowns.

A library function, not CLI code, so ``cxray diagnose`` and ``cxray demo`` say the same thing and a notebook
can print it too. Every number comes from the diagnosis as written to ``diagnosis.json``; a metric the log
cannot support says why (``n/a (needs customer_id)``) rather than showing a blank or a zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from . import schema as S

if TYPE_CHECKING:
    from .diagnose import DataCheck
    from .diagnosis import Diagnosis
    from .io import InputSummary

#: The headline KPIs: label, key of ``metrics["overall"]`` and how the value reads.
HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("contacts", "contacts", "count"),
    ("FCR", "fcr", "share"),
    ("reported FCR", "reported_fcr", "share"),
    ("repeat contact rate", "repeat_contact_rate", "share"),
    ("true containment", "true_containment_rate", "share"),
    ("cost per resolution", "cost_per_resolved_journey", "money"),
)
#: Files whose counts the summary lists (all are in diagnosis.json).
PER_FILE = 10
#: Rejection reasons of survey responses named in the summary (the most frequent; all are in diagnosis.json).
SURVEY_REASONS = 3


def input_lines(i: InputSummary) -> list[str]:
    """What reading found, as the summary says it: adapters recognised, rows read, kept and rejected (per
    file when several), where the columns came from, records left out, phone ids rewritten."""
    lines = [
        f"read {path} as {i.adapters[path]} (recognised from its fields; --mapping to choose another)"
        for path in i.detected
    ]
    # a wide layout or a platform export gives several events a record: say both, or a 21-row file
    # "read 31 rows"
    several = i.records_read and i.records_read != i.rows_read
    read = f"{i.rows_read} events from {i.records_read} records" if several else f"{i.rows_read} rows"
    lines.append(
        f"read {read}: kept {i.rows_kept}, rejected {i.rows_rejected}, "
        f"duplicates dropped {i.duplicates_dropped}"
    )
    if len(i.per_file) == 1 and _sources(i.per_file[0].columns):  # which column was taken for what
        lines.append(f"columns: {_sources(i.per_file[0].columns)}")
    if len(i.per_file) > 1:  # several systems' exports: which one lost rows
        for f in i.per_file[:PER_FILE]:
            lines.append(
                f"  {f.file}: read {f.rows_read:,}, kept {f.rows_kept:,}, rejected {f.rows_rejected:,}, "
                f"duplicates {f.duplicates_dropped:,}{_clock(f.clock, f.day_order)}"
            )
            if _sources(f.columns):
                lines.append(f"    columns: {_sources(f.columns)}")
        if len(i.per_file) > PER_FILE:
            lines.append(f"  ... {len(i.per_file) - PER_FILE} more files (diagnosis.json: input.per_file)")
    if i.records_left_out:
        why = ", ".join(f"{reason} {n:,}" for reason, n in i.records_left_out.items())
        lines.append(f"left out {sum(i.records_left_out.values()):,} record(s) that give no event: {why}")
    if i.phone_ids:
        lines.append(
            f"customer ids as phone numbers: {i.phone_ids['rewritten']:,} written in E.164, "
            f"{i.phone_ids['not_valid']:,} not valid numbers kept as written"
        )
    return lines


def check_lines(check: DataCheck) -> list[str]:
    """A data check (``diagnose --check``, :func:`cxray.check_data`) as the command prints it: what was
    read, the contacts, customers and journeys, every data-quality warning whole, and the verdict."""
    i, dq = check.input, check.data_quality
    lines = input_lines(i)
    if i.rejected_by_reason:
        lines.append("rejected: " + ", ".join(f"{r} {n:,}" for r, n in i.rejected_by_reason.items()))
        for r in check.rejected:
            where = f"{r['file']}, row {r['row']}" + (f", column {r['column']!r}" if r["column"] else "")
            shown = "" if r["value"] is None else f": {r['value']!r}"
            lines.append(f"  {where}: {r['reason']}{shown}")
    period = f", events {i.time_start} to {i.time_end}" if i.time_start else ""
    lines.append(
        f"contacts {check.contacts:,}, customers {check.customers:,}, journeys {check.journeys:,}{period}"
    )
    for w in dq.warnings:
        lines.append(f"{w.code} ({w.count:,}): {w.message}")
        if w.examples:
            lines.append(f"  e.g. {'; '.join(w.examples[:3])}")
    handled = sum(w.handled for w in dq.warnings)
    also = f" ({handled} data-quality warning(s) handled, as told above)" if handled else ""
    if check.clean:
        lines.append(f"clean: no row rejected, no data-quality warning to fix{also}")
    else:
        lines.append(
            f"to look at: {i.rows_rejected:,} row(s) rejected (rejected.csv when diagnosed), "
            f"{len(dq.warnings) - handled} data-quality warning(s) to fix{also}"
        )
    return lines


def headline(diagnosis: Diagnosis, *, top: int = 5) -> list[str]:
    """Lines summing up a diagnosis: the input rows (and survey responses, when there were any), the
    headline KPIs, the top ``top`` breakdowns.

    For example (``cxray diagnose`` prints each line after ``cxray: ``)::

        read 10 rows: kept 9, rejected 1, duplicates dropped 0
        surveys: read 23 responses: kept 20, rejected 3 (score missing: 3)
        contacts               1,234
        FCR                    61.1%
        reported FCR           72.0%
        repeat contact rate    n/a (needs customer_id)
        ...
        top breakdowns:
          #1 Billing disputes come back within 7 days
    """
    lines = input_lines(diagnosis.input)
    lines.extend(_surveys(diagnosis))
    currency = (diagnosis.options.get("costs") or {}).get("currency", "")
    width = max(len(label) for label, _, _ in HEADLINE) + 3
    for label, key, kind in HEADLINE:
        metric = diagnosis.metrics.metric(key)
        value = metric.value
        measured = key in diagnosis.metrics.overall  # computed, with nothing to measure: say so
        shown = (
            _value(value, kind, currency) if value is not None else _missing(metric.disabled, key * measured)
        )
        lines.append(f"{label:<{width}}{shown}")
    if diagnosis.metrics.cost_basis == "estimated_from_touches":
        lines.append("(no handle times in the data: costs are estimated from touches)")
    warnings = diagnosis.data_quality.warnings
    if warnings:
        to_fix = [w for w in warnings if not w.handled]
        handled = [w for w in warnings if w.handled]
        if handled:
            codes = ", ".join(f"{w.code} ({w.count:,})" for w in handled)
            lines.append(f"data quality: {len(handled)} warning(s) handled as the report explains: {codes}")
        if to_fix:
            codes = ", ".join(f"{w.code} ({w.count:,})" for w in to_fix)
            lines.append(
                f"data quality: {len(to_fix)} warning(s) to fix in the input, the numbers follow the data "
                f"as read until then: {codes}"
            )
            # what the next command fixes is said where that command is typed, not only in the report
            lines += [f"{w.code}: {w.message}" for w in to_fix]
    return lines + _breakdowns(diagnosis, top)


def clock_text(clock: str | None, day_order: str | None = None) -> str:
    """``in UTC``, ``with their UTC offset``: what a file's timestamps were read in (``FileCounts.clock``),
    the first thing to compare when two systems' files keep different clocks, and how their numeric dates
    were read (``in Europe/Paris, day first``); empty when neither is known. The summary's per-file lines
    and the report's file table say it alike.

    >>> clock_text("UTC", "day first"), clock_text("offset"), clock_text(None, "month first")
    ('in UTC, day first', 'with their UTC offset', 'month first')
    """
    zone = "" if clock is None else "with their UTC offset" if clock == S.OFFSET_CLOCK else f"in {clock}"
    return ", ".join(x for x in (zone, day_order) if x)


def _clock(clock: str | None, day_order: str | None) -> str:
    text = clock_text(clock, day_order)
    return f", times {text}" if text else ""


def _sources(columns: dict[str, str]) -> str:
    """``contact_id=Call ID, channel='phone' (constant)``: where each canonical column was read from,
    those read from a column of their own name left out (empty when every one is)."""
    return ", ".join(f"{canonical}={source}" for canonical, source in columns.items() if source != canonical)


def _surveys(diagnosis: Diagnosis) -> list[str]:
    """The survey responses read, kept and rejected, with the main reasons: a run whose every response
    was rejected must say so where it is read, not only in ``diagnosis.json``. Nothing without surveys."""
    doc = diagnosis.voc["input"]
    if doc is None:
        return []
    line = (
        f"surveys: read {doc['rows_read']:,} responses: kept {doc['rows_kept']:,}, "
        f"rejected {doc['rows_rejected']:,}"
    )
    reasons = list(doc["rejected_by_reason"].items())  # most frequent first
    if reasons:
        shown = "; ".join(f"{reason}: {n:,}" for reason, n in reasons[:SURVEY_REASONS])
        more = f"; {len(reasons) - SURVEY_REASONS} more reason(s)" if len(reasons) > SURVEY_REASONS else ""
        line += f" ({shown}{more})"
    if doc["unmatched"]:
        line += f", {doc['unmatched']:,} matched to no contact"
    return [line]


def _value(value: float, kind: str, currency: str) -> str:
    if kind == "count":
        return f"{value:,}"
    if kind == "share":
        return f"{value:.1%}"
    return f"{value:,.2f} {currency}".rstrip()


def _missing(reason: str | None, key: str = "") -> str:
    """``n/a`` with why: the log lacks a field (``reason``), or nothing was there to measure (``EMPTY``)."""
    reason = reason or EMPTY.get(key)
    return f"n/a ({reason})" if reason else "n/a"


#: Why a headline measure the log could support has no value: its denominator is empty (metrics.py).
EMPTY: Final = {
    "fcr": "every identified customer's journey ends within the repeat window of the data's end",
    "repeat_contact_rate": "every identified contact ends within the repeat window of the data's end",
    "true_containment_rate": "no uncensored bot or IVR contact of an identified customer",
    "cost_per_resolved_journey": "no journey known resolved (a censored one is not known yet)",
}


def _breakdowns(diagnosis: Diagnosis, top: int) -> list[str]:
    """The top breakdowns, or why there are none: a silent list reads like a failed run."""
    shown = diagnosis.breakdowns[:top]
    if shown:
        return ["top breakdowns:", *(f"  #{b['rank']} {b['title']}" for b in shown)]
    s = diagnosis.breakdown_summary
    set_aside = s.get("set_aside") or []
    if set_aside:
        titles = "; ".join(f["title"] for f in set_aside)
        why = f"only rare but severe findings, set aside: {titles}"
    elif s.get("n_findings"):
        why = f"{s['n_findings']} finding(s), none ranked above the others"
    else:
        why = "no detector found a pattern above its baseline"
    return [f"no breakdown stood out: {why}"]


def redacted_headline(diagnosis: Diagnosis, *, salt: str, top: int = 5) -> list[str]:
    """``headline`` as ``--redact`` prints it: breakdown titles name queues, reasons or customers, so ids
    are pseudonymised (with the run's ``salt``, as in its files) and emails and phone numbers masked."""
    from .exports import known_ids
    from .redact import Redactor, strings

    lines = headline(diagnosis, top=top)
    ids = known_ids([diagnosis.contacts(), diagnosis.journeys()], strings(lines))
    redactor = Redactor(salt, ids)
    return [redactor.text(line) for line in lines]


__all__ = ["HEADLINE", "headline", "redacted_headline"]
