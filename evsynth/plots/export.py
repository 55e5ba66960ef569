"""Saving figures for journals: format by extension, width in millimetres, fonts embedded as text."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from evsynth._shared.files import atomic_write_bytes
from evsynth.plots.style import MM_PER_INCH, PlotError, plotting_context

FORMATS = {
    ".pdf": "pdf",
    ".svg": "svg",
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".eps": "eps",
}


def save_figure(
    fig: Figure, path: str | Path, width_mm: float | None = None, dpi: int = 600
) -> Path:
    """Save ``fig`` as PDF, SVG, PNG, TIFF or EPS (chosen by the file extension).

    PNG and TIFF are RGB without alpha (TIFF LZW-compressed), at ``dpi`` (300-600 for journals).
    Text stays text: fonts are embedded as TrueType in PDF/EPS (``pdf.fonttype=42``) and kept as
    ``<text>`` in SVG (``svg.fonttype='none'``), so journals can edit labels and readers can
    search them. Output is reproducible (no creation date in PDF/SVG metadata).

    Parameters
    ----------
    fig : matplotlib Figure (e.g. from :func:`forest_plot`)
    path : output path; the extension picks the format
    width_mm : float, optional
        Final width (85 mm single column, 175 mm double column). An evsynth forest plot is laid
        out again at that width (labels re-wrapped, text size unchanged); any other figure is
        scaled, keeping its aspect ratio.
    dpi : int
        Resolution of raster output (PNG, TIFF) and of any raster content in vector files.

    Returns
    -------
    pathlib.Path of the written file.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise PlotError(
            f"{path}: cannot save a figure as {path.suffix or 'a file without extension'}; "
            f"use one of {', '.join(sorted(FORMATS))}."
        )
    if not isinstance(fig, Figure):
        raise PlotError(f"save_figure needs a matplotlib Figure, not {type(fig).__name__}.")
    if width_mm is not None:
        if width_mm <= 0:
            raise PlotError(f"width_mm={width_mm} must be positive.")
        redraw = getattr(fig, "_evsynth_redraw", None)
        if redraw is not None:
            redraw(width_mm)
        else:
            w, h = fig.get_size_inches()
            new_w = width_mm / MM_PER_INCH
            fig.set_size_inches(new_w, h * new_w / w)
    metadata: dict[str, object] | None = None
    kwargs: dict[str, object] = {}
    if fmt == "pdf":
        metadata = {"CreationDate": None, "Creator": "evsynth", "Producer": None}
    elif fmt == "svg":
        metadata = {"Date": None, "Creator": "evsynth"}
    if fmt == "tiff" and not 300 <= dpi <= 1200:
        raise PlotError(
            f"{path}: dpi={dpi}; journals take TIFF figures at 300-600 dpi (up to 1200)."
        )
    buf = io.BytesIO()  # render in memory, then write atomically: no half-written figure on Ctrl-C
    with plotting_context(getattr(fig, "_evsynth_style", "default")):
        fig.savefig(
            buf,
            format="png" if fmt in RASTER else fmt,
            dpi=dpi,
            metadata=metadata,
            facecolor="white",
            **kwargs,
        )
    data = _rgb(buf.getvalue(), fmt, dpi) if fmt in RASTER else buf.getvalue()
    atomic_write_bytes(path, data)
    return path


#: raster formats: written as 8-bit RGB on white, no alpha channel (journal checkers such as
#: PLOS PACE reject RGBA), with the resolution recorded; TIFF LZW-compressed
RASTER = ("png", "tiff")


def _rgb(png: bytes, fmt: str, dpi: int) -> bytes:
    """Matplotlib's RGBA PNG as an RGB PNG or LZW TIFF (alpha flattened onto white)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, "white")
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    if fmt == "png":
        rgb.save(out, format="PNG", dpi=(dpi, dpi))
    else:
        rgb.save(out, format="TIFF", compression="tiff_lzw", dpi=(dpi, dpi))
    return out.getvalue()
