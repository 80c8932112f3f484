"""``fairpool report DIR`` of a labelling session: the status's facts, as one HTML page."""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

import fairpool as fp
from fairpool.cli import app
from fairpool.sessions import format_metric, format_share, format_trend


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts (header rows included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell)
            self._cell = None


def _tables(page: str) -> dict[str, list[list[str]]]:
    """The page's tables keyed by their first header."""
    parser = _Tables()
    parser.feed(page)
    return {table[0][0]: table[1:] for table in parser.tables}


def _campaign(directory: Path) -> fp.sessions.SessionStatus:
    """German credit: 100 labelled, 150 validation, 300 pool rows; two rounds taught and a
    third batch left open. Returns the status read through the Python API."""
    table = fp.datasets.raw_table("german").reset_index(drop=True)
    table.insert(0, "id", [f"g{i:04d}" for i in range(len(table))])
    labelled, validation, pool = table.iloc[:100], table.iloc[100:250], table.iloc[250:550]
    truth = dict(zip(pool["id"], pool["credit"], strict=True))
    with fp.Session.create(directory, labelled=labelled, pool=pool.drop(columns="credit"),
                           validation=validation, target="credit", sensitive="sex", id="id",
                           budget=80, batch_size=20) as session:
        for _ in range(2):
            batch = session.query()
            session.teach(batch[["id"]].assign(credit=[truth[i] for i in batch["id"]]))
        session.query()  # left open
    with fp.Session.open(directory) as session:
        return session.status()


def _check_rounds(page: str, status: fp.sessions.SessionStatus) -> None:
    """The rounds table holds the status's values, formatted as the status formats them."""
    assert len(status.rounds) == 3
    rounds = _tables(page)["round"]
    metrics = ["accuracy", "f1", "demographic_parity", "equalized_odds"]
    assert len(rounds) == len(status.rounds) + 1
    for row, expected in zip(rounds, status.rounds.itertuples(index=False), strict=False):
        assert row == [str(expected.round), str(expected.teach), str(expected.n_labelled),
                       *(format_metric(getattr(expected, m)) for m in metrics)]
    assert rounds[-1] == ["trend", "", "", *(format_trend(m, status.trend[m])[0]
                                              for m in metrics)]
    for metric in metrics:  # the colour of a trend says whether it is an improvement
        text, better = format_trend(metric, status.trend[metric])
        if better is not None:
            assert f'<td class="num {"better" if better else "worse"}">{text}</td>' in page
    assert "the validation table" in status.evaluation
    assert f"Measured on {html.escape(status.evaluation)}" in page


def _check_budget_batches_shares(page: str, status: fp.sessions.SessionStatus) -> None:
    assert status.used == 40 and status.reserved == 20
    assert f"<p>{html.escape(status.budget_line())}</p>" in page
    assert html.escape(status.strategy_line()) in page
    batches = _tables(page)["batch"]
    assert [row[:6] for row in batches] == [
        [str(v) for v in row[:6]] for row in status.open_batches.itertuples(index=False)]
    shares = _tables(page)["group"]
    assert shares == [[str(r.group), str(r.pool_rows), format_share(r.pool_share),
                       str(r.bought), format_share(r.bought_share)]
                      for r in status.label_shares.itertuples(index=False)]
    assert {row[0] for row in shares} == {"female", "male"}


def _check_one_file(page: str) -> None:
    """One embedded PNG figure, no script, the CSP, the title."""
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1
    assert base64.b64decode(images[0]).startswith(b"\x89PNG")
    assert "<script" not in page.lower()
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "<title>Labelling session credit campaign</title>" in page


def test_report_of_a_session_shows_what_status_shows(tmp_path):
    # One test builds the session once (most of its ~10 s is importing the learners).
    directory = tmp_path / "credit campaign"
    status = _campaign(directory)
    result = CliRunner().invoke(app, ["report", str(directory)])
    assert result.exit_code == 0, result.output
    out = directory / "report.html"
    assert result.output.strip() == f"report: {out}"
    page = out.read_text(encoding="utf-8")
    _check_rounds(page, status)
    _check_budget_batches_shares(page, status)
    _check_one_file(page)

    other = tmp_path / "pages" / "session.html"
    result = CliRunner().invoke(app, ["report", str(directory), "--out", str(other)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"report: {other}"
    assert _tables(other.read_text(encoding="utf-8")) == _tables(page)


def test_a_directory_that_is_neither_a_session_nor_a_database_is_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "is neither a labelling session" in lines[0] and "nor a results database" in lines[0]
    assert not (tmp_path / "report.html").exists()
    (tmp_path / "fairpool.duckdb").write_bytes(b"")  # a results folder: name its database
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert f"the results database in it is {tmp_path / 'fairpool.duckdb'}" in result.output
