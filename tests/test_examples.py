"""The example scripts run as a newcomer runs them, and the README quotes them as they are.

Each script in ``examples/`` runs in a fresh interpreter from the repository root (as
``.venv/bin/python examples/NAME.py``); the test checks its exit code and the line a
reader looks for. Every ```python block of the README must be the code of one script
(everything after its docstring), so running the scripts runs the README's Python, and
an output the README quotes ("which prints" and a plain ``` block before the script's
code) must be lines the script prints, character for character; so must the
transcript docs/sessions.md quotes from labelling_session.py.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NUMBER = r"[0-9]+\.[0-9]{3}"

# script -> regular expressions that must each match a line of its output
KEY_LINES = {
    "audit_a_model.py": [
        rf"^demographic parity difference: {NUMBER} ",
        rf"^disparate impact \(F / M\): +{NUMBER} +\((fails|passes) the four-fifths rule\)$",
    ],
    "simulate_a_campaign.py": [
        rf"^ +random: 200 labels bought, .* DP gap {NUMBER}  EO gap {NUMBER}$",
        rf"^ +falcon: 200 labels bought, .* DP gap {NUMBER}  EO gap {NUMBER}$",
    ],
    "labelling_session.py": [
        r"^stored 50 label\(s\) from answers1\.csv \(teach 1\)$",
        rf"^round metrics .*: accuracy {NUMBER}, f1 {NUMBER}, demographic_parity {NUMBER}, ",
        r"^answers2\.csv was already taught .*: nothing to do$",
        r"^budget 200: 100 bought, 0 reserved in open batches, 100 left",
        r"^600 label\(s\) written to labels\.csv$",
    ],
    "mitigate_a_model.py": [
        rf"^ +plain: accuracy {NUMBER}, DP gap {NUMBER}$",
        rf"^thresholds: accuracy {NUMBER}, DP gap {NUMBER}$",
        rf"^entropy \+ reweighing, 300 labelled: accuracy {NUMBER}, DP gap {NUMBER}$",
    ],
    "query_your_own_pool.py": [
        rf"^300 labelled: test accuracy {NUMBER}, DP gap {NUMBER}$",
        rf"^450 labelled: test accuracy {NUMBER}, DP gap {NUMBER}$",
        r"^the last batch sent to the annotators:$",
    ],
}


def _code(script: Path) -> str:
    """The script's code: everything after its module docstring."""
    source = script.read_text()
    first = ast.parse(source).body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant), (
        f"{script.name} must start with a docstring saying what it shows and how to run it"
    )
    return "\n".join(source.splitlines()[first.end_lineno :]).strip("\n")


#: script -> (page, first line of the transcript of its output the page quotes)
TRANSCRIPTS = {
    "labelling_session.py": ("docs/sessions.md", "$ fairpool datasets --raw adult --out adult.csv"),
}


def _transcript(name: str) -> list[str]:
    """The lines of the ``` block of TRANSCRIPTS[name]'s page that starts with its first
    line, trailing blanks removed (rich pads its table lines)."""
    page, first = TRANSCRIPTS[name]
    text = (ROOT / page).read_text()
    match = re.search(rf"```\n({re.escape(first)}\n.*?)```", text, re.S)
    assert match, f"{page} has no transcript starting {first!r}"
    return [line.rstrip() for line in match.group(1).splitlines()]


def _quoted_output(name: str) -> list[str]:
    """The output lines README.md quotes for ``name`` (a plain ``` block after the
    script's link and "which prints"), or [] when it quotes none."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(
        rf"\(examples/{re.escape(name)}\)\),?\s*which prints\s*\n+```\n(.*?)```", readme, re.S
    )
    return match.group(1).splitlines() if match else []


def test_every_example_script_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(KEY_LINES)


@pytest.mark.parametrize("name", sorted(KEY_LINES))
def test_example_runs(name):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    lines = result.stdout.splitlines()
    for pattern in KEY_LINES[name]:
        assert any(re.search(pattern, line) for line in lines), (
            f"{name}: no line matches {pattern!r}; output:\n{result.stdout}"
        )
    if name in TRANSCRIPTS:  # a page's transcript is the script's output, verbatim
        quoted, printed = _transcript(name), [line.rstrip() for line in lines]
        starts = [i for i, line in enumerate(printed) if line == quoted[0]]
        assert any(printed[i : i + len(quoted)] == quoted for i in starts), (
            f"{TRANSCRIPTS[name][0]}'s transcript differs from what {name} printed:\n"
            f"{result.stdout}"
        )
    for quoted in _quoted_output(name):  # README's figures are the script's, not typed
        assert quoted in lines, (
            f"README.md quotes {quoted!r} as {name}'s output, but it printed:\n{result.stdout}"
        )


def test_readme_quotes_the_campaign_output():
    # the one output the README quotes; if the pattern stops finding it, this fails
    assert len(_quoted_output("simulate_a_campaign.py")) == 2


def test_readme_python_is_the_example_scripts():
    readme = (ROOT / "README.md").read_text()
    blocks = [b.strip("\n") for b in re.findall(r"```python\n(.*?)```", readme, re.S)]
    codes = {name: _code(EXAMPLES / name) for name in KEY_LINES}
    for block in blocks:
        assert block in codes.values(), (
            "a ```python block of README.md is not the code of an examples/ script "
            f"(edit the script and quote it whole):\n{block[:300]}"
        )
    missing = sorted(name for name, code in codes.items() if code not in blocks)
    assert not missing, f"README.md does not quote {missing}"
