"""The input transformer on the examples of the EventBridge user guide (eb-transform-target-input)
and the JSON paths it supports (sagemaker_emulator/event_transform.py)."""

from __future__ import annotations

import json

import pytest

from sagemaker_emulator.event_transform import MISSING, json_path, minified, render, transform

EVENT = {
    "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
    "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}}
PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}
RULE = "arn:aws:events:us-east-2:123456789012:rule/example"


def transformed(template: str) -> str:
    target = {"InputTransformer": {"InputPathsMap": PATHS, "InputTemplate": template}}
    return transform(target, EVENT, RULE, "example", 1_447_277_394.0)


@pytest.mark.parametrize(("template", "output"), [
    ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
    ('"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"'),
    ('{\n  "instance" : <instance>,\n  "state": <state>\n}',
     '{"instance":"i-0123456789","state":"RUNNING"}'),
    ('{\n "instance" : <instance>,\n "state": "<state>",\n '
     '"instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
     '{"instance":"i-0123456789","state":"RUNNING",'
     '"instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}'),
    ('{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
     '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}'),
    ('"<aws.events.rule-name> triggered"', '"example triggered"'),
])
def test_the_user_guides_examples(template: str, output: str) -> None:
    assert transformed(template) == output


def test_reserved_variables_in_json() -> None:
    out = json.loads(transformed('{"instance": <instance>, "ruleArn": <aws.events.rule-arn>, '
                                 '"ruleName": <aws.events.rule-name>, '
                                 '"originalEvent": <aws.events.event>}'))
    assert out == {"instance": "i-0123456789", "ruleArn": RULE, "ruleName": "example",
                   "originalEvent": EVENT}


def test_a_variable_whose_path_is_missing_is_not_created() -> None:
    target = {"InputTransformer": {"InputPathsMap": {"gone": "$.detail.nothing"},
                                   "InputTemplate": '"[<gone>]"'}}
    assert transform(target, EVENT, RULE, "example", 0.0) == '"[]"'
    assert render("<undefined> stays out", {}) == " stays out"


def test_without_a_transformer_the_target_gets_the_event_input_or_path() -> None:
    assert json.loads(transform({}, EVENT, RULE, "r", 0.0)) == EVENT
    assert transform({"Input": '{"fixed": true}'}, EVENT, RULE, "r", 0.0) == '{"fixed": true}'
    assert transform({"InputPath": "$.detail"}, EVENT, RULE, "r", 0.0) == \
        '{"instance-id":"i-0123456789","state":"RUNNING"}'


@pytest.mark.parametrize(("path", "value"), [
    ("$.detail.instance-id", "i-0123456789"),
    ("$.resources[0]", "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"),
    ("$.detail.*", ["i-0123456789", "RUNNING"]),
    ("$", EVENT),
    ("$.resources[3]", MISSING),
    ("$.detail.state.deeper", MISSING),
    ("detail.state", MISSING),
])
def test_json_paths(path: str, value: object) -> None:
    assert json_path(EVENT, path) == value


def test_text_that_is_not_json_is_sent_as_it_is() -> None:
    assert minified("i-0123456789 is in state RUNNING") == "i-0123456789 is in state RUNNING"
