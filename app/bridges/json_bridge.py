"""``JSON``: encode and decode JSON text, and make arrays that stay arrays when empty."""

from __future__ import annotations

import json
import logging
from typing import Any, TypedDict

from app.bridges.errors import SpellError
from app.bridges.registry import Bridge, bridge, inline

log = logging.getLogger(__name__)

MAX_DECODE_CHARS = 8 * 1024 * 1024
MAX_DECODE_CONTAINERS = 250_000


class EncodeOptions(TypedDict, total=False):
    pretty: bool
    sort_keys: bool


@bridge("JSON")
class JSONBridge(Bridge):
    """Convert between spell values and JSON text.

    Tables with keys exactly 1..n become JSON arrays, other tables become objects; an empty table is an object
    unless it was made with ``JSON.array()``.
    """

    @inline
    def encode(self, value: Any, opts: EncodeOptions | None = None) -> str:
        """Turn a value into JSON text.

        Args:
            value: Any spell value made of nil, booleans, numbers, strings and tables.
        Options:
            pretty: Indent the output by two spaces.
            sort_keys: Write object keys in sorted order.
        Returns:
            The JSON text.
        Errors:
            invalid_argument when the value holds NaN or infinity.
        Example (lua):
            local text = JSON.encode({name = "Ada", langs = {"lua", "js"}})
            print(text)
        Example (js):
            const text = JSON.encode({name: "Ada", langs: ["lua", "js"]});
            console.log(text);
        """
        opts = opts or {}
        try:
            return json.dumps(
                value,
                ensure_ascii=False,
                allow_nan=False,
                indent=2 if opts.get("pretty") else None,
                sort_keys=bool(opts.get("sort_keys")),
                separators=None if opts.get("pretty") else (",", ":"),
            )
        except ValueError as e:
            raise SpellError("invalid_argument", f"cannot encode as JSON: {e}") from None
        except TypeError:
            raise SpellError(
                "invalid_argument", "cannot encode as JSON: functions and objects have no JSON form"
            ) from None

    @inline
    def decode(self, text: str) -> Any:
        """Parse JSON text into a spell value.

        Args:
            text: The JSON text.
        Returns:
            The value: objects become tables with string keys, arrays become sequences (empty ones stay arrays).
        Errors:
            invalid_argument naming the line and column of the first syntax error, or when the text is larger
            than 8 MB or holds more than 250,000 arrays and objects (decoding happens in the host process).
        Example (lua):
            local v = JSON.decode('{"n": 1, "xs": [1, 2]}')
            print(v.n, #v.xs)
        Example (js):
            const v = JSON.decode('{"n": 1, "xs": [1, 2]}');
            console.log(v.n, v.xs.length);
        """
        if len(text) > MAX_DECODE_CHARS:
            raise SpellError(
                "invalid_argument",
                f"JSON text of {len(text)} characters is larger than the "
                f"{MAX_DECODE_CHARS} characters JSON.decode accepts",
            )
        containers = text.count("[") + text.count("{")
        if containers > MAX_DECODE_CONTAINERS:
            raise SpellError(
                "invalid_argument",
                f"JSON text with more than {MAX_DECODE_CONTAINERS} arrays and objects is too large to decode",
            )
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as e:
            raise SpellError(
                "invalid_argument", f"invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}"
            ) from None
        return value

    @inline
    def array(self, items: list[Any] | None = None) -> list[Any]:
        """Make a sequence that stays a JSON array even when empty.

        Args:
            items: Optional initial elements.
        Returns:
            A new sequence holding ``items``.
        Example (lua):
            local xs = JSON.array()
            print(JSON.encode(xs))  -- []
        Example (js):
            const xs = JSON.array();
            console.log(JSON.encode(xs)); // []
        """
        return list(items or [])


def _reject_constant(name: str) -> float:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)
