"""The Resource Groups Tagging API sees SageMaker hosting resources (ownership in a few calls)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import variant

OWNED = [{"Key": "sagectl:managed-by", "Value": "sagectl"}]


@pytest.fixture
def fleet(emu: Emulator) -> Any:
    """250 tagged resources: 84 models, 83 configs, 83 endpoints; plus untagged ones."""
    sm = emu.client("sagemaker")
    emu.freeze()
    for i in range(84):
        sm.create_model(ModelName=f"m{i}", PrimaryContainer={"Image": "x"},
                        Tags=[*OWNED, {"Key": "team", "Value": "a" if i % 2 else "b"}])
    for i in range(83):
        sm.create_endpoint_config(EndpointConfigName=f"c{i}", Tags=OWNED,
                                  ProductionVariants=[variant(model_name=f"m{i}")])
        sm.create_endpoint(EndpointName=f"e{i}", EndpointConfigName=f"c{i}", Tags=OWNED)
    sm.create_model(ModelName="untagged", PrimaryContainer={"Image": "x"})
    return sm


def arns(pages: list[dict[str, Any]]) -> list[str]:
    return [r["ResourceARN"] for p in pages for r in p["ResourceTagMappingList"]]


def test_a_whole_fleet_in_pages_of_100(emu: Emulator, fleet: Any) -> None:
    tagging = emu.client("resourcegroupstaggingapi")
    pages = list(tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "sagectl:managed-by"}], ResourcesPerPage=100))
    found = arns(pages)
    assert len(found) == 250 == len(set(found))
    assert len(pages) == 3
    assert emu.calls[("resourcegroupstaggingapi", "GetResources")] == 3
    assert not any(a.endswith(":model/untagged") for a in found)


def test_filters_by_tag_values_and_types(emu: Emulator, fleet: Any) -> None:
    tagging = emu.client("resourcegroupstaggingapi")
    team_a = arns(list(tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": "team", "Values": ["a"]}])))
    assert len(team_a) == 42 and all(":model/" in a for a in team_a)
    endpoints = arns(list(tagging.get_paginator("get_resources").paginate(
        ResourceTypeFilters=["sagemaker:endpoint"])))
    assert len(endpoints) == 83 and all(":endpoint/e" in a for a in endpoints)


def test_tag_changes_are_visible(emu: Emulator, fleet: Any) -> None:
    tagging = emu.client("resourcegroupstaggingapi")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e0"
    fleet.add_tags(ResourceArn=arn, Tags=[{"Key": "sagectl:spec-digest", "Value": "abc"}])
    (hit,) = tagging.get_resources(TagFilters=[{"Key": "sagectl:spec-digest",
                                                 "Values": ["abc"]}])["ResourceTagMappingList"]
    assert hit["ResourceARN"] == arn
    tagging.untag_resources(ResourceARNList=[arn], TagKeys=["sagectl:spec-digest"])
    assert fleet.list_tags(ResourceArn=arn)["Tags"] == OWNED
    tagging.tag_resources(ResourceARNList=[arn], Tags={"team": "z"})
    assert {"Key": "team", "Value": "z"} in fleet.list_tags(ResourceArn=arn)["Tags"]


def test_pipelines_groups_and_other_services_are_included(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    sm.create_pipeline(PipelineName="p", RoleArn="arn:aws:iam::123456789012:role/r",
                       PipelineDefinition='{"Version": "2020-12-01", "Steps": [{"Name": "s", "Type": "Fail"}]}',
                       ClientRequestToken="t" * 32, Tags=OWNED)
    sm.create_model_package_group(ModelPackageGroupName="g", Tags=OWNED)
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="artifacts-bucket")
    s3.put_bucket_tagging(Bucket="artifacts-bucket", Tagging={"TagSet": OWNED})
    found = arns([emu.client("resourcegroupstaggingapi").get_resources()])
    assert sorted(a.split(":")[2] + ":" + a.split(":")[-1] for a in found) == [
        "s3:artifacts-bucket", "sagemaker:model-package-group/g", "sagemaker:pipeline/p"]


def test_an_unknown_pagination_token_is_an_error(emu: Emulator) -> None:
    with pytest.raises(ClientError) as exc:
        emu.client("resourcegroupstaggingapi").get_resources(PaginationToken="bogus")
    assert exc.value.response["Error"]["Code"] == "PaginationTokenExpiredException"
