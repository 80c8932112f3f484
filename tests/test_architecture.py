"""The house rules of docs/architecture.md that a tool other than import-linter checks."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import fairpool

SRC = Path(fairpool.__file__).parent
ROOT = SRC.parent.parent
LIMIT = 600


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "files" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_a_module_over_600_lines_says_why_at_its_top(path):
    lines = path.read_text().count("\n")
    if lines > LIMIT:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "Why one module" in doc, f"{path.name} has {lines} lines and no reason at its top"


def _packages() -> list[str]:
    found = ["fairpool"]
    for info in pkgutil.walk_packages([str(SRC)], "fairpool."):
        if info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


@pytest.mark.parametrize("name", _packages())
def test_every_package_curates_its_public_names(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ lists {attr!r}, which does not resolve"


def test_benchmarks_import_only_public_modules():
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fairpool"):
                private = [p for p in node.module.split(".") if p.startswith("_")]
                assert not private, f"{path.name} imports the private module {node.module}"


def test_ucb_users_of_facagen_do_not_load_gymnasium_or_stable_baselines():
    import subprocess
    import sys

    code = (
        "import sys, fairpool.active as a; a.make_strategy('facagen', tuner='ucb'); "
        "print(sorted(m for m in ('gymnasium', 'stable_baselines3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_test_modules_outside_packages_have_unique_names():
    # pytest imports them by basename (rootdir mode): two tests/x/test_a.py in folders
    # without __init__.py fail collection with "import file mismatch"
    tests = ROOT / "tests"
    seen: dict[str, Path] = {}
    for path in sorted(tests.rglob("test_*.py")):
        if (path.parent / "__init__.py").exists():
            continue
        assert path.name not in seen, f"{path} and {seen[path.name]} share a module name"
        seen[path.name] = path
