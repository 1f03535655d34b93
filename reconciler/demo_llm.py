"""``sagectl demo``'s inference-component step: a new LLM version rolled out to the chat LLM's
base component in batches while its 5xx alarm watches, the autoscaler's copy count kept.

Apart from ``demo.py`` (which registers it last) so that module stays one story of one endpoint;
it is handed the demo's ``Story`` and uses only its public methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.demo import Story

COMPONENT = "chat-llm-base"
SPEC_FILE = "endpoints/chat-llm.yaml"


def _component(story: Story) -> dict[str, Any]:
    return story.aws.client("sagemaker").describe_inference_component(  # type: ignore[no-any-return]
        InferenceComponentName=COMPONENT)


def llm_rollout(story: Story, region: str, account: str) -> None:
    story.step(f"Roll chat-llm v2 out to {COMPONENT} in batches, its 5xx alarm watching")
    before = _component(story)
    story.emulator.scale_component(COMPONENT, 2, region=region, account=account)
    story.emulator.advance(600)
    story.say(f"   the autoscaler scales {COMPONENT} from "
              f"{before['RuntimeConfig']['DesiredCopyCount']} to 2 copies (2 GPUs each)")
    story.edit(SPEC_FILE, "chat-llm/v1/", "chat-llm/v2/")
    plan = story.plan()
    change = next((c for c in plan["resource_changes"]
                   if c["address"] == f"InferenceComponent.{COMPONENT}"), None)
    story.expect(change is not None, f"the plan has no change for {COMPONENT}")
    assert change is not None
    ops = [s["op"] for s in change["steps"] if not s["op"].startswith("sagectl:")]
    story.say(f"   plan: {change['action_reason']}: {' -> '.join(ops)}")
    for line in change["consequences"]["summary"][:5]:
        story.say(f"   plan: {line[:110]}")
    story.expect(change["action_reason"] == "specification_changed"
                 and "sagemaker:UpdateInferenceComponent" in ops
                 and "sagemaker:UpdateInferenceComponentRuntimeConfig" not in ops,
                 f"expected a rolling specification change, got {change['action_reason']}: {ops}")
    done = story.apply()
    outcomes = done.outcomes()
    story.expect(done.code == 0 and outcomes.get(f"InferenceComponent.{COMPONENT}") == "applied",
                 f"apply exited {done.code}: {outcomes}")
    live = _component(story)
    model = live["Specification"].get("ModelName", "")
    copies = live["RuntimeConfig"]
    story.say(f"   {COMPONENT}: {live['InferenceComponentStatus']} on {model}, "
              f"{copies['CurrentCopyCount']}/{copies['DesiredCopyCount']} copies")
    story.expect(live["InferenceComponentStatus"] == "InService"
                 and model != before["Specification"].get("ModelName")
                 and copies["DesiredCopyCount"] == 2,
                 f"expected InService on a new model with the autoscaler's 2 copies: {live}")
    story.ok("rolled out in batches behind the alarm; the autoscaler's 2 copies kept")
