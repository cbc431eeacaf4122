"""Named security profiles: the limits and permissions a spell runs with.

| profile    | wall time | memory | output | concurrent calls | workspace files | http_get                 |
|------------|-----------|--------|--------|------------------|-----------------|--------------------------|
| `strict`   | 10 s      | 64 MB  | 1 MB   | 16               | no              | no                       |
| `standard` | 60 s      | 256 MB | 8 MB   | 16               | no              | no                       |
| `trusted`  | 300 s     | 1 GB   | 32 MB  | 32               | read/write      | hosts in the allow-list  |

"Concurrent calls" caps the bridge calls a run's tasks (Lua, Tengo) or promises (JavaScript) have in flight at
once; further calls wait in the worker for a free slot (the time limit covers all of them).

Every profile runs the spell in the same sandbox (no OS, no files, no environment, no Python, no native code);
profiles only differ in limits and in which host-side tools the bridges may use on the spell's behalf.
"""
from __future__ import annotations

from dataclasses import replace

from app.engines.base import Limits

PROFILES: dict[str, Limits] = {
    "strict": Limits(timeout_s=10.0, memory_mb=64, output_bytes=1 * 1024 * 1024, max_concurrent_calls=16),
    "standard": Limits(timeout_s=60.0, memory_mb=256, output_bytes=8 * 1024 * 1024, max_concurrent_calls=16),
    "trusted": Limits(timeout_s=300.0, memory_mb=1024, output_bytes=32 * 1024 * 1024,
                      allow_files=True, allow_http=True, max_concurrent_calls=32),
}
DEFAULT_PROFILE = "standard"


def limits_for(profile: str, timeout_s: float | None = None, memory_mb: int | None = None,
               output_bytes: int | None = None, http_allow: tuple[str, ...] | None = None) -> Limits:
    """The limits of ``profile`` with any explicit overrides; ``ValueError`` names the known profiles."""
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
    return limits
