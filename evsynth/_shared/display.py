"""Display helpers shared by result objects: an HTML repr for Jupyter built from ``to_frame()``."""

from __future__ import annotations

import html

import pandas as pd


def frame_html(
    frame: pd.DataFrame, title: str | None = None, notes: list[str] | tuple[str, ...] = ()
) -> str:
    """Return an HTML block: an optional title, the frame as a table, and notes below it."""
    parts = []
    if title:
        parts.append(f"<p><strong>{html.escape(title)}</strong></p>")
    parts.append(frame.to_html(float_format=lambda v: f"{v:.4g}", na_rep="", border=0))
    for note in notes:
        parts.append(f"<p style='margin:0'><em>{html.escape(note)}</em></p>")
    return "<div class='evsynth'>" + "".join(parts) + "</div>"


class FrameDisplay:
    """Mixin for frozen result dataclasses that define ``to_frame()``.

    Gives an HTML repr in Jupyter (``_repr_html_``) made from ``to_frame()``. Subclasses may set
    ``_display_title`` and override ``_display_notes`` to add a heading and footnotes.
    """

    _display_title: str | None = None

    def _display_notes(self) -> list[str]:
        return []

    def _repr_html_(self) -> str:
        return frame_html(self.to_frame(), self._display_title, self._display_notes())  # type: ignore[attr-defined]
