"""A PDF page's characters, words and horizontal rules, read with PDFium (pypdfium2).

The layout code in :mod:`evsynth.reading.pdf` works on *words* (text with a box and a font size,
in points from the top-left corner of the page as it is read) and on *horizontal rules*. This
module makes them from PDFium's text page, about ten times faster than pdfminer/pdfplumber:

- characters: ``FPDFText_GetText`` for the whole page at once, ``FPDFText_GetLooseCharBox``
  per character (the box from the font's ascent and descent, as pdfminer computes it), and the
  character's matrix and font size (``FPDFText_GetMatrix``, ``FPDFText_GetFontSize``) only when
  the box height changes (a new font or size): effective size = font size x the matrix's
  vertical scale, so PDFs that set every font at 1 pt and scale with the text matrix get their
  true sizes.
- words: pdfplumber's rule (``x_tolerance_ratio=0.2``, ``y_tolerance=2``): consecutive
  characters of one size, clustered into lines by their tops, sorted left to right, split at a
  space character or a gap wider than 0.2 x the font size. PDFium's generated spaces are ignored
  so the word rule alone decides, as it does in pdfplumber.
- orientation: every character's text direction (0, 90, 180 or 270 degrees, from its matrix).
  Each direction with enough characters becomes its own :class:`PageLayer`, in a frame where
  that text reads left to right, top to bottom: a landscape table set on a portrait page (page
  ``/Rotate`` or a rotated text matrix) reads like any other page.
- rules: the straight horizontal and vertical pieces (30 pt or longer) of the page's path
  objects, form XObjects included, as pdfplumber's ``page.edges``.

:func:`plumber_layers` gives the same structure from pdfplumber: the benchmark and the
before/after comparison run both paths on the same files.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field

__all__ = ["PageLayer", "pdfium_layers", "plumber_layers", "MIN_LAYER_CHARS"]

#: A text direction other than the page's main one becomes a layer of its own from this many
#: characters (a rotated table); fewer (a vertical "Downloaded from" stamp) are left out.
MIN_LAYER_CHARS = 60
#: Word rule of pdfplumber used today (see ``WORD_SETTINGS`` in :mod:`evsynth.reading.pdf`).
X_TOLERANCE_RATIO = 0.2
Y_TOLERANCE = 2.0
RULE_MIN = 30.0
#: Where PDFium saw a word gap (a generated space), a gap wider than 0.15 x the font size
#: separates words: PDFium's boxes can reach past a glyph's advance (an italic "f"), which hides
#: part of the gap from the 0.2 rule; letter-spaced capitals (gaps ~0.11 x size) stay one word.
GENERATED_RATIO = 0.15


@dataclass
class PageLayer:
    """The words and rules of one page, in one text direction.

    ``number`` is the 1-based page number; ``angle`` the text direction in degrees
    counter-clockwise (0 for ordinary text; 90 for a landscape table read bottom to top);
    ``width``/``height`` the page's size in this frame; ``words`` dicts with ``text``, ``x0``,
    ``x1``, ``top``, ``bottom``, ``size`` and ``chars`` (tuples starting ``(text, x0, x1)``);
    ``edges`` dicts with ``orientation`` ("h" or "v"), ``x0``, ``x1``, ``top``, ``bottom``.
    ``origin`` maps frame coordinates back to the page: see :meth:`page_box`.
    """

    number: int
    angle: int
    width: float
    height: float
    words: list[dict] = field(default_factory=list)
    crop: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    #: horizontal and vertical rules (read only on pages with a word "Table": see below)
    edges: list[dict] = field(default_factory=list)

    def page_box(self, x0: float, top: float, x1: float, bottom: float) -> tuple[float, ...]:
        """A box of this frame as ``(x0, top, x1, bottom)`` in points from the top-left corner of
        the page's crop box, unrotated (PDF user space flipped vertically)."""
        left, bottom_, right, top_ = self.crop
        pts = [_to_user(self.angle, self.crop, x, y) for x in (x0, x1) for y in (top, bottom)]
        xs = [p[0] - left for p in pts]
        ys = [top_ - p[1] for p in pts]
        return (min(xs), min(ys), max(xs), max(ys))


def _frame(angle: int, crop: tuple[float, float, float, float], x: float, y: float):
    """User-space point -> (X, Y) in the frame where text of ``angle`` reads upright."""
    left, bottom, right, top = crop
    if angle == 0:
        return x - left, top - y
    if angle == 90:
        return y - bottom, x - left
    if angle == 180:
        return right - x, y - bottom
    return top - y, right - x


def _to_user(angle: int, crop: tuple[float, float, float, float], fx: float, fy: float):
    """Inverse of :func:`_frame`."""
    left, bottom, right, top = crop
    if angle == 0:
        return fx + left, top - fy
    if angle == 90:
        return fy + left, fx + bottom
    if angle == 180:
        return right - fx, fy + bottom
    return right - fy, top - fx


def _words(chars: list[tuple]) -> list[dict]:
    """Characters ``(text, x0, x1, top, bottom, size)`` in stream order (``None`` = a space) ->
    words by pdfplumber's rule (see the module docstring)."""
    words: list[dict] = []
    run: list = []
    runs: list[list] = []
    last_size = None
    for c in chars:
        if c is None or c is _GENERATED:
            if run:
                run.append(c)
            continue
        if run and c[5] != last_size:
            runs.append(run)
            run = []
        run.append(c)
        last_size = c[5]
    if run:
        runs.append(run)
    tol, ratio = Y_TOLERANCE, X_TOLERANCE_RATIO
    for run in runs:
        found = _stream_words(run, tol, ratio)
        if found is not None:
            words += found
            continue
        # cluster into lines by top (chained within Y_TOLERANCE), each sorted left to right
        items = _stream_items(run)
        items.sort(key=_top)
        lines: list[list] = []
        last = None
        for it in items:
            t = it[0][3]
            if last is None or t > last + tol:
                cur_line = [it]
                lines.append(cur_line)
            else:
                cur_line.append(it)
            last = t
        for line in lines:
            line.sort(key=_x0)
            _split_words(line, words, tol, ratio)
    return words


def _stream_items(run: list) -> list[tuple]:
    """(char, space) pairs: space 2 after a real space, 1 after a generated one, else 0."""
    items = []
    space = 0
    for c in run:
        if c is None:
            space = 2
        elif c is _GENERATED:
            space = max(space, 1)
        else:
            items.append((c, space))
            space = 0
    return items


def _stream_words(run: list, tol: float, ratio: float) -> list[dict] | None:
    """The words of a run read in stream order, in one pass, if that equals pdfplumber's
    clustering and sorting: the run's lines, cut where the stream goes back left or changes
    line, have tops more than ``tol`` apart or sit side by side with a word gap (two columns).
    Else None."""
    words: list[list] = []
    ranges: list[list] = []  # per stream line: [min top, max top, first word, last char]
    cur: list | None = None
    p = None
    space = 0
    gen_ratio = GENERATED_RATIO
    for c in run:
        if c is None:
            space = 2
            continue
        if c is _GENERATED:
            if not space:
                space = 1
            continue
        if p is None or c[1] < p[1] or abs(c[3] - p[3]) > tol:  # a new stream line
            cur = [c]
            words.append(cur)
            ranges.append([c[3], c[3], len(words) - 1, c])
        else:
            r = ranges[-1]
            if c[3] < r[0]:
                r[0] = c[3]
            elif c[3] > r[1]:
                r[1] = c[3]
            r[3] = c
            if space == 2 or c[1] > p[2] + (gen_ratio if space else ratio) * p[5]:
                cur = [c]
                words.append(cur)
            else:
                cur.append(c)
        p = c
        space = 0
    if len(ranges) > 1:
        order = sorted(range(len(ranges)), key=lambda k: ranges[k][0])
        group: list[int] = []
        reach = None
        for k in order + [None]:
            if k is not None and reach is not None and ranges[k][0] <= reach + tol:
                group.append(k)
                reach = max(reach, ranges[k][1])
                continue
            if len(group) > 1:
                spans = sorted(
                    (words[ranges[j][2]][0][1], ranges[j][3][2], ranges[j][3][5]) for j in group
                )
                for (_x0, x1, size), (nx0, _nx1, _s) in zip(spans, spans[1:], strict=False):
                    if nx0 <= x1 + X_TOLERANCE_RATIO * size:
                        return None
            if k is not None:
                group = [k]
                reach = ranges[k][1]
    return [_word(w) for w in words]


def _split_words(line: list[tuple], words: list[dict], tol: float, ratio: float) -> None:
    cur: list[tuple] = []
    p = None
    for c, sp in line:
        if p is not None and (
            sp == 2
            or c[1] < p[1]
            or c[1] > p[2] + (GENERATED_RATIO if sp else ratio) * p[5]
            or abs(c[3] - p[3]) > tol
        ):
            words.append(_word(cur))
            cur = []
        cur.append(c)
        p = c
    if cur:
        words.append(_word(cur))


def _top(item: tuple) -> float:
    return item[0][3]


def _x0(item: tuple) -> float:
    return item[0][1]


def _word(cs: list[tuple]) -> dict:
    x1, top, bottom = cs[0][2], cs[0][3], cs[0][4]
    for c in cs:
        if c[2] > x1:
            x1 = c[2]
        if c[3] < top:
            top = c[3]
        if c[4] > bottom:
            bottom = c[4]
    return {
        "text": "".join([c[0] for c in cs]),
        "x0": cs[0][1],
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "size": cs[0][5],
        "upright": True,
        "chars": cs,
    }


def _page_chars(page, pdfium_c, crop: tuple) -> dict[int, list]:
    """Characters by text direction: ``{angle: [(text, x0, x1, top, bottom, size), ...]}`` in
    that direction's frame, in stream order, ``None`` marking a space (a real one: PDFium's
    generated spaces and line breaks are dropped)."""
    textpage = page.get_textpage()
    raw = textpage.raw
    left, bottom_, right, top_ = crop
    buckets: dict[int, list] = {}
    try:
        n = pdfium_c.FPDFText_CountChars(raw)
        if n <= 0:
            return buckets
        buf = ctypes.create_string_buffer(2 * (n + 1))
        pdfium_c.FPDFText_GetText(raw, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
        text = buf.raw[: 2 * n].decode("utf-16-le", errors="replace")
        if len(text) != n:  # characters outside the BMP: read them one by one
            text = None
        rect = pdfium_c.FS_RECTF()
        prect = ctypes.byref(rect)
        mat = pdfium_c.FS_MATRIX()
        pmat = ctypes.byref(mat)
        get_box = pdfium_c.FPDFText_GetLooseCharBox
        get_uni = pdfium_c.FPDFText_GetUnicode
        is_gen = pdfium_c.FPDFText_IsGenerated
        last_h = None
        size = 0.0
        angle = 0
        out = buckets.setdefault(0, [])
        append = out.append
        chars = text if text is not None else [_unicode(get_uni(raw, i)) for i in range(n)]
        for i, ch in enumerate(chars):
            if ch in _BLANK:
                if ch in _SPACE:
                    append(_GENERATED if is_gen(raw, i) else None)
                continue
            if ch in _HYPHEN_MARKS:  # PDFium's mark for a hyphen that ends a line
                ch = "-"
            get_box(raw, i, prect)
            rl, rt, rr, rb = rect.left, rect.top, rect.right, rect.bottom
            h = rt - rb
            if h != last_h:
                pdfium_c.FPDFText_GetMatrix(raw, i, pmat)
                fs = pdfium_c.FPDFText_GetFontSize(raw, i)
                a, b, c, d = mat.a, mat.b, mat.c, mat.d
                angle = int(round(math.degrees(math.atan2(b, a)) / 90.0)) % 4 * 90
                size = round(fs * math.hypot(c, d), 3)
                last_h = h
                out = buckets.setdefault(angle, [])
                append = out.append
            # the box in the frame where this direction reads upright; its bottom is the
            # font box's descent side, its top one font size above (as pdfminer computes it)
            if angle == 0:
                btm = top_ - rb
                append((ch, rl - left, rr - left, btm - size, btm, size))
            elif angle == 90:
                btm = rr - left
                append((ch, rb - bottom_, rt - bottom_, btm - size, btm, size))
            elif angle == 180:
                btm = rt - bottom_
                append((ch, right - rr, right - rl, btm - size, btm, size))
            else:
                btm = right - rl
                append((ch, top_ - rt, top_ - rb, btm - size, btm, size))
        return buckets
    finally:
        textpage.close()


def _unicode(code: int) -> str:
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else ""


_HYPHEN_MARKS = frozenset("\x02\ufffe")
#: Marks a space PDFium inserted where it saw a gap between words (not in the file).
_GENERATED = 0
_BLANK = frozenset(" \r\n\t\xa0\u2002\u2003\u2009") | {""}
_SPACE = frozenset(" \t\xa0\u2002\u2003\u2009")


def _segments_of(obj, pdfium_c, matrix, out: list) -> None:
    """Straight pieces of a path object (or of the paths inside a form XObject), in user space."""
    kind = pdfium_c.FPDFPageObj_GetType(obj)
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        m.a, m.b, m.c, m.d, m.e, m.f = 1.0, 0.0, 0.0, 1.0, 0.0, 0.0
    a, b, c, d, e, f = _compose((m.a, m.b, m.c, m.d, m.e, m.f), matrix)
    if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
        n = pdfium_c.FPDFFormObj_CountObjects(obj)
        for k in range(max(0, n)):
            _segments_of(pdfium_c.FPDFFormObj_GetObject(obj, k), pdfium_c, (a, b, c, d, e, f), out)
        return
    if kind != pdfium_c.FPDF_PAGEOBJ_PATH:
        return
    n = pdfium_c.FPDFPath_CountSegments(obj)
    if n <= 1 or n > 2000:
        return
    x = ctypes.c_float()
    y = ctypes.c_float()
    px, py = ctypes.byref(x), ctypes.byref(y)
    start = prev = None
    for k in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, k)
        pdfium_c.FPDFPathSegment_GetPoint(seg, px, py)
        pt = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        typ = pdfium_c.FPDFPathSegment_GetType(seg)
        if typ == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = prev = pt
            continue
        if typ == pdfium_c.FPDF_SEGMENT_LINETO and prev is not None:
            out.append((prev, pt))
        prev = pt
        if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
            out.append((pt, start))
            prev = start


def _compose(inner: tuple, outer: tuple) -> tuple:
    """The matrix ``inner`` followed by ``outer`` (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _edges(segments: list, angle: int, crop: tuple) -> list[dict]:
    """Axis-aligned pieces at least ``RULE_MIN`` long, in a frame, as pdfplumber's edges."""
    out = []
    for p, q in segments:
        (x0, y0), (x1, y1) = _frame(angle, crop, *p), _frame(angle, crop, *q)
        if abs(y0 - y1) < 0.5 and abs(x1 - x0) >= RULE_MIN:
            out.append({"orientation": "h", "x0": min(x0, x1), "x1": max(x0, x1), "top": y0})
        elif abs(x0 - x1) < 0.5 and abs(y1 - y0) >= RULE_MIN:
            out.append(
                {"orientation": "v", "x0": x0, "x1": x0, "top": min(y0, y1), "bottom": max(y0, y1)}
            )
    return out


def _crop_box(page, pdfium_c) -> tuple[float, float, float, float]:
    """The page's crop box (else media box) in user space, as stored: ``/Rotate`` not applied."""
    vals = [ctypes.c_float() for _ in range(4)]
    refs = [ctypes.byref(v) for v in vals]
    if not pdfium_c.FPDFPage_GetCropBox(page.raw, *refs):
        if not pdfium_c.FPDFPage_GetMediaBox(page.raw, *refs):
            w, h = page.get_size()
            return (0.0, 0.0, float(w), float(h))
    left, bottom, right, top = (v.value for v in vals)
    return (min(left, right), min(bottom, top), max(left, right), max(bottom, top))


def _layers_of(page, number: int, pdfium_c) -> list[PageLayer]:
    crop = _crop_box(page, pdfium_c)
    buckets = _page_chars(page, pdfium_c, crop)
    counts = {a: sum(c is not None for c in cs) for a, cs in buckets.items()}
    counts = {a: k for a, k in counts.items() if k} or {0: 0}
    main = max(counts, key=lambda a: (counts[a], a == 0))
    angles = [main] + sorted(a for a in counts if a != main and counts[a] >= MIN_LAYER_CHARS)
    layers = []
    for angle in angles:
        w, h = crop[2] - crop[0], crop[3] - crop[1]
        if angle in (90, 270):
            w, h = h, w
        layers.append(PageLayer(number, angle, w, h, _words(buckets.get(angle, [])), crop))
    # rules bound tables under a "Table N" caption: read the paths only on pages with one
    if any(wd["text"] in ("Table", "TABLE") for layer in layers for wd in layer.words):
        segments: list = []
        raw_page = page.raw
        for k in range(pdfium_c.FPDFPage_CountObjects(raw_page)):
            obj = pdfium_c.FPDFPage_GetObject(raw_page, k)
            _segments_of(obj, pdfium_c, (1, 0, 0, 1, 0, 0), segments)
        for layer in layers:
            layer.edges = _edges(segments, layer.angle, crop)
    return layers


def pdfium_layers(doc) -> list[PageLayer]:
    """Every page of an open ``pypdfium2.PdfDocument`` as layers (main direction first)."""
    import pypdfium2.raw as pdfium_c

    out = []
    for i in range(len(doc)):
        page = doc[i]
        try:
            out += _layers_of(page, i + 1, pdfium_c)
        finally:
            page.close()
    return out


def plumber_layers(pdf, word_settings: dict) -> list[PageLayer]:
    """The same layers from an open ``pdfplumber.PDF`` (today's path: upright text only)."""
    out = []
    for i, page in enumerate(pdf.pages):
        words = [w for w in page.extract_words(**word_settings) if w.get("upright", True)]
        for w in words:
            w["chars"] = [(c["text"], c["x0"], c["x1"]) for c in w.get("chars") or []]
        edges = [
            {k: e[k] for k in ("orientation", "x0", "x1", "top", "bottom")} for e in page.edges
        ]
        x0, top, x1, bottom = page.bbox
        crop = (x0, page.height - bottom, x1, page.height - top)
        out.append(PageLayer(i + 1, 0, page.width, page.height, words, crop, edges))
    return out
