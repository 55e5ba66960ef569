"""No silent mixing: rows of different measures, different outcomes or the same study twice
never reach one pooling call unless the user says so (``allow_mixing=True``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evsynth
from evsynth.errors import PoolingError


def _evidence() -> pd.DataFrame:
    # two hazard ratios and two 2x2 tables: log HR and log OR must never be pooled together
    return pd.DataFrame(
        {
            "row_id": ["r1", "r2", "r3", "r4"],
            "study_id": ["a", "b", "c", "d"],
            "outcome": ["OS", "OS", "CR", "CR"],
            "measure": ["HR", "HR", "counts", "counts"],
            "estimate": [0.5, 0.8, np.nan, np.nan],
            "ci_lower": [0.3, 0.5, np.nan, np.nan],
            "ci_upper": [0.9, 1.3, np.nan, np.nan],
            "ci_level": [0.95, 0.95, np.nan, np.nan],
            "events_int": [np.nan, np.nan, 10, 12],
            "total_int": [np.nan, np.nan, 20, 30],
            "events_ctl": [np.nan, np.nan, 5, 9],
            "total_ctl": [np.nan, np.nan, 20, 30],
        }
    )


def test_effect_sizes_of_two_measures_are_refused_naming_the_rows():
    es = evsynth.effect_sizes(_evidence())
    with pytest.raises(PoolingError) as info:
        evsynth.meta_analysis(data=es)
    msg = str(info.value)
    assert "logHR" in msg and "logOR" in msg and "r1" in msg and "r3" in msg
    mixed = evsynth.meta_analysis(data=es, allow_mixing=True)
    assert mixed.k == 4 and mixed.measure == "GEN"


def test_one_measure_from_effect_sizes_is_taken_from_the_rows():
    es = evsynth.effect_sizes(_evidence().iloc[:2])
    res = evsynth.meta_analysis(data=es)
    assert res.measure == "HR" and res.k == 2


def test_a_measure_that_contradicts_the_rows_is_refused():
    es = evsynth.effect_sizes(_evidence().iloc[2:])
    with pytest.raises(PoolingError, match="says 'logOR'"):
        evsynth.meta_analysis(data=es, measure="HR")


def test_mixed_outcomes_in_a_data_frame_are_refused():
    frame = pd.DataFrame({"yi": [0.1, 0.2, 0.3], "vi": [0.01, 0.02, 0.03],
                          "outcome": ["OS", "OS", "PFS"], "label": ["x", "y", "z"]})  # fmt: skip
    with pytest.raises(PoolingError, match="mixes outcomes") as info:
        evsynth.meta_analysis(data=frame)
    assert "PFS: z" in str(info.value)
    assert evsynth.meta_analysis(data=frame, allow_mixing=True).k == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(data=pd.DataFrame({"yi": [0.1, 0.2, 0.3], "vi": [0.01, 0.02, 0.03], "study_id": ["a", "a", "b"]})),
        dict(yi=[0.1, 0.2, 0.3], vi=[0.01, 0.02, 0.03], labels=["a", "b", "a"]),
    ],
)  # fmt: skip
def test_the_same_study_twice_is_refused(kwargs):
    with pytest.raises(PoolingError, match="more than once"):
        evsynth.meta_analysis(**kwargs)
    assert evsynth.meta_analysis(**kwargs, allow_mixing=True).k == 3


def test_mixing_is_refused_on_the_meta_regression_path_too():
    es = evsynth.effect_sizes(_evidence())
    with pytest.raises(PoolingError, match="mixes effect measures"):
        evsynth.meta_analysis(data=es, mods=[1.0, 2.0, 3.0, 4.0])


def test_measure_codes_are_validated_case_insensitively():
    res = evsynth.meta_analysis([0.1, 0.3], [0.02, 0.03], measure="hr")
    assert res.measure == "HR"
    with pytest.raises(PoolingError, match="not a known code") as info:
        evsynth.meta_analysis([0.1, 0.3], [0.02, 0.03], measure="XYZ")
    assert "'HR'" in str(info.value) and "'SMD'" in str(info.value)
