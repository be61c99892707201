"""Customer ids that are phone numbers, read in E.164 with a phone region (cxray.io.phones)."""

from __future__ import annotations

from pathlib import Path

import pytest
from io_helpers import column, read_one, write

from cxray import diagnose
from cxray.engine import Engine
from cxray.errors import ConfigError
from cxray.io import Mapping, ReadOptions, read_events
from cxray.io.phones import e164


def test_valid_numbers_of_the_region_are_written_in_e164_and_the_rest_kept():
    """The forms a UK number takes in exports, one E.164 id; an email, an account number, a number that is
    not valid in the region (Ofcom's drama range 07700 900xxx) are not rewritten, the last one counted."""
    values = ["07911 123456", "0044 7911 123456", "+44 (0)7911 123456", "447911123456", "+447911123456",
              "020 7946 0018", "ann@example.com", "12345", "07700 900123"]  # fmt: skip
    found, not_valid = e164(values, "GB")
    assert found == {
        "07911 123456": "+447911123456",
        "0044 7911 123456": "+447911123456",
        "+44 (0)7911 123456": "+447911123456",
        "447911123456": "+447911123456",
        "020 7946 0018": "+442079460018",
    }  # '+447911123456' is already written so
    assert not_valid == 1  # the drama number; the email and the 5-digit account are no numbers at all
    us, _ = e164(["(212) 456-7890", "1-212-456-7890"], "US")
    assert set(us.values()) == {"+12124567890"}


CALLS = "contact_id,customer_id,timestamp,activity\n" + "".join(
    f"call{i},+447911{i:06d},2025-03-0{1 + i % 5} 09:00,Call\n" for i in range(30)
)
CHATS = (
    "contact_id,customer_id,timestamp,activity\n"
    + "".join(f"chat{i},07911 {i:06d},2025-03-0{1 + i % 5} 08:30,Chat\n" for i in range(30))
    + "chatX,07911 000001,not a time,Chat\n"
)


def test_a_phone_region_joins_two_systems_that_write_numbers_differently(engine: Engine, tmp_path: Path):
    """Read apart, the call and chat systems share no customer (told as unlinked_files); the chat file's
    phone region (its own mapping) writes its ids as the call system does, and each customer's chat and
    call are one journey. A rejected row keeps its id as written in rejected.csv."""
    calls, chats = write(tmp_path, "calls.csv", CALLS), write(tmp_path, "chats.csv", CHATS)
    apart = diagnose([calls, chats])
    assert "unlinked_files" in {w.code for w in apart.data_quality.warnings}
    assert "--phone-region" in next(
        w.message for w in apart.data_quality.warnings if w.code == "unlinked_files"
    )
    read = ReadOptions(file_mappings={"chats.csv": Mapping(phone_region="gb")})
    joined = diagnose([calls, chats], read=read)
    assert joined.input.phone_ids == {"rewritten": 30, "not_valid": 0}
    assert "unlinked_files" not in {w.code for w in joined.data_quality.warnings}
    assert joined.metrics.overall["contacts"] == 60
    assert joined.journeys().num_rows == 30 < apart.journeys().num_rows  # one journey per customer
    s = read_events([calls, chats], engine, options=read)
    assert s.rows_rejected == 1 and "07911 000001" in str(engine.rows("SELECT * FROM rejected"))
    assert "07911 000001" not in column(engine, "customer_id")
    assert apart.input.phone_ids == {}


def test_a_phone_region_is_a_known_country_and_the_options_win_over_the_mapping(engine, tmp_path):
    with pytest.raises(ConfigError, match="phone_region 'UK'"):
        Mapping(phone_region="UK")  # the ISO code is GB
    with pytest.raises(ConfigError, match="phone_region"):
        ReadOptions(phone_region="XX")
    assert Mapping.from_dict({"phone_region": "us"}).phone_region == "US"
    both = ReadOptions(mapping=Mapping(phone_region="US"), phone_region="GB")
    assert both.effective_phone_region == "GB"
    path = write(
        tmp_path, "c.csv", "contact_id,customer_id,timestamp,activity\nk,07911 123456,2025-03-01,A\n"
    )
    read_one(engine, path, mapping=Mapping(phone_region="GB"))
    assert column(engine, "customer_id") == ["+447911123456"]
