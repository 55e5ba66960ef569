"""The PDF text layer, in reading order, with tables written as tab-separated rows.

:func:`extract_pdf` turns a PDF into plain text that the text reader then treats like any
``.txt`` paper: columns are read one after the other (not interleaved), words are split with
pdfplumber's relative tolerance (``x_tolerance_ratio``), superscript exponents after "10" are
written "10^-4", running headers and footers repeated on several pages are dropped, and each
table found under a "Table N" caption is written as its caption, a blank line, one line per
row with cells separated by tabs, and its footnote. The text-table parser
(:mod:`evsynth.reading.tables`) then reads these rows exactly as it reads a tab-separated ``.txt``
table, so a PDF and the same paper as text give the same cells.

What was tuned and why is in ``docs/reader.md`` ("PDF handling").
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from evsynth.errors import CorruptPDFError, EncryptedPDFError, NoTextLayerError
from evsynth.reading.pdf_layer import PageLayer, pdfium_layers, plumber_layers

__all__ = ["PdfText", "extract_pdf", "WORD_SETTINGS"]

#: Word extraction settings. ``x_tolerance_ratio=0.2`` (a gap wider than 0.2 x font size
#: separates words) splits words that the default absolute ``x_tolerance=3`` glues together
#: in tightly set publisher PDFs ("Thismeta-analysis"), without splitting kerned words.
WORD_SETTINGS = dict(
    x_tolerance_ratio=0.2,
    y_tolerance=2,
    keep_blank_chars=False,
    use_text_flow=False,
    expand_ligatures=False,
    extra_attrs=["size"],
    return_chars=True,
)
#: A page with fewer characters than this in its text layer counts as having none.
MIN_PAGE_CHARS = 20

_CAPTION_NUM = re.compile(r"^(\d{1,2}[A-Za-z]?)[.:|]?$")


@dataclass
class PdfText:
    """What :func:`extract_pdf` returns."""

    text: str
    pages: int
    title: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: offset in ``text`` where each page's text starts
    page_starts: list[int] = field(default_factory=list)
    #: each printed line: ``(start, end, page, x0, top, x1, bottom)``, offsets into ``text``,
    #: box in points from the top-left corner of the (unrotated) page
    line_boxes: list[tuple] = field(default_factory=list)


@dataclass
class _Line:
    words: list[dict]
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    text: str = ""
    is_table: bool = False
    #: for a table block: the box of each line of ``text`` (None for blank lines)
    line_boxes: list | None = None

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2


def _no_pages(path: Path) -> bool:
    """Whether the file's page tree says it has no pages ("/Type /Pages ... /Count 0")."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    trees = [
        d for d in re.findall(rb"<<([^<>]{0,400})>>", data) if re.search(rb"/Type\s*/Pages\b", d)
    ]
    return bool(trees) and all(re.search(rb"/Count\s*0(?![\d.])", t) for t in trees)


def _open_check(path: Path) -> int:
    """Validate with PDFium: return the page count or raise a typed error."""
    import pypdfium2 as pdfium

    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF" not in head:
        start = head[:12].decode("latin-1").encode("unicode_escape").decode()
        raise CorruptPDFError(
            path, f"this is not a PDF (it starts with {start!r}, not '%PDF'); was the file renamed?"
        )
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower() or "security" in msg.lower():
            raise EncryptedPDFError(
                path,
                "the PDF is encrypted (password protected); open it in a PDF viewer with the "
                "password and save an unprotected copy, or ask the publisher for one",
            ) from None
        if _no_pages(path):  # PDFium refuses a document without pages, with a stale error code
            raise CorruptPDFError(
                path,
                "the PDF has no pages (its page tree is empty or missing); download it "
                "again or re-save it from a PDF viewer",
            ) from None
        raise CorruptPDFError(
            path,
            f"the PDF is damaged or truncated ({msg}); download it again or re-save it from a "
            "PDF viewer",
        ) from None
    try:
        n = len(doc)
    finally:
        doc.close()
    if n == 0:
        raise CorruptPDFError(
            path,
            "the PDF has no pages (its page tree is empty); download it again or re-save it "
            "from a PDF viewer",
        )
    return n


def _superscript(word: dict, line_size: float, line_bottom: float) -> bool:
    return word["size"] < 0.85 * line_size and word["bottom"] < line_bottom - 0.2 * line_size


def _overlaps(w: dict, others: list[dict]) -> bool:
    """Whether ``w`` overlaps one of ``others`` by more than half the narrower one's width."""
    a, b = w["x0"], w["x1"]
    for v in others:
        c, d = v["x0"], v["x1"]
        if d <= a or c >= b:
            continue
        if (b if b < d else d) - (a if a > c else c) > 0.5 * min(b - a, d - c):
            return True
    return False


def _rows(words: list[dict]) -> list[_Line]:
    """Group words into lines: a word joins a line its vertical middle falls inside."""
    lines: list[_Line] = []
    for w in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        mid = (w["top"] + w["bottom"]) / 2
        for ln in reversed(lines[-6:]):
            if ln.top - 0.5 <= mid <= ln.bottom + 0.5 and not _overlaps(w, ln.words):
                ln.words.append(w)
                ln.x0, ln.x1 = min(ln.x0, w["x0"]), max(ln.x1, w["x1"])
                if w["size"] >= ln.size:
                    ln.top, ln.bottom, ln.size = w["top"], w["bottom"], w["size"]
                break
        else:
            lines.append(_Line([w], w["top"], w["bottom"], w["x0"], w["x1"], w["size"]))
    for ln in lines:
        ln.words.sort(key=lambda w: w["x0"])
    lines.sort(key=lambda ln: ln.top)
    return lines


def _line_text(words: list[dict], size: float, bottom: float) -> str:
    """Join words; superscripts after "10" become "^exponent", other superscripts are glued."""
    out = ""
    prev = None
    for w in words:
        t = w["text"]
        if prev is not None:
            gap = w["x0"] - prev["x1"]
            if gap <= 0.05 * size and not _superscript(w, size, bottom):
                out += t  # overlapping glyphs of one word ("second-g" + "eneration")
                prev = w
                continue
            if (
                gap < 0.3 * size
                and _superscript(w, size, bottom)
                and not _superscript(prev, size, bottom)
            ):
                if re.search(r"(?<![\d.])10$", out) and re.match(r"^[-−–+]?\d{1,3}$", t):
                    out += "^" + t
                    prev = w
                    continue
                if gap < 0.25 * size:
                    out += t
                    prev = w
                    continue
            out += " " + t
        else:
            out = t
        prev = w
    return out


def _segments(lines: list[_Line]) -> list[_Line]:
    """Split lines at horizontal gaps wider than 0.8 x font size (column gutters, table gaps).

    Words of a line are at most ~0.4 x size apart in justified text; the gutter between two
    columns is at least about one font size wide.
    """
    out = []
    for ln in lines:
        group = [ln.words[0]]
        for w in ln.words[1:]:
            if w["x0"] - group[-1]["x1"] > 0.8 * max(w["size"], group[-1]["size"]):
                out.append(_make_line(group))
                group = [w]
            else:
                group.append(w)
        out.append(_make_line(group))
    return out


def _make_line(words: list[dict]) -> _Line:
    size = max(w["size"] for w in words)
    big = [w for w in words if w["size"] >= size - 0.01]
    ln = _Line(
        words,
        min(w["top"] for w in big),
        max(w["bottom"] for w in big),
        min(w["x0"] for w in words),
        max(w["x1"] for w in words),
        size,
    )
    ln.text = _line_text(words, size, ln.bottom)
    return ln


def _union(spans) -> list[tuple[float, float]]:
    """x-intervals merged where they touch or overlap, left to right."""
    out: list[tuple[float, float]] = []
    for x0, x1 in sorted(spans):
        if out and x0 <= out[-1][1]:
            if x1 > out[-1][1]:
                out[-1] = (out[-1][0], x1)
        else:
            out.append((x0, x1))
    return out


def _widest_gap(union: list[tuple[float, float]], size: float) -> tuple[float, float] | None:
    """The widest gap (at least 0.7 x font size) between consecutive merged intervals."""
    best = None
    for (_a, reach), (x0, _b) in zip(union, union[1:], strict=False):
        if x0 - reach >= 0.7 * size and (best is None or x0 - reach > best[1] - best[0]):
            best = (reach, x0)
    return best


def _vertical_gap(boxes: list[_Line], size: float) -> tuple[float, float] | None:
    """The widest x-gap (at least 0.7 x font size) that no box crosses, with boxes on both sides."""
    return _widest_gap(_union((b.x0, b.x1) for b in boxes), size)


def _bands(boxes: list[_Line]) -> list[list[_Line]]:
    """Split boxes at every y-gap that no box crosses (top to bottom)."""
    bands: list[list[_Line]] = []
    reach = None
    for b in sorted(boxes, key=lambda b: b.top):
        if reach is None or b.top >= reach:
            bands.append([b])
        else:
            bands[-1].append(b)
        reach = b.bottom if reach is None else max(reach, b.bottom) if b.top < reach else b.bottom
    return bands


def _column_groups(bands: list[list[_Line]], size: float) -> list[list[_Line]]:
    """Consecutive bands grouped by layout: runs that share a column gap, and runs without one.

    A band that fits both the group above and the group below (a heading or the tail of a
    sidebar, on one side only) goes with the group below, so that a sidebar next to an abstract
    is read as its own column and the abstract stays whole.
    """
    groups: list[list[list[_Line]]] = [[bands[0]]]
    union = _union((b.x0, b.x1) for b in bands[0])  # of the current group's boxes
    multi = _widest_gap(union, size) is not None
    for band in bands[1:]:
        cur = groups[-1]
        spans = [(b.x0, b.x1) for b in band]
        joined = _union(union + spans)
        joined_multi = _widest_gap(joined, size) is not None
        if multi and joined_multi:
            cur.append(band)
            union = joined
            continue
        band_multi = len(band) > 1 and _widest_gap(_union(spans), size) is not None
        if not multi and not band_multi and not joined_multi:
            cur.append(band)
            union = joined
            continue
        new = [band]
        # trailing bands of the closed group that also fit the new group's columns move to it
        # when their left edges line up with the new group's lines at least as often
        while len(cur) > 1 and band_multi:
            last = cur[-1]
            new_flat = [b for bd in new for b in bd]
            if _vertical_gap(last + new_flat, size) is None:
                break
            old_flat = [b for bd in cur[:-1] for b in bd]
            old_votes = new_votes = 0
            for b in last:
                in_old = any(abs(b.x0 - o.x0) < 3 for o in old_flat)
                in_new = any(abs(b.x0 - o.x0) < 3 for o in new_flat)
                old_votes += in_old and not in_new
                new_votes += in_new and not in_old
            if new_votes < old_votes:
                break
            new.insert(0, cur.pop())
        groups.append(new)
        union = _union((b.x0, b.x1) for bd in new for b in bd)
        multi = _widest_gap(union, size) is not None
    return [[b for bd in g for b in bd] for g in groups]


def _xy_order(boxes: list[_Line]) -> list[_Line]:
    """Reading order by recursive XY-cut.

    A region is first cut vertically at the widest x-gap that no box crosses (columns, a
    sidebar), reading left before right. Failing that, its horizontal bands (split at every
    y-gap no box crosses) are grouped into runs that share a column gap (two columns, a sidebar
    beside an abstract) and runs without one (a title, a full-width abstract or table), each read
    in turn. Grouping whole runs, rather than cutting at every line gap, keeps two columns whose
    lines share baselines from being interleaved. If that makes no progress the region is cut at
    its widest y-gap next to a wide box.
    """
    if len(boxes) <= 1:
        return list(boxes)
    size = statistics.median(b.size for b in boxes)
    best = _vertical_gap(boxes, size)
    if best is not None:
        cut = (best[0] + best[1]) / 2
        left = [b for b in boxes if b.x1 <= cut]
        right = [b for b in boxes if b.x0 >= cut]
        return _xy_order(left) + _xy_order(right)
    bands = _bands(boxes)
    if len(bands) > 1:
        groups = _column_groups(bands, size)
        if len(groups) > 1:
            return [b for g in groups for b in _xy_order(g)]
    # horizontal cut at the widest gap next to a wide box (a title, an abstract, a footer)
    width = max(b.x1 for b in boxes) - min(b.x0 for b in boxes)
    spans = sorted((b.top, b.bottom, b.x1 - b.x0 >= 0.5 * width) for b in boxes)
    best = None
    reach, reach_wide = spans[0][1], spans[0][2]
    for t, btm, wide in spans[1:]:
        if t - reach > 0:
            near_wide = reach_wide or any(w for t2, _b, w in spans if t <= t2 <= t + 1)
            key = (near_wide, t - reach)
            if best is None or key > best[0]:
                best = (key, reach, t)
        if btm >= reach:
            reach_wide = wide if btm > reach + 1 else (reach_wide or wide)
            reach = btm
    if best is not None:
        cut = (best[1] + best[2]) / 2
        top = [b for b in boxes if (b.top + b.bottom) / 2 <= cut]
        bottom = [b for b in boxes if (b.top + b.bottom) / 2 > cut]
        if top and bottom:
            return _xy_order(top) + _xy_order(bottom)
    return sorted(boxes, key=lambda b: (round(b.top), b.x0))


def _h_rules(page, merge: bool = True) -> list[tuple[float, float, float]]:
    """Horizontal rules (top, x0, x1), 30 pt or longer; touching pieces merged unless merge=False."""
    rules = []
    for e in page.edges:
        if e["orientation"] == "h" and e["x1"] - e["x0"] >= 30:
            rules.append((e["top"], e["x0"], e["x1"]))
    rules.sort()
    if not merge:
        return rules
    merged: list[tuple[float, float, float]] = []
    for r in rules:
        if (
            merged
            and abs(r[0] - merged[-1][0]) < 2.5
            and r[1] <= merged[-1][2] + 2
            and r[2] >= merged[-1][1] - 2
        ):
            t, a, b = merged[-1]
            merged[-1] = (t, min(a, r[1]), max(b, r[2]))
        else:
            merged.append(r)
    return merged


@dataclass
class _TableRegion:
    caption_lines: list[_Line]
    x0: float
    x1: float
    top: float  # the caption's top
    rule_top: float
    header_bottom: float | None
    bottom: float
    partial_rules: list[tuple[float, float, float]]


def _find_table_regions(page, lines: list[_Line], body_size: float) -> list[_TableRegion]:
    """Tables under "Table N" captions, bounded by horizontal rules (booktabs style)."""
    rules = _h_rules(page)
    captions = []
    for i, ln in enumerate(lines):
        ws = ln.words
        if (
            len(ws) >= 2
            and ws[0]["text"] in ("Table", "TABLE")
            and _CAPTION_NUM.match(ws[1]["text"])
        ):
            captions.append(i)
    if not captions:
        return []
    segs = _segments(lines)
    other_caps = [
        ln.top
        for ln in lines
        if ln.words and re.match(r"^(Table|TABLE|Figure|FIGURE|Fig\.)$", ln.words[0]["text"])
    ]
    regions = []
    for i in captions:
        cap = lines[i]
        below = [
            r for r in rules if cap.bottom - 2 <= r[0] <= cap.bottom + 45 and r[2] - r[1] >= 100
        ]
        if not below:
            continue
        # caption lines: the caption line and the lines after it down to the top rule
        top_rule = below[0]
        # (words outside the table's width belong to a column beside it)
        cap_lines = _clip(
            [cap] + [ln for ln in lines[i + 1 :] if ln.top < top_rule[0]], *top_rule[1:]
        )
        x0, x1 = top_rule[1], top_rule[2]
        width = x1 - x0
        limit = min([t for t in other_caps if t > top_rule[0] + 5] + [0.93 * page.height])
        # rows of rules: segments at the same height (a rule broken at column gaps is one rule)
        rows: list[list[tuple[float, float, float]]] = []
        for r in rules:
            if top_rule[0] + 4 < r[0] < limit and r[2] > x0 and r[1] < x1:
                if rows and abs(rows[-1][0][0] - r[0]) < 1.5:
                    rows[-1].append(r)
                else:
                    rows.append([r])
        candidates = []
        for row in rows:
            left, right = min(r[1] for r in row), max(r[2] for r in row)
            cover = sum(min(r[2], x1) - max(r[1], x0) for r in row)
            if left <= x0 + 0.05 * width and right >= x1 - 0.05 * width and cover >= 0.6 * width:
                candidates.append((row[0][0], left, right))
        # the table ends at the last of these rules before running text: two or more long
        # segments in body type between two rules mean the table has ended
        wide = []
        prev = top_rule[0]
        for r in candidates:
            prose = [
                sg
                for sg in segs
                if prev < (sg.top + sg.bottom) / 2 < r[0]
                and sg.size >= body_size - 0.3
                and sg.x1 - sg.x0 >= 0.4 * width
                and sg.x0 >= x0 - 5
                and sg.x1 <= x1 + 5
                and len(sg.words) >= 6
                and sum(bool(re.search(r"\d", w["text"])) for w in sg.words) < 0.3 * len(sg.words)
            ]
            if len(prose) >= 2:
                break
            wide.append(r)
            prev = r[0]
        if not wide:
            continue
        bottom = wide[-1][0]
        header_bottom = wide[0][0] if len(wide) >= 2 else None
        # rules under spanning headers, as drawn (not merged: a renderer may draw one per cell)
        partial = [
            r
            for r in _h_rules(page, merge=False)
            if top_rule[0] + 2 < r[0] < (header_bottom or bottom) - 2
            and all(abs(r[0] - w[0]) >= 1.5 for w in wide)
        ]
        regions.append(
            _TableRegion(cap_lines, x0, x1, cap.top, top_rule[0], header_bottom, bottom, partial)
        )
    return regions


def _columns(rows: list[_Line], x0: float, x1: float) -> list[tuple[float, float]]:
    """Column intervals from the body rows: x ranges that at most 10% of rows cover are gaps."""
    if not rows:
        return [(x0, x1)]
    lo, hi = int(x0) - 2, int(x1) + 3
    cover = [0] * (hi - lo)
    for ln in rows:
        seen = set()
        for w in ln.words:
            pad = 0.2 * w["size"]
            for x in range(max(lo, int(w["x0"] - pad)), min(hi, int(w["x1"] + pad) + 1)):
                seen.add(x)
        for x in seen:
            cover[x - lo] += 1
    thresh = max(0, int(0.1 * len(rows)))
    cols = []
    start = None
    for i, c in enumerate(cover + [0]):
        if c > thresh and start is None:
            start = i
        elif c <= thresh and start is not None:
            cols.append((lo + start, lo + i))
            start = None
    return cols or [(x0, x1)]


def _phrases(ln: _Line) -> list[list[dict]]:
    """Words of a line grouped into phrases (gaps no wider than ~one space)."""
    out: list[list[dict]] = []
    for w in ln.words:
        if out and w["x0"] - out[-1][-1]["x1"] < 0.6 * w["size"]:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _cells_of(ln: _Line, cols: list[tuple[float, float]]) -> list[str]:
    """Body words to columns: each word goes to the column its extent overlaps most."""
    parts: list[list[dict]] = [[] for _ in cols]
    for w in ln.words:
        a, b = w["x0"], w["x1"]
        best = max(range(len(cols)), key=lambda k: min(b, cols[k][1]) - max(a, cols[k][0]))
        if min(b, cols[best][1]) - max(a, cols[best][0]) < 0:
            best = min(
                range(len(cols)), key=lambda k: abs((a + b) / 2 - (cols[k][0] + cols[k][1]) / 2)
            )
        parts[best].append(w)
    return [_line_text(ws, ln.size, ln.bottom) if ws else "" for ws in parts]


def _refine_columns(
    cols: list[tuple[float, float]], header: list[_Line]
) -> tuple[list[tuple[float, float]], list[float]]:
    """Split a body column under which the lowest header line has several headers.

    Some PDFs set a table's cells without a gap ("1.15（1.04-1.29）0.000" under "OR(95%CI)" and
    "Ph"); the headers are still apart, so the column is cut midway between them.
    """
    if not header:
        return cols, []
    phrases = _phrases(header[-1])
    out, cuts = [], []
    for c0, c1 in cols:
        inside = [ph for ph in phrases if c0 <= (ph[0]["x0"] + ph[-1]["x1"]) / 2 <= c1]
        here = [(p[-1]["x1"] + q[0]["x0"]) / 2 for p, q in zip(inside, inside[1:], strict=False)]
        edges = [c0, *here, c1]
        out += list(zip(edges, edges[1:], strict=False))
        cuts += here
    return out, cuts


def _split_word(w: dict, x: float) -> list[dict]:
    """Split a word at the boundary between its characters nearest to ``x`` (within 5 pt)."""
    chars = w.get("chars") or []
    bounds = [(abs(c[1] - x), k) for k, c in enumerate(chars) if k > 0]
    if not bounds:
        return [w]
    dist, k = min(bounds)
    if dist > 5:
        return [w]

    def piece(cs: list[tuple]) -> dict:
        return {
            **w,
            "text": "".join(c[0] for c in cs),
            "x0": cs[0][1],
            "x1": cs[-1][2],
            "chars": cs,
        }

    return [piece(chars[:k]), piece(chars[k:])]


def _cut_line(ln: _Line, cuts: list[float]) -> _Line:
    """Split the words of a table row that run across a column cut (2 pt or more each side)."""
    words = []
    for w in ln.words:
        pieces = [w]
        for x in cuts:
            nxt = []
            for p in pieces:
                nxt += _split_word(p, x) if p["x0"] < x - 2 and p["x1"] > x + 2 else [p]
            pieces = nxt
        words += pieces
    return _Line(words, ln.top, ln.bottom, ln.x0, ln.x1, ln.size, ln.text)


def _clip(lines: list[_Line], x0: float, x1: float) -> list[_Line]:
    """Lines cut to the words inside ``[x0, x1]`` (5 pt slack): a table or figure in one column
    of a two-column page shares its rows' heights with the other column's text."""
    out = []
    for ln in lines:
        words = [w for w in ln.words if w["x0"] >= x0 - 5 and w["x1"] <= x1 + 5]
        if len(words) == len(ln.words):
            out.append(ln)
        elif words:
            out.append(_make_line(words))
    return out


def _remaining(lines: list[_Line], used: set[int]) -> list[_Line]:
    """Lines without the words in ``used`` (ids), rebuilt where some of their words are gone."""
    out = []
    for ln in lines:
        words = [w for w in ln.words if id(w) not in used]
        if len(words) == len(ln.words):
            out.append(ln)
        elif words:
            out.append(_make_line(words))
    return out


def _table_text(
    region: _TableRegion, lines: list[_Line], body_size: float
) -> tuple[str, set[int], list]:
    """Caption, blank line, tab-separated rows and footnote of one table; ids of lines used;
    the box of each line of the text (None for the blank ones)."""
    used = {id(w) for ln in region.caption_lines for w in ln.words}
    inside = [
        ln
        for ln in _clip(
            [ln for ln in lines if ln.top < region.bottom + 1 and ln.bottom > region.rule_top - 1],
            region.x0,
            region.x1,
        )
        if region.rule_top - 1 < ln.mid < region.bottom + 1
    ]
    used |= {id(w) for ln in inside for w in ln.words}
    hb = region.header_bottom
    header = [ln for ln in inside if hb is not None and ln.mid < hb]
    body = [ln for ln in inside if hb is None or ln.mid > hb]
    # trailing lines in larger type than the table's rows are a note inside the frame
    if body:
        table_size = statistics.median(ln.size for ln in body)
        inner_note = []
        while body and body[-1].size > table_size + 1.5:
            inner_note.insert(0, body.pop())
    else:
        inner_note = []
    if hb is None and body:
        header, body = body[:1], body[1:]
    cols = _columns(body, region.x0, region.x1)
    cols, cuts = _refine_columns(cols, header)
    if cuts:
        body = [_cut_line(ln, cuts) for ln in body]
    rows_txt = []
    row_boxes = [_box_of([ln]) for ln in header]
    for ln in header:
        cells = [""] * len(cols)
        phrases = _phrases(ln)
        for ph in phrases:
            a, b = ph[0]["x0"], ph[-1]["x1"]
            text = _line_text(ph, ln.size, ln.bottom)
            span = [
                r
                for r in region.partial_rules
                if r[0] > ln.bottom - 1 and r[1] - 3 <= (a + b) / 2 <= r[2] + 3
            ]
            if span:
                r = min(span, key=lambda r: r[0])
                over = [
                    q for q in phrases if r[1] - 3 <= (q[0]["x0"] + q[-1]["x1"]) / 2 <= r[2] + 3
                ]
                if len(over) > 1:
                    span = []  # one rule under several headers: place each by its position
            if span:
                r = min(span, key=lambda r: r[0])
                ks = [k for k, (c0, c1) in enumerate(cols) if r[1] - 3 <= (c0 + c1) / 2 <= r[2] + 3]
                if ks:
                    cells[ks[0]] = f"{cells[ks[0]]} {text}".strip()
                    continue
            k = max(range(len(cols)), key=lambda k: min(b, cols[k][1]) - max(a, cols[k][0]))
            cells[k] = f"{cells[k]} {text}".strip()
        rows_txt.append(cells)
    body_rows: list[list[str]] = []
    body_boxes: list[tuple] = []
    for ln in body:
        cells = _cells_of(ln, cols)
        # a wrapped row: empty first cell, no cell that is a number, and text where the row
        # above has text (the cells continue those above)
        if (
            body_rows
            and not cells[0]
            and not any(re.fullmatch(r"[-−–+]?[\d.,]+%?", c) for c in cells)
            and all(not c or body_rows[-1][k] for k, c in enumerate(cells))
        ):
            body_rows[-1] = [f"{a} {b}".strip() for a, b in zip(body_rows[-1], cells, strict=True)]
            body_boxes[-1] = _union_box(body_boxes[-1], _box_of([ln]))
        else:
            body_rows.append(cells)
            body_boxes.append(_box_of([ln]))
    rows_txt.extend(body_rows)
    row_boxes += body_boxes
    caption = " ".join(ln.text for ln in region.caption_lines)
    out = [caption, ""]
    out += ["\t".join(r) for r in rows_txt]
    boxes = [_box_of(region.caption_lines), None, *row_boxes]
    # footnote: the smaller-type lines right under the bottom rule
    foot = []
    last = region.bottom
    below = [ln for ln in lines if ln.top >= region.bottom - 1]
    for ln in sorted(_clip(below, region.x0, region.x1), key=lambda ln: ln.top):
        if any(id(w) in used for w in ln.words) or ln.top < region.bottom - 1:
            continue
        if ln.top - last > 1.2 * ln.size + 4 or ln.size >= body_size - 0.3:
            break
        if ln.x0 < region.x0 - 5 or ln.x1 > region.x1 + 5:
            break
        foot.append(ln)
        last = ln.bottom
    used |= {id(w) for ln in foot for w in ln.words}
    foot = inner_note + foot
    if foot:
        out += ["", " ".join(ln.text for ln in foot)]
        boxes += [None, _box_of(foot)]
    return "\n".join(out), used, boxes


def _box_of(lines: list[_Line]) -> tuple[float, float, float, float]:
    return (
        min(ln.x0 for ln in lines),
        min(ln.top for ln in lines),
        max(ln.x1 for ln in lines),
        max(ln.bottom for ln in lines),
    )


def _union_box(a: tuple, b: tuple) -> tuple:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


#: An effect with its interval as forest plots print it: "0.63 (0.48, 0.83)", "0.63 [0.48; 0.83]",
#: "-0.21 (-0.40 to -0.02)".
_EFFECT_CI = re.compile(
    r"(?<![\w.])-?\d+(?:[.·]\d+)?\s?[(\[]\s?-?\d+(?:[.·]\d+)?\s?(?:,|;|to|–|-|—)\s?-?\d+(?:[.·]\d+)?\s?[)\]]"
)
#: Rows of a forest plot that are not a study: pooled estimates and the heterogeneity lines.
_POOLED = re.compile(
    r"(?i)^\s*(?:overall|subtotal|sub-total|total\b|pooled|random|fixed|heterogeneity|"
    r"i-squared|i2\b|i²|tau|test\s+for\s+(?:overall|subgroup))"
)
_FIGURE_CAPTION = re.compile(r"^(?:Figure|FIGURE|Fig\.?)\s?\d{1,2}[A-Za-z]?\b")


def _effect_x(ln: _Line) -> float | None:
    """The left x of the phrase of ``ln`` that holds an effect with its interval, or None."""
    for ph in _phrases(ln):
        text = " ".join(w["text"] for w in ph)
        m = _EFFECT_CI.search(text)
        if m:
            # the word where the match starts
            pos = 0
            for w in ph:
                if pos + len(w["text"]) > m.start():
                    return w["x0"]
                pos += len(w["text"]) + 1
    return None


def _figure_blocks(
    lines: list[_Line], body_size: float, width: float
) -> list[tuple[_Line, set[int]]]:
    """Forest plots drawn as text (see :func:`_figure_blocks_in`), also in one column of a
    two-column page: each side of the column gutter is searched first (a plot there has its
    caption on its own side), then the whole width."""
    if not any("Fig" in ln.text or "FIG" in ln.text for ln in lines):
        return []
    gx = _gutter(lines, width)
    if gx is not None:
        # a plot inside one column: its rows share their heights with the other column's text
        left = _clip(lines, -1e9, gx - 5)
        right = _clip(lines, gx + 5, 1e9)
        found = _figure_blocks_in(left, body_size) + _figure_blocks_in(right, body_size)
        if found:
            return found
    return _figure_blocks_in(lines, body_size)


def _gutter(lines: list[_Line], width: float) -> float | None:
    """The x between 35% and 65% of the page width crossed by the fewest line segments, if at
    most 15% of them cross it and there are segments on both sides (a two-column page)."""
    segs = _segments(lines)
    if len(segs) < 10:
        return None
    best = None
    for k in range(int(0.35 * width), int(0.65 * width), 2):
        crossing = sum(1 for sg in segs if sg.x0 < k < sg.x1)
        if best is None or crossing < best[0]:
            best = (crossing, k)
    crossing, gx = best
    left = sum(1 for sg in segs if sg.x1 <= gx)
    right = sum(1 for sg in segs if sg.x0 >= gx)
    if crossing > 0.15 * len(segs) or min(left, right) < 3:
        return None
    return float(gx)


def _figure_blocks_in(lines: list[_Line], body_size: float) -> list[tuple[_Line, set[int]]]:
    """Forest plots drawn as text: rows rebuilt by their vertical positions into a table block.

    A plot is three or more lines, one above the other (gaps under three line heights), each
    holding an effect with its interval ("0.63 (0.48, 0.83)") that starts at the same x (within
    12 pt), on a page with a "Figure N" caption. The block takes the header lines right above
    (up to three, e.g. "Study | n/N | RR (95% CI) | Weight"), the pooled and heterogeneity lines
    right below ("Overall (I-squared = 37.2%, p = 0.118)", "Test for overall effect ..."), and
    is written like a table under the figure's caption: the caption, a blank line, one line per
    row with cells separated by tabs (a line without an effect, such as the heterogeneity line,
    is one cell). The text reader makes it a ``Table`` with ``kind="figure"``.
    """
    captions = [ln for ln in lines if _FIGURE_CAPTION.match(ln.text)]
    if not captions:
        return []
    ordered = sorted(lines, key=lambda ln: ln.top)
    effect = [(ln, _effect_x(ln)) for ln in ordered]
    clusters: list[list[_Line]] = []
    for ln, x in effect:
        if x is None:
            continue
        if clusters:
            last = clusters[-1][-1]
            lx = _effect_x(last)
            if abs(x - lx) <= 12 and ln.top - last.bottom < 3 * ln.size:
                clusters[-1].append(ln)
                continue
        clusters.append([ln])
    out = []
    taken: set[int] = set()
    for rows in clusters:
        studies = [ln for ln in rows if not _POOLED.match(ln.text)]
        if len(studies) < 3:
            continue
        size = statistics.median(ln.size for ln in rows)
        idx = ordered.index(rows[0])
        header: list[_Line] = []
        for ln in reversed(ordered[max(0, idx - 3) : idx]):
            top = (header[0] if header else rows[0]).top
            if top - ln.bottom > 2.5 * size or _FIGURE_CAPTION.match(ln.text) or id(ln) in taken:
                break
            header.insert(0, ln)
        tail: list[_Line] = []
        j = ordered.index(rows[-1]) + 1
        while j < len(ordered):
            ln = ordered[j]
            prev = tail[-1] if tail else rows[-1]
            if ln.top - prev.bottom > 2.5 * size or not _POOLED.match(ln.text):
                break
            tail.append(ln)
            j += 1
        # lines between the rows (subgroup headings such as "1.1.2 Home-based") are rows too
        first, last = ordered.index(rows[0]), ordered.index(rows[-1])
        body = [ln for ln in ordered[first : last + 1] if id(ln) not in taken] + tail
        cols = _columns(studies, min(ln.x0 for ln in studies), max(ln.x1 for ln in studies))
        # a header line right above the first row with text in the first column only is a
        # subgroup heading ("1.1.1 Supervised"), not a header
        if header and len(cols) > 1 and header[-1].x1 < cols[1][0]:
            body.insert(0, header.pop())
        allr = header + body
        x0 = min(ln.x0 for ln in allr)
        x1 = max(ln.x1 for ln in allr)
        # the caption: the nearest "Figure N" line below the plot, else above it
        below = [c for c in captions if c.top >= body[-1].bottom and id(c) not in taken]
        above = [c for c in captions if c.bottom <= allr[0].top and id(c) not in taken]
        if below:
            cap = min(below, key=lambda c: c.top)
        elif above:
            cap = max(above, key=lambda c: c.top)
        else:
            continue
        cap_lines = [cap]
        k = ordered.index(cap) + 1
        while (
            k < len(ordered)
            and ordered[k].top - cap_lines[-1].bottom < 0.6 * cap.size
            and (abs(ordered[k].x0 - cap.x0) < 3)
        ):
            cap_lines.append(ordered[k])
            k += 1
        cols = _columns(studies, x0, x1)  # over the whole block's width
        text_rows, boxes = [], []
        for ln in header:
            cells = [""] * len(cols)
            for ph in _phrases(ln):
                a, b = ph[0]["x0"], ph[-1]["x1"]
                c = max(range(len(cols)), key=lambda k: min(b, cols[k][1]) - max(a, cols[k][0]))
                cells[c] = f"{cells[c]} {_line_text(ph, ln.size, ln.bottom)}".strip()
            text_rows.append(cells)
            boxes.append(_box_of([ln]))
        for ln in body:
            if _effect_x(ln) is None and ln in tail and len(cols) > 1:
                # a heterogeneity line: its name as the row label, the statistics as one cell
                # ("Heterogeneity:" | "Tau² = 0.02; Chi² = 4.10, df = 3 (P = 0.25); I² = 27%")
                head, colon, rest = ln.text.partition(":")
                label, value = (head + colon, rest.strip()) if colon else ("", ln.text)
                cells = [label, value] + [""] * (len(cols) - 2)
            elif _effect_x(ln) is None:  # a subgroup heading
                cells = [ln.text] + [""] * (len(cols) - 1)
            else:
                # whole phrases to the column where they start: a long pooled label
                # ("Overall (I-squared = 37.2%, p = 0.118)") stays one cell
                cells = [""] * len(cols)
                for ph in _phrases(ln):
                    a = ph[0]["x0"]
                    c = max((k for k in range(len(cols)) if cols[k][0] - 3 <= a), default=0)
                    cells[c] = f"{cells[c]} {_line_text(ph, ln.size, ln.bottom)}".strip()
            text_rows.append(cells)
            boxes.append(_box_of([ln]))
        caption = " ".join(ln.text for ln in cap_lines)
        txt = "\n".join([caption, "", *("\t".join(r) for r in text_rows)])
        line_boxes = [_box_of(cap_lines), None, *boxes]
        used = {id(w) for ln in allr + cap_lines for w in ln.words}
        taken |= {id(ln) for ln in allr + cap_lines}
        top = min(ln.top for ln in allr + cap_lines)
        bottom = max(ln.bottom for ln in allr + cap_lines)
        blk = _Line([], top, bottom, x0, x1, body_size, txt, True, line_boxes)
        out.append((blk, used))
    return out


def _title(lines: list[_Line], height: float, body_size: float) -> str | None:
    """The first page's largest type in its top 60% (3 to 60 words), larger than the body."""
    top = [ln for ln in lines if ln.top < 0.6 * height]
    for size in sorted({round(ln.size, 1) for ln in top}, reverse=True):
        if size < body_size + 1.5:
            return None
        group = [ln for ln in top if abs(ln.size - size) < 0.6]
        words = sum(len(ln.words) for ln in group)
        if 3 <= words <= 60:
            return re.sub(r"\s+", " ", " ".join(ln.text for ln in group)).strip()
    return None


def _page_lines(layer: PageLayer) -> list[_Line]:
    lines = _rows(layer.words)
    for ln in lines:
        ln.text = _line_text(ln.words, ln.size, ln.bottom)
    return lines


def _continues(prev: _Line, ln: _Line) -> bool:
    """Whether ``ln``, at the top of the next column, continues the sentence that ``prev`` ends
    a column with: same type size, ``prev`` ends without a full stop (or colon) and ``ln`` starts
    in lower case or with a bracket ("... hazard ratio 0.63" | "(95% CI 0.48-0.83) ...")."""
    return (
        not ln.is_table
        and not prev.is_table
        and ln.top < prev.top - 0.5 * ln.size
        and abs(ln.size - prev.size) <= 0.3
        and re.match(r"[(\[a-z]", ln.text) is not None
        and re.search(r"[.!?:;]\s*$", prev.text) is None
    )


def _join_lines(lines: list[_Line], body_size: float) -> tuple[str, list[tuple]]:
    """Lines -> text with blank lines between paragraphs, headings and blocks, and the spans
    ``(start, end, (x0, top, x1, bottom))`` of each printed line in that text."""
    out: list[str] = []
    spans: list[tuple] = []
    pos = 0
    gaps = [
        b.top - a.bottom
        for a, b in zip(lines, lines[1:], strict=False)
        if 0 <= b.top - a.bottom < 20
    ]
    typical = statistics.median(gaps) if gaps else 3.0
    prev = None
    for ln in lines:
        if prev is not None:
            same_row = abs(ln.top - prev.top) < 0.5 * ln.size and ln.x0 > prev.x1
            para = (
                ln.is_table
                or prev.is_table
                or ln.top - prev.bottom > typical + 0.6 * body_size
                or ln.top < prev.top - 0.5 * ln.size
                or abs(ln.size - prev.size) > 0.8
                or abs(ln.x0 - prev.x0) > 0.3 * (prev.x1 - prev.x0 + 1) + 3 * body_size
            )
            if para and _continues(prev, ln):
                para = False
            sep = " " if same_row else "\n\n" if para else "\n"
            out.append(sep)
            pos += len(sep)
        out.append(ln.text)
        if ln.line_boxes is not None:
            at = pos
            for part, box in zip(ln.text.split("\n"), ln.line_boxes, strict=False):
                if box is not None and part:
                    spans.append((at, at + len(part), box))
                at += len(part) + 1
        elif ln.text:
            spans.append((pos, pos + len(ln.text), (ln.x0, ln.top, ln.x1, ln.bottom)))
        pos += len(ln.text)
        prev = ln
    return "".join(out), spans


def extract_pdf(path: str | Path) -> PdfText:
    """Extract the text layer of a PDF in reading order (tables as tab-separated rows).

    Characters, words and rules come from PDFium (:mod:`evsynth.reading.pdf_layer`); every
    text direction on a page is read (landscape tables included).

    Raises
    ------
    CorruptPDFError : not a PDF, damaged or truncated.
    EncryptedPDFError : password protected.
    NoTextLayerError : no page has a text layer (a scan: run OCR first).
    """
    import pypdfium2 as pdfium

    path = Path(path)
    n_pages = _open_check(path)
    try:
        doc = pdfium.PdfDocument(str(path))
        try:
            layers = pdfium_layers(doc)
        finally:
            doc.close()
    except (NoTextLayerError, CorruptPDFError, MemoryError):
        raise  # a valid PDF too big for the memory limit is not a damaged one
    except Exception as exc:
        raise CorruptPDFError(
            path, f"the PDF could not be parsed ({type(exc).__name__}: {exc})"
        ) from None
    return _text_of(path, layers, n_pages)


def _extract_plumber(path: str | Path) -> PdfText:
    """Today's path before PDFium: the same layout on pdfplumber's words (benchmark only)."""
    import pdfplumber

    path = Path(path)
    n_pages = _open_check(path)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        with pdfplumber.open(path) as pdf:
            layers = plumber_layers(pdf, WORD_SETTINGS)
    except MemoryError:
        raise
    except Exception as exc:  # pdfminer raises many private exception types on broken files
        raise CorruptPDFError(
            path, f"the PDF could not be parsed ({type(exc).__name__}: {exc})"
        ) from None
    return _text_of(path, layers, n_pages)


def _text_of(path: Path, layers: list[PageLayer], n_pages: int) -> PdfText:
    """Layers -> the document text: headers/footers dropped, tables as rows, reading order."""
    warnings: list[str] = []
    title = None
    all_lines = [(layer, _page_lines(layer)) for layer in layers]
    # running headers/footers: lines near the top/bottom edge repeated on 2+ pages
    marks = Counter()
    for page, lines in all_lines:
        for ln in lines:
            if ln.top < 0.08 * page.height or ln.bottom > 0.94 * page.height:
                marks[re.sub(r"\d+", "#", ln.text)] += 1
    sizes = [w["size"] for _, lines in all_lines for ln in lines for w in ln.words]
    body_size = Counter(round(s, 1) for s in sizes).most_common(1)[0][0] if sizes else 10.0
    texts: dict[int, list[str]] = {k: [] for k in range(1, n_pages + 1)}
    for page, lines in all_lines:
        lines = [
            ln
            for ln in lines
            if not (
                (ln.top < 0.08 * page.height or ln.bottom > 0.94 * page.height)
                and marks[re.sub(r"\d+", "#", ln.text)] >= 2
                and n_pages > 1
            )
        ]
        if page.number == 1 and title is None and lines:
            title = _title(lines, page.height, body_size)
        regions = _find_table_regions(page, lines, body_size)
        used: set[int] = set()
        blocks: list[_Line] = []
        for reg in regions:
            txt, u, boxes = _table_text(reg, lines, body_size)
            used |= u
            blk = _Line([], reg.top, reg.bottom, reg.x0, reg.x1, body_size, txt, True, boxes)
            blocks.append(blk)
        for blk, u in _figure_blocks(_remaining(lines, used), body_size, page.width):
            used |= u
            blocks.append(blk)
        flow = _segments(_remaining(lines, used))
        ordered = _xy_order(flow + blocks)
        text, spans = _join_lines(ordered, body_size)
        spans = [(a, b, page.page_box(*box)) for a, b, box in spans]
        texts.setdefault(page.number, []).append((text, spans))
    page_texts, page_spans = [], []
    for k in sorted(texts):
        parts, spans, at = [], [], 0
        for text, sp in texts[k]:
            if not text:
                continue
            if parts:
                at += 2
            parts.append(text)
            spans += [(a + at, b + at, box) for a, b, box in sp]
            at += len(text)
        page_texts.append("\n\n".join(parts))
        page_spans.append(spans)
    chars = [len(t.strip()) for t in page_texts]
    if (
        sum(chars) < MIN_PAGE_CHARS * max(1, n_pages) // 2
        and max(chars, default=0) < MIN_PAGE_CHARS
    ):
        raise NoTextLayerError(
            path,
            f"none of its {n_pages} page(s) has a text layer (a scanned image); run OCR "
            "(e.g. ocrmypdf) and read the OCR'd PDF",
        )
    empty = [i + 1 for i, c in enumerate(chars) if c < MIN_PAGE_CHARS]
    if empty:
        which = (
            f"page {empty[0]} has"
            if len(empty) == 1
            else f"pages {', '.join(map(str, empty))} have"
        )
        warnings.append(
            f"{which} no text layer (an image, e.g. a scanned table): not read; check it by eye"
        )
    starts, pos, boxes = [], 0, []
    for k, t in enumerate(page_texts):
        starts.append(pos)
        boxes += [
            (a + pos, b + pos, k + 1, *(round(v, 2) for v in box)) for a, b, box in page_spans[k]
        ]
        pos += len(t) + 2
    text = "\n\n".join(page_texts) + "\n"
    return PdfText(
        text=text,
        pages=n_pages,
        title=title,
        warnings=warnings,
        page_starts=starts,
        line_boxes=boxes,
    )
