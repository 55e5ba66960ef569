"""Extract many papers on a Dask cluster (``pip install evsynth[dask]``).

:func:`extract_many_dask` maps the same per-file step as :func:`evsynth.evidence.batch.extract_many`
(:func:`evsynth.evidence.batch.extract_one`: ``read`` then ``extract_document``) over a ``dask.bag`` of
paths, so a laptop run and a cluster run give identical documents, rows and failures. Workers
must see the same file system paths (a shared disk, or files copied to every worker).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pandas as pd

from evsynth.errors import EvsynthError
from evsynth.evidence.batch import FileFailure, collect, expand, extract_one

__all__ = ["extract_many_dask"]


def _safe_one(path: str, protocol: Any = None) -> tuple[str, Any]:
    """One file on a Dask worker: a bug in one paper becomes its FileFailure, not a lost batch."""
    try:
        return path, extract_one(path, protocol)
    except Exception as exc:  # not a typed error (a bug): report it with the file, go on
        return path, FileFailure(path, "extract", type(exc).__name__, str(exc) or repr(exc))


def extract_many_dask(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None,
    *,
    client: Any = None,
    partition_size: int = 1,
    protocol: Any = None,
) -> tuple[list, list[pd.DataFrame], list[FileFailure]]:
    """Read and extract many papers on a Dask cluster; same results as ``extract_many``.

    Parameters
    ----------
    paths : files or folders (searched recursively for .txt/.md/.pdf); None: the bundled papers.
    client : a ``distributed.Client``; None uses the current default scheduler (the active
        client if there is one, else Dask's local scheduler).
    partition_size : papers per Dask partition (1 balances best: papers differ a lot in cost).
    protocol : the review protocol whose terms label the rows (None: arms as reported only).

    Returns
    -------
    (docs, evidence_rows, failures) exactly as :func:`evsynth.evidence.batch.extract_many` returns them,
    in path order. Dask has no per-task memory limit here; use the cluster's worker memory
    settings (a worker that dies is restarted by ``distributed`` and the task retried).

    Raises
    ------
    EvsynthError : when dask is not installed (``pip install evsynth[dask]``).
    """
    try:
        import dask.bag as db
    except ImportError:
        raise EvsynthError(
            "extract_many_dask needs dask: pip install 'evsynth[dask]' (dask[bag], distributed)"
        ) from None
    files = expand(paths)
    if not files:
        return [], [], []
    size = max(1, int(partition_size))
    bag = db.from_sequence(files, partition_size=size).map(_safe_one, protocol=protocol)
    results = client.compute(bag).result() if client is not None else bag.compute()
    order = {p: i for i, p in enumerate(files)}
    results = sorted(results, key=lambda r: order[r[0]])
    return collect(results)
