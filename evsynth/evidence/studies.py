"""Study identity: which reports belong to which study, and what each study is.

A *report* is one file; a *study* is one cohort of patients. Two files can report the same study
(a summary page and the full text), and two different studies can share patients (same centre,
same trial registration, overlapping enrolment). This module reads the metadata a reviewer uses to
decide both questions from the text of each report and builds ``studies.csv``
(:data:`evsynth.extraction.schema.STUDY_COLUMNS`).

Rules (all on the normalized text, never on particular papers):

* **first author and year**: the "CITATION" block of the article ("Ma Y, Zhou H, ... (2024)
  Title ..."), else an "Authors:" line ("**Authors:** Hui Zhang, Yuxuan Wang, ..."), else the
  first line of the front matter that lists three or more personal names. The year comes from the
  citation "(2024)", else a "PUBLISHED 27 September 2024" / "Published: ..." line, else an ISO
  date after a middle dot ("· 2025-10-29"), else the copyright year.
* **study id**: surname of the first author + year, lower-case ASCII (``zhang2025``); studies that
  would share an id get ``a``, ``b``, ... suffixes in the order of their first report's file name.
* **same study**: two reports with the same DOI; or, when at least one of them has no DOI, reports
  whose texts share long word sequences: the *containment* of 8-word shingles,
  ``|A ∩ B| / min(|A|, |B|)``, is at least :data:`SAME_STUDY_CONTAINMENT` and at least
  :data:`SAME_STUDY_MIN_SHARED` shingles are shared (see docs/evidence-table.md for the values
  measured on the bundled papers).
* **overlapping cohorts**: two different studies that share a trial registration or a centre
  and whose enrolment periods overlap, or that share :data:`OVERLAP_MIN_AUTHORS` or more authors
  and a centre, are flagged in ``overlap_flag`` with the reasons.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evsynth._shared.numbers import number_from_words
from evsynth.extraction.schema import STUDY_COLUMNS
from evsynth.reading.document import Document

#: minimum containment of 8-word shingles for two reports without a common DOI to be one study
SAME_STUDY_CONTAINMENT = 0.30
#: minimum number of shared 8-word shingles (guards against tiny texts)
SAME_STUDY_MIN_SHARED = 40
#: shingle length in words
SHINGLE_WORDS = 8
#: shared authors (surname + first initial) that, with a shared centre, flag an overlap
OVERLAP_MIN_AUTHORS = 3

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_DATE = rf"(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?({_MONTH})\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?)?((?:19|20)\d\d)"
_ENROLMENT = re.compile(
    rf"\b(?:from|between|during)\s+{_DATE},?\s+(?:to|and|until|through|till|[-–])\s+{_DATE}",
    re.IGNORECASE,
)

_HEADING_ABSTRACT = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?(Abstract|Background|Introduction|Purpose|Objectives?|Aims?)\b",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^\s*(?:#+\s*)?(?:\*\*)?([A-Za-z][A-Za-z ,&'’/-]{1,60}?)(?:\*\*)?\s*:?\s*$")
_METHODS_HEADINGS = {
    "methods", "materials and methods", "patients and methods", "method",
    "study design", "study design and population", "patients", "subjects and methods",
}  # fmt: skip
_RESULTS_HEADINGS = {"results", "discussion", "conclusions", "conclusion"}
_ENDMATTER_HEADINGS = {
    "references", "acknowledgments", "acknowledgements", "funding", "conflict of interest",
    "publisher's note", "publisher’s note", "author contributions", "supplementary material",
    "generative ai statement", "data availability statement", "ethics statement",
}  # fmt: skip
_REFERENCE_LINE = re.compile(
    r"^\s*(?:\[?\d{1,3}[.\])]\s+)(?:[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)?\s[A-Z]{1,3}[,.])"
)
_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\]\)\"'<>]+")
_REGISTRATION = re.compile(
    r"\b(?:ChiCTR[-A-Z]*\d{6,}|NCT\d{8}|ISRCTN\d{8}|ACTRN\d{14}|EudraCT\s?\d{4}-\d{6}-\d{2}|"
    r"CTRI/\d{4}/\d{2,3}/\d{6}|JPRN-\w+|DRKS\d{8}|KCT\d{7})"
)
_HOSPITAL = re.compile(
    r"((?:The\s+)?(?:[A-Z][\w'’.-]*\s+){0,6}?"
    r"(?:Hospital|Medical Cent(?:er|re)|Cancer Cent(?:er|re)|Clinic|Infirmary)\b"
    r"(?:\s+(?:of|for)\s+(?:the\s+)?(?:[A-Z][\w'’.-]*)(?:\s+(?:of\s+)?[A-Z][\w'’.-]*)*)?)"
)
_GENERIC_HOSPITAL_WORDS = {
    "the", "first", "second", "third", "fourth", "affiliated", "hospital", "people's", "people’s",
    "general", "central", "cancer", "medical", "center", "centre", "university", "clinic",
    "children's", "children’s", "women's", "of",
}  # fmt: skip
_REVIEWER_BLOCK = re.compile(
    r"(?:EDITED BY|REVIEWED BY)\b.*?(?=\*?CORRESPONDENCE|RECEIVED|SPECIALTY SECTION|CITATION|"
    r"\bCOPYRIGHT\b|†|$)",
    re.DOTALL,
)

_NUM = r"(\d{1,3}(?:,\d{3})*|\d+|[A-Za-z]+(?:-[A-Za-z]+)?(?: hundred(?: and [A-Za-z]+(?:-[A-Za-z]+)?)?)?)"
_PATIENT_WORDS = r"(?:patients|participants|children|adults|subjects|cases|individuals)"
_SAMPLE_SIZE_PATTERNS = [
    re.compile(rf"\bcohort of {_NUM} (?:[\w/+-]+ ){{0,4}}?{_PATIENT_WORDS}", re.IGNORECASE),
    re.compile(
        rf"\bwe (?:enrolled|included|recruited|analy[sz]ed|studied) {_NUM} (?:[\w/+-]+ ){{0,4}}?{_PATIENT_WORDS}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b{_NUM} (?:[\w/+-]+ ){{0,4}}?{_PATIENT_WORDS} (?:were|was) (?:enrolled|included|recruited)",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?:involving|including|a total of) {_NUM} (?:[\w/+-]+ ){{0,3}}?{_PATIENT_WORDS}",
        re.IGNORECASE,
    ),
    re.compile(rf"\b(?:in|of) {_NUM} (?:[\w/+-]+ ){{0,4}}?{_PATIENT_WORDS}\b", re.IGNORECASE),
]


@dataclass(frozen=True)
class ReportMetadata:
    """What one report says about its study (one file).

    ``authors`` holds "Surname I" keys (surname + first initial) used to compare author lists;
    ``enrolment_months`` the enrolment period as (first, last) month numbers (year*12 + month - 1)
    when it could be parsed.
    """

    report: str
    first_author: str = ""
    year: str = ""
    authors: tuple[str, ...] = ()
    title: str = ""
    doi: str = ""
    design: str = ""
    n_total: int | None = None
    centres: tuple[str, ...] = ()
    registrations: tuple[str, ...] = ()
    enrolment: str = ""
    enrolment_months: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- text regions


def _lines_with_offsets(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        out.append((pos, line))
        pos += len(line)
    return out


def _heading(line: str) -> str | None:
    m = _HEADING.match(line)
    if not m:
        return None
    return m.group(1).strip().lower()


def _regions(text: str) -> dict[str, list[tuple[int, int]]]:
    """Spans of the normalized text: front matter, abstract, methods, ethics, body, references."""
    lines = _lines_with_offsets(text)
    front_end = None
    for pos, line in lines:
        if _HEADING_ABSTRACT.match(line):
            front_end = pos
            break
    if front_end is None:
        front_end = min(len(text), 3000)
    regions: dict[str, list[tuple[int, int]]] = {
        "front": [(0, front_end)],
        "abstract": [],
        "ethics": [],
        "body": [],
    }
    # the abstract runs from the front end to the first "Introduction"/"Keywords" heading
    intro = None
    for pos, line in lines:
        if pos <= front_end:
            continue
        h = _heading(line)
        if h in {"introduction", "keywords", "key words"} or (
            h is not None and h.startswith("introduction")
        ):
            intro = pos
            break
    regions["abstract"] = [
        (front_end, intro if intro is not None else min(len(text), front_end + 4000))
    ]
    current = None
    start = 0
    in_references = False
    body_start = None
    for pos, line in lines:
        h = _heading(line)
        if h is not None:
            if current is not None:
                regions[current].append((start, pos))
                current = None
            if h == "ethics statement":
                current, start = "ethics", pos
            in_references = h == "references" or (in_references and h not in _ENDMATTER_HEADINGS)
            if h in _ENDMATTER_HEADINGS and h != "references":
                in_references = False
        is_ref = in_references or bool(_REFERENCE_LINE.match(line))
        if is_ref:
            if body_start is not None:
                regions["body"].append((body_start, pos))
                body_start = None
        elif body_start is None:
            body_start = pos
    if current is not None:
        regions[current].append((start, len(text)))
    if body_start is not None:
        regions["body"].append((body_start, len(text)))
    return regions


def _region_text(text: str, spans: list[tuple[int, int]]) -> str:
    return "\n".join(text[a:b] for a, b in spans)


def _methods_spans(text: str) -> list[tuple[int, int]]:
    """Methods = from each methods heading to the next results/discussion heading."""
    spans = []
    lines = _lines_with_offsets(text)
    start = None
    for pos, line in lines:
        h = _heading(line)
        if h is None:
            continue
        if h in _METHODS_HEADINGS and start is None:
            start = pos
        elif start is not None and (h in _RESULTS_HEADINGS or h in _ENDMATTER_HEADINGS):
            spans.append((start, pos))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


# --------------------------------------------------------------------------- names


_TRANSLIT = str.maketrans(
    {"Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae", "ß": "ss", "Đ": "D", "đ": "d", "Ł": "L", "ł": "l",
     "Þ": "Th", "þ": "th", "Œ": "OE", "œ": "oe", "ı": "i"}
)  # fmt: skip


def ascii_slug(name: str) -> str:
    """Lower-case ASCII letters only: 'Lyu' -> 'lyu', 'Müller-Tidow' -> 'mullertidow', 'Ø' -> 'o'."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_TRANSLIT))
    return re.sub(r"[^a-z]", "", decomposed.encode("ascii", "ignore").decode().lower())


_MARKERS = re.compile(
    r"\^\{[^}]*\}|\[[^\]]*\]|(?<=[^\W\d_])\d+(?:,(?:\d+|[a-z])\b)*|[*†‡§¶#⁰¹²³⁴⁵⁶⁷⁸⁹\d]+"
)
_PERSON = re.compile(r"^[A-Z][\w'’-]*(?:\s+[A-Z][\w'’.-]*){1,3}$")


def _split_names(line: str) -> list[str]:
    cleaned = _MARKERS.sub("", line)
    parts = re.split(r",\s*|\s+and\s+|\s*&\s*", cleaned.strip().rstrip("."))
    return [p.strip() for p in parts if p.strip()]


def _citation_authors(text: str) -> tuple[list[str], str, str] | None:
    """Authors ("Surname I" as written), year and title from a "CITATION" block."""
    m = re.search(r"\bCITATION\b\s*\n?\s*(.{0,1500}?)\((\d{4})\)\s*(.{0,400})", text, re.DOTALL)
    if not m:
        return None
    names_text = " ".join(m.group(1).split())
    authors = []
    for part in re.split(r",\s*|\s+and\s+", names_text):
        part = part.strip()
        pm = re.match(r"^([^\W\d_][\w'’ -]*?)\s+([A-Z]{1,3})$", part)
        if pm and pm.group(1)[0].isupper():
            authors.append(f"{pm.group(1)} {pm.group(2)}")
    if not authors:
        return None
    title = " ".join(m.group(3).split())
    title = re.split(r"\.\s+(?:\*?Front\.|[A-Z][a-z]+\.?\s[A-Z][a-z]*\.)", title)[0].strip(" .")
    return authors, m.group(2), title


def _given_first_authors(names: list[str]) -> list[str]:
    """'Hui Zhang' -> 'Zhang H' (given names first, as on an author line)."""
    out = []
    for n in names:
        toks = n.split()
        if len(toks) < 2:
            continue
        out.append(f"{toks[-1]} {toks[0][0]}")
    return out


def _author_line(front: str) -> list[str] | None:
    m = re.search(r"\*{0,2}Authors?:?\*{0,2}:?\s*(.+)", front)
    if m:
        names = _split_names(m.group(1))
        if names:
            return _given_first_authors(names)
    # the first paragraph listing >= 3 personal names (or 2 joined by "and", with affiliation marks)
    for para in re.split(r"\n\s*\n", front):
        flat = " ".join(para.split())
        if len(flat) > 1500 or re.search(
            r"\b(?:BY|CORRESPONDENCE|Department|University|Journal)\b", flat
        ):
            continue
        names = _split_names(flat)
        if not names or not all(_PERSON.match(n) for n in names):
            continue
        marked = bool(re.search(r"[^\W\d_]\d|[*†‡]", flat))
        if len(names) >= 3 or (len(names) == 2 and " and " in flat and marked):
            return _given_first_authors(names)
    return None


def _year(front: str, text: str) -> str:
    date = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\s+(?:\d{{1,2}},?\s+)?((?:19|20)\d\d)"
    for pattern in (
        rf"\b(?:PUBLISHED|Published(?: online)?):?\s+(?:on\s+)?{date}",
        r"·\s*((?:19|20)\d\d)-\d\d-\d\d",
        r"\(((?:19|20)\d\d)\)\s*\d+\s*:\s*\d+",  # running head "Journal (2018) 13:144"
        r"©\s*(?:The Author\(s\)\.?\s*)?((?:19|20)\d\d)",
        rf"\b(?:ACCEPTED|Accepted):?\s+{date}",
    ):
        m = re.search(pattern, front) or re.search(pattern, text[:6000])
        if m:
            return m.groups()[-1]
    return ""


# --------------------------------------------------------------------------- study facts


def _design(texts: list[str]) -> str:
    joined = "\n".join(texts)
    low = joined.lower()
    if re.search(r"\bmeta-?analys[ie]s\b", texts[0].lower()):
        # a meta-analysis reports other studies' designs; it is the design of this report
        if re.search(r"\bsystematic review\b", texts[0].lower()):
            return "systematic review and meta-analysis"
        return "meta-analysis"
    parts = []
    if re.search(r"(?<!non-)(?<!non)\brandomi[sz]ed\b", low):
        parts.append("randomized")
    if re.search(r"\bsingle[- ]arm\b", low):
        parts.append("single-arm")
    if re.search(
        r"\bmulti-?cent(?:er|re|ric)\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|\d+) "
        r"(?:medical |clinical )?(?:centers|centres|hospitals|institutions)\b",
        low,
    ):
        parts.append("multicenter")
    elif re.search(r"\bsingle[- ](?:center|centre|institution)\b|\bmono-?cent(?:er|re|ric)\b", low):
        parts.append("single-center")
    if re.search(
        r"\bretrospective\b(?:,?\s+[\w-]+){0,2}\s+(?:cohort|study|analysis|review|design)"
        r"|\bretrospectively\s+(?:analy[sz]ed|reviewed|collected|studied|evaluated)",
        low,
    ):
        parts.append("retrospective")
    elif re.search(r"\bprospective\b(?:,?\s+[\w-]+){0,2}\s+(?:cohort|study|trial)", low):
        parts.append("prospective")
    if re.search(
        r"\b(?:retrospective|prospective|observational),?\s+(?:\w+,?\s+)?cohort\b|\bcohort (?:study|design)\b",
        low,
    ):
        parts.append("cohort")
    return " ".join(parts)


def _self_sentences(text: str) -> list[str]:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    return [
        s
        for s in sentences
        if re.search(
            r"\b(?:our|this|the present) (?:study|research|trial|analysis|cohort)\b", s, re.I
        )
        and not re.search(r"\bprevious", s, re.I)
    ]


def _parse_number(token: str) -> int | None:
    return number_from_words(token)


def _sample_size(texts: list[str]) -> int | None:
    for pattern in _SAMPLE_SIZE_PATTERNS:
        for text in texts:
            for m in pattern.finditer(text):
                n = _parse_number(m.group(1))
                if n is not None and n > 1:
                    return n
    return None


def _centres(texts: list[str]) -> list[str]:
    found: dict[str, str] = {}
    for text in texts:
        for m in _HOSPITAL.finditer(text):
            name = " ".join(m.group(1).split())
            words = [w.lower() for w in name.split()]
            if all(w in _GENERIC_HOSPITAL_WORDS for w in words):
                # "The First Affiliated Hospital, Zhejiang University School of Medicine"
                tail = re.match(
                    r",\s*((?:[A-Z][\w'’.-]*\s*)+(?:(?:of|for)\s+(?:[A-Z][\w'’.-]*\s*)+)?)",
                    text[m.end() :],
                )
                if not tail:
                    continue
                name = f"{name}, {' '.join(tail.group(1).split())}"
            name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
            found.setdefault(centre_key(name), name)
    return list(found.values())


def centre_key(name: str) -> str:
    """Comparison key of a centre name: lower-case words without 'the', Center==Central."""
    words = re.findall(r"[a-z]+", ascii_slug_keep_spaces(name))
    words = [w for w in words if w not in {"the", "of", "and", "for"}]
    words = ["central" if w in {"center", "centre", "centra"} else w for w in words]
    return " ".join(words)


def ascii_slug_keep_spaces(name: str) -> str:
    """Lower-case ASCII text (accents and letters like 'ø' folded), spaces kept."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_TRANSLIT))
    return decomposed.encode("ascii", "ignore").decode().lower()


def _registrations(doc: Document, texts: list[str]) -> list[str]:
    found: dict[str, str] = {}
    for r in doc.registrations:
        found.setdefault(registration_key(r), r)
    for text in texts:
        for m in _REGISTRATION.finditer(text):
            found.setdefault(registration_key(m.group(0)), m.group(0))
    return list(found.values())


def registration_key(reg: str) -> str:
    """Comparison key of a registration number: upper case, letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", reg.upper())


def _enrolment(
    doc: Document, spans: list[list[tuple[int, int]]]
) -> tuple[str, tuple[int, int] | None]:
    text = doc.text
    for group in spans:
        for a, b in group:
            m = _ENROLMENT.search(text, a, b)
            if m:
                try:
                    written = doc.quote(m.start(), m.end())
                except (ValueError, IndexError):
                    written = m.group(0)
                return " ".join(written.split()), _enrolment_months(m)
    return "", None


def _enrolment_months(m: re.Match) -> tuple[int, int] | None:
    m1, y1, m2, y2 = m.groups()
    start = int(y1) * 12 + (_MONTHS[m1[:3].lower()] - 1 if m1 else 0)
    end = int(y2) * 12 + (_MONTHS[m2[:3].lower()] - 1 if m2 else 11)
    if end < start:
        return None
    return start, end


def _month_name(index: int) -> str:
    names = [
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ]  # fmt: skip
    return f"{names[index % 12]} {index // 12}"


def report_metadata(doc: Document) -> ReportMetadata:
    """Read what a report says about its study: authors, year, DOI, design, size, centres, ...

    Parameters
    ----------
    doc : a Document from :func:`evsynth.read`.

    Returns
    -------
    ReportMetadata with empty fields where the report does not say (a body text without title
    block has no authors; it gets its identity from a matching report, see :func:`build_studies`).
    """
    text = doc.text
    report = Path(doc.path).name
    regions = _regions(text)
    front = _REVIEWER_BLOCK.sub(" ", _region_text(text, regions["front"]))
    body = _region_text(text, regions["body"])
    abstract = _region_text(text, regions["abstract"])
    methods_spans = _methods_spans(text)
    methods = _region_text(text, methods_spans)
    ethics = _region_text(text, regions["ethics"])
    notes = []

    authors: list[str] = []
    year = ""
    title = doc.title or ""
    cited = _citation_authors(front)
    if cited:
        authors, year, cited_title = cited
        title = title or cited_title
    else:
        line = _author_line(front)
        if line:
            authors = line
    if not year and authors:
        year = _year(front, text)
    if not title:
        m = re.search(r"^#\s+(.+)$", front, re.MULTILINE)
        title = m.group(1).strip() if m else ""
    first = authors[0].rsplit(" ", 1)[0] if authors else ""
    if not authors:
        notes.append("no author list found")

    doi = doc.doi or ""
    if not doi:
        m = _DOI.search(front)
        doi = m.group(0).rstrip(".,;") if m else ""

    design = _design([f"{title}\n{abstract}", methods, *_self_sentences(body)])
    n_total = _sample_size([abstract, methods, body])
    centres = _centres([front, methods, ethics])
    registrations = _registrations(doc, [front, abstract, methods, body])
    enrolment, months = _enrolment(doc, [methods_spans, regions["abstract"], regions["body"]])
    return ReportMetadata(
        report=report,
        first_author=first,
        year=year,
        authors=tuple(authors),
        title=title,
        doi=doi.lower(),
        design=design,
        n_total=n_total,
        centres=tuple(centres),
        registrations=tuple(registrations),
        enrolment=enrolment,
        enrolment_months=months,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- same study


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    """The set of k-word shingles of a text (lower-case letters and digits only)."""
    words = re.findall(r"[a-z0-9]+", ascii_slug_keep_spaces(text))
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def shingle_containment(a: set[str], b: set[str]) -> tuple[float, int]:
    """Containment ``|A ∩ B| / min(|A|, |B|)`` and the number of shared shingles."""
    if not a or not b:
        return 0.0, 0
    shared = len(a & b)
    return shared / min(len(a), len(b)), shared


def _body_text(doc: Document) -> str:
    text = doc.text
    return _region_text(text, _regions(text)["body"])


def same_study_pairs(
    docs: list[Document], metas: list[ReportMetadata]
) -> list[tuple[int, int, str]]:
    """Pairs of reports (indices) that report the same study, with the reason."""
    pairs = []
    sh = [shingles(_body_text(d)) for d in docs]
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            a, b = metas[i], metas[j]
            if a.doi and b.doi:
                if a.doi == b.doi:
                    pairs.append((i, j, f"same DOI {a.doi}"))
                continue
            c, shared = shingle_containment(sh[i], sh[j])
            if c >= SAME_STUDY_CONTAINMENT and shared >= SAME_STUDY_MIN_SHARED:
                pairs.append(
                    (
                        i,
                        j,
                        f"{shared} shared {SHINGLE_WORDS}-word sequences (containment {c:.2f} "
                        f">= {SAME_STUDY_CONTAINMENT}), not both with a DOI",
                    )
                )
    return pairs


# --------------------------------------------------------------------------- overlap


def _overlap_reasons(a: ReportMetadata, b: ReportMetadata) -> list[str]:
    regs = {registration_key(r): r for r in a.registrations}
    shared_regs = [regs[k] for k in (registration_key(r) for r in b.registrations) if k in regs]
    centres_a = {centre_key(c): c for c in a.centres}
    shared_centres = [centres_a[k] for k in (centre_key(c) for c in b.centres) if k in centres_a]
    keys_b = {ascii_slug(x.rsplit(" ", 1)[0]) + " " + x.rsplit(" ", 1)[-1][:1] for x in b.authors}
    shared_authors = [
        x
        for x in a.authors
        if ascii_slug(x.rsplit(" ", 1)[0]) + " " + x.rsplit(" ", 1)[-1][:1] in keys_b
    ]
    overlap = None
    if a.enrolment_months and b.enrolment_months:
        lo = max(a.enrolment_months[0], b.enrolment_months[0])
        hi = min(a.enrolment_months[1], b.enrolment_months[1])
        overlap = (lo, hi) if lo <= hi else ()
    reasons = []
    dates_ok = overlap is None or bool(overlap)
    if shared_regs and dates_ok:
        reasons.append("shares trial registration " + ", ".join(shared_regs))
    if shared_centres and (bool(overlap) or len(shared_authors) >= OVERLAP_MIN_AUTHORS):
        reasons.append("shares centre " + ", ".join(shared_centres))
    if reasons:
        if overlap:
            reasons.append(
                f"enrolment overlaps ({_month_name(overlap[0])} to {_month_name(overlap[1])})"
            )
        elif overlap is None:
            reasons.append("enrolment period of one study not found")
        if len(shared_authors) >= 2:
            reasons.append(f"{len(shared_authors)} shared authors ({', '.join(shared_authors)})")
    return reasons


# --------------------------------------------------------------------------- studies table


def _merge(metas: list[ReportMetadata]) -> ReportMetadata:
    """One study from its reports: each field from the first report that has it."""

    def first(attr):
        for m in metas:
            v = getattr(m, attr)
            if v not in ("", None, ()):
                return v
        return getattr(metas[0], attr)

    centres: dict[str, str] = {}
    regs: dict[str, str] = {}
    for m in metas:
        for c in m.centres:
            centres.setdefault(centre_key(c), c)
        for r in m.registrations:
            regs.setdefault(registration_key(r), r)
    return ReportMetadata(
        report=";".join(m.report for m in metas),
        first_author=first("first_author"),
        year=first("year"),
        authors=first("authors"),
        title=first("title"),
        doi=first("doi"),
        design=first("design"),
        n_total=first("n_total"),
        centres=tuple(centres.values()),
        registrations=tuple(regs.values()),
        enrolment=first("enrolment"),
        enrolment_months=first("enrolment_months"),
    )


def build_studies(docs: list[Document]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Group reports into studies, give each study an id, and flag duplicates and overlaps.

    Parameters
    ----------
    docs : Documents read from the reports.

    Returns
    -------
    (studies, study_of) : the studies table (columns :data:`evsynth.extraction.schema.STUDY_COLUMNS`, one
    row per study, sorted by study id) and a mapping report file name -> study id.
    """
    docs = sorted(docs, key=lambda d: Path(d.path).name)
    metas = [report_metadata(d) for d in docs]
    parent = list(range(len(docs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reasons: dict[int, list[str]] = {}
    for i, j, why in same_study_pairs(docs, metas):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
        # the shorter report (a summary page, an abstract) duplicates the longer one
        short, long_ = (i, j) if len(docs[i].text) <= len(docs[j].text) else (j, i)
        reasons.setdefault(short, []).append(
            f"{metas[short].report} duplicates {metas[long_].report}: {why.replace(';', ',')}"
        )
    groups: dict[int, list[int]] = {}
    for i in range(len(docs)):
        groups.setdefault(find(i), []).append(i)

    merged = []
    for _root, members in sorted(groups.items()):
        # the report with an author list leads (a summary page with metadata before a bare body)
        members = sorted(members, key=lambda k: (metas[k].first_author == "", metas[k].report))
        members_sorted_names = sorted(metas[k].report for k in members)
        study = _merge([metas[k] for k in members])
        dup = "; ".join(r for k in sorted(members) for r in reasons.get(k, []))
        merged.append((members_sorted_names, study, dup))

    # ids: surname + year, a/b suffixes for collisions
    base_ids = []
    for names, study, _ in merged:
        if study.first_author:
            base = ascii_slug(study.first_author) + (study.year or "nd")
        else:
            base = "report_" + re.sub(r"[^a-z0-9]+", "_", Path(names[0]).stem.lower()).strip("_")
        base_ids.append(base)
    counts: dict[str, int] = {}
    for b in base_ids:
        counts[b] = counts.get(b, 0) + 1
    seen: dict[str, int] = {}
    ids = []
    for b in base_ids:
        if counts[b] > 1:
            k = seen.get(b, 0)
            seen[b] = k + 1
            ids.append(b + _suffix(k))
        else:
            ids.append(b)

    rows = []
    for (names, study, dup), sid in zip(merged, ids, strict=True):
        rows.append((sid, names, study, dup))
    flags: dict[str, list[str]] = {sid: [] for sid, *_ in rows}
    for x in range(len(rows)):
        for y in range(x + 1, len(rows)):
            sx, _, mx, _ = rows[x]
            sy, _, my, _ = rows[y]
            why = _overlap_reasons(mx, my)
            if why:
                flags[sx].append(f"possible overlap with {sy}: " + "; ".join(why))
                flags[sy].append(f"possible overlap with {sx}: " + "; ".join(why))

    records = []
    study_of: dict[str, str] = {}
    for sid, names, study, dup in rows:
        for n in names:
            study_of[n] = sid
        records.append(
            {
                "study_id": sid,
                "reports": ";".join(names),
                "first_author": study.first_author,
                "year": study.year,
                "title": study.title,
                "doi": study.doi,
                "design": study.design,
                "n_total": study.n_total,
                "centre": "; ".join(study.centres),
                "registrations": ";".join(study.registrations),
                "enrolment": study.enrolment,
                "duplicate_of": dup,
                "overlap_flag": " | ".join(flags[sid]),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=list(STUDY_COLUMNS))
    frame["n_total"] = frame["n_total"].astype("Int64")
    frame = frame.sort_values("study_id", kind="stable").reset_index(drop=True)
    return frame, study_of


def _suffix(k: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = letters[r] + out
    return out
