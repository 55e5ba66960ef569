"""Text normalization with an exact map back to the original characters.

Each rule is a small function ``rule(text) -> list[Edit]`` that proposes non-overlapping
replacements; :func:`normalize` applies the rules one after another and composes their
offset maps, so that every character of the normalized text points at the original character
it came from (``offsets[i]``), monotone non-decreasing, with ``offsets[-1] == len(original)``.

Rules never change a digit or the order of digits: they change dashes, spaces, comparison
signs, ligatures, LaTeX and Markdown markup around numbers, never the numbers themselves.
The rules and their reasons are listed in ``docs/reader.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["Edit", "Normalized", "RULES", "apply_edits", "normalize"]


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` by ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Normalized:
    """The result of :func:`normalize`: the text and ``offsets`` (length ``len(text) + 1``)."""

    text: str
    offsets: np.ndarray


Rule = Callable[[str], list[Edit]]


def _align(source: str, replacement: str) -> list[int]:
    """Map each replacement character to an index of ``source`` (monotone).

    A replacement character that also occurs in the source (at or after the previous match)
    maps to that occurrence, so kept characters (digits above all) keep their own provenance;
    any other character maps to the position reached so far.
    """
    out = []
    pos = 0
    n = len(source)
    # a character "occurs" as itself or as its compatibility form ("⁶" for "6", "⁻" for "-")
    folded = "".join(f[0] if len(f := unicodedata.normalize("NFKC", c)) == 1 else c for c in source)
    for ch in replacement:
        hits = [j for j in (source.find(ch, pos), folded.find(ch, pos)) if j >= 0]
        j = min(hits) if hits else -1
        if j >= 0:
            out.append(j)
            pos = j + 1
        else:
            out.append(min(pos, n - 1) if n else 0)
    return out


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, np.ndarray]:
    """Apply non-overlapping edits; return the new text and its map into ``text``.

    The map has length ``len(new) + 1`` and ends with ``len(text)``. Overlapping edits (a later
    one starting before the previous one ended) are skipped, so a rule can never scramble text.
    """
    parts: list[str] = []
    idx: list[np.ndarray] = []
    last = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < last or e.end < e.start:
            continue
        if e.start > last:
            parts.append(text[last : e.start])
            idx.append(np.arange(last, e.start, dtype=np.int64))
        if e.replacement:
            parts.append(e.replacement)
            if e.end > e.start:
                local = _align(text[e.start : e.end], e.replacement)
                idx.append(np.asarray(local, dtype=np.int64) + e.start)
            else:  # pure insertion: point at the next original character
                idx.append(np.full(len(e.replacement), min(e.start, max(len(text) - 1, 0))))
        last = e.end
    if last < len(text):
        parts.append(text[last:])
        idx.append(np.arange(last, len(text), dtype=np.int64))
    idx.append(np.array([len(text)], dtype=np.int64))
    return "".join(parts), np.concatenate(idx)


def _sub(
    pattern: str | re.Pattern[str], repl: str | Callable[[re.Match[str]], str], flags=0
) -> Rule:
    """A rule from a regular expression and a replacement (string or function of the match)."""
    rx = re.compile(pattern, flags) if isinstance(pattern, str) else pattern

    def rule(text: str) -> list[Edit]:
        edits = []
        for m in rx.finditer(text):
            new = repl(m) if callable(repl) else m.expand(repl)
            if new != m.group(0):
                edits.append(Edit(m.start(), m.end(), new))
        return edits

    return rule


def _table(mapping: dict[str, str]) -> Rule:
    """A rule replacing single characters by strings."""
    rx = re.compile("[" + re.escape("".join(mapping)) + "]")
    return _sub(rx, lambda m: mapping[m.group(0)])


# --- the rules ---------------------------------------------------------------------------------

#: CR LF and lone CR become LF.
line_endings = _sub(r"\r\n?", "\n")

#: Soft hyphens (U+00AD), zero-width spaces/joiners and byte-order marks: removed by the reader
#: (and ignored by verification, which must read numbers as the reader does).
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
invisible_characters = _sub(f"[{INVISIBLE}]", "")

#: Ligatures as produced by PDF fonts become their letters.
ligatures = _table(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)

#: No-break, thin, hair, figure, en/em and narrow spaces become a plain space (tabs and newlines stay).
spaces = _sub("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]", " ")

#: Hyphen-like characters become ASCII "-": hyphen U+2010, non-breaking hyphen U+2011,
#: figure dash U+2012, en dash U+2013, minus sign U+2212, small/fullwidth hyphen-minus.
#: The em dash (U+2014) and horizontal bar (U+2015) become "-" only between two numbers
#: ("0.21—0.96"); in prose they stay a dash, and so does a dash alone in a table cell
#: ("0.812<tab>—<tab>0.355": an estimate, a model the variable did not enter, a p-value).
dashes = _table(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2212": "-",
        "\ufe63": "-",
        "\uff0d": "-",
    }
)
em_dash_ranges = _sub(r"(?<=\d)( ?)[\u2014\u2015]( ?)(?=\d)", "-")

#: A minus sign (U+2212) set apart from its number ("95% CI − 1.69 to 2.17", common in PDFs)
#: is attached to it: "-1.69". Only after a space, "(", "=", "[" or ",", so "a − b" between two
#: numbers (a subtraction or a range) is left to the dash rule.
detached_minus = _sub(
    r"(?:(?<=[\s(=\[,;:])|^)\u2212[ \u00a0\u2009\u202f](?=\d)(?<![\d.] \u2212 )", "-", re.MULTILINE
)

#: Full-width punctuation (common in papers typeset in East Asia) becomes ASCII:
#: "1.15（1.04-1.29）" -> "1.15(1.04-1.29)".
fullwidth_punctuation = _table(
    {
        "（": "(",
        "）": ")",
        "［": "[",
        "］": "]",
        "，": ",",
        "：": ":",
        "；": ";",
        "％": "%",
        "＝": "=",
        "＜": "<",
        "＞": ">",
        "＋": "+",
    }
)

#: One canonical form of the comparison signs: "≦", "⩽" -> "≤"; "≧", "⩾" -> "≥".
comparison_signs = _table(
    {"\u2266": "\u2264", "\u2a7d": "\u2264", "\u2267": "\u2265", "\u2a7e": "\u2265"}
)

#: Lancet-style middle-dot decimals: "0·62" -> "0.62" (only between two digits).
middle_dot_decimals = _sub(r"(?<=\d)[\u00b7\u2219](?=\d)", ".")

#: Markdown links "[text](target)" keep their text ("[Table 2\)](#page-7-0)" -> "Table 2)");
#: text split by a link inside a word ("infl[uence](url)") is rejoined.
_LINK = re.compile(r"\[([^\[\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
markdown_links = _sub(_LINK, lambda m: m.group(1))

#: Markdown bold "**OS**" keeps its text (single "*" are left alone: footnote marks, "p<0.05*").
markdown_bold = _sub(r"\*\*(?=\S)([^*\n]{1,200}?)(?<=\S)\*\*", r"\1")

#: Markdown backslash escapes "\(" "\)" "\[" "\]" "\#" "\*" "\_" become the character.
markdown_escapes = _sub(r"\\([()\[\]#*_])", r"\1")

_LATEX_SYMBOLS = {
    "geq": "≥",
    "ge": "≥",
    "geqslant": "≥",
    "leq": "≤",
    "le": "≤",
    "leqslant": "≤",
    "pm": "±",
    "mp": "∓",
    "times": "×",
    "cdot": "⋅",
    "sim": "~",
    "approx": "≈",
    "lt": "<",
    "gt": ">",
    "neq": "≠",
    "ne": "≠",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "kappa": "κ",
    "mu": "μ",
    "chi": "χ",
    "circ": "°",
    "degree": "°",
    "dagger": "†",
    "ddagger": "‡",
    "infty": "∞",
    "to": "→",
    "rightarrow": "→",
    "%": "%",
    "#": "#",
    "&": "&",
    "_": "_",
    "$": "$",
    "{": "{",
    "}": "}",
    ",": " ",
    ";": " ",
    ":": " ",
    " ": " ",
    "!": "",
    "quad": " ",
    "qquad": " ",
    "left": "",
    "right": "",
    "mathrm": "",
    "text": "",
    "textrm": "",
    "mathit": "",
    "mathbf": "",
    "textbf": "",
    "textit": "",
    "operatorname": "",
    "mbox": "",
}
_LATEX_CMD = re.compile(r"\\([A-Za-z]+|[%#&_${},;: !])")
_MATH = re.compile(r"\$([^$\n]{1,200}?)\$")
_MATHLIKE = re.compile(r"[\\^_=<>±]|^\s*[-+]?\d[\d.,]*\s*([-–]\s*[-+]?\d[\d.,]*\s*)?%?\s*$")


def _latex_body(body: str) -> str:
    def cmd(m: re.Match[str]) -> str:
        name = m.group(1)
        return _LATEX_SYMBOLS.get(name, m.group(0))

    s = _LATEX_CMD.sub(cmd, body)
    s = re.sub(r"\^\{([^{}]*)\}", r"^\1", s)  # 10^{6} -> 10^6 ; ^{1†} -> ^1†
    s = re.sub(r"_\{([^{}]*)\}", r"_\1", s)
    s = re.sub(r"\{([^{}]*)\}", r"\1", s)  # \text{kg} -> {kg} -> kg
    s = re.sub(r"(?<=\d)\s+-\s+(?=\d)", "-", s)  # 0.271 - 1.103 -> 0.271-1.103
    return s


def _math(m: re.Match[str]) -> str:
    body = m.group(1)
    if not _MATHLIKE.search(body):
        return m.group(0)  # "$5 and $10": currency, not math
    return _latex_body(body).strip()


#: LaTeX math fragments from PDF-to-Markdown converters: "$p = 0.342$" -> "p = 0.342",
#: "$0.271 - 1.103$" -> "0.271-1.103", "$\times 10^9/L$" -> "× 10^9/L", "$\pm 11.9\%$" -> "± 11.9%".
latex_math = _sub(_MATH, _math)

#: LaTeX outside "$...$" (converters drop the dollars): "\geq" -> "≥", "\%" -> "%", "^{1†}" -> "^1†".
latex_commands = _sub(
    re.compile(
        r"\\(geq|leq|geqslant|leqslant|ge|le|pm|times|%|cdot|sim|alpha|beta|gamma|mu|chi|circ|dagger)(?![A-Za-z])\s?"
    ),
    lambda m: (
        _LATEX_SYMBOLS[m.group(1)]
        + (
            " "
            if m.group(1) in ("geq", "leq", "ge", "le", "pm", "times") and m.group(0).endswith(" ")
            else ""
        )
    ),
)
latex_braces = _sub(r"([\^_])\{([^{}\n]{1,20})\}", r"\1\2")

_SUPERSCRIPTS = {
    "⁰": "0",
    "¹": "1",
    "²": "2",
    "³": "3",
    "⁴": "4",
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
    "⁻": "-",
    "⁺": "+",
}


def _power(m: re.Match[str]) -> str:
    exp = m.group("caret") or "".join(_SUPERSCRIPTS[c] for c in (m.group("sup") or ""))
    return f"× 10^{exp}" if m.group("times") else f"10^{exp}"


#: Powers of ten in one form: "×10⁶", "x 10^6", "× 10^{6}", "*10^6" -> "× 10^6"; "10⁹/L" -> "10^9/L".
#: Superscript digits are turned into "^" plus the same digits (their order is kept); only
#: after "10", never elsewhere ("kg⁻¹" stays). A lost superscript ("106/kg") is left as it is.
powers_of_ten = _sub(
    re.compile(
        r"(?P<times>(?:(?<=\d)|(?<=\d )|(?<![A-Za-z]))[×xX*]\s?)?(?<![\d.])10"
        r"(?:\^\{?(?P<caret>[-+−]?\d{1,3})\}?|(?P<sup>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}))"
    ),
    _power,
)


def _hyphen_break_rule(text: str) -> list[Edit]:
    """Words hyphenated across a line break.

    "progres-\\nsion" -> "progression" when the left part is letters in lower case (or
    capitalized: "En-\\nhancement") and the right part starts lower-case. The hyphen is kept
    (only the line break goes) when the hyphenated form ("anti-inflammatory") occurs elsewhere
    in the text, or when the right part is a word of five or more letters that occurs on its
    own elsewhere while the joined form does not ("Cobalamin-\\ndependent"), or when the left part
    has digits or other capitals ("CD19-\\ntargeting" -> "CD19-targeting").
    """
    edits = []
    words = None
    for m in re.finditer(r"(?<![\t\n])\b([A-Za-z0-9]+)-[ \t]*\n[ \t]*(?=([a-z]+))", text):
        left, right = m.group(1), m.group(2)
        brk = m.start() + len(left)  # index of "-"
        word_like = left.isalpha() and (
            left.islower() or (left[0].isupper() and left[1:].islower())
        )
        keep = True
        if word_like and len(left) >= 2:
            if words is None:
                # words standing on their own (not the second half of a line-end hyphenation)
                words = Counter(
                    w.group(0).lower()
                    for w in re.finditer(r"(?<![A-Za-z])[A-Za-z]+", text)
                    if not re.search(r"-[ \t]*\n[ \t]*$", text[max(0, w.start() - 4) : w.start()])
                )
            joined = (left + right).lower()
            if re.search(r"\b" + re.escape(f"{left}-{right}") + r"\b", text, re.IGNORECASE):
                keep = True
            elif words[joined] > 0:
                keep = False
            else:
                keep = len(right) >= 5 and words[right] >= 1
        edits.append(Edit(brk + 1 if keep else brk, m.end(), ""))
    return edits


hyphenated_line_breaks = _hyphen_break_rule

#: Mathematical Alphanumeric Symbols (U+1D400-U+1D7FF: italic 𝑃, bold 𝐂, italic 𝜒, ...), which
#: PDFs typeset with math fonts emit, become the plain letter or digit (Unicode compatibility
#: mapping, NFKC): "𝑃 < 0.05" reads as "P < 0.05".
math_letters = _sub(r"[\U0001D400-\U0001D7FF]", lambda m: unicodedata.normalize("NFKC", m.group(0)))

#: A known font-mapping defect prints "<" as "," in p-values: "P,0.001". Only "P" or "p" as a
#: word, a comma with no space after it, then a decimal number: "P, 0.05" or "p,q" stay as they
#: are.
p_comma_less = _sub(r"(?<![A-Za-z])([Pp])\s?,(?=0?[.·]\d)", r"\1<")

#: An unmapped glyph written "(cid:N)" (pdfminer's placeholder) right before a number, after a
#: space, an opening bracket or "=", is a minus sign: "HR (cid:1)0.4" -> "HR -0.4".
cid_minus = _sub(r"(?:(?<=[\s(\[=,;])|^)\(cid:\d+\)(?=\d)", "-", re.MULTILINE)


#: The rules in the order :func:`normalize` applies them.
RULES: tuple[tuple[str, Rule], ...] = (
    ("line_endings", line_endings),
    ("invisible_characters", invisible_characters),
    ("math_letters", math_letters),
    ("cid_minus", cid_minus),
    ("ligatures", ligatures),
    ("spaces", spaces),
    ("markdown_links", markdown_links),
    ("markdown_bold", markdown_bold),
    ("markdown_escapes", markdown_escapes),
    ("latex_math", latex_math),
    ("latex_commands", latex_commands),
    ("latex_braces", latex_braces),
    ("fullwidth_punctuation", fullwidth_punctuation),
    ("detached_minus", detached_minus),
    ("dashes", dashes),
    ("em_dash_ranges", em_dash_ranges),
    ("p_comma_less", p_comma_less),
    ("comparison_signs", comparison_signs),
    ("middle_dot_decimals", middle_dot_decimals),
    ("powers_of_ten", powers_of_ten),
    ("hyphenated_line_breaks", hyphenated_line_breaks),
)


def normalize(original: str, rules: Iterable[tuple[str, Rule]] = RULES) -> Normalized:
    """Normalize ``original``; return the text and the offsets of each character in ``original``.

    Parameters
    ----------
    original : the text as decoded from the file (or extracted from a PDF).
    rules : (name, rule) pairs applied in order; default :data:`RULES`.

    Returns
    -------
    Normalized : ``text`` and ``offsets`` with ``offsets[i]`` the index in ``original`` of the
        character that became ``text[i]``; ``offsets[-1] == len(original)``.
    """
    text = original
    offsets = np.arange(len(original) + 1, dtype=np.int64)
    for _name, rule in rules:
        edits = rule(text)
        if not edits:
            continue
        text, local = apply_edits(text, edits)
        offsets = offsets[local]
    return Normalized(text, offsets)
