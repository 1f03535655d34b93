"""The served emulator's control API, called over HTTP from any process, without moto.

``sagectl emulator serve`` answers ``POST /_sagectl/<control>`` (JSON keyword arguments) with
``{"result": ...}``; ``RemoteEmulator`` (``server.py``) wraps every control with ``Emulator``'s
signatures, but importing it loads moto (0.3-0.4 s). A sagectl command pointed at a served
emulator needs only its clock (``now``): ``RemoteControls`` gives that for the price of
``urllib``.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

CONTROL_PREFIX = "/_sagectl/"
CONTROLS = ("advance", "freeze", "unfreeze", "set_time_factor", "now", "set_durations", "inject",
            "set_latency", "fail_next_update", "fail_next_create", "fail_next_execution",
            "fail_next_monitoring_execution",
            "pipeline_versions", "arm_crash",
            "wait_for_crash", "release_crash", "mutations", "calls", "set_alarm_state",
            "hold_alarm_state", "release_alarm_state", "scale_variant", "system_update",
            "set_rollback_status", "set_quota", "set_capacity_unavailable", "emitted_events",
            "api_destination_invocations", "clear_event_log", "route_host", "reset")


def post_control(url: str, control: str, **kwargs: Any) -> Any:
    """Call one control of the emulator served at ``url``; its result."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}{CONTROL_PREFIX}{control}", data=json.dumps(kwargs).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())["result"]


class RemoteControls:
    """The served emulator's clock, for ``EmulatorClock``."""

    def __init__(self, url: str) -> None:
        self.url = url

    def now(self) -> float:
        return float(post_control(self.url, "now"))
