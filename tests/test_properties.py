"""Property-based tests: the reader and extractors take any text, and their output stays honest.

For random and adversarial text (clinical-looking fragments mixed with arbitrary unicode):
normalizing never raises and its offset map is monotone and inside the original; extraction
never raises and every row's quote is the original text at its offsets and contains its numbers;
near-miss input ("HR 0.5 (0.1" repeated) is processed in linear time, not with catastrophic
regex backtracking. Effect-size and pooling functions refuse impossible numbers with a typed
error that names the value.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evsynth
from evsynth.errors import EffectSizeError, EvsynthError, PoolingError
from evsynth.evidence.provenance import row_problems
from evsynth.extraction import extract_document
from evsynth.reading.normalize import normalize

FRAGMENTS = [
    "HR", "OR", "RR", "hazard ratio", "95% CI", "95%CI", "CI", "p", "P", "p =", "p<", "P ≤",
    "log-rank", "OS", "PFS", "CR", "overall survival", "complete response", "n =", "(n=",
    "tocilizumab", "glucocorticoids", "steroids", "GC", "non-GC", "vs.", "versus", "Table 1",
    "0.5", "0.05", "0.001", "1.2", "12", "53/55", "45%", "96.4%", "10^-4", "10−4", "×10",
    "(", ")", "[", "]", "–", "—", "−", "-", "‐", ",", ";", ":", ".", "±", "≥", "≤", "<", ">", "=",
    "\n", "\n\n", "\t", " ", "  ", "ﬁ", "ﬀ", "\u00ad", "\u200b", "\ufeff", "°", "µ", "·",
    "Results", "Abstract", "Methods", "References", "$\\pm$", "{", "}", "\\", "e-3", "1e5",
]  # fmt: skip

clinical_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=120
).map(" ".join)
any_text = st.one_of(st.text(max_size=400), clinical_text)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@SETTINGS
@given(any_text)
def test_normalized_offsets_map_monotonically_into_the_original(text):
    norm = normalize(text)
    offs = np.asarray(norm.offsets)
    assert len(offs) == len(norm.text) + 1
    assert offs[-1] == len(text)
    assert np.all(np.diff(offs) >= 0)  # monotone: reading order is kept
    assert np.all((offs[:-1] >= 0) & (offs[:-1] < max(len(text), 1)))


@SETTINGS
@given(any_text)
def test_reading_any_text_keeps_offsets_valid(text):
    if not text.strip():
        return
    doc = evsynth.read_string(text, name="random.txt")
    assert doc.original == text
    assert len(doc.offsets) == len(doc.text) + 1
    for sec in doc.sections:
        assert 0 <= sec.start <= sec.end <= len(doc.text)


@SETTINGS
@given(clinical_text)
def test_extracted_rows_quote_the_original_and_contain_their_numbers(text):
    if not text.strip():
        return
    doc = evsynth.read_string(text, name="random.txt")
    rows = extract_document(doc)
    for _, row in rows.assign(row_id="r", report="random.txt").iterrows():
        assert row["source_quote"] == text[row["source_start"] : row["source_end"]]
        errors = [p for p in row_problems(row, text) if p["level"] == "error"]
        assert errors == [], (errors, row["source_quote"])


def test_extracted_rows_on_a_written_sentence():
    """A hand-written sentence: the property above on a case where rows certainly exist."""
    text = "Results\nOS was longer with tocilizumab (HR 0.52, 95% CI 0.31–0.88; p = 0.014).\n"
    rows = extract_document(evsynth.read_string(text, name="t.txt"))
    hr = rows[rows["measure"] == "HR"].iloc[0]
    assert (hr["estimate"], hr["ci_lower"], hr["ci_upper"]) == (0.52, 0.31, 0.88)
    assert "0.52" in hr["source_quote"] and "0.88" in hr["source_quote"]


# --------------------------------------------------------------------------- linear time

NEAR_MISSES = "HR 0.5 (0.1 95% CI 0.2- p = 0.0 (n = 5 53/55 ( HR 0.5 (95% CI 0.3–"


def _seconds(size: int, unit: str = NEAR_MISSES) -> float:
    text = (unit * (size // len(unit) + 1))[:size]
    best = math.inf
    for _ in range(2):
        t0 = time.perf_counter()
        extract_document(evsynth.read_string(text, name="near-miss.txt"))
        best = min(best, time.perf_counter() - t0)
    return best


def test_near_miss_input_takes_linear_time():
    """4x the input must take well under 16x the time (quadratic); linear is ~4x."""
    small, large = _seconds(40_000), _seconds(160_000)
    assert large / small < 8, (small, large)


def test_many_estimates_in_one_unpunctuated_block_take_linear_time():
    unit = "HR 0.5 (95% CI 0.3-0.8), p = 0.01\n"
    small, large = _seconds(20 * len(unit), unit), _seconds(160 * len(unit), unit)
    assert large / small < 16, (small, large)  # 8x the input; quadratic would be ~64x


# --------------------------------------------------------------------------- impossible input

from evsynth.effects import count_effect, log_ratio_from_ci, proportion_effect  # noqa: E402

IMPOSSIBLE_RATIOS = [
    (dict(estimate=-0.5, ci_lower=0.3, ci_upper=0.8), "-0.5"),
    (dict(estimate=0.0, ci_lower=0.3, ci_upper=0.8), "0"),
    (dict(estimate=0.5, ci_lower=0.8, ci_upper=0.3), "0.8"),
    (dict(estimate=0.5, ci_lower=-0.1, ci_upper=0.8), "-0.1"),
    # a NaN estimate means "not reported" (yi is then the midpoint of the log limits), but a
    # missing CI limit leaves no standard error
    (dict(estimate=0.5, ci_lower=float("nan"), ci_upper=0.8), "nan"),
    (dict(estimate=0.5, ci_lower=0.3, ci_upper=float("inf")), "inf"),
]


@pytest.mark.parametrize(("kwargs", "named"), IMPOSSIBLE_RATIOS)
def test_impossible_ratios_are_refused_naming_the_value(kwargs, named):
    with pytest.raises(EffectSizeError) as info:
        log_ratio_from_ci(**kwargs)
    assert named in str(info.value).lower()


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: count_effect(60, 55, 10, 50, measure="OR"), "60"),
        (lambda: count_effect(-1, 55, 10, 50, measure="OR"), "-1"),
        (lambda: proportion_effect(12, 10), "12"),
        (lambda: proportion_effect(3, 0), "0"),
    ],
)
def test_impossible_counts_are_refused_naming_the_value(call, named):
    with pytest.raises(EvsynthError) as info:
        call()
    assert named in str(info.value).lower()


@pytest.mark.parametrize(
    ("yi", "vi", "named"),
    [
        ([0.1, 0.2, 0.3], [0.01, -0.02, 0.03], "-0.02"),
        ([0.1, float("nan"), 0.3], [0.01, 0.02, 0.03], "nan"),
        ([0.1, 0.2, 0.3], [0.01, float("nan"), 0.03], "nan"),
        ([0.1, 0.2, 0.3], [0.01, float("inf"), 0.03], "inf"),
        ([0.1, 0.2], [0.01, 0.02, 0.03], "2"),
    ],
)
@pytest.mark.parametrize(
    "fn", ["meta_analysis", "leave_one_out", "cumulative", "gosh", "permutation_test"]
)
def test_pooling_refuses_impossible_input_naming_the_value(fn, yi, vi, named):
    """The message names the offending study (its label) or the value."""
    with pytest.raises(PoolingError) as info:
        getattr(evsynth, fn)(yi, vi)
    message = str(info.value).lower()
    assert named in message or "study 2" in message, message


def test_a_missing_count_is_not_estimable_rather_than_a_number():
    """NaN means 'not reported': no effect size is invented (a NotEstimable says why)."""
    from evsynth.effects import NotEstimable

    out = count_effect(5, 55, 10, float("nan"), measure="OR")
    assert isinstance(out, NotEstimable) and "incomplete" in str(out)
