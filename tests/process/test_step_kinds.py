"""Step kinds: every activity name gets a kind from one documented vocabulary, whatever a system calls it."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from cxray.errors import ConfigError
from cxray.io import Mapping, ReadOptions, read_events
from cxray.process import step_kinds as sk
from cxray.process.step_kinds import STEP_KIND, StepKinds, stage_step_kinds, step_kind, words
from cxray.testing import load_rows

DOCS = Path(__file__).resolve().parents[2] / "docs"

NAMES = [
    # authenticate: the verification step under the names real systems give it
    ("ID&V", "authenticate"),
    ("ID & V", "authenticate"),
    ("IDV", "authenticate"),
    ("KBA check", "authenticate"),
    ("Identity verification", "authenticate"),
    ("Verify caller", "authenticate"),
    ("VerifyCaller", "authenticate"),
    ("Security check", "authenticate"),
    ("SECURITY_CHECK", "authenticate"),
    ("Bot authenticated", "authenticate"),
    ("Authentication", "authenticate"),
    ("Authenticate", "authenticate"),
    ("Caller verified", "authenticate"),
    ("Auth", "authenticate"),
    ("2FA", "authenticate"),
    ("OTP sent", "authenticate"),
    ("Verifizierung", "authenticate"),
    ("Kundenverifizierung", "authenticate"),
    ("Identitätsprüfung", "authenticate"),
    ("verificatie", "authenticate"),
    ("Verificación", "authenticate"),
    ("Vérification", "authenticate"),
    # the other kinds
    ("Gather details", "gather_details"),
    ("Collect information", "gather_details"),
    ("Case status checked", "status_check"),
    ("Where is my order", "status_check"),
    ("Transfer", "transfer"),
    ("Warm transfer to billing", "transfer"),
    ("Bot: handoff to agent", "transfer"),
    ("Reassignment", "transfer"),
    ("Customer on hold", "hold"),
    ("Wait", "hold"),
    ("Wait - User", "hold"),
    ("Accepted - Wait - User", "hold"),
    ("Awaiting User Info", "hold"),
    ("Pending vendor", "hold"),
    ("Queue wait", "queue_wait"),
    ("Queued - Awaiting Assignment", "queue_wait"),
    ("Waiting in queue", "queue_wait"),
    ("Callback requested", "callback"),
    ("Rückruf", "callback"),
    ("Escalate to tier 2", "escalation"),
    ("Post-call survey", "survey"),
    ("NPS", "survey"),
    ("After-contact work", "after_contact_work"),
    ("ACW", "after_contact_work"),
    ("Wrap-up", "after_contact_work"),
    ("Bot: answer given", "self_service_answer"),
    ("FAQ shown", "self_service_answer"),
    ("Accepted - In Progress", "in_progress"),
    ("Work in progress", "in_progress"),
    ("In Bearbeitung", "in_progress"),
    ("Status Change", "status_change"),
    ("Change status to pending", "status_change"),
    ("Statusänderung", "status_change"),
    ("Accepted - Assigned", "assignment"),
    ("Take in charge ticket", "assignment"),
    ("Resolve ticket", "resolution"),
    ("Completed - Closed", "resolution"),
    # negatives: a word of a kind, another meaning
    ("Authorise refund", None),  # approving an action is not proving who you are
    ("Transfer funds", None),  # a bank customer's business, not a handoff
    ("Funds transfer", None),
    ("Wire transfer", None),
    ("Password reset", None),
    ("PIN reset", None),
    ("Assign seriousness", None),  # setting a priority, not taking the case
    ("VERIFIED", None),  # a bug's resolution status
    ("W_Valideren aanvraag", None),  # validating a loan application
    ("Status", None),  # the word alone is neither a status check nor a status change
    ("Vendor Reference", None),
    ("Agent handling", None),
    ("Threshold exceeded", None),
    ("", None),
]


@pytest.mark.parametrize(("name", "kind"), NAMES, ids=[n or "empty" for n, _ in NAMES])
def test_names_get_their_kind(name, kind):
    assert step_kind(name) == kind


def test_words_fold_case_accents_separators_and_camel_case():
    assert words("ID&V") == words("id & v") == words("Id/V") == "id v"
    assert words("VérificationClient") == "verification client"
    assert words("KBAcheck") == "kb acheck"  # only a lower-case word after capitals is split off


# Every activity of the public logs (docs/data-quality.md), with the kind it must get: no misfires.
REAL = {
    ("bpic2013-incidents", "bpic2013/BPI_Challenge_2013_incidents.xes"): {
        "Accepted - In Progress": "in_progress",
        "Queued - Awaiting Assignment": "queue_wait",
        "Completed - Resolved": "resolution",
        "Completed - Closed": "resolution",
        "Accepted - Wait - User": "hold",
        "Accepted - Assigned": "assignment",
        "Completed - In Call": "resolution",
        "Accepted - Wait": "hold",
        "Accepted - Wait - Implementation": "hold",
        "Accepted - Wait - Vendor": "hold",
        "Accepted - Wait - Customer": "hold",
        "Unmatched - Unmatched": None,
        "Completed - Cancelled": "resolution",
    },
    ("helpdesk", "helpdesk/helpdesk.xes"): {
        "Take in charge ticket": "assignment",
        "Assign seriousness": None,
        "Resolve ticket": "resolution",
        "Closed": "resolution",
        "Wait": "hold",
        "Require upgrade": None,
        "Insert ticket": None,
        "Create SW anomaly": None,
        "Resolve SW anomaly": "resolution",
        "Schedule intervention": None,
        "VERIFIED": None,
        "RESOLVED": "resolution",
        "INVALID": None,
        "DUPLICATE": None,
    },
    ("uci-servicenow", "uci-incident-servicenow/incident_event_log.csv"): {
        "Active": "in_progress",  # the incident state while it is worked
        "New": None,
        "Resolved": "resolution",
        "Closed": "resolution",
        "Awaiting User Info": "hold",
        "Awaiting Vendor": "hold",
        "Awaiting Problem": "hold",
        "Awaiting Evidence": "hold",
        "-100": None,
    },
    ("anonymous-bank", "anonymous-bank-callcenter/data_anonymous_bank_february.txt"): {
        "VRU": None,
        "Service": None,
        "Queue": "queue_wait",
    },
}
BPIC2014 = {  # the names that matter among its 39; the others must simply not be verification
    "Assignment": "assignment",
    "Reassignment": "transfer",
    "External Vendor Reassignment": "transfer",
    "Pending vendor": "hold",
    "Callback Request": "callback",
    "Status Change": "status_change",
    "Update from customer": None,
    "Communication with customer": None,
    "Operator Update": None,
    "Caused By CI": None,
    "Vendor Reference": None,
}


@pytest.mark.slow
@pytest.mark.parametrize(("mapping", "file"), list(REAL), ids=[f for _, f in REAL])
def test_every_activity_of_the_public_logs_gets_the_expected_kind(engine, shared_data, mapping, file):
    read_events([shared_data / file], engine, options=ReadOptions(mapping=Mapping.builtin(mapping)))
    stage_step_kinds(engine, "kinds")
    found = {r["activity"]: r[STEP_KIND] for r in engine.rows(f"SELECT activity, {STEP_KIND} FROM kinds")}
    assert found == REAL[(mapping, file)]


@pytest.mark.slow
def test_bpic2014_activities_are_classified_without_misfires(engine, shared_data):
    path = shared_data / "bpic2014" / "derived_incident_activity_EventLog.csv"
    read_events([path], engine, options=ReadOptions(mapping=Mapping.builtin("bpic2014-incident-activity")))
    names = [r["activity"] for r in engine.rows("SELECT DISTINCT activity FROM events")]
    found = StepKinds.builtin().classify(names)
    assert {n: found[n] for n in BPIC2014} == BPIC2014
    assert not {n for n, k in found.items() if k in ("authenticate", "gather_details", "status_check")}


def test_stage_step_kinds_gives_sql_a_table_with_null_for_no_kind(engine):
    load_rows(
        engine,
        [{"contact_id": "c", "timestamp": "2024-01-01 09:00", "activity": a} for a in ("ID&V", "Chat")],
    )
    stage_step_kinds(engine, "kinds")
    rows = engine.rows(f"SELECT activity, {STEP_KIND} FROM kinds ORDER BY 1")
    assert rows == [{"activity": "Chat", STEP_KIND: None}, {"activity": "ID&V", STEP_KIND: "authenticate"}]


# --- a user's vocabulary --------------------------------------------------------------------------------
def test_a_user_file_adds_phrases_kinds_and_exact_names_and_overrides_built_ins(tmp_path):
    path = tmp_path / "kinds.yaml"
    path.write_text(
        """
kinds:
  authenticate:
    match: [memorable word*]
  warranty_check:
    label: warranty check
    match: [warranty*]
other: [security check*]          # here a guard's round, not the caller's
activities:
  "Accepted - In Progress": assignment
  "Queue": other
""",
        encoding="utf-8",
    )
    kinds = StepKinds.from_yaml(path)
    assert kinds.classify(["Memorable word", "Warranty lookup", "Security check", "ID&V"]) == {
        "Memorable word": "authenticate",
        "Warranty lookup": "warranty_check",
        "Security check": None,
        "ID&V": "authenticate",  # the built-ins still hold
    }
    assert kinds.kind("accepted - in progress") == "assignment" and kinds.kind("Queue") is None
    assert (
        kinds.label("warranty_check") == "warranty check"
        and kinds.label("hold") == "hold / waiting on someone"
    )
    assert step_kind("Security check") == "authenticate"  # the built-in vocabulary is untouched


def test_a_user_file_can_start_from_nothing():
    kinds = StepKinds.from_dict({"builtin": False, "kinds": {"authenticate": {"match": ["pin"]}}})
    assert kinds.classify(["PIN", "ID&V"]) == {"PIN": "authenticate", "ID&V": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kinds: [unclosed", "not valid YAML"),
        ("kinds: {authenticate: {match: x}}", "kinds.authenticate.match: expected a list"),
        ("colours: {}", "unknown key 'colours'"),
        ("kinds: {Verify: {match: [x]}}", "not a kind name"),
        ("kinds: {authenticate: {matches: [x]}}", "unknown key 'matches'"),
        ("activities: {Login: signin}", "unknown kind 'signin'"),
        ("other: ['*']", "no words to match"),
        ("builtin: maybe", "builtin: expected true or false"),
        ("- a list", "must be a mapping"),
    ],
)
def test_a_bad_user_file_is_a_config_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "my-kinds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as exc:
        StepKinds.from_yaml(path)
    assert exc.value.path == str(path) and str(path) in str(exc.value)


def test_a_missing_user_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read step kinds"):
        StepKinds.from_yaml(tmp_path / "absent.yaml")


# --- documented ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(StepKinds.builtin().kinds))
def test_every_built_in_kind_is_documented(kind):
    """docs/step-kinds.md has a row for each kind of the built-in vocabulary."""
    assert f"| `{kind}` |" in (DOCS / "step-kinds.md").read_text(encoding="utf-8"), kind


def test_the_examples_in_the_module_and_its_page_run():
    for result in (
        doctest.testmod(sk, optionflags=doctest.ELLIPSIS),
        doctest.testfile(str(DOCS / "step-kinds.md"), module_relative=False, optionflags=doctest.ELLIPSIS),
    ):
        assert result.attempted > 0 and result.failed == 0, result
