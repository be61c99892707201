"""BPMN 2.0 models used by the conformance tests, written as modelling tools export them (bpmn: prefix,
named tasks, explicit gateways). Each is read both by :mod:`cxray.process.bpmn` and by pm4py (the oracle).
"""

from __future__ import annotations

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" '
    'targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.0.0">\n'
)


def _bpmn(process_id: str, body: str, flows: list[tuple[str, str]]) -> str:
    seq = "\n".join(
        f'    <bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />'
        for i, (a, b) in enumerate(flows)
    )
    process = f'  <bpmn:process id="{process_id}" isExecutable="false">\n{body}\n{seq}\n  </bpmn:process>\n'
    return f"{_HEAD}{process}</bpmn:definitions>\n"


# van der Aalst's running example: register, then (examine casually XOR thoroughly) in parallel with
# check ticket, decide, then reinitiate (loop back) or pay compensation / reject request.
RUNNING_EXAMPLE = _bpmn(
    "running_example",
    """    <bpmn:startEvent id="start" name="request received" />
    <bpmn:task id="register" name="register request" />
    <bpmn:exclusiveGateway id="x_loop" />
    <bpmn:parallelGateway id="and_split" />
    <bpmn:exclusiveGateway id="x_exam" />
    <bpmn:userTask id="casually" name="examine casually" />
    <bpmn:userTask id="thoroughly" name="examine thoroughly" />
    <bpmn:exclusiveGateway id="x_exam_join" />
    <bpmn:task id="check" name="check ticket" />
    <bpmn:parallelGateway id="and_join" />
    <bpmn:task id="decide" name="decide" />
    <bpmn:exclusiveGateway id="x_decision" />
    <bpmn:task id="reinitiate" name="reinitiate request" />
    <bpmn:task id="pay" name="pay compensation" />
    <bpmn:task id="reject" name="reject request" />
    <bpmn:exclusiveGateway id="x_end" />
    <bpmn:endEvent id="end" />""",
    [
        ("start", "register"), ("register", "x_loop"), ("x_loop", "and_split"),
        ("and_split", "x_exam"), ("x_exam", "casually"), ("x_exam", "thoroughly"),
        ("casually", "x_exam_join"), ("thoroughly", "x_exam_join"), ("x_exam_join", "and_join"),
        ("and_split", "check"), ("check", "and_join"), ("and_join", "decide"),
        ("decide", "x_decision"), ("x_decision", "reinitiate"), ("reinitiate", "x_loop"),
        ("x_decision", "pay"), ("x_decision", "reject"), ("pay", "x_end"), ("reject", "x_end"),
        ("x_end", "end"),
    ],
)  # fmt: skip

# The helpdesk ticket process (same as src/cxray/process/models/helpdesk.yaml, without targets):
# exclusive gateways only, so its directly-follows reading and its Petri-net reading accept the same traces.
HELPDESK = _bpmn(
    "helpdesk",
    """    <bpmn:startEvent id="start" />
    <bpmn:exclusiveGateway id="x_in" />
    <bpmn:task id="insert" name="Insert ticket" />
    <bpmn:exclusiveGateway id="x_in_join" />
    <bpmn:task id="assign" name="Assign seriousness" />
    <bpmn:exclusiveGateway id="x_take" />
    <bpmn:task id="take" name="Take in charge ticket" />
    <bpmn:exclusiveGateway id="x_after_take" />
    <bpmn:task id="wait" name="Wait" />
    <bpmn:exclusiveGateway id="x_after_wait" />
    <bpmn:task id="upgrade" name="Require upgrade" />
    <bpmn:task id="anomaly" name="Create SW anomaly" />
    <bpmn:exclusiveGateway id="x_resolve" />
    <bpmn:task id="resolve" name="Resolve ticket" />
    <bpmn:task id="closed" name="Closed" />
    <bpmn:endEvent id="end" />""",
    [
        ("start", "x_in"), ("x_in", "insert"), ("x_in", "x_in_join"), ("insert", "x_in_join"),
        ("x_in_join", "assign"), ("assign", "x_take"), ("x_take", "take"), ("take", "x_after_take"),
        ("x_after_take", "wait"), ("x_after_take", "upgrade"), ("x_after_take", "anomaly"),
        ("x_after_take", "x_resolve"), ("wait", "x_after_wait"), ("x_after_wait", "x_take"),
        ("x_after_wait", "x_resolve"), ("upgrade", "x_resolve"), ("anomaly", "x_resolve"),
        ("x_resolve", "resolve"), ("resolve", "closed"), ("closed", "end"),
    ],
)  # fmt: skip
