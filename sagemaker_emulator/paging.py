"""Stable pagination for emulated list operations (moto's repeats tokens or ignores them)."""

from __future__ import annotations

from typing import Any

from sagemaker_emulator.dispatch import validation


def page(items: list[Any], params: dict[str, Any], default: int = 10, maximum: int = 100,
         size_key: str = "MaxResults", token_key: str = "NextToken"
         ) -> tuple[list[Any], str | None]:
    """One page of ``items`` (already in their final order) and the token of the next."""
    size = params.get(size_key) or default
    if not 1 <= size <= maximum:
        raise validation(f"{size_key} must be between 1 and {maximum}.")
    token = params.get(token_key)
    start = 0
    if token:
        if not token.startswith("page:") or not token[5:].isdigit():
            raise validation("Invalid pagination token.")
        start = int(token[5:])
    following = start + size
    return items[start:following], (f"page:{following}" if following < len(items) else None)


def with_token(payload: dict[str, Any], token: str | None, key: str = "NextToken"
               ) -> dict[str, Any]:
    """``payload`` with the next page's token, when there is one."""
    if token:
        payload[key] = token
    return payload
