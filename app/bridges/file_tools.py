"""Workspace file tools and ``http_get``: only in profiles that allow them, confined and allow-listed.

Files: paths are relative to the run's workspace (``ctx.workspace``, else the spell's folder); the resolved real
path (symlinks followed) must stay inside the workspace's real path, so neither ``..`` nor a symlink escapes it.
HTTP: ``http``/``https`` only, the host (and every redirect's host) must match ``limits.http_allow`` (exact names
or ``*.example.com`` globs); answers are capped at 1 MB.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from app.bridges.errors import SpellError
from app.bridges.registry import BridgeContext

log = logging.getLogger(__name__)

MAX_READ = 1024 * 1024
MAX_LIST = 1000
HTTP_TIMEOUT = 15.0


def workspace_root(ctx: BridgeContext) -> str:
    root = ctx.workspace or ctx.spell_dir
    if not root:
        raise SpellError("permission_denied", "file tools need a workspace (the spell has no folder)")
    return os.path.realpath(root)


def confined(ctx: BridgeContext, path: str) -> str:
    """The real path of ``path`` inside the workspace; ``permission_denied`` when it would escape."""
    if not isinstance(path, str) or not path or "\x00" in path:
        raise SpellError("invalid_argument", "path must be a non-empty string")
    root = workspace_root(ctx)
    full = os.path.realpath(os.path.join(root, path))
    if os.path.commonpath([root, full]) != root:
        raise SpellError("permission_denied", f"{path!r} is outside the workspace")
    return full


def _open_regular(full: str, shown: str, flags: int) -> int:
    """A descriptor of the regular file ``full``. Opened non-blocking, so a FIFO or a device never blocks the
    host thread (opening a FIFO for reading waits for a writer, for writing fails without a reader); anything
    that is not a regular file is refused before a byte is read or written."""
    extra = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(full, flags | extra, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SpellError("invalid_argument", f"{shown!r} is not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def file_read(ctx: BridgeContext, args: dict[str, Any]) -> str:
    full = confined(ctx, args["path"])
    try:
        fd = _open_regular(full, args["path"], os.O_RDONLY)
    except FileNotFoundError:
        raise SpellError("not_found", f"no file {args['path']!r} in the workspace") from None
    except IsADirectoryError:
        raise SpellError("invalid_argument", f"{args['path']!r} is a folder") from None
    except OSError as e:
        raise SpellError("permission_denied", f"cannot open {args['path']!r} ({e.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_READ + 1)
    if len(data) > MAX_READ:
        raise SpellError("limit_exceeded", f"{args['path']} is larger than {MAX_READ} bytes")
    return data.decode("utf-8", errors="replace")


def file_write(ctx: BridgeContext, args: dict[str, Any]) -> dict[str, Any]:
    full = confined(ctx, args["path"])
    os.makedirs(os.path.dirname(full), exist_ok=True)
    content = str(args.get("content", ""))
    mode = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if args.get("append") else 0)
    try:
        fd = _open_regular(full, args["path"], mode)
    except IsADirectoryError:
        raise SpellError("invalid_argument", f"{args['path']!r} is a folder") from None
    except OSError as e:
        raise SpellError("permission_denied", f"cannot open {args['path']!r} ({e.strerror})") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        if not args.get("append"):
            f.truncate(0)
        f.write(content)
    return {"path": os.path.relpath(full, workspace_root(ctx)), "bytes": len(content.encode("utf-8"))}


def file_list(ctx: BridgeContext, args: dict[str, Any]) -> list[dict[str, Any]]:
    full = confined(ctx, args.get("path") or ".")
    if not os.path.isdir(full):
        raise SpellError("not_found", f"no folder {args.get('path')!r} in the workspace")
    entries = []
    for name in sorted(os.listdir(full))[:MAX_LIST]:
        p = os.path.join(full, name)
        entries.append(
            {
                "name": name,
                "type": "folder" if os.path.isdir(p) else "file",
                "size": os.path.getsize(p) if os.path.isfile(p) else None,
            }
        )
    return entries


def host_allowed(host: str, allow: tuple[str, ...] | list[str]) -> bool:
    host = (host or "").lower()
    return any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in allow)


class _CheckedRedirect(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow: tuple[str, ...]):
        self.allow = allow

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if not host_allowed(urllib.parse.urlsplit(newurl).hostname or "", self.allow):
            raise SpellError("permission_denied", f"redirect to {newurl} leaves the allowed hosts")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http_get(ctx: BridgeContext, args: dict[str, Any]) -> dict[str, Any]:
    url = str(args["url"])
    parts = urllib.parse.urlsplit(url)
    allow = tuple(getattr(ctx.limits, "http_allow", ()) or ())
    if parts.scheme not in ("http", "https"):
        raise SpellError("invalid_argument", "http_get takes http:// or https:// URLs only")
    if not host_allowed(parts.hostname or "", allow):
        raise SpellError("permission_denied", f"host {parts.hostname!r} is not in this profile's HTTP allow-list")
    opener = urllib.request.build_opener(_CheckedRedirect(allow))
    request = urllib.request.Request(url, headers={"User-Agent": "llmspell-studio"})
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT) as resp:
            body = resp.read(MAX_READ + 1)
            return {
                "status": resp.status,
                "content_type": resp.headers.get("Content-Type", ""),
                "text": body[:MAX_READ].decode("utf-8", errors="replace"),
                "truncated": len(body) > MAX_READ,
            }
    except urllib.error.HTTPError as e:
        return {
            "status": e.code,
            "content_type": e.headers.get("Content-Type", ""),
            "text": e.read(MAX_READ).decode("utf-8", errors="replace"),
            "truncated": False,
        }
    except (urllib.error.URLError, OSError) as e:
        raise SpellError("network", f"http_get {parts.hostname}: {getattr(e, 'reason', e)}", True) from None
