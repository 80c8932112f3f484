"""``fairpool audit FILE --report audit.html``: one self-contained page of the audit.

The page's numbers are read back from its HTML tables and compared with the Python
API computed apart on the same file: ``audit_file`` (headline, per-group Wilson
intervals), ``subgroups`` and ``worst_slices`` on the encoded labels, ``stress_test``
on the documented encoding, and the per-group SHAP importance against the closed form
of a linear model's SHAP values, ``w_j (x_j - mean_j)`` on the standardised features.
Hostile column and group names must come out escaped, and the page must render in
headless Chromium (skipped when it is not installed).
"""

from __future__ import annotations

import base64
import html
import importlib.util
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fairpool.audit import audit_file, stress_test, subgroups, worst_slices
from fairpool.bench import audit_report, render_audit_report
from fairpool.cli import app
from fairpool.errors import InvalidInputError, UnknownColumnError

from .test_report import CHROMIUM, _chromium, _console_lines

runner = CliRunner()
HOSTILE = "<script>alert(1)</script>"
QUOTED = "O\"Neil & 'Sons'"
SEX = "sex & \"x\""
HEADINGS = ["Headline", "Per group", "Subgroups", "Worst slices", "Stress tests",
            "Explanations per group"]
HAS_SHAP = importlib.util.find_spec("shap") is not None


class _Page(HTMLParser):
    """The page's h2 headings, tags, attributes, and tables (header and cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.tables: list[dict] = []
        self._text: str | None = None
        self._section = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "table":
            self.tables.append({"section": self._section, "caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("h2", "th", "td", "caption"):
            self._text = ""

    def handle_data(self, data):
        if self._text is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "h2":
            self._section = self._text.strip()
            self.headings.append(self._section)
        elif tag in ("th", "td"):
            self.tables[-1]["rows"][-1].append(self._text)
        elif tag == "caption":
            self.tables[-1]["caption"] = self._text
        if tag in ("h2", "th", "td", "caption"):
            self._text = None

    def table(self, section: str, caption: str = "") -> pd.DataFrame:
        found = [t for t in self.tables if t["section"] == section
                 and t["caption"].startswith(caption)]
        assert found, (section, caption)
        head, *rows = found[0]["rows"]
        return pd.DataFrame(rows, columns=head)


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def close(cell: str, value: float, digits: int) -> bool:
    """A page cell written with ``digits`` decimals holds ``value``."""
    if value is None or np.isnan(value):
        return cell == ""
    return abs(float(cell) - value) <= 0.5 * 10.0**-digits + 1e-12


def interval(cell: str) -> tuple[float, float, float]:
    value, low, high = re.fullmatch(r"(\S+) \[(\S+), (\S+)\]", cell).groups()
    return float(value), float(low), float(high)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 1200
    group = rng.choice([HOSTILE, QUOTED, "plain"], n, p=[0.2, 0.3, 0.5])
    x = rng.normal(size=n) + (group == "plain")
    y = x + rng.normal(size=n) > 0.5
    pred = np.where(rng.random(n) < np.where(group == HOSTILE, 0.7, 0.9), y, ~y)
    return pd.DataFrame({HOSTILE: group, SEX: rng.choice(["F", "M"], n), "x": x,
                         "z": rng.normal(size=n), "y": np.where(y, "yes", "no"),
                         "model": np.where(pred, "yes", "no")})


@pytest.fixture(scope="module")
def written(table, tmp_path_factory):
    """The page of the hostile table written by the command line, with --stress."""
    folder = tmp_path_factory.mktemp("audit_report")
    path = folder / "decisions.csv"
    table.to_csv(path, index=False)
    out = folder / "page" / "audit.html"
    result = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", HOSTILE,
                                 "--sensitive", SEX, "--pred", "model", "--max-depth", "2",
                                 "--slice-by", "x", "--stress", "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote the audit report to {out}" in result.stderr
    return path, out, out.read_text(encoding="utf-8")


def test_page_holds_every_section_in_order(written) -> None:
    page = parse(written[2])
    assert page.headings == HEADINGS  # a section with nothing to show keeps a note


def test_page_is_self_contained(written) -> None:
    text = written[2]
    page = parse(text)
    sources = [value for name, value in page.attrs if name in ("src", "href")]
    assert sources and all(v.startswith("data:image/png;base64,") for v in sources)
    for value in sources:
        assert base64.b64decode(value.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    outside_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert re.search(r"(https?:|ftp:)?//\w", outside_images) is None  # no external URL
    assert '<meta http-equiv="Content-Security-Policy"' in text
    assert "default-src 'none'" in text
    assert len(sources) == (2 if HAS_SHAP else 1)  # stress plot, SHAP plot


def test_every_user_string_is_escaped(written) -> None:
    text = written[2]
    page = parse(text)
    assert "script" not in page.tags
    assert not [name for name, _ in page.attrs if name.startswith("on")]
    assert re.search(r"<script", text, re.IGNORECASE) is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "O&quot;Neil &amp; &#x27;Sons&#x27;" in text
    assert "sex &amp; &quot;x&quot;" in text
    # and they read back as the user wrote them
    groups = page.table("Per group")
    assert list(groups.columns[:2]) == [HOSTILE, SEX]
    assert set(groups[HOSTILE]) == {HOSTILE, QUOTED, "plain"}


def test_headline_and_groups_equal_audit_file(written) -> None:
    path, _, text = written
    page = parse(text)
    expected = audit_file(path, target="y", sensitive=[HOSTILE, SEX], pred="model")
    headline = page.table("Headline")
    assert list(headline["measure"]) == list(expected.headline["measure"])
    for cell, value in zip(headline["value"], expected.headline["value"], strict=True):
        assert close(cell, value, 4)
    assert list(headline["flag"]) == list(expected.headline["flag"])
    shown = page.table("Per group")
    assert len(shown) == len(expected.by_group)
    for (_, row), (group, want) in zip(shown.iterrows(), expected.by_group.iterrows(),
                                       strict=True):
        assert (row[HOSTILE], row[SEX]) == group
        assert int(row["count"]) == want["count"]
        for rate, header in (("base_rate", "base rate"), ("selection_rate", "selection rate"),
                             ("tpr", "TPR"), ("fpr", "FPR")):
            got = interval(row[f"{header} [95% CI]"])
            for g, w in zip(got, (want[rate], want[f"{rate}_ci_low"],
                                  want[f"{rate}_ci_high"]), strict=True):
                assert abs(g - w) <= 5e-4 + 1e-12


def encoded(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return ((table["y"] == "yes").to_numpy().astype(int),
            (table["model"] == "yes").to_numpy().astype(int))


def test_subgroups_and_slices_equal_the_python_api(written, table) -> None:
    page = parse(written[2])
    y, p = encoded(table)
    expected = subgroups(y, p, sensitive_features=table[[HOSTILE, SEX]])
    shown = page.table("Subgroups")
    assert len(shown) == len(expected)
    assert list(shown["grouping"]) == list(expected["grouping"])
    for (_, row), (_, want) in zip(shown.iterrows(), expected.iterrows(), strict=True):
        assert int(row["support"]) == want["support"]
        for column in (HOSTILE, SEX):
            assert row[column] == ("" if want[column] is None else want[column])
        for rate in ("error_rate", "selection_rate", "accuracy", "fpr", "fnr"):
            got = interval(row[f"{rate} [95% CI]"])
            for g, w in zip(got, want[[rate, f"{rate}_ci_low", f"{rate}_ci_high"]],
                            strict=True):
                assert abs(g - w) <= 5e-4 + 1e-12
        assert close(row["gap (error_rate)"], want["gap"], 4)
        assert close(row["p adjusted"], want["p_adjusted"], 4)
        assert (row["significant"] == "yes") == bool(want["significant"])
        assert row["rank"] == ("" if pd.isna(want["rank"]) else str(int(want["rank"])))
    slices = worst_slices(y, p, features=table[[HOSTILE, SEX, "x"]], max_depth=2, n_bins=4)
    shown = page.table("Worst slices")
    assert len(shown) == len(slices) > 0
    for column in ("support", "errors"):
        assert [int(v) for v in shown[column]] == slices[column].astype(int).tolist()
    for cell, value in zip(shown["score"], slices["score"], strict=True):
        assert close(cell, value, 4)


def test_stress_table_equals_stress_test_on_the_documented_encoding(written, table) -> None:
    from fairpool.datasets import from_frame

    page = parse(written[2])
    data = from_frame(table, target="y", sensitive=[HOSTILE, SEX], sensitive_as_feature=True,
                      drop=["model"], missing="drop", positive="yes")
    counts = np.bincount(data.groups)
    smallest = data.group_names[int(np.argmin(counts))]
    expected = stress_test(data, source=["sampling", "historical"], group=smallest,
                           rates=[0, 0.1, 0.2, 0.3, 0.4, 0.5], seeds=[0, 1], test_size=0.3)
    means = expected.groupby(["source", "rate"], sort=False).mean(numeric_only=True)
    shown = page.table("Stress tests")
    assert len(shown) == len(means) == 12
    for (_, row), ((source, rate), want) in zip(shown.iterrows(), means.iterrows(),
                                                strict=True):
        assert (row["source"], float(row["rate"])) == (source, rate)
        for metric in ("accuracy", "f1", "demographic_parity", "equalized_odds"):
            assert close(row[metric], want[metric], 4)
    assert html.escape(f"the group {smallest!r} of the training rows") in written[2]


@pytest.mark.skipif(not HAS_SHAP, reason="shap is not installed (pip install shap)")
def test_explanations_equal_the_closed_form_of_a_linear_model(written, table) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from fairpool.datasets import from_frame

    page = parse(written[2])
    data = from_frame(table, target="y", sensitive=[HOSTILE, SEX], sensitive_as_feature=True,
                      drop=["model"], positive="yes")
    Z = StandardScaler().fit_transform(data.X.astype(float))
    w = LogisticRegression(max_iter=1000).fit(Z, data.y).coef_[0]
    phi = np.abs(w * (Z - Z.mean(axis=0)))  # SHAP of a linear model, independent features
    names = list(data.feature_names)
    shown = page.table("Explanations per group", "Top")
    assert len(shown) == min(10, len(names))
    for _, row in shown.iterrows():
        j = names.index(row["feature"])
        assert close(row["all"], phi[:, j].mean(), 4)
        for code, group in enumerate(data.group_names):
            assert abs(float(row[str(group)]) - phi[data.groups == code, j].mean()) <= 1e-3
    order = np.argsort(-phi.mean(axis=0), kind="stable")[:10]
    assert list(shown["feature"]) == [names[j] for j in order]
    shares = page.table("Explanations per group", "Share")
    assert list(shares["group"]) == [*map(str, data.group_names), "all"]
    sensitive = [j for j, f in enumerate(names) if f in data.info["sensitive_columns"]]
    want = phi[:, sensitive].mean(axis=0).sum() / phi.mean(axis=0).sum()
    assert close(shares["share on sensitive"].iloc[-1], want, 3)


def test_without_shap_the_section_is_skipped_with_a_note(table, monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "shap" else real(name, *a))
    report = audit_report(table, target="y", sensitive=HOSTILE, pred="model")
    assert report.explanation is None
    page = parse(render_audit_report(report))
    assert page.headings == ["Headline", "Per group", "Subgroups", "Stress tests",
                             "Explanations per group"]
    text = render_audit_report(report)
    assert "the shap library is not installed" in text
    assert "not run: it retrains a model" in text
    assert "data:image/png" not in text  # no stress test, no explanation: no figure


@pytest.mark.skipif(not HAS_SHAP, reason="shap is not installed (pip install shap)")
def test_a_table_no_model_can_read_keeps_its_page_and_says_why(table) -> None:
    dated = table.assign(when=pd.date_range("2020-01-01", periods=len(table), freq="h"))
    report = audit_report(dated, target="y", sensitive=SEX, pred="model")
    assert report.explanation is None and report.subgroups is not None
    assert "feature column &#x27;when&#x27; has dtype datetime64" in render_audit_report(report)
    with pytest.raises(InvalidInputError, match="'when'"):  # asked for: the error is raised
        audit_report(dated, target="y", sensitive=SEX, stress=True, explain=False)
    one = table.assign(**{SEX: "F"})
    report = audit_report(one, target="y", sensitive=SEX)  # the data audit takes one group
    assert report.explanation is None
    assert "skipped: the rows hold one group (F)" in render_audit_report(report)


def test_data_audit_page_without_predictions(table, tmp_path) -> None:
    path = tmp_path / "rows.parquet"
    table.drop(columns="model").to_parquet(path)
    out = tmp_path / "data.html"
    result = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", SEX,
                                 "--no-explain", "--report", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    expected = audit_file(path, target="y", sensitive=SEX)
    headline = page.table("Headline")
    assert list(headline["measure"]) == list(expected.headline["measure"])
    for cell, value in zip(headline["value"], expected.headline["value"], strict=True):
        assert close(cell, value, 4)
    assert "the subgroup table audits a model&#x27;s predictions" in text
    assert "not asked for (--no-explain" in text
    assert '"kind": "data"' in result.stdout  # the terminal output is the plain audit's


def test_sections_not_asked_for_are_not_computed(table) -> None:
    report = audit_report(table, target="y", sensitive=[HOSTILE, SEX], pred="model",
                          explain=False)
    assert set(report.seconds) == {"audit", "subgroups"}
    assert report.stress is None and report.explanation is None


@pytest.mark.parametrize(("args", "message"), [
    (["--stress"], "--stress and --stress-group add a stress test"),
    (["--report", "{out}", "--by-period", "month"], "--by-period"),
    (["--report", "{out}", "--subgroups"], "name the prediction column with --pred"),
    (["--report", "{out}", "--max-depth", "2"], "name the prediction column with --pred"),
    (["--report", "{out}", "--sensitive", "nope"], "column 'nope' not in the table"),
    (["--report", "{out}", "--stress", "--stress-group", "nobody", "--no-explain"],
     "group 'nobody' is not a group"),
])
def test_bad_options_fail_with_one_line(table, tmp_path, args, message) -> None:
    path = tmp_path / "rows.csv"
    table.drop(columns="model").to_csv(path, index=False)
    out = tmp_path / "never.html"
    result = runner.invoke(app, ["audit", str(path), "--target", "y", "--sensitive", SEX,
                                 *[a.replace("{out}", str(out)) for a in args]])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("fairpool: error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_python_api_rejects_bad_input(table) -> None:
    with pytest.raises(InvalidInputError, match="top must be a positive integer"):
        audit_report(table, target="y", sensitive=SEX, top=0)
    with pytest.raises(InvalidInputError, match="--pred"):
        audit_report(table, target="y", sensitive=SEX, max_depth=2)
    with pytest.raises(UnknownColumnError, match="'nope'"):
        audit_report(table, target="nope", sensitive=SEX)
    with pytest.raises(FileNotFoundError):
        audit_report("/nonexistent/rows.csv", target="y", sensitive=SEX)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(apt-get install chromium; CI installs it)")
def test_page_renders_in_headless_chromium(written, tmp_path) -> None:
    url = written[1].resolve().as_uri()
    dom = _chromium("--dump-dom", url, tmp_path=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = parse(dom.stdout)
    assert page.headings == HEADINGS
    assert "script" not in page.tags  # nothing the escaping missed became an element
    assert HOSTILE in set(page.table("Per group")[HOSTILE])
    assert _console_lines(dom.stderr) == []
    shot = tmp_path / "shot.png"
    render = _chromium("--window-size=1280,2400", f"--screenshot={shot}", url,
                       tmp_path=tmp_path)
    assert render.returncode == 0 and shot.is_file(), render.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1280)
    assert 0.03 < (pixels < 0.95).any(axis=2).mean() < 0.9  # drawn, not blank
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 50  # the plots' colours
