"""The code's layout rules: no import cycle, modules under ~400 lines, tests import no conftest,
and the packages' layers (matcher below indexer and training; training never drives an index).

Imports are read from the source (``ast``), function-level ones included: a cycle hidden inside
a function is still a cycle between the modules.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from registry.config import REPO_ROOT

PACKAGES = ("api", "indexer", "matcher", "registry", "training", "bench")
MAX_LINES = 400
# Packages whose modules the size rule covers: all of them (migrations excepted).
SIZED = PACKAGES
# What each package must never import (AST scan, function-level imports included): matcher is
# the pure layer under everything; training makes data and artefacts and never drives an index
# (activation and the index-driven candidates benchmark live in indexer/).
FORBIDDEN = {"matcher": ("indexer", "training", "api"), "training": ("indexer", "api")}
# The one indexer module that may use training: the candidates benchmark (population, metrics).
INDEXER_USES_TRAINING = {"indexer.eval_candidates"}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((REPO_ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(REPO_ROOT)
            if "migrations" in rel.parts:
                continue
            name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
            out[name] = path
    return out


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Return the project modules ``path`` imports anywhere in its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from pkg import submodule`` needs the submodule, not what pkg/__init__ imports.
            subs = {f"{node.module}.{a.name}" for a in node.names} & known.keys()
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(node.module)
    return {m for m in found if m in known}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of ``graph`` that have more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]


def test_importing_a_sibling_submodule_through_its_package_is_no_cycle(tmp_path):
    (tmp_path / "mod.py").write_text("from pkg import store\nfrom pkg.other import X\n")
    known = {"pkg": tmp_path, "pkg.store": tmp_path, "pkg.other": tmp_path}
    assert _imports(tmp_path / "mod.py", known) == {"pkg.store", "pkg.other"}


def test_no_import_cycle_between_modules():
    mods = _modules()
    graph = {name: _imports(path, mods) - {name} for name, path in mods.items()}
    assert import_cycles(graph) == []


def _package_imports(package: str) -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(path, mods) for name, path in mods.items()
            if name.split(".")[0] == package}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_from_the_layers_above_it(package):
    offenders = {name: sorted(m for m in deps if m.split(".")[0] in FORBIDDEN[package])
                 for name, deps in _package_imports(package).items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_candidates_benchmark_in_indexer_imports_training():
    users = {name for name, deps in _package_imports("indexer").items()
             if any(m.split(".")[0] == "training" for m in deps)}
    assert users == INDEXER_USES_TRAINING


def test_the_layer_check_sees_function_level_imports(tmp_path):
    (tmp_path / "mod.py").write_text("def f():\n    from indexer.service import Indexer\n")
    known = {"indexer.service": tmp_path, "mod": tmp_path}
    assert _imports(tmp_path / "mod.py", known) == {"indexer.service"}


@pytest.mark.parametrize("package", SIZED)
def test_modules_stay_under_the_size_limit(package):
    too_long = {str(p.relative_to(REPO_ROOT)): n for name, p in _modules().items()
                if name.split(".")[0] == package
                and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}


def test_no_test_imports_conftest():
    offenders = []
    for path in sorted((REPO_ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "conftest" for n in names):
                offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == []


def test_every_cli_module_imports_on_its_own():
    """Each CLI module imports first in a fresh interpreter (an import cycle would fail one)."""
    names = sorted(n for n in _modules() if n == "api.cli" or n.startswith("api.cli."))
    names.remove("api.cli.__main__")
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n" \
           "    [sys.modules.pop(m) for m in list(sys.modules) if m.startswith('api')]\n" \
           "    importlib.import_module(n)\n"
    r = subprocess.run([sys.executable, "-c", code, *names], cwd=REPO_ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(names) >= 6
