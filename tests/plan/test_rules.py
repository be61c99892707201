"""The cut rules, the five questions, the waves and the briefs, on a simulated centre's diagnosis."""

from __future__ import annotations

import pytest

from cxray.plan import PlanContext, make_plan
from cxray.plan.brief import BriefDoc
from cxray.plan.rules import CUT_RULES, QUESTIONS


def _ids(plan, code):
    return next(i["id"] for i in plan["initiatives"] if i["code"] == code)


def _owned(doc, **extra):
    """A context naming an owner outside CX, and a target, for every initiative."""
    draft = make_plan(doc)
    entries = [
        {"match": {"id": i["id"]}, "owner": f"lead of {i['code']}", "owner_function": "Operations",
         "target": 0.01}
        for i in draft["initiatives"]
    ]  # fmt: skip
    return {"organisation": {"cx_functions": ["Customer Experience"]}, "initiatives": entries, **extra}


def test_without_a_context_the_plan_is_a_draft_that_says_what_it_needs(doc):
    plan = make_plan(doc)
    assert plan["draft"] and not any(i["cut"] for i in plan["initiatives"])
    assert plan["needs_from_people"][0].startswith("a context file")
    assert all(i["concept"] for i in plan["initiatives"])  # nobody owns anything yet
    assert any("name the owner" in n for n in plan["needs_from_people"])
    # A usable draft still: every initiative is sequenced, three at a time.
    scheduled = [iid for w in plan["waves"] for iid in w["initiatives"]]
    assert sorted(scheduled) == sorted(i["id"] for i in plan["initiatives"])
    assert all(len(w["initiatives"]) <= 3 for w in plan["waves"]) and plan["capacity"] == 3


def test_an_initiative_owned_only_inside_cx_is_cut_with_that_reason(doc):
    body = _owned(doc)
    bo = _ids(make_plan(doc), "BO01")
    next(e for e in body["initiatives"] if e["match"]["id"] == bo)["owner_function"] = "customer experience"
    plan = make_plan(doc, PlanContext.from_dict(body))
    cut = {i["id"]: i["cut"] for i in plan["initiatives"] if i["cut"]}
    assert set(cut) == {bo}
    assert cut[bo]["rule"] == "owner" and cut[bo]["label"] == CUT_RULES["owner"]
    assert "inside the CX function" in cut[bo]["reason"]
    assert bo not in [iid for w in plan["waves"] for iid in w["initiatives"]]
    assert not plan["draft"]


@pytest.mark.parametrize(
    ("flags", "rule"),
    [
        ({"policy_decided": False}, "policy"),
        ({"platform_validated": False}, "platform"),
        ({"ai_use_case": True, "target": None}, "vague-ai"),  # cannot say how success is measured
    ],
)
def test_the_other_cut_rules_apply_to_what_was_declared(doc, flags, rule):
    body = _owned(doc)
    pp = _ids(make_plan(doc), "PP01")  # no peer baseline of its own: without a target it cannot say
    entry = next(e for e in body["initiatives"] if e["match"]["id"] == pp)
    for k, v in flags.items():
        if v is None:
            entry.pop(k)
        else:
            entry[k] = v
    plan = make_plan(doc, PlanContext.from_dict(body))
    cut = [i for i in plan["initiatives"] if i["cut"]]
    assert [i["id"] for i in cut] == [entry["match"]["id"]] and cut[0]["cut"]["rule"] == rule


def test_an_ai_use_case_that_answers_the_five_questions_stays(doc):
    body = _owned(doc)
    body["initiatives"][0]["ai_use_case"] = True
    plan = make_plan(doc, PlanContext.from_dict(body))
    assert not any(i["cut"] for i in plan["initiatives"])


def test_once_owners_are_named_an_initiative_without_one_is_cut(doc):
    body = _owned(doc)
    dropped = body["initiatives"].pop()["match"]["id"]
    plan = make_plan(doc, PlanContext.from_dict(body))
    cut = {i["id"]: i["cut"] for i in plan["initiatives"] if i["cut"]}
    assert list(cut) == [dropped] and cut[dropped]["rule"] == "owner"


def test_the_five_questions_are_answered_by_the_data_and_the_context(doc):
    draft = make_plan(doc)
    owned = make_plan(doc, PlanContext.from_dict(_owned(doc)))
    for plan in (draft, owned):
        for i in plan["initiatives"]:
            assert [q["key"] for q in i["questions"]] == list(QUESTIONS)
            assert all((q["answer"] is None) == bool(q["needs"]) for q in i["questions"])
            assert i["concept"] == any(q["answer"] is None for q in i["questions"])
    tr = next(i for i in owned["initiatives"] if i["code"] == "TR01")
    answers = {q["key"]: q["answer"] for q in tr["questions"]}
    assert tr["where"]["reason"] in answers["journey"] and "transfer_rate" in answers["metric"]
    rate = next(b for b in doc["breakdowns"] if b["code"] == "TR01")["evidence"]["transfer_rate"]
    assert answers["measure"].endswith(f"from {rate:g} to 0.01")  # the context's target wins
    assert "lead of TR01" in answers["teams"] and not tr["concept"]


def test_dependencies_and_capacity_shape_the_waves(doc):
    body = _owned(
        doc,
    )
    body["organisation"]["change_capacity"] = 2
    plan0 = make_plan(doc)
    first, second = plan0["initiatives"][0]["id"], plan0["initiatives"][1]["id"]
    # The top initiative waits on the second; so it cannot be in the first wave.
    next(e for e in body["initiatives"] if e["match"]["id"] == first)["depends_on"] = [
        second,
        "ZZ99-elsewhere",
    ]
    plan = make_plan(doc, PlanContext.from_dict(body))
    wave = {i["id"]: i["wave"] for i in plan["initiatives"]}
    assert all(len(w["initiatives"]) <= 2 for w in plan["waves"]) and plan["capacity"] == 2
    assert wave[first] > wave[second]
    waits = next(i["waits"] for i in plan["initiatives"] if i["id"] == first)
    assert f"waits for {second}" in waits
    assert any("ZZ99-elsewhere" in w for w in plan["warnings"])
    dep = next(i for i in plan["initiatives"] if i["id"] == first)["dependency_risk"]
    assert "waits on" in dep["reason"]  # the dependency raises the risk screen
    # Each wave is full before the next opens, in priority order, unless a dependency holds one back.
    for w in plan["waves"][:-1]:
        assert len(w["initiatives"]) == 2


def test_a_dependency_on_a_cut_initiative_or_a_cycle_is_never_scheduled(doc):
    body = _owned(doc)
    a, b, c = (e["match"]["id"] for e in body["initiatives"][:3])
    body["initiatives"][0]["policy_decided"] = False  # a is cut
    body["initiatives"][1]["depends_on"] = [a]  # b waits on a cut initiative
    body["initiatives"][2]["depends_on"] = [c]  # c waits on itself
    plan = make_plan(doc, PlanContext.from_dict(body))
    by_id = {i["id"]: i for i in plan["initiatives"]}
    assert by_id[b]["wave"] is None and "off the roadmap" in by_id[b]["waits"]
    assert by_id[c]["wave"] is None and "cycle" in by_id[c]["waits"]


def test_every_brief_has_all_its_fields(doc):
    plan = make_plan(doc, PlanContext.from_dict(_owned(doc)))
    for i in plan["initiatives"]:
        brief = i["brief"]
        assert set(brief) == set(BriefDoc.__annotations__)
        assert brief["defect"] and brief["evidence"] and brief["target_workflow"]
        assert brief["systems"] and brief["approvals"]
        assert brief["success_measure"]["owner"] == f"lead of {i['code']}"
        assert brief["success_measure"]["target"] == 0.01
        assert brief["success_measure"]["baseline"] is not None, i["id"]


def test_the_plan_names_no_contact_or_customer(doc):
    """Briefs quote the evidence's numbers, never its example contacts (the report redacts those)."""
    import json

    examples = {e for b in doc["breakdowns"] for e in b["evidence"].get("examples", [])}
    text = json.dumps(make_plan(doc, PlanContext.from_dict(_owned(doc))))
    assert examples and not [e for e in examples if f'"{e}"' in text or f" {e}" in text]
