"""The context file: every key optional, every unknown key or wrong value a ConfigError naming it."""

from __future__ import annotations

import pytest

from cxray.errors import ConfigError
from cxray.plan.context import PlanContext, load_context

FULL = """
organisation:
  name: Acme Retail
  cx_functions: [Customer Experience, Contact Centre]
  change_capacity: 4
  decision_rights: {policy: COO, funding: CFO, workflow: Head of Ops, channel: Digital board}
  fixed_costs: {bpo_management: 120000, technology: 300000}
  value_per_retained_customer: 240
initiatives:
  - match: {code: TR01, queue: Orders phone}
    owner: Jo Bloggs
    owner_function: Operations
    lane: immediate
    one_off_cost: 20000
    run_cost: 2000
    depends_on: [IN01-nexa-bpo]
    approvals: [routing owner]
    systems: [Genesys]
    complexity: 2
    dependency_risk: 3
    policy_decided: true
    ai_use_case: false
    platform_validated: true
    target: 0.05
readiness: {vendor: "yes, within a quarter", decision_rights: COO decides, change_capacity: two at once}
vendors:
  - name: Vendor A
    scores: {workflow: 4, data: 3, service_model: 4, control: 2, adoption: 5}
    scenario_scores: {S-TR01-orders-phone: 4}
weights: {customer_effect: 2, vendor_areas: {workflow: 2}}
business_case: {realisation: {low: 0.2, expected: 0.4, high: 0.6}}
"""


def test_a_full_context_file_reads_every_key(tmp_path):
    path = tmp_path / "context.yaml"
    path.write_text(FULL, encoding="utf-8")
    ctx = load_context(path)
    assert ctx.organisation.change_capacity == 4 and ctx.organisation.fixed_costs["technology"] == 300000.0
    assert ctx.organisation.decision_rights.funding == "CFO"
    (entry,) = ctx.initiatives
    assert entry.match.given() == {"code": "TR01", "queue": "Orders phone"}
    assert entry.depends_on == ("IN01-nexa-bpo",) and entry.target == 0.05 and entry.policy_decided is True
    assert ctx.vendors[0].scores["adoption"] == 5 and ctx.weights.customer_effect == 2.0
    assert ctx.business_case.realisation.expected == 0.4 and ctx.given
    assert not load_context(None).given and not PlanContext.from_dict(None).given


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"organization": {}}, "unknown key 'organization'"),
        ({"organisation": {"change_capacity": 0}}, "organisation.change_capacity: expected a whole number"),
        (
            {"organisation": {"fixed_costs": {"bpo": "lots"}}},
            "organisation.fixed_costs.bpo: expected a number",
        ),
        ({"initiatives": [{"match": {}}]}, r"initiatives\[0\].match: give at least one"),
        (
            {"initiatives": [{"match": {"queue": "Q"}, "owner": "x", "onwer_function": "y"}]},
            "'onwer_function'",
        ),
        ({"initiatives": [{"match": {"code": "TR01"}, "complexity": 7}]}, r"initiatives\[0\].complexity"),
        ({"initiatives": [{"match": {"code": "TR01"}, "lane": "someday"}]}, "expected one of immediate"),
        ({"initiatives": [{"match": {"code": "TR01"}, "policy_decided": "no"}]}, "expected true or false"),
        ({"initiatives": {"TR01": {}}}, "initiatives: expected a list"),
        ({"vendors": [{"scores": {}}]}, r"vendors\[0\]: missing name"),
        ({"vendors": [{"name": "A", "scores": {"price": 3}}]}, "unknown area 'price'"),
        ({"vendors": [{"name": "A"}, {"name": "A"}]}, "each name once"),
        ({"business_case": {"realisation": {"low": 0.8}}}, "business_case.realisation: expected 0 <= low"),
        ({"weights": {"vendor_areas": {"cost": 1}}}, "weights.vendor_areas: unknown area 'cost'"),
    ],
)
def test_a_bad_context_is_refused_naming_the_file_and_the_key(body, message):
    with pytest.raises(ConfigError, match=message) as caught:
        PlanContext.from_dict(body, path="context.yaml")
    assert str(caught.value).startswith("context.yaml: ")


def test_a_context_file_that_is_not_yaml_or_absent_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_context(bad)
    with pytest.raises(ConfigError, match="cannot read the context file"):
        load_context(tmp_path / "missing.yaml")
