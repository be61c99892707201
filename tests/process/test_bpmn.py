"""BPMN 2.0 import: gateways become direct transitions, parallel branches interleave, unsafe XML refused."""

from __future__ import annotations

import pytest
from conformance_models import _HEAD, RUNNING_EXAMPLE, _bpmn

from cxray.errors import ConfigError
from cxray.process.bpmn import parse_bpmn
from cxray.process.model import END, START


def test_running_example_expands_gateways_and_interleaves_parallel_branches() -> None:
    m = parse_bpmn(RUNNING_EXAMPLE.encode())
    exam = {"examine casually", "examine thoroughly"}
    expected = {(START, "register request"), ("pay compensation", END), ("reject request", END)}
    for src in ("register request", "reinitiate request"):  # the loop re-enters the parallel split
        expected |= {(src, x) for x in exam | {"check ticket"}}
    expected |= {(x, "check ticket") for x in exam} | {("check ticket", x) for x in exam}  # interleavings
    expected |= {(x, "decide") for x in exam | {"check ticket"}}  # whichever branch finishes last
    expected |= {("decide", x) for x in ("reinitiate request", "pay compensation", "reject request")}
    assert m.transitions == expected
    # the exclusive choice between the examinations is not an interleaving
    assert ("examine casually", "examine thoroughly") not in m.transitions
    # every completion passes register, check ticket (the parallel branch) and decide; neither exam alone
    assert m.required == ("check ticket", "decide", "register request")
    assert m.looping_steps() >= {"decide", "check ticket", "reinitiate request"}
    assert m.notes and "interleaving" in m.notes[0]


def test_names_are_whitespace_normalised_and_tasks_of_every_kind_count() -> None:
    xml = _bpmn(
        "p",
        '<bpmn:startEvent id="s"/><bpmn:serviceTask id="a" name="  Look\n up&#10;account "/>'
        '<bpmn:intermediateCatchEvent id="timer"/><bpmn:callActivity id="b" name="Refund"/>'
        '<bpmn:subProcess id="c"><bpmn:task id="inner" name="hidden"/></bpmn:subProcess>'
        '<bpmn:endEvent id="e"/>',
        [("s", "a"), ("a", "timer"), ("timer", "b"), ("b", "c"), ("c", "e")],
    )
    m = parse_bpmn(xml.encode())
    assert m.steps == ("Look up account", "Refund", "c")  # a nameless sub-process is named by its id
    assert ("Look up account", "Refund") in m.transitions  # through the pass-through timer event
    assert m.required == m.steps


def test_inclusive_split_interleaves_but_requires_no_branch() -> None:
    xml = _bpmn(
        "p",
        '<bpmn:startEvent id="s"/><bpmn:inclusiveGateway id="o"/><bpmn:task id="a" name="A"/>'
        '<bpmn:task id="b" name="B"/><bpmn:inclusiveGateway id="j"/><bpmn:endEvent id="e"/>',
        [("s", "o"), ("o", "a"), ("o", "b"), ("a", "j"), ("b", "j"), ("j", "e")],
    )
    m = parse_bpmn(xml.encode())
    assert {("A", "B"), ("B", "A"), (START, "A"), ("B", END)} <= m.transitions
    assert m.required == ()


XXE = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + ']><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</bpmn:definitions>'
)


@pytest.mark.parametrize(
    "xml", [XXE, LAUGHS, "<!DOCTYPE html><html/>"], ids=["xxe", "billion-laughs", "doctype"]
)
def test_doctype_and_entities_are_refused_before_parsing(xml: str) -> None:
    with pytest.raises(ConfigError, match="XXE guard"):
        parse_bpmn(xml.encode())


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<bpmn:definitions", "not well-formed"),
        (_HEAD + "</bpmn:definitions>", "no BPMN <process>"),
        (_bpmn("p", '<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>', [("s", "e")]), "no tasks"),
        (_bpmn("p", '<bpmn:task id="a" name="A"/>', []), "start event and an end event"),
        (
            _bpmn("p", '<bpmn:startEvent id="s"/><bpmn:task id="a"/><bpmn:endEvent id="e"/>', [("s", "zz")]),
            "unknown or unsupported",
        ),
    ],
)
def test_bad_bpmn_is_a_config_error(xml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_bpmn(xml.encode(), path="m.bpmn")
