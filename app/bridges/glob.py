"""Topic globs where ``*`` matches any run of characters (dots included), matched without a regex.

A glob compiled to a backtracking regex (``a.*b.*c…``) takes time exponential in its number of stars on a topic
that almost matches; spells choose both the pattern and the topic, and the match runs in the host. Here each
literal piece is found left to right with ``str.find`` (taking the leftmost occurrence is always right when the
only wildcard is ``*``), so a match costs at most pattern length × topic length, with no backtracking.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_GLOB = 256  # characters of a pattern


@dataclass(frozen=True)
class Glob:
    """A compiled ``*`` glob: ``Glob.compile("user.*").matches("user.created")``."""

    pattern: str
    pieces: tuple[str, ...]

    @classmethod
    def compile(cls, pattern: str) -> Glob:
        """``ValueError`` when ``pattern`` is empty or longer than :data:`MAX_GLOB`."""
        if not pattern or len(pattern) > MAX_GLOB:
            raise ValueError(f"a pattern must have 1 to {MAX_GLOB} characters")
        return cls(pattern, tuple(pattern.split("*")))

    def matches(self, text: str) -> bool:
        """Whether the whole of ``text`` matches."""
        pieces = self.pieces
        if len(pieces) == 1:
            return text == pieces[0]
        head, *middle, tail = pieces
        if len(text) < len(head) + len(tail) or not text.startswith(head) or not text.endswith(tail):
            return False
        pos, end = len(head), len(text) - len(tail)
        for piece in middle:
            found = text.find(piece, pos, end)
            if found < 0:
                return False
            pos = found + len(piece)
        return True
