"""JSON as connect5 prints it for scripts (``--json``), without importing click."""

from __future__ import annotations

from typing import Any


def to_json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, default=str, ensure_ascii=False)
