"""The HTML report: self-contained, every user string escaped, renders in Chromium."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from fairpool.bench import parse_config, run_experiment, write_report
from fairpool.errors import InvalidInputError

from .fakes import fake_cell, fake_registry

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = """
title = "</title><script>alert('title')</script>"
budget = 30
batch_size = 10
seeds = [0, 1]
datasets = [{ name = "toy", sensitive = "<script>alert('option')</script>" }]
learners = ["logreg"]
strategies = [
    "random",
    { name = "facagen", tuner = "ucb", label = "<img src=x onerror=alert('label')>" },
    { name = "entropy", label = "<script>alert('strategy')</script>" },
]
"""
EXPECTED_HEADINGS = [
    "Summary at the final budget", "Glossary", "F1 against disparity", "Learning curves",
    "FACA-GEN table", "Group make-up of the selected examples", "Runs", "Package versions",
    "Configuration",
]


class _Outline(HTMLParser):
    """Collects headings, tags, and attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag in ("h1", "h2"):
            self._open, self._text = tag, ""

    def handle_data(self, data):
        if self._open:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._open:
            self.headings.append((tag, self._text.strip()))
            self._open = None


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    config = parse_config(HOSTILE, registry=fake_registry())
    run_experiment(config, database=folder / "r.duckdb", workers=1, cell_runner=fake_cell)
    return write_report(folder / "r.duckdb")


def test_report_is_written_beside_the_database(hostile_report):
    assert hostile_report.name == "report.html"
    assert (hostile_report.parent / "r.duckdb").is_file()


def test_every_user_string_is_escaped(hostile_report):
    text = hostile_report.read_text(encoding="utf-8")
    outline = _Outline()
    outline.feed(text)
    assert "script" not in outline.tags and "img" in outline.tags
    assert not [name for name, _ in outline.attrs if name.startswith("on")]
    assert re.search(r"<script", text, re.IGNORECASE) is None
    assert "&lt;script&gt;alert(&#x27;strategy&#x27;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(&#x27;label&#x27;)&gt;" in text
    # the dataset option is stored as JSON and shown escaped in the runs table and config
    assert "&lt;script&gt;alert(&#x27;option&#x27;)&lt;/script&gt;" in text
    # the title shows literally in the heading and in <title>
    assert ("h1", "</title><script>alert('title')</script>") in outline.headings


def test_report_is_self_contained(hostile_report):
    text = hostile_report.read_text(encoding="utf-8")
    outline = _Outline()
    outline.feed(text)
    sources = [value for name, value in outline.attrs if name in ("src", "href")]
    assert sources and all(v.startswith("data:image/png;base64,") for v in sources)
    for value in sources:  # each image decodes to a PNG
        assert base64.b64decode(value.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert [h for tag, h in outline.headings if tag == "h2"] == EXPECTED_HEADINGS


TWINS = """
title = "twins"
budget = 20
batch_size = 10
seeds = [0, 1]
datasets = ["toy"]
learners = ["logreg"]
strategies = ["entropy", "random", "facagen"]
"""


def twin_cell(cell):
    """The fake, except that "random" stores exactly what "entropy" stores."""
    if cell.strategy == "random":
        cell = dataclasses.replace(cell, strategy="entropy", strategy_label="entropy")
    return fake_cell(cell)


@pytest.fixture(scope="module")
def twin_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("twins")
    config = parse_config(TWINS, registry=fake_registry())
    run_experiment(config, database=folder / "r.duckdb", workers=1, cell_runner=twin_cell)
    return write_report(folder / "r.duckdb").read_text(encoding="utf-8")


def _text_of(page: str) -> str:
    """The page's text, entities decoded, tags dropped."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_metric_headers_are_short_and_spelt_out_with_their_direction(hostile_report):
    page = hostile_report.read_text(encoding="utf-8")
    for header, label in (
        ("F1 ↑", "F1 (higher is better)"),
        ("DP gap, max−min ↓", "demographic parity gap, max − min over groups (lower is fairer)"),
        ("EO gap, max−min ↓", "equalized odds gap, max − min over groups (lower is fairer)"),
        ("ERB gap, FPR/FNR max−min ↓",
         "error-rate balance: FPR/FNR gap between groups (lower is fairer)"),
    ):
        assert f'<th title="{label}">{header}</th>' in page  # the header, its full name
        assert f"{header} = {label}" in page  # spelt out below the table
    # raw column names are not headers any more
    assert "<th>demographic_parity</th>" not in page and "<th>f1</th>" not in page


def test_glossary_defines_each_metric_as_fairpool_computes_it(hostile_report):
    page = hostile_report.read_text(encoding="utf-8")
    glossary = re.search(r'<dl class="glossary">(.*?)</dl>', page, re.S)
    assert glossary is not None
    terms = re.findall(r"<dt>(.*?)</dt>", glossary.group(1))
    text = _text_of(glossary.group(1))
    for term in ("labels", "demographic parity", "equalized odds", "error-rate balance",
                 "OT distance", "identical"):
        assert any(term in t for t in terms), term
    assert "P(ŷ=1 | A=a)" in text  # selection rate: demographic parity
    assert "P(ŷ=1 | Y=1, A=a)" in text and "P(ŷ=1 | Y=0, A=a)" in text  # TPR, FPR: EO
    assert "P(ŷ=1 | A=a) from the rate over all rows P(ŷ=1)" in text  # PANDA's DP
    assert "P(ŷ≠Y | A=a)" in text  # misclassification rate: error_rate_difference
    assert "labelled examples" in text and "pool" in text and "Wasserstein-1" in text
    assert "initial labelled set plus every label bought" in text


def test_every_table_sits_in_a_container_that_scrolls_sideways(hostile_report):
    page = hostile_report.read_text(encoding="utf-8")
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert re.search(r"\.wide \{[^}]*max-width: 100%;[^}]*overflow-x: auto", css)
    assert re.search(r"td\.long \{[^}]*overflow-wrap: anywhere", css)
    assert page.count("<table") == page.count('<div class="wide"><table')
    # one summary table per grid, dataset and learner, its constants in the caption
    assert "<caption>toy · logreg · 2 seeds · 40 labels</caption>" in page
    assert "<th>dataset</th>" not in page.split("<h2>Glossary</h2>")[0]


def test_identical_curves_are_marked_in_legend_and_caption(twin_report, hostile_report):
    assert "entropy = random (identical)" in twin_report
    notes = re.findall(r"<strong>Identical (points|curves):</strong>", twin_report)
    assert notes == ["points", "curves"]
    # the hostile store's strategies all differ: nothing is marked
    page = hostile_report.read_text(encoding="utf-8")
    assert "(identical)" not in page.split("<h2>Glossary</h2>")[1].split("</dl>", 1)[1]
    assert "<strong>Identical" not in page


def test_report_of_a_missing_database_names_it(tmp_path):
    with pytest.raises(InvalidInputError, match="no results database"):
        write_report(tmp_path / "none.duckdb")


def _chromium(*args, tmp_path):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True,
                          timeout=120, check=False)


_MEASURE = """<script>
const last = [...document.querySelectorAll('h2')].find(h => h.textContent === 'Glossary');
const boxes = [...document.querySelectorAll('div.wide')].map(el => ({
  scroll: el.scrollWidth, client: el.clientWidth,
  summary: Boolean(last.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING)}));
const out = document.createElement('pre'); out.id = 'layout';
out.textContent = JSON.stringify({page: [document.documentElement.scrollWidth,
                                         document.documentElement.clientWidth],
                                  containers: boxes});
document.body.appendChild(out);
</script></body>"""


def _layout(report, *, width, tmp_path):
    """Widths of the page and of each table container in a ``width``-px window."""
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "",
                  report.read_text(encoding="utf-8")).replace("</body>", _MEASURE)
    copy = tmp_path / "measure.html"
    copy.write_text(page, encoding="utf-8")
    dom = _chromium(f"--window-size={width},900", "--dump-dom", copy.as_uri(),
                    tmp_path=tmp_path)
    found = re.search(r'<pre id="layout">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stderr[-2000:]
    return json.loads(found.group(1))


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                    "(apt-get install chromium; CI installs it)")
def test_report_renders_in_headless_chromium(hostile_report, tmp_path):
    url = hostile_report.resolve().as_uri()
    dom = _chromium("--dump-dom", url, tmp_path=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    outline = _Outline()
    outline.feed(dom.stdout)
    assert [h for tag, h in outline.headings if tag == "h2"] == EXPECTED_HEADINGS
    assert "script" not in outline.tags  # nothing the escaping missed became an element
    assert _console_lines(dom.stderr) == []

    shot = tmp_path / "shot.png"
    render = _chromium("--window-size=1280,1600", f"--screenshot={shot}", url,
                       tmp_path=tmp_path)
    assert render.returncode == 0 and shot.is_file(), render.stderr[-2000:]
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (1600, 1280)
    not_white = (pixels < 0.95).any(axis=2).mean()
    assert 0.03 < not_white < 0.9  # text and figures drawn, not blank, not a solid fill
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 50  # figures have colour
    assert _console_lines(render.stderr) == []

    # at 1000 px nothing runs off the page: tables scroll in their container, summary
    # tables fit (measured by a script in a copy of the page without the CSP)
    widths = _layout(hostile_report, width=1000, tmp_path=tmp_path)
    assert widths["page"][0] <= widths["page"][1]
    assert widths["containers"], widths
    assert all(c["client"] <= widths["page"][1] for c in widths["containers"])
    summary = [c for c in widths["containers"] if c["summary"]]
    assert summary and all(c["scroll"] <= c["client"] for c in summary), summary

    # the console check does see errors: a page that throws is caught by it
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><h2>x</h2><script>undefinedFunction()</script></body></html>")
    control = _chromium("--dump-dom", bad.as_uri(), tmp_path=tmp_path)
    assert any("Uncaught ReferenceError" in line for line in _console_lines(control.stderr))
