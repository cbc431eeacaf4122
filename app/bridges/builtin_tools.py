"""The built-in tools: calculator, datetime, text, json_query — and, when the profile allows, files and http_get."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from app.bridges import calculator, file_tools
from app.bridges.errors import SpellError
from app.bridges.registry import BridgeContext

log = logging.getLogger(__name__)

ToolFn = Callable[[dict[str, Any]], Any]


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def _datetime(args: dict[str, Any]) -> dict[str, Any]:
    tz = dt.UTC if (args.get("timezone") or "UTC").upper() == "UTC" else None
    now = dt.datetime.now(tz) if tz else dt.datetime.now().astimezone()
    if args.get("add_days"):
        now += dt.timedelta(days=float(args["add_days"]))
    out = {
        "iso": now.isoformat(timespec="seconds"),
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M:%S"),
        "weekday": now.strftime("%A"),
        "unix": int(now.timestamp()),
    }
    if args.get("format"):
        out["formatted"] = now.strftime(str(args["format"]))
    return out


def _text(args: dict[str, Any]) -> Any:
    op, text = args["op"], str(args.get("text", ""))
    if op == "upper":
        return text.upper()
    if op == "lower":
        return text.lower()
    if op == "word_count":
        return len(text.split())
    if op == "char_count":
        return len(text)
    if op == "reverse":
        return text[::-1]
    if op == "truncate":
        n = int(args.get("length", 100))
        return text if len(text) <= n else text[: max(0, n - 1)] + "…"
    if op == "slug":
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if op == "sentences":
        return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    raise SpellError("invalid_argument", f"unknown text op {op!r}")


_PATH_TOKEN = re.compile(r"\.(\*|[A-Za-z_][\w-]*)|\[(\*|-?\d+|'[^']*'|\"[^\"]*\")\]")


def json_query(data: Any, path: str) -> Any:
    """Evaluate a small JSONPath (``$.a.b[0]``, ``$.items[*].name``, ``$['key']``); wildcards return lists."""
    path = path.strip()
    if path.startswith("$"):
        path = path[1:]
    elif path and not path.startswith((".", "[")):
        path = "." + path
    pos, current, multi = 0, [data], False
    while pos < len(path):
        m = _PATH_TOKEN.match(path, pos)
        if not m:
            raise SpellError("invalid_argument", f"bad JSON path at {path[pos:]!r}")
        key = m.group(1) if m.group(1) is not None else m.group(2)
        nxt: list[Any] = []
        for node in current:
            if key == "*":
                multi = True
                nxt.extend(node.values() if isinstance(node, dict) else node if isinstance(node, list) else [])
            elif re.fullmatch(r"-?\d+", key) and isinstance(node, list):
                i = int(key)
                if -len(node) <= i < len(node):
                    nxt.append(node[i])
            else:
                k = key[1:-1] if key[:1] in "'\"" else key
                if isinstance(node, dict) and k in node:
                    nxt.append(node[k])
        current = nxt
        pos = m.end()
    if multi:
        return current
    return current[0] if current else None


def builtin_tools(ctx: BridgeContext) -> list[tuple[str, str, dict[str, Any], ToolFn]]:
    """``(name, description, schema, fn)`` of the built-ins this run's profile allows."""
    tools: list[tuple[str, str, dict[str, Any], ToolFn]] = [
        (
            "calculator",
            "Evaluate an arithmetic expression (+ - * / // % ^, parentheses, sqrt, round, min, max...).",
            _obj({"expression": {"type": "string", "description": "e.g. (2 + 3) * 4"}}, ["expression"]),
            lambda a: calculator.evaluate(a["expression"]),
        ),
        (
            "datetime",
            "The current date and time (UTC unless timezone is 'local'), optionally shifted by days.",
            _obj(
                {
                    "timezone": {"type": "string", "enum": ["UTC", "local"]},
                    "add_days": {"type": "number"},
                    "format": {"type": "string", "description": "strftime format"},
                },
                [],
            ),
            _datetime,
        ),
        (
            "text",
            "Text utilities: upper, lower, word_count, char_count, reverse, truncate, slug, sentences.",
            _obj(
                {
                    "op": {
                        "type": "string",
                        "enum": [
                            "upper",
                            "lower",
                            "word_count",
                            "char_count",
                            "reverse",
                            "truncate",
                            "slug",
                            "sentences",
                        ],
                    },
                    "text": {"type": "string"},
                    "length": {"type": "integer", "minimum": 1},
                },
                ["op", "text"],
            ),
            _text,
        ),
        (
            "json_query",
            "Query JSON data with a path such as $.items[0].name or $.items[*].id.",
            _obj({"data": {}, "path": {"type": "string"}}, ["data", "path"]),
            lambda a: json_query(a["data"], a["path"]),
        ),
    ]
    limits = ctx.limits
    if limits is not None and getattr(limits, "allow_files", False):
        tools += [
            (
                "file_read",
                "Read a text file of the workspace.",
                _obj({"path": {"type": "string"}}, ["path"]),
                lambda a: file_tools.file_read(ctx, a),
            ),
            (
                "file_write",
                "Write (or append to) a text file of the workspace.",
                _obj(
                    {"path": {"type": "string"}, "content": {"type": "string"}, "append": {"type": "boolean"}},
                    ["path", "content"],
                ),
                lambda a: file_tools.file_write(ctx, a),
            ),
            (
                "file_list",
                "List a folder of the workspace.",
                _obj({"path": {"type": "string"}}, []),
                lambda a: file_tools.file_list(ctx, a),
            ),
        ]
    if limits is not None and getattr(limits, "allow_http", False):
        tools.append(
            (
                "http_get",
                "Fetch a URL with GET (allowed hosts only); returns status, content_type, text.",
                _obj({"url": {"type": "string"}}, ["url"]),
                lambda a: file_tools.http_get(ctx, a),
            )
        )
    return tools
