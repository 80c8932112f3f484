"""The pieces every fairpool HTML page is made of: style, escaping, tables, figures.

Both pages -- the report of a results database (:mod:`~fairpool.bench._report`) and the
report of a labelling session (:mod:`~fairpool.bench._session_report`) -- are one
self-contained file built from these: figures embedded as base64 PNG, plain HTML tables,
no script, a Content-Security-Policy that forbids scripts in case one ever slipped
through, and every string that comes from a user escaped with :func:`esc`.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence

import pandas as pd

from fairpool.bench._plots import figure_png, metric_label
from fairpool.bench._summary import METRIC_DISPLAY

__all__ = ["CSS", "CSP", "METRIC_HEADERS", "esc", "embed_figure", "html_page", "html_table",
           "metric_headers"]

#: The style sheet of every page (it fits a 1000-px-wide window; tables scroll sideways).
CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #1d2329; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; overflow-wrap: anywhere; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
h3 { overflow-wrap: anywhere; }
.wide { max-width: 100%; overflow-x: auto; margin: 0.8em 0; }
table { border-collapse: collapse; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 0 0 0.3em; overflow-wrap: anywhere; }
th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
th[title] { cursor: help; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.long { max-width: 24em; overflow-wrap: anywhere; font-size: 12px; }
td.better { color: #1a7f37; }
td.worse { color: #cf222e; }
img { max-width: 100%; height: auto; border: 1px solid #eef0f2; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 12px; }
dl.glossary dt { font-weight: 600; margin-top: 0.6em; }
dl.glossary dd { margin-left: 1.5em; }
.meta { color: #57606a; overflow-wrap: anywhere; }
.note { color: #57606a; font-size: 13px; }
"""

#: The Content-Security-Policy of every page: inline style and data: images, nothing else.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

#: Short table header of each metric: an arrow gives the better direction.
METRIC_HEADERS: dict[str, str] = {k: v[1] for k, v in METRIC_DISPLAY.items()}


def esc(value: object) -> str:
    """``str(value)`` escaped for HTML text and attribute values (quotes included)."""
    return html.escape(str(value), quote=True)


def html_table(
    frame: pd.DataFrame,
    *,
    numeric: Sequence[str] = (),
    long: Sequence[str] = (),
    titles: Mapping[str, str] | None = None,
    caption: str | None = None,
    cell_classes: Mapping[tuple[int, str], str] | None = None,
) -> str:
    """An HTML table of ``frame`` with every header and cell escaped.

    The table sits in a ``<div class="wide">`` that scrolls sideways when the table
    is wider than the page, so the page itself never does.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (index not shown).
    numeric : sequence of str
        Columns to right-align.
    long : sequence of str
        Columns of long text (options, parameters) that may wrap anywhere.
    titles : mapping of str to str, optional
        A tooltip (``title``) for some headers, e.g. the full name of a short one.
    caption : str, optional
        The table's caption.
    cell_classes : mapping of (int, str) to str, optional
        A further CSS class of some cells, keyed by (row position, column), e.g.
        ``better`` or ``worse`` for a trend.

    Returns
    -------
    str
    """
    titles = titles or {}
    extra = cell_classes or {}
    head = "".join(
        f'<th title="{esc(titles[c])}">{esc(c)}</th>' if c in titles else f"<th>{esc(c)}</th>"
        for c in frame.columns
    )
    kinds = {c: ["num"] if c in numeric else ["long"] if c in long else []
             for c in frame.columns}
    rows = []
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = []
        for col, v in zip(frame.columns, values, strict=True):
            names = [*kinds[col], *([extra[(i, col)]] if (i, col) in extra else [])]
            attr = f' class="{esc(" ".join(names))}"' if names else ""
            cells.append(f"<td{attr}>{esc(v)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="wide"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def embed_figure(fig: object, alt: str) -> str:
    """An ``<img>`` holding ``fig`` as a base64 PNG (the page stays one file)."""
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}">'


def metric_headers(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Short metric headers (``DP gap ↓``) and their full names as tooltips.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table whose metric columns carry the metrics' names (``demographic_parity``).

    Returns
    -------
    frame : pandas.DataFrame
        The table with the metric columns renamed to :data:`METRIC_HEADERS`.
    titles : dict of str to str
        Each new header's full name with its direction, for ``html_table(titles=)``.
    """
    renames = {m: METRIC_HEADERS[m] for m in frame.columns if m in METRIC_HEADERS}
    return frame.rename(columns=renames), {h: metric_label(m) for m, h in renames.items()}


def html_page(title: str, body: str) -> str:
    """A complete HTML document: ``title`` (escaped), the style sheet, the CSP, ``body``.

    Parameters
    ----------
    title : str
        The window title (plain text).
    body : str
        The body's HTML, already escaped where it must be.

    Returns
    -------
    str
    """
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
