"""Dask: the same per-file extraction on a local distributed cluster gives identical results."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import evsynth

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.bag")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("dask")
    for p in evsynth.bundled_papers()[:3]:
        shutil.copy(p, d / p.name)
    (d / "bad.pdf").write_bytes(b"%PDF-1.7\n%broken download")
    return d


def test_dask_cluster_results_equal_local_results(folder):
    from evsynth.evidence.batch import extract_many
    from evsynth.evidence.distributed import extract_many_dask
    from tests.bundled_protocol import BUNDLED

    local = extract_many(folder, workers=2, progress=False, protocol=BUNDLED)
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        remote = extract_many_dask(folder, client=client, protocol=BUNDLED)
    docs, rows, failures = remote
    assert [d.path for d in docs] == [d.path for d in local[0]]
    assert len(docs) == 3
    for a, b in zip(docs, local[0], strict=True):
        assert a.text == b.text and a.tables == b.tables and a.sections == b.sections
    for a, b in zip(rows, local[1], strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert sum(len(r) for r in rows) > 50
    assert [(f.path, f.stage, f.error) for f in failures] == [
        (str(folder / "bad.pdf"), "read", "CorruptPDFError")
    ]
    assert failures == [f for f in local[2]] or [f.message for f in failures] == [
        f.message for f in local[2]
    ]


def test_dask_without_a_client_uses_the_local_scheduler(folder):
    from evsynth.evidence.distributed import extract_many_dask

    docs, rows, failures = extract_many_dask(folder / "bad.pdf")
    assert docs == [] and rows == []
    assert failures[0].error == "CorruptPDFError" and "damaged" in failures[0].message
