"""Rule 50: the top-level `awsExtra` of an InferenceComponent on update, member by member as the
installed botocore's UpdateInferenceComponentInput says: sent again when it changed and the
update takes it, a plan error when only creation does. The installed botocore has no such member
that validation lets through (`specifications` is refused, test_validation.py), so these tests
drive the decision with the real shapes: UpdateInferenceComponentInput (which has
`Specifications`) and UpdateInferenceComponentRuntimeConfigInput (which has not)."""

from __future__ import annotations

from reconciler.kinds.inference_component.extras import EXTRA_TAG, changes, extra_tag, updatable

VALUE = {"specifications": [{"modelName": "m", "instanceType": "ml.g5.12xlarge"}]}
NARROW = "UpdateInferenceComponentRuntimeConfigInput"


def test_rule_50_the_update_shape_decides() -> None:
    assert updatable("specifications")
    assert updatable("deploymentConfig")
    assert not updatable("endpointName")  # CreateInferenceComponent only
    assert not updatable("specifications", NARROW)


def test_rule_50_an_updatable_member_is_sent_when_it_changed() -> None:
    first = changes(VALUE, {})
    assert first.refused == []
    assert first.request == {"Specifications": [{"ModelName": "m",
                                                 "InstanceType": "ml.g5.12xlarge"}]}
    assert [e.path for e in first.entries] == ["awsExtra.specifications"]
    applied = extra_tag(VALUE)
    assert set(applied) == {EXTRA_TAG}
    again = changes(VALUE, applied)
    assert (again.entries, again.request, again.refused) == ([], {}, [])
    other = {"specifications": [{"modelName": "n"}]}
    assert changes(other, applied).request == {"Specifications": [{"ModelName": "n"}]}


def test_rule_50_a_create_only_member_that_changed_is_refused() -> None:
    applied = extra_tag(VALUE)
    assert changes(VALUE, applied, NARROW).refused == []
    moved = changes({"specifications": [{"modelName": "n"}]}, applied, NARROW)
    assert moved.request == {} and len(moved.refused) == 1
    assert "UpdateInferenceComponent has no Specifications" in moved.refused[0]
    gone = changes(None, applied)
    assert gone.refused and "left the spec" in gone.refused[0]
