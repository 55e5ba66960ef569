"""Front-matter metadata and section structure of a normalized paper text.

Everything here works on ``Document.text`` (normalized) and returns normalized offsets.
The rules are generic (journal front matter, structured abstracts, numbered headings) and are
documented in ``docs/reader.md``.
"""

from __future__ import annotations

import re

from evsynth.reading.document import Section

__all__ = ["find_doi", "find_registrations", "find_sections", "find_title", "HEADINGS"]

#: Heading text (lower case, without numbering or a trailing colon) -> section name.
HEADINGS: dict[str, str] = {
    "abstract": "abstract",
    "summary": "abstract",
    "background": "introduction",
    "introduction": "introduction",
    "purpose": "introduction",
    "objective": "introduction",
    "objectives": "introduction",
    "aim": "introduction",
    "aims": "introduction",
    "methods": "methods",
    "method": "methods",
    "materials and methods": "methods",
    "material and methods": "methods",
    "patients and methods": "methods",
    "subjects and methods": "methods",
    "methods and materials": "methods",
    "study design": "methods",
    "results": "results",
    "result": "results",
    "findings": "results",
    "discussion": "discussion",
    "results and discussion": "results",
    "conclusion": "conclusions",
    "conclusions": "conclusions",
    "interpretation": "conclusions",
    "references": "references",
    "reference": "references",
    "bibliography": "references",
    "literature cited": "references",
}
#: Back-matter headings that end the body (section name "other").
BACK_MATTER = {
    "data availability statement",
    "data availability",
    "ethics statement",
    "author contributions",
    "funding",
    "conflict of interest",
    "conflicts of interest",
    "acknowledgments",
    "acknowledgements",
    "publisher's note",
    "publisher’s note",
    "supplementary material",
    "supplementary materials",
    "generative ai statement",
    "competing interests",
    "declaration of competing interest",
    "abbreviations",
    "keywords",
    "key findings",
    "tl;dr",
    "contribution",
    "linked entities",
    "full-text entities",
    "full text",
    "figures",
}
_ABSTRACT_LABELS = {
    "background",
    "purpose",
    "objective",
    "objectives",
    "aim",
    "aims",
    "introduction",
    "methods",
    "method",
    "materials and methods",
    "patients and methods",
    "results",
    "findings",
    "discussion",
    "conclusion",
    "conclusions",
    "interpretation",
    "design",
    "setting",
    "participants",
}

_HEADING_LINE = re.compile(
    r"^[ ]{0,3}(?P<md>#{1,6}[ ]+)?(?:\*\*)?(?P<num>(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,4}\.)[ ]+)?"
    r"(?P<title>[A-Za-z][A-Za-z ,;&'’/-]{1,60}?)(?:\*\*)?[ ]*:?[ ]*$",
    re.MULTILINE,
)
_RUN_IN = re.compile(
    r"^[ ]{0,3}(?:\*\*)?(?P<title>[A-Z][A-Za-z ]{2,30}?)(?:\*\*)?:[ ]+\S", re.MULTILINE
)
_FIGURE = re.compile(r"^[ ]{0,3}(?:Figure|FIGURE|Fig\.)[ ]?\d{1,2}[A-Za-z]?\b[^\n]*$", re.MULTILINE)

_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>\[\]{}|\\^`]+")
_DOI_LABEL = re.compile(r"(?:doi|DOI)\s*[:.]?\s*(?:https?://(?:dx\.)?doi\.org/)?$")
_DOI_SUFFIX = re.compile(
    r"(?:/(?:full|abstract|pdf|epdf|html|meta|fulltext|supplementary.*)|#.*)$", re.IGNORECASE
)

#: Trial registries: ChiCTR (with or without the "-XXX-" type), ClinicalTrials.gov, ISRCTN,
#: EudraCT, ANZCTR, CTRI, DRKS, UMIN, jRCT, PACTR, IRCT, KCT.
_REGISTRATION = re.compile(
    r"\b(?:ChiCTR(?:-[A-Z]{2,5}-)?\d{8,12}"
    r"|NCT\d{8}"
    r"|ISRCTN\d{8}"
    r"|(?<=EudraCT )\d{4}-\d{6}-\d{2}|EudraCT[ :-]*(?:No\.?|number)?[ :]*\d{4}-\d{6}-\d{2}"
    r"|ACTRN\d{14}"
    r"|CTRI/\d{4}/\d{2,3}/\d{6}"
    r"|DRKS\d{8}"
    r"|UMIN\d{9}"
    r"|jRCT[a-z]?\d{7,10}"
    r"|PACTR\d{15,16}"
    r"|IRCT\d{8,}N\d+"
    r"|KCT\d{7})"
)


def _clean_heading(title: str) -> str:
    return re.sub(r"\s+", " ", title.strip().strip("*").strip().rstrip(":")).lower()


def _heading_name(title: str) -> str | None:
    key = _clean_heading(title)
    if key not in HEADINGS and key.endswith("s") and key[:-1] in HEADINGS:
        key = key[:-1]  # "Backgrounds"
    if key in HEADINGS:
        return HEADINGS[key]
    if key in BACK_MATTER:
        return "other"
    return None


def find_sections(
    text: str, tables: list[tuple[int, int]] = (), figures: bool = True
) -> list[Section]:
    """Sections of a normalized paper text, in order.

    Rules
    -----
    * A heading is a line alone (optionally numbered "2.", "2.1", "II.", or Markdown "## ")
      whose text is a known heading (:data:`HEADINGS`: "Methods", "Materials and methods",
      "Background", ...) or back matter (:data:`BACK_MATTER`, name "other"). Lines inside
      tables are ignored.
    * Structured abstract. Headings and run-in labels ("Methods: ...") that come before the first
      "Introduction" heading, when the body has one later, form the abstract; so do the
      paragraphs under an explicit "Abstract" heading. The abstract is one section named
      "abstract" (its heading is the first label, e.g. "Background").
    * A section runs to the next top-level heading; text before the first section is "front".
    * Each table (``tables``: normalized spans) and each figure caption paragraph is a nested
      section named "table"/"figure" inside the section around it.
    """
    in_table = lambda pos: any(a <= pos < b for a, b in tables)  # noqa: E731
    heads: list[tuple[int, int, str, str]] = []  # start, end-of-heading-line, name, heading
    for m in _HEADING_LINE.finditer(text):
        if in_table(m.start()) or text[m.start() : m.end()].startswith("\t"):
            continue
        name = _heading_name(m.group("title"))
        if name is None:
            continue
        if m.group("md") and name is None:
            name = "other"
        heads.append((m.start(), m.end(), name, m.group(0).strip()))
    # unknown Markdown headings ("## TL;DR") end the previous section as "other"
    for m in re.finditer(r"^#{1,3}[ ]+([^\n]+)$", text, re.MULTILINE):
        if not any(h[0] == m.start() for h in heads) and not in_table(m.start()):
            if m.start() == 0 and text.startswith("# "):
                continue  # a document title
            heads.append((m.start(), m.end(), "other", m.group(0).strip()))
    run_ins: list[tuple[int, int, str, str]] = []
    for m in _RUN_IN.finditer(text):
        key = _clean_heading(m.group("title"))
        if key in _ABSTRACT_LABELS and not in_table(m.start()):
            run_ins.append(
                (m.start(), m.start() + len(m.group("title")), "abstract", m.group("title") + ":")
            )
    heads.sort()

    # the abstract: labels before the first body "introduction" heading
    intro = next(
        (
            h
            for h in heads
            if h[2] == "introduction"
            and _clean_heading(h[3].lstrip("#0123456789. ")) == "introduction"
        ),
        None,
    )
    if intro is None:
        # a body without an "Introduction" heading: after the first run of run-in abstract
        # labels ("Background: ...", "Methods: ..."), the first heading alone on its line begins
        # the body ("Background" as the introduction); otherwise the first methods heading does
        after = -1
        for r in run_ins:
            if after >= 0 and r[0] - after > 3000:
                break
            after = r[0]
        intro = (
            next((h for h in heads if h[0] > after and h[2] in ("introduction", "methods")), None)
            if run_ins
            else None
        )
        if intro is None:
            intro = next((h for h in heads if h[2] == "methods" and h[0] > 0), None)
    abstract_start = None
    abstract_heading = ""
    explicit = next((h for h in heads if h[2] == "abstract"), None)
    if explicit is not None:
        abstract_start, abstract_heading = explicit[0], explicit[3]
    if intro is not None:
        labels = [h for h in heads if h[0] < intro[0] and h[2] != "other"] + [
            r for r in run_ins if r[0] < intro[0]
        ]
        labels.sort()
        if labels and (abstract_start is None or labels[0][0] < abstract_start):
            abstract_start, abstract_heading = labels[0][0], labels[0][3]
        heads = [
            h for h in heads if h[0] >= intro[0] or h[2] == "other" or h[0] < (abstract_start or 0)
        ]
    elif explicit is None and run_ins:
        abstract_start, abstract_heading = run_ins[0][0], run_ins[0][3]
    if abstract_start is not None:
        heads = [h for h in heads if h[0] != abstract_start]
        heads.append((abstract_start, abstract_start, "abstract", abstract_heading))
        heads.sort()

    sections: list[Section] = []
    if heads and heads[0][0] > 0 and text[: heads[0][0]].strip():
        sections.append(Section("front", "", 0, heads[0][0]))
    elif not heads and text.strip():
        sections.append(Section("front", "", 0, len(text)))
    for k, (start, _e, name, heading) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(text)
        sections.append(Section(name, heading, start, end))

    nested = [
        Section(
            "table", text[a : text.find("\n", a) if text.find("\n", a) > 0 else b].strip(), a, b
        )
        for a, b in tables
    ]
    if figures:
        for m in _FIGURE.finditer(text):
            if in_table(m.start()):
                continue
            end = m.end()
            if len(m.group(0).strip()) < 12:  # "FIGURE 2" alone: the caption is the next paragraph
                nxt = re.compile(r"\n[ \t]*\n?[^\n]*").match(text, end)
                if nxt:
                    end = nxt.end()
            nested.append(Section("figure", m.group(0).strip()[:80], m.start(), end))
    sections.extend(nested)
    sections.sort(key=lambda s: (s.start, -s.end))
    return sections


def _body_start(sections: list[Section]) -> int:
    for s in sections:
        if s.name in ("introduction", "methods", "results", "discussion", "references"):
            if s.name == "introduction" or s.name != "abstract":
                return s.start
    return -1


def find_doi(text: str, sections: list[Section]) -> str | None:
    """The paper's own DOI, or None.

    Only DOIs before the body (front matter, citation block, abstract: before the first
    Introduction/Methods/Results/References heading) are candidates, so a DOI from the
    reference list is never taken. A DOI written after "doi:" / "https://doi.org/" wins over
    one inside another URL (publisher links end in "/full", which is removed).
    """
    limit = _body_start(sections)
    if limit < 0:
        limit = len(text)
    labelled, other = [], []
    for m in _DOI.finditer(text, 0, limit):
        doi = m.group(0).rstrip(".,;:)*_'’")
        doi = _DOI_SUFFIX.sub("", doi)
        if doi.count("(") < doi.count(")"):
            doi = doi.rstrip(")")
        before = text[max(0, m.start() - 30) : m.start()]
        (labelled if _DOI_LABEL.search(before) else other).append(doi)
    if labelled:
        return labelled[0]
    if other:
        # the DOI repeated most often in front-matter links, first seen on ties
        return max(other, key=lambda d: (other.count(d), -other.index(d)))
    return None


def find_registrations(text: str, sections: list[Section]) -> tuple[str, ...]:
    """Trial registration numbers in order of first appearance, outside the reference list."""
    refs = [(s.start, s.end) for s in sections if s.name == "references"]
    out: dict[str, None] = {}
    for m in _REGISTRATION.finditer(text):
        if any(a <= m.start() < b for a, b in refs):
            continue
        reg = re.sub(r"^EudraCT[ :-]*(?:No\.?|number)?[ :]*", "", m.group(0))
        out.setdefault(reg, None)
    return tuple(out)


_CITATION_TITLE = re.compile(
    r"\b(?:CITATION|Citation|Cite this article|How to cite)\b[:\s]*\n?(?:[^\n]*\n){0,1}?"
    r"(?P<body>(?:[^\n]+\n?){1,12})"
)


def find_title(text: str, sections: list[Section]) -> str | None:
    """The paper's title, or None when the text has no title block.

    Rules, first that applies: a Markdown level-1 heading at the start ("# Title"); the title
    inside a journal citation block ("CITATION ... Authors (2024) Title. Journal ..."). Text
    without either (body text only) gives None rather than a guess.
    """
    m = re.match(r"\s*#[ ]+([^\n]{10,400})\n", text)
    if m:
        return re.sub(r"\s+", " ", m.group(1)).strip().strip("*").strip()
    limit = _body_start(sections)
    head = text[: limit if limit > 0 else min(len(text), 20000)]
    c = re.search(r"(?:^|\n)[ ]*(?:CITATION|Citation)[ ]*:?[ ]*\n", head)
    if c:
        block = head[c.end() : c.end() + 1500]
        block = re.split(r"\n[ ]*\n[ ]*(?:COPYRIGHT|Copyright|©)", block)[0]
        block = re.sub(r"\s+", " ", block)
        y = re.search(r"\((?:19|20)\d{2}[a-z]?\)[ ]+", block)
        if y:
            rest = block[y.end() :]
            t = re.match(r"(.{10,400}?[^A-Z.])\.[ ]+(?=\*?[A-Z])", rest)
            if t:
                return t.group(1).strip()
    return None
