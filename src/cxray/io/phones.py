"""Customer ids that are phone numbers, written one way (E.164) so that two systems' exports join.

A phone system writes the caller as ``+447911123456``, a CRM or a chat system as ``07911 123456`` or
``0044 7911 123456``: the same customer, three ids, and no journey crosses between the systems
(``quality`` tells it as ``unlinked_files``). With a phone region (``ReadOptions.phone_region``, a
mapping's ``phone_region``: the country whose numbers are written without their country code), each
distinct customer id of the file that looks like a phone number and is a valid number there is
rewritten in E.164 (``+447911123456``) through ``phonenumbers`` (Google's libphonenumber metadata: which
prefixes a country strips, how long its numbers are). Anything else (an email, an account number, a
number not valid in the region) is kept as written and counted. Rows rejected keep their raw values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from .. import schema as S
from ..engine import Engine
from ..errors import ConfigError
from ..sql import ident, lit

#: The digits a phone number has: E.164 allows 15, written with a 00 prefix 17.
_DIGITS: Final = (6, 17)


@dataclass(frozen=True)
class PhoneCounts:
    """Distinct customer ids of the files read with a phone region: rewritten in E.164, and those that
    looked like a number but are not a valid one there (kept as written)."""

    rewritten: int = 0
    not_valid: int = 0


def check_region(region: str) -> str:
    """``region`` as phonenumbers knows it (an ISO 3166 country code, any case), or a ConfigError."""
    import phonenumbers

    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"phone_region {region!r} is not a country code phone numbers are known for (GB, US, DE...)"
        )
    return code


def e164(values: list[str], region: str) -> tuple[dict[str, str], int]:
    """Each of ``values`` that is a valid phone number of ``region`` -> its E.164 form, where it differs;
    and how many looked like numbers but are not valid ones."""
    import phonenumbers

    out: dict[str, str] = {}
    not_valid = 0
    for value in values:
        digits = sum(ch.isdigit() for ch in value)
        if not _DIGITS[0] <= digits <= _DIGITS[1]:
            continue
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            not_valid += 1
            continue
        if not phonenumbers.is_valid_number(number):
            not_valid += 1
            continue
        written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if written != value:
            out[value] = written
    return out, not_valid


def normalise_phones(
    engine: Engine, table: str, files: dict[int, str], *, file: str, kept: str
) -> PhoneCounts:
    """Rewrite the customer ids of ``table``'s kept rows (``kept``: SQL true for them) of each file
    (``file``: its column of file numbers; ``files``: file number -> phone region) in E.164."""
    rewritten = not_valid = 0
    column = ident(S.CUSTOMER_ID)
    for index, region in files.items():
        values = [
            str(v)
            for (v,) in engine.fetchall(
                f"""SELECT DISTINCT {column} FROM {table}
                    WHERE {file} = {index} AND {kept} AND regexp_matches({column}, {lit(S.PHONE_LIKE)})"""
            )
        ]
        found, bad = e164(values, region)
        not_valid += bad
        if not found:
            continue
        rewritten += len(found)
        pairs = "_cxray_phone_ids"
        engine.register(pairs, pa.table({"raw": list(found), "e164": list(found.values())}))
        try:
            engine.execute(
                f"""UPDATE {table} SET {column} = p.e164 FROM {pairs} p
                    WHERE {table}.{column} = p.raw AND {table}.{file} = {index} AND {kept}"""
            )
        finally:
            engine.unregister(pairs)
    return PhoneCounts(rewritten, not_valid)
