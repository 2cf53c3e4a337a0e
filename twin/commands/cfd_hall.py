"""Which hall a ``twin cfd`` action works on: its id, or its index in the layout."""

from __future__ import annotations


def hall_index(fac, text: str) -> int:
    """The hall ``text`` names (an id, else an index); an unknown id stops the command naming
    the layout's halls (an index out of range is the grid's to refuse)."""
    if text in fac.hall_ids:
        return fac.hall_ids.index(text)
    try:
        return int(text)
    except ValueError:
        raise SystemExit(f"twin cfd: no hall {text!r} (halls: {', '.join(fac.hall_ids)})") from None
