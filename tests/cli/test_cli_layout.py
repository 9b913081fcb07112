"""The face's house rules, read from the source: only `modelcheck/cli/` prints or
exits; the face imports no private name of another module; the subcommand modules never import
the package that registers them (no circle); `python -m modelcheck.cli` runs the
same command line as the console script."""

import ast
import subprocess
import sys

from tests.helpers import ROOT, TWOPHASE

PKG = ROOT / "modelcheck"


def _modules():
    return sorted(p for p in PKG.rglob("*.py"))


def _resolve(path, node: ast.ImportFrom) -> str:
    """The absolute module name an import names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    base = parts[:len(parts) - node.level] if path.name != "__init__.py" else parts[:len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def test_only_the_command_line_prints_or_exits():
    offenders = []
    for path in _modules():
        if (PKG / "cli") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in ("print", "exit"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {f.id}()")
                if isinstance(f, ast.Attribute) and f.attr == "exit" and getattr(f.value, "id", "") == "sys":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} sys.exit()")
    assert offenders == []


def test_the_face_imports_no_private_name_and_gives_none():
    """The command line and the suite import only public names, and no module imports a
    private name of the command line."""
    offenders = []
    face = [p for p in _modules() if (PKG / "cli") in p.parents or p == PKG / "suite.py"]
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _resolve(path, node)
            if (path in face and target.startswith("modelcheck")) or target.startswith("modelcheck.cli"):
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
    assert offenders == []


def test_subcommand_modules_do_not_import_the_cli_package():
    offenders = []
    for path in sorted((PKG / "cli").glob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(path, node)
                names = {a.name for a in node.names}
                if target == "modelcheck.cli" and names - {"common"}:
                    offenders.append(f"{path.name}:{node.lineno} from {target} import {', '.join(sorted(names))}")
            if isinstance(node, ast.Import) and any(a.name == "modelcheck.cli" for a in node.names):
                offenders.append(f"{path.name}:{node.lineno} import modelcheck.cli")
    assert offenders == []
    # and nothing below the face imports it
    below = [str(p.relative_to(ROOT)) for p in _modules() if (PKG / "cli") not in p.parents
             and any(isinstance(n, ast.ImportFrom) and _resolve(p, n).startswith("modelcheck.cli")
                     for n in ast.walk(ast.parse(p.read_text())))]
    assert below == []


def test_module_entry_point_reports_usage_errors_of_every_subcommand(tmp_path):
    """`python -m modelcheck.cli` used to run the command line as `__main__` while
    `graph` and `report` raised `modelcheck.cli.UsageError`, another class: a traceback
    and exit 1 instead of the message and exit 2."""
    spec = TWOPHASE
    (tmp_path / "twophase-report.html").write_text("mine")
    for argv, message in ((["graph", spec, "--max-nodes", "0"], "--max-nodes and --max-states must be at least 1"),
                          (["report", spec], "twophase-report.html exists; use --force to overwrite it, or -o FILE")):
        p = subprocess.run([sys.executable, "-m", "modelcheck.cli", *argv], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
        assert (p.returncode, p.stdout, p.stderr) == (2, "", f"modelcheck: error: {message}\n")
    assert (tmp_path / "twophase-report.html").read_text() == "mine"
