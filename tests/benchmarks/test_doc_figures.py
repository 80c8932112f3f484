"""Every generated block of README.md and docs/ equals what its results files give."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "doc_figures.py"


@pytest.fixture(scope="module")
def figures():
    spec = importlib.util.spec_from_file_location("doc_figures", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["doc_figures"] = module
    spec.loader.exec_module(module)
    return module


def test_every_page_block_equals_its_results(figures) -> None:
    # A number on a page that differs from the committed results file fails here:
    # rerun the script, `doc_figures.py record`, then `doc_figures.py write`.
    assert figures.check() == []


def test_every_block_names_the_command_and_the_commit(figures) -> None:
    for block in figures.BLOCKS:
        text = block.render()
        for run in block.runs:
            info = json.loads((figures.RESULTS / run / "provenance.json").read_text())
            assert len(info["commit"]) == 40 and info["command"]
            assert f"`{info['command']}` at commit `{info['commit'][:10]}`" in text


def test_mean_sd_is_numpys_mean_and_sample_sd(figures) -> None:
    values = pd.Series([0.1, 0.25, 0.4, np.nan])
    expected = f"{np.mean([0.1, 0.25, 0.4]):.3f} ± {np.std([0.1, 0.25, 0.4], ddof=1):.3f}"
    assert figures.mean_sd(values) == expected
    assert figures.mean_sd(pd.Series([0.5])) == "0.500"


def test_check_finds_a_hand_edited_number_and_write_restores_it(figures, tmp_path,
                                                              monkeypatch) -> None:
    page = tmp_path / "page.md"
    block = figures.Block("t", "page.md", lambda: "| a | 0.123 |", ())
    page.write_text("intro\n<!-- figures:t -->\n| a | 0.999 |\n<!-- /figures:t -->\nend\n")
    monkeypatch.setattr(figures, "ROOT", tmp_path)
    assert figures.check((block,)) == ["page.md [t]"]
    assert figures.write((block,)) == ["page.md"]
    expected = "intro\n<!-- figures:t -->\n| a | 0.123 |\n<!-- /figures:t -->\nend\n"
    assert page.read_text() == expected
    assert figures.check((block,)) == []
    page.write_text("no block here\n")
    with pytest.raises(LookupError, match="no <!-- figures:t --> block"):
        figures.check((block,))
