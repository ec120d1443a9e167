"""JSON from untrusted clients: parsed with limits, and made storable."""

from __future__ import annotations

import json
from typing import Any


def _no_constants(name: str) -> None:
    # NaN and Infinity are not JSON, and no database column takes them.
    raise ValueError(f"{name} is not allowed")


def nesting(value: Any, limit: int) -> int:
    """How deeply containers nest (a bare value is 0), counted without
    recursion so a hostile body cannot exhaust the stack; stops past `limit`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > limit:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def loads(body: bytes | str, max_depth: int) -> Any:
    """Parse a body; ValueError with a short reason when it is not JSON, uses
    NaN/Infinity, or nests deeper than `max_depth`."""
    try:
        data = json.loads(body or "null", parse_constant=_no_constants)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as error:
        raise ValueError(str(error)[:200]) from None
    if nesting(data, max_depth) > max_depth:
        raise ValueError(f"nested more than {max_depth} levels deep")
    return data


def storable(value: Any) -> Any:
    """The value without what no database stores in JSON text: NUL characters
    and lone surrogates (PostgreSQL refuses both)."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch != "\x00" and not 0xD800 <= ord(ch) <= 0xDFFF)
    if isinstance(value, dict):
        return {storable(str(key)): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
