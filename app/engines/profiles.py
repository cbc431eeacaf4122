"""Named security profiles: the limits, host budgets and permissions a spell runs with.

| profile    | wall time | memory | output | concurrent calls | workspace files | http_get                 |
|------------|-----------|--------|--------|------------------|-----------------|--------------------------|
| `strict`   | 10 s      | 64 MB  | 1 MB   | 16               | no              | no                       |
| `standard` | 60 s      | 256 MB | 8 MB   | 16               | no              | no                       |
| `trusted`  | 300 s     | 1 GB   | 32 MB  | 32               | read/write      | hosts in the allow-list  |

"Concurrent calls" caps the bridge calls a run's tasks (Lua, Tengo) or promises (JavaScript) have in flight at
once; further calls wait in the worker for a free slot (the time limit covers all of them).

Host budgets (what the bridges may hold or decode in the host for one run; docs/security.md):

| budget              | strict  | standard | trusted |
|---------------------|---------|----------|---------|
| `event_queue_bytes` | 4 MB    | 16 MB    | 64 MB   |
| `max_tools`         | 200     | 1,000    | 1,000   |
| `tool_bytes`        | 1 MB    | 4 MB     | 16 MB   |
| `max_spans`         | 10,000  | 50,000   | 200,000 |
| `span_bytes`        | 16 MB   | 64 MB    | 256 MB  |
| `message_elements`  | 500,000 | 2,000,000| 8,000,000 |
| `max_objects`       | 1,000   | 10,000   | 10,000  |
| `object_bytes`      | 16 MB   | 64 MB    | 256 MB  |

Every profile runs the spell in the same sandbox (no OS, no files, no environment, no Python, no native code);
profiles only differ in limits and in which host-side tools the bridges may use on the spell's behalf.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.engines.base import Limits

MB = 1024 * 1024
PROFILES: dict[str, Limits] = {
    "strict": Limits(
        timeout_s=10.0,
        memory_mb=64,
        output_bytes=1 * MB,
        event_queue_bytes=4 * MB,
        max_tools=200,
        tool_bytes=1 * MB,
        max_spans=10_000,
        span_bytes=16 * MB,
        message_elements=500_000,
        max_objects=1000,
        object_bytes=16 * MB,
        max_concurrent_calls=16,
    ),
    "standard": Limits(
        timeout_s=60.0,
        memory_mb=256,
        output_bytes=8 * MB,
        event_queue_bytes=16 * MB,
        max_tools=1000,
        tool_bytes=4 * MB,
        max_spans=50_000,
        span_bytes=64 * MB,
        message_elements=2_000_000,
        max_objects=10_000,
        object_bytes=64 * MB,
        max_concurrent_calls=16,
    ),
    "trusted": Limits(
        timeout_s=300.0,
        memory_mb=1024,
        output_bytes=32 * MB,
        event_queue_bytes=64 * MB,
        max_tools=1000,
        tool_bytes=16 * MB,
        max_spans=200_000,
        span_bytes=256 * MB,
        message_elements=8_000_000,
        max_objects=10_000,
        object_bytes=256 * MB,
        allow_files=True,
        allow_http=True,
        max_concurrent_calls=32,
    ),
}
DEFAULT_PROFILE = "standard"
#: Limits ``--limit NAME=VALUE`` may set (whole numbers; sizes in bytes).
TUNABLE = (
    "output_bytes",
    "event_queue_bytes",
    "max_tools",
    "tool_bytes",
    "max_spans",
    "span_bytes",
    "message_elements",
    "max_objects",
    "object_bytes",
)


def limits_for(
    profile: str,
    timeout_s: float | None = None,
    memory_mb: int | None = None,
    output_bytes: int | None = None,
    http_allow: tuple[str, ...] | None = None,
    overrides: dict[str, int] | None = None,
) -> Limits:
    """The limits of ``profile`` with any explicit overrides (``overrides``: :data:`TUNABLE` names → values);
    ``ValueError`` names the known profiles or limits."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    limits = PROFILES[profile]
    if timeout_s is not None:
        if timeout_s <= 0:
            raise ValueError("--timeout must be positive")
        limits = replace(limits, timeout_s=float(timeout_s))
    if memory_mb is not None:
        if memory_mb < 8:
            raise ValueError("--memory must be at least 8 MB")
        limits = replace(limits, memory_mb=int(memory_mb))
    if output_bytes is not None:
        limits = replace(limits, output_bytes=int(output_bytes))
    if http_allow is not None:
        limits = replace(limits, http_allow=tuple(http_allow))
    for name, value in (overrides or {}).items():
        if name not in TUNABLE:
            raise ValueError(f"unknown limit {name!r} (known: {', '.join(TUNABLE)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"limit {name} must be a positive whole number, got {value!r}")
        changes: dict[str, Any] = {name: value}
        limits = replace(limits, **changes)
    return limits


def parse_limit(text: str) -> tuple[str, int]:
    """``"span_bytes=128MB"`` → ``("span_bytes", 134217728)`` (suffixes K, KB, M, MB, G, GB); ``ValueError``."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip().upper().removesuffix("B")
    if not sep or name not in TUNABLE:
        raise ValueError(f"--limit takes NAME=VALUE with NAME one of {', '.join(TUNABLE)}; got {text!r}")
    scale = {"K": 1024, "M": MB, "G": 1024 * MB}.get(raw[-1:], 1)
    digits = raw[:-1] if scale != 1 else raw
    digits = digits.replace("_", "").replace(",", "")
    if not digits.isdigit() or int(digits) < 1 or len(digits) > 15:
        raise ValueError(f"--limit {name}: {text.partition('=')[2]!r} is not a positive whole number")
    return name, int(digits) * scale
