"""Application Auto Scaling's scheduled actions, served by the emulator (targets and policies:
``app_autoscaling.py``). A scheduled action needs a registered target, is replaced in place by
PutScheduledAction with the same name (fields not given keep their values), and goes with its
target when the target is deregistered.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sagemaker_emulator.app_autoscaling import (
    AAS,
    ScheduledAction,
    described,
    matching,
    no_target,
    store,
    target_key,
)
from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.state import STATE

Params = dict[str, Any]

ACTION_FIELDS = ("Schedule", "Timezone", "StartTime", "EndTime", "ScalableTargetAction")


@handler(AAS, "PutScheduledAction")
def put_scheduled_action(ctx: CallContext, params: Params) -> None:
    key = target_key(params)
    name = params.get("ScheduledActionName")
    if not name:
        raise validation("ScheduledActionName is required.")
    db = store(ctx.account, ctx.region)
    with db.lock:
        if key not in db.targets:
            raise no_target(key)
        previous = db.actions.get((key, name))
        request = dict(previous.request) if previous else {}
        request.update({f: copy.deepcopy(params[f]) for f in ACTION_FIELDS if f in params})
        if "Schedule" not in request:
            raise validation("Schedule is required for a new scheduled action.")
        arn = previous.arn if previous else (
            f"arn:aws:autoscaling:{ctx.region}:{ctx.account}:scheduledAction:{uuid.uuid4()}:"
            f"resource/{key[0]}/{key[1]}:scheduledActionName/{name}")
        db.actions[(key, name)] = ScheduledAction(key, name, request, arn,
                                                  previous.created if previous
                                                  else STATE.clock.datetime())


@handler(AAS, "DescribeScheduledActions")
def describe_scheduled_actions(ctx: CallContext, params: Params) -> Params:
    db = store(ctx.account, ctx.region)
    names = params.get("ScheduledActionNames")
    with db.lock:
        keys = set(matching(params, list({k for k, _ in db.actions}), "ResourceId"))
        found = sorted((a for (k, n), a in db.actions.items()
                        if k in keys and (names is None or n in names)),
                       key=lambda a: (a.key, a.name))
        chunk, token = page(found, params, 50, 50)
        out: Params = {"ScheduledActions": [
            {"ScheduledActionName": a.name, "ScheduledActionARN": a.arn,
             "ServiceNamespace": a.key[0], "ResourceId": a.key[1], "ScalableDimension": a.key[2],
             **copy.deepcopy(a.request), "CreationTime": a.created} for a in chunk]}
    return with_token(out, token)


@handler(AAS, "DeleteScheduledAction")
def delete_scheduled_action(ctx: CallContext, params: Params) -> None:
    key = target_key(params)
    db = store(ctx.account, ctx.region)
    with db.lock:
        if db.actions.pop((key, params.get("ScheduledActionName", "")), None) is None:
            raise AwsError("ObjectNotFoundException", f"No scheduled action found for "
                                                      f"{described(key)}, scheduled action "
                                                      f"name: {params.get('ScheduledActionName')}")
