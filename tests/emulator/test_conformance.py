"""The conformance check (sagemaker_emulator/conformance.py) catches each kind of violation, in
each protocol, on synthetic answers, and passes conforming ones; it is wired into the emulator."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sagemaker_emulator import Emulator, conformance
from sagemaker_emulator.conformance import check
from sagemaker_emulator.dispatch import HANDLERS, service_key

T = 1_700_000_000.5
ISO = "2023-11-14T22:13:20.500Z"
JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1"}
CBOR_HEADERS = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
XML_HEADERS = {"Content-Type": "text/xml"}


def violations(*args: Any, **kwargs: Any) -> str:
    return "\n".join(check(*args, **kwargs))


# -- a small CBOR encoder (decoding is botocore's) -----------------------------------------------

def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(value: Any) -> bytes:
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if value is None:
        return b"\xf6"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        return _head(3, len(value.encode())) + value.encode()
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    if isinstance(value, datetime):
        return b"\xc1" + cbor(value.timestamp())  # tag 1: epoch seconds
    raise TypeError(type(value))


# -- JSON (SageMaker) ---------------------------------------------------------------------------

def group(**changes: Any) -> dict[str, Any]:
    body = {"ModelPackageGroupName": "fraud", "CreationTime": T,
            "ModelPackageGroupArn": "arn:aws:sagemaker:us-east-1:123456789012:"
                                    "model-package-group/fraud",
            "CreatedBy": {"UserProfileName": "someone"}, "ModelPackageGroupStatus": "Completed"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def describe_group(body: dict[str, Any]) -> str:
    return violations("sagemaker", "DescribeModelPackageGroup", 200, JSON_HEADERS,
                      json.dumps(body))


def test_json_conforming_answer_passes() -> None:
    assert describe_group(group()) == ""
    assert describe_group(group(NextToken=None, ModelPackageGroupDescription=None)) == ""


def test_json_missing_required_member() -> None:
    assert describe_group(group(CreatedBy=...)) == (
        "sagemaker DescribeModelPackageGroup: CreatedBy: required member missing")


def test_json_wrong_types() -> None:
    found = describe_group(group(CreationTime=ISO, ModelPackageGroupName=7,
                                 CreatedBy={"UserProfileName": ["x"]}))
    assert "CreationTime: expected timestamp (epoch seconds), got str" in found
    assert "ModelPackageGroupName: expected string, got int 7" in found
    assert "CreatedBy.UserProfileName: expected string, got list" in found


def test_json_bad_enum_value() -> None:
    assert describe_group(group(ModelPackageGroupStatus="Done")) == (
        "sagemaker DescribeModelPackageGroup: ModelPackageGroupStatus: 'Done' is not a value of "
        "the enum ModelPackageGroupStatus")


def test_json_unknown_member() -> None:
    found = describe_group(group(Tags=[], CreatedBy={"UserProfileName": "x", "Who": "me"}))
    assert "Tags: member not in the model" in found
    assert "CreatedBy.Who: member not in the model" in found


def test_json_nested_lists_and_numbers() -> None:
    endpoint = {"EndpointName": "e", "EndpointArn": "arn", "EndpointStatus": "InService",
                "CreationTime": T, "LastModifiedTime": T,
                "ProductionVariants": [{"VariantName": "a", "CurrentWeight": 1,
                                        "CurrentInstanceCount": 1.5}]}
    assert violations("sagemaker", "DescribeEndpoint", 200, JSON_HEADERS, json.dumps(endpoint)) \
        == "sagemaker DescribeEndpoint: ProductionVariants[0].CurrentInstanceCount: expected " \
           "integer, got float 1.5"


def test_a_member_aws_omits_despite_the_model_is_not_required() -> None:
    """DataCaptureConfigSummary.KmsKeyId is required in the model, but DescribeEndpoint leaves it
    out without a customer-managed key (shape_check.OPTIONAL_IN_FACT); its siblings stay required.
    """
    endpoint = {"EndpointName": "e", "EndpointArn": "arn", "EndpointStatus": "InService",
                "CreationTime": T, "LastModifiedTime": T,
                "DataCaptureConfig": {"EnableCapture": True, "CaptureStatus": "Started",
                                      "CurrentSamplingPercentage": 20,
                                      "DestinationS3Uri": "s3://b/capture"}}
    assert violations("sagemaker", "DescribeEndpoint", 200, JSON_HEADERS,
                      json.dumps(endpoint)) == ""
    del endpoint["DataCaptureConfig"]["DestinationS3Uri"]
    assert violations("sagemaker", "DescribeEndpoint", 200, JSON_HEADERS,
                      json.dumps(endpoint)) == (
        "sagemaker DescribeEndpoint: DataCaptureConfig.DestinationS3Uri: required member missing")


def test_json_operations_without_output() -> None:
    assert violations("sagemaker", "DeleteModel", 200, JSON_HEADERS, "") == ""
    assert violations("sagemaker", "DeleteModel", 200, JSON_HEADERS, "{}") == ""
    assert "without output: Deleted" in violations("sagemaker", "DeleteModel", 200,
                                                   JSON_HEADERS, '{"Deleted": true}')


def test_json_errors() -> None:
    def error(code: str, status: int, action: str = "DescribePipeline",
              injected: bool = False) -> str:
        return violations("sagemaker", action, status, JSON_HEADERS,
                          json.dumps({"__type": code, "message": "m"}), injected=injected)

    assert error("ResourceNotFound", 400) == ""  # declared by DescribePipeline
    assert error("ValidationException", 400) == ""  # common
    assert error("ThrottlingException", 400) == ""
    assert error("InternalFailure", 500, injected=True) == ""
    assert error("ServiceUnavailable", 503, injected=True) == ""
    assert error("NoSuchPipeline", 400) == (
        "sagemaker DescribePipeline: error code 'NoSuchPipeline' (HTTP 400) is neither declared "
        "by the operation nor a common AWS error")
    assert "ResourceNotFound answered with HTTP 503" in error("ResourceNotFound", 503, injected=True)
    assert "common error ValidationException answered with HTTP 404" in error(
        "ValidationException", 404)
    assert error("InternalFailure", 500) == (
        "sagemaker DescribePipeline: HTTP 500 that was not injected: moto crashed or lacks the "
        "operation")
    assert "HTTP 500 that was not injected" in violations(
        "sagemaker", "DeleteModelPackage", 500, {"Content-Type": "text/html"},
        "<html>Internal Server Error</html>")


def test_modeled_error_status() -> None:
    body = json.dumps({"Message": "exists"})
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": "ConflictException"}
    assert violations("scheduler", "CreateSchedule", 409, headers, body) == ""
    assert violations("scheduler", "CreateSchedule", 400, headers, body) == (
        "scheduler CreateSchedule: error ConflictException answered with HTTP 400; the model "
        "says 409")


def test_rest_json_skips_members_outside_the_body() -> None:
    assert violations("scheduler", "CreateSchedule", 200, {"Content-Type": "application/json"},
                      json.dumps({"ScheduleArn": "arn:aws:scheduler:::schedule/default/s"})) == ""
    summary = {"Arn": "a", "Name": "s", "GroupName": "default", "State": "ENABLED",
               "CreationDate": T, "LastModificationDate": T, "Target": {"Arn": "t"},
               "ScheduleExpression": "rate(1 hour)"}
    assert violations("scheduler", "ListSchedules", 200, {}, json.dumps(
        {"Schedules": [summary]})) == ("scheduler ListSchedules: Schedules[0].ScheduleExpression: "
                                       "member not in the model (ScheduleSummary)")


def test_unknown_operation() -> None:
    assert violations("sagemaker", "DescribeNothing", 200, {}, "{}") == (
        "sagemaker DescribeNothing: not an operation of botocore's model")


# -- CBOR (CloudWatch's smithy-rpc-v2-cbor) --------------------------------------------------------

def alarm(**changes: Any) -> dict[str, Any]:
    body = {"AlarmName": "a", "StateValue": "OK", "Period": 60, "Threshold": 1.5,
            "ActionsEnabled": True, "StateUpdatedTimestamp": datetime.fromtimestamp(T, UTC),
            "Dimensions": [{"Name": "EndpointName", "Value": "e"}]}
    body.update(changes)
    return body


def describe_alarms(*alarms: dict[str, Any], protocol_headers: dict[str, str] = CBOR_HEADERS
                    ) -> str:
    return violations("cloudwatch", "DescribeAlarms", 200, protocol_headers,
                      cbor({"MetricAlarms": list(alarms), "CompositeAlarms": []}))


def test_cbor_conforming_answer_passes() -> None:
    assert describe_alarms(alarm()) == ""


def test_cbor_violations() -> None:
    found = describe_alarms(alarm(Dimensions=[{"Name": "EndpointName"}], Period="60",
                                  StateValue="FIRING", Color="red",
                                  StateUpdatedTimestamp="yesterday"))
    assert "MetricAlarms[0].Dimensions[0].Value: required member missing" in found
    assert "MetricAlarms[0].Period: expected integer, got str '60'" in found
    assert "MetricAlarms[0].StateValue: 'FIRING' is not a value of the enum StateValue" in found
    assert "MetricAlarms[0].Color: member not in the model (MetricAlarm)" in found
    assert "MetricAlarms[0].StateUpdatedTimestamp: expected timestamp" in found


def test_cbor_errors() -> None:
    assert violations("cloudwatch", "DescribeAlarms", 400, CBOR_HEADERS,
                      cbor({"__type": "InvalidNextToken", "message": "m"})) == ""
    assert "error code 'Teapot' (HTTP 418)" in violations(
        "cloudwatch", "DescribeAlarms", 418, CBOR_HEADERS, cbor({"__type": "Teapot"}))
    assert "not valid for the smithy-rpc-v2-cbor protocol" in violations(
        "cloudwatch", "DescribeAlarms", 200, CBOR_HEADERS, b"\xff\xff")


# -- XML (query: STS, CloudWatch; rest-xml: S3) --------------------------------------------------

def query(action: str, result: str) -> str:
    return (f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<{action}Result>{result}</{action}Result>"
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>")


CREDENTIALS = ("<Credentials><AccessKeyId>AK</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
               "<SessionToken>t</SessionToken><Expiration>{expiration}</Expiration>"
               "</Credentials>")


def assume_role(expiration: str = ISO, extra: str = "") -> str:
    body = CREDENTIALS.format(expiration=expiration) + extra + (
        "<AssumedRoleUser><AssumedRoleId>AR:s</AssumedRoleId><Arn>arn</Arn></AssumedRoleUser>"
        "<PackedPolicySize>6</PackedPolicySize>")
    return violations("sts", "AssumeRole", 200, XML_HEADERS, query("AssumeRole", body))


def test_query_conforming_answers_pass() -> None:
    assert assume_role() == ""
    assert violations("sts", "GetCallerIdentity", 200, XML_HEADERS, query(
        "GetCallerIdentity", "<UserId>u</UserId><Account>123456789012</Account><Arn>a</Arn>")) \
        == ""
    alarms = ("<MetricAlarms><member><AlarmName>a</AlarmName><StateValue>OK</StateValue>"
              "<Period>60</Period><Dimensions><member><Name>N</Name><Value>v</Value></member>"
              "</Dimensions><StateUpdatedTimestamp>" + ISO + "</StateUpdatedTimestamp>"
              "</member></MetricAlarms><CompositeAlarms/>")
    assert violations("cloudwatch", "DescribeAlarms", 200, XML_HEADERS,
                      query("DescribeAlarms", alarms)) == ""


def test_query_violations() -> None:
    found = assume_role(expiration="soon", extra="<Color>red</Color>")
    assert "Credentials.Expiration: expected timestamp, got 'soon'" in found
    assert "Color: member not in the model (AssumeRoleResponse)" in found
    missing = violations("sts", "AssumeRole", 200, XML_HEADERS, query(
        "AssumeRole", "<Credentials><AccessKeyId>AK</AccessKeyId></Credentials>"))
    assert "Credentials.SecretAccessKey: required member missing" in missing
    alarms = ("<MetricAlarms><member><StateValue>FIRING</StateValue><Period>x</Period>"
              "<Dimensions><member><Name>N</Name></member></Dimensions></member>"
              "<item/></MetricAlarms>")
    found = violations("cloudwatch", "DescribeAlarms", 200, XML_HEADERS,
                       query("DescribeAlarms", alarms))
    assert "MetricAlarms[0].StateValue: 'FIRING' is not a value of the enum StateValue" in found
    assert "MetricAlarms[0].Period: expected integer, got 'x'" in found
    assert "MetricAlarms[0].Dimensions[0].Value: required member missing" in found
    assert "MetricAlarms: element <item> where <member> was expected" in found


def test_query_errors() -> None:
    def error(code: str, status: int) -> str:
        return violations("sts", "AssumeRole", status, XML_HEADERS,
                          f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                          "<Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>")

    assert error("MalformedPolicyDocument", 400) == ""  # declared
    assert error("ValidationError", 400) == ""  # common
    assert "error code 'NoSuchRole' (HTTP 404)" in error("NoSuchRole", 404)


def test_rest_xml_flattened_lists() -> None:
    listing = ('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
               "<Name>b</Name><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>"
               "<Contents><Key>a</Key><Size>1</Size><StorageClass>STANDARD</StorageClass>"
               f"<LastModified>{ISO}</LastModified></Contents>"
               "<Contents><Key>b</Key><Size>2</Size></Contents>{extra}</ListBucketResult>")
    headers = {"Content-Type": "application/xml"}
    assert violations("s3", "ListObjectsV2", 200, headers, listing.format(extra="")) == ""
    found = violations("s3", "ListObjectsV2", 200, headers, listing.format(
        extra="<Contents><Key>c</Key><Size>big</Size><StorageClass>GOLD</StorageClass>"
              "</Contents><Owner2/>"))
    assert "Contents[2].Size: expected long, got 'big'" in found
    assert "Contents[2].StorageClass: 'GOLD' is not a value of the enum ObjectStorageClass" \
        in found
    assert "Owner2: member not in the model" in found
    assert violations("s3", "GetObject", 200, {}, b"\x00raw bytes") == ""  # a blob payload
    assert violations("s3", "HeadBucket", 404, headers, b"") == ""  # NoSuchBucket, by status


# -- wiring -------------------------------------------------------------------------------------

def test_the_emulator_reports_only_when_enabled(emu: Emulator, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A handler answering outside the model is reported to the file the environment names,
    and its answer is not altered; without the variable nothing is written."""
    key = (service_key("sagemaker"), "ListModels")
    monkeypatch.setitem(HANDLERS, key, lambda ctx, params: {"Models": [], "Extra": 1})
    target = tmp_path / "violations.jsonl"
    monkeypatch.setenv(conformance.ENV, str(target))
    sm = emu.client("sagemaker")
    assert sm.list_models()["Models"] == []
    assert [json.loads(line) for line in target.read_text().splitlines()] == [
        {"service": "sagemaker", "action": "ListModels",
         "violation": "sagemaker ListModels: Extra: member not in the model "
                      "(ListModelsOutput)"}]
    monkeypatch.delenv(conformance.ENV)
    sm.list_models()
    assert len(target.read_text().splitlines()) == 1


def test_a_crash_is_reported(emu: Emulator, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: Any, params: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setitem(HANDLERS, (service_key("sagemaker"), "ListModels"), boom)
    target = tmp_path / "violations.jsonl"
    monkeypatch.setenv(conformance.ENV, str(target))
    with pytest.raises(KeyError):
        emu.client("sagemaker").list_models()
    assert "HTTP 500 that was not injected: the emulator raised KeyError" in target.read_text()


def test_injected_faults_conform(emu: Emulator, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    target = tmp_path / "violations.jsonl"
    monkeypatch.setenv(conformance.ENV, str(target))
    sm = emu.client("sagemaker")
    for error in ("throttle", "5xx", "503"):
        emu.inject(error, service="sagemaker", action="ListModels")
        with pytest.raises(ClientError):
            sm.list_models()
    assert not target.exists()
