"""Text rules shared by every layer: the one character the database cannot store, and how a
caller's value is quoted in a message (cut, so no input is echoed whole)."""

from __future__ import annotations

__all__ = ["NUL", "SHOWN_CHARS", "cut", "shown"]

NUL = "\x00"
SHOWN_CHARS = 100


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}…({len(text)} chars)"


def cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
