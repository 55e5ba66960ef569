"""`evsynth run` end to end on the bundled papers: every file, and pooled numbers re-derived.

The pooled numbers are checked against the pooling engine's own API on the rows the run says
it used, and against values computed by hand from the papers' reported hazard ratios.
"""

from __future__ import annotations

import base64
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evsynth
from evsynth.review.report import REPORT_SECTIONS
from evsynth.review.workflow import run
from tests.tolerances import CSV_6_DIGITS_RTOL, METAFOR_ITERATIVE_RTOL


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run") / "out"
    run(out=folder, progress=False)
    return folder


def _pooled(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "pooled.csv", keep_default_na=False, na_values=[""])


def test_every_output_is_written(out):
    for name in (
        "evidence.csv",
        "studies.csv",
        "findings.csv",
        "pooled.csv",
        "report.md",
        "report.html",
    ):
        assert (out / name).stat().st_size > 0, name
    figures = out / "figures"
    for q in (
        "glucocorticoid_cr",
        "glucocorticoid_os",
        "glucocorticoid_pfs",
        "tocilizumab_cr",
        "tocilizumab_os",
        "tocilizumab_pfs",
    ):
        assert (figures / f"forest_{q}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (figures / f"forest_{q}.pdf").read_bytes()[:5] == b"%PDF-"
    assert (figures / "summary.png").exists() and (figures / "summary.pdf").exists()


def test_every_question_has_a_primary_row(out):
    pooled = _pooled(out)
    primary = pooled[pooled["role"] == "primary"]
    assert set(primary["question"]) == {
        f"{i} on {o}" for i in ("glucocorticoid", "tocilizumab") for o in ("CR", "OS", "PFS")
    }
    # questions with one poolable study are shown as that study, never as a pooled claim
    single = primary[primary["status"] == "single study"]
    assert set(single["question"]) == {
        "glucocorticoid on CR",
        "glucocorticoid on OS",
        "tocilizumab on OS",
    }
    assert single["reason"].str.contains("only one study").all()


def test_pooled_numbers_match_the_engine_on_the_rows_used(out):
    """Re-pool each pooled question from evidence.csv rows named in pooled.csv with the public API."""
    pooled = _pooled(out)
    evidence = pd.read_csv(out / "evidence.csv", keep_default_na=False, na_values=[""])
    checked = 0
    for _, row in pooled[(pooled["status"] == "pooled") & (pooled["role"] == "primary")].iterrows():
        ids = row["row_ids"].split("; ")
        rows = evidence.set_index("row_id").loc[ids].reset_index()
        es = evsynth.effect_sizes(rows)
        res = evsynth.meta_analysis(es["yi"], es["vi"], method="REML", test="adhoc")
        np.testing.assert_allclose(row["estimate"], np.exp(res.estimate), rtol=CSV_6_DIGITS_RTOL)
        np.testing.assert_allclose(
            [row["ci_lower"], row["ci_upper"]], np.exp(res.ci), rtol=CSV_6_DIGITS_RTOL
        )
        checked += 1
    assert checked >= 2


def test_tocilizumab_pfs_by_hand(out):
    """HR 1.18 [0.49, 2.85] (zhang2025, Table 5) and 1.207 [0.561, 2.598] (ma2024, LFS, Table 2).

    By hand: yi = ln HR, sei = (ln U - ln L) / (2 * 1.959964); tau² = 0 here (Q < df), so the
    pooled log HR is the inverse-variance mean. metafor gives HR 1.195 [0.671, 2.131] with the
    z test (tests/test_peers.py); the default ad hoc HKSJ uses t(1) and the q floor of 1.
    """
    y = np.log([1.18, 1.207])
    se = (np.log([2.85, 2.598]) - np.log([0.49, 0.561])) / (2 * 1.959963984540054)
    w = 1 / se**2
    mu = np.sum(w * y) / np.sum(w)
    se_mu = np.sqrt(1 / np.sum(w))
    from scipy import stats

    half = stats.t.ppf(0.975, 1) * se_mu  # q = Q/(k-1) < 1 is floored at 1 by the ad hoc rule
    pooled = _pooled(out)
    row = pooled[(pooled["question"] == "tocilizumab on PFS") & (pooled["role"] == "primary")].iloc[
        0
    ]
    assert row["k"] == 2 and row["studies"] == "ma2024; zhang2025" and bool(row["proxy_accepted"])
    np.testing.assert_allclose(row["estimate"], np.exp(mu), rtol=METAFOR_ITERATIVE_RTOL)
    np.testing.assert_allclose(
        [row["ci_lower"], row["ci_upper"]],
        np.exp([mu - half, mu + half]),
        rtol=METAFOR_ITERATIVE_RTOL,
    )
    z = pooled[
        (pooled["question"] == "tocilizumab on PFS") & (pooled["analysis"].str.contains("z test"))
    ].iloc[0]
    np.testing.assert_allclose([z["ci_lower"], z["ci_upper"]], [0.6706, 2.1306], atol=5e-4)


def test_pfs_analyses_say_whether_lfs_was_a_proxy(out):
    pooled = _pooled(out)
    pfs = pooled[pooled["outcome"] == "PFS"]
    assert pfs["proxy_accepted"].notna().all()
    with_proxy = pfs[pfs["proxy_accepted"].astype(str) == "True"]
    assert with_proxy["notes"].str.contains("LFS used as a proxy for PFS").all()
    assert (pfs["analysis"] == "without proxy (LFS)").sum() == 2


def test_duplicate_report_is_one_study_and_a_sensitivity_analysis(out):
    studies = pd.read_csv(out / "studies.csv", keep_default_na=False)
    zhang = studies[studies["study_id"] == "zhang2025"].iloc[0]
    assert zhang["reports"].count(".txt") == 2
    pooled = _pooled(out)
    dup = pooled[pooled["analysis"] == "duplicate report counted twice"]
    assert len(dup) >= 1 and (dup["k"] == 3).all()


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.srcs.append(attrs.get("src") or "")
        if "id" in attrs:
            self.ids.append(attrs["id"])


def test_report_html_has_every_section_and_no_broken_image(out):
    page = (out / "report.html").read_text(encoding="utf-8")
    parser = _Images()
    parser.feed(page)
    for name in REPORT_SECTIONS:
        assert name.lower().replace(" ", "-") in parser.ids, name
    assert len(parser.srcs) == 7  # six questions + summary
    for src in parser.srcs:
        assert src.startswith("data:image/png;base64,"), (
            "images are embedded (the page opens offline)"
        )
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"""(src|href)=['"]https?://""", page), "no external resources"
    md = (out / "report.md").read_text(encoding="utf-8")
    for name in REPORT_SECTIONS:
        assert f"## {name}" in md
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out / link).exists(), link


def test_running_twice_gives_identical_files(out):
    # into the same folder: the report's Reproduce line quotes the real --out path
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run(out=out, progress=False)
    for rel, data in sorted(first.items()):
        assert (out / rel).read_bytes() == data, str(rel)


def test_cli_run_prints_where_outputs_are(tmp_path, capsys):
    from evsynth.cli import main

    assert main(["run", "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "outputs written to" in printed and "tocilizumab on PFS" in printed


def test_docs_results_page_matches_the_run(out):
    """docs/results.md quotes numbers; they must be what the current code produces."""
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(
        "make_results_page", root / "docs" / "make_results_page.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (root / "docs" / "results.md").read_text(encoding="utf-8")
    assert module.results_page(out) == committed, "run: python docs/make_results_page.py"


def test_run_with_no_readable_input_is_a_clear_error(tmp_path, capsys):
    """Every input unreadable: a typed error naming the file and the reason, exit 2, no traceback."""
    from evsynth.cli import main

    missing = tmp_path / "missing.pdf"
    assert main(["run", str(missing), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "none of the 1 input(s) could be read" in err and "missing.pdf" in err
    assert "Traceback" not in err
    assert (
        main(["run", "--curation", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")]) == 2
    )
    assert "no such curation file" in capsys.readouterr().err
    assert main(["extract", str(missing), "--out", str(tmp_path / "x"), "--quiet"]) == 1


def test_run_goes_on_past_a_bad_file_and_reports_it(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    good = evsynth.bundled_papers()[2]  # Ma 2024
    (folder / good.name).write_bytes(good.read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    result = run([folder], out=tmp_path / "o", progress=False)
    failures = pd.read_csv(tmp_path / "o" / "failures.csv")
    assert list(failures["file"]) == ["empty.txt"] and list(failures["error"]) == ["EmptyFileError"]
    assert set(result.evidence["report"]) == {good.name}
    assert "empty.txt" in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")


def test_a_readme_in_the_papers_folder_is_not_read_as_a_paper(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    for p in evsynth.bundled_papers()[2:4]:
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "README.md").write_text("# My review\n\nHR 0.5 (95% CI 0.2-0.9).\n", encoding="utf-8")
    result = run([folder], out=tmp_path / "o", progress=False)
    assert set(result.evidence["report"]) == {p.name for p in evsynth.bundled_papers()[2:4]}


def test_pooled_csv_names_units_and_digits(out):
    pooled = pd.read_csv(out / "pooled.csv", keep_default_na=False, na_values=[""])
    assert "p_value" in pooled and "pvalue" not in pooled
    assert "i2_percent" in pooled and "i2" not in pooled
    assert {"q", "q_df", "q_p_value", "tau2_ci_lower", "tau2_ci_upper"} <= set(pooled)
    for col in pooled.select_dtypes("float"):
        for v in pooled[col].dropna():
            assert len(f"{v:.15g}".replace("-", "").replace(".", "").lstrip("0")) <= 6, (col, v)
    single = pooled[pooled["status"] == "single study"]
    assert single["method"].isna().all() and single["q"].isna().all()


def test_pooled_studies_csv_repools_to_the_pooled_row(out):
    """pooled_studies.csv is what metafor/RevMan read: rma(yi, sei=sei) gives pooled.csv's row."""
    from evsynth.pooling import meta_analysis

    pooled = pd.read_csv(out / "pooled.csv")
    per = pd.read_csv(out / "pooled_studies.csv", encoding="utf-8-sig")
    rows = pooled[(pooled["status"] == "pooled") & (pooled["role"] == "primary")]
    assert len(rows) >= 2
    for _, r in rows.iterrows():
        mine = per[(per["question"] == r["question"]) & (per["analysis"] == r["analysis"])]
        assert len(mine) == r["k"]
        assert mine["weight_percent"].sum() == pytest.approx(100.0, abs=1e-4)
        res = meta_analysis(mine["yi"], sei=mine["sei"], method="REML", test="adhoc")
        assert math.exp(res.estimate) == pytest.approx(r["estimate"], rel=CSV_6_DIGITS_RTOL)
    # by hand: tocilizumab on PFS pools HR 1.18 [0.49, 2.85] and 1.207 [0.561, 2.598]
    # (see test_tocilizumab_pfs_by_hand): yi = ln HR, sei = (ln U - ln L) / (2 * 1.959964)
    toci = per[(per["question"] == "tocilizumab on PFS") & (per["analysis"] == "primary")]
    expect = sorted(
        (math.log(hr), (math.log(u) - math.log(lo)) / (2 * 1.959963984540054))
        for hr, lo, u in ((1.18, 0.49, 2.85), (1.207, 0.561, 2.598))
    )
    got = sorted(zip(toci["yi"], toci["sei"], strict=True))
    np.testing.assert_allclose(np.array(got), np.array(expect), rtol=1e-7)
