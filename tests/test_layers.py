"""Imports point one way: events <- chrono <- projections <- cli, and no layer uses another's private names;
click only in cli, cattrs only in the codec."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "events": {"events"},
    "chrono": {"events", "chrono"},
    "projections": {"events", "chrono", "projections"},
    "cli": {"events", "chrono", "projections", "cli"},
}
LAYERS = set(ALLOWED)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_downward(layer):
    bad = {
        str(p.relative_to(ROOT)): sorted((imports(p) & LAYERS) - ALLOWED[layer])
        for p in (ROOT / layer).rglob("*.py")
    }
    assert {} == {k: v for k, v in bad.items() if v}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path: Path, layer: str) -> list[str]:
    """Every underscore name of another layer that `path` imports or uses: a private module in an
    import's path, a private name imported, or a private attribute of a name imported from another
    layer (`codec._reader`, `Log._write`). Dunder names (`__version__`) are public."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found, imported = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] not in LAYERS or parts[0] == layer:
                continue
            for alias in node.names:
                if any(map(_private, parts)) or _private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] not in LAYERS or parts[0] == layer:
                    continue
                if any(map(_private, parts)):
                    found.append(f"{node.lineno}: import {alias.name}")
                imported[alias.asname or parts[0]] = alias.name if alias.asname else parts[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            chain, base = [node.attr], node.value
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in imported:
                found.append(f"{node.lineno}: {base.id}.{'.'.join(reversed(chain))} ({imported[base.id]})")
    return sorted(found)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_use_no_private_name_of_another_layer(layer):
    bad = {str(p.relative_to(ROOT)): private_uses(p, layer) for p in (ROOT / layer).rglob("*.py")}
    assert {} == {k: v for k, v in bad.items() if v}


def test_the_private_name_check_sees_imports_and_attributes(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from chrono import codec, __version__\n"
        "from chrono.store import _COLUMNS\n"
        "from events._base import ref\n"
        "import chrono._build as build\n"
        "import projections.cache\n"
        "from cli import read\n"
        "codec._reader(1)\n"
        "projections.cache._fact(2)\n"
        "codec.loads(3)\n"
    )
    assert {
        "2: from chrono.store import _COLUMNS", "3: from events._base import ref", "4: import chrono._build",
        "7: codec._reader (chrono.codec)", "8: projections.cache._fact (projections)",
    } == set(private_uses(module, "cli"))
    assert {"7: codec._reader (chrono.codec)", "2: from chrono.store import _COLUMNS", "4: import chrono._build",
            "3: from events._base import ref"} == set(private_uses(module, "projections"))


def test_click_lives_only_in_cli_and_cattrs_only_in_the_codec():
    users = {"click": set(), "cattrs": set()}
    for layer in LAYERS:
        for p in (ROOT / layer).rglob("*.py"):
            for lib in users:
                if lib in imports(p):
                    users[lib].add(str(p.relative_to(ROOT)))
    assert all(u.startswith("cli/") for u in users["click"])
    assert {"chrono/codec.py"} == users["cattrs"]


def test_events_depend_on_attrs_alone():
    third_party = set()
    for p in (ROOT / "events").rglob("*.py"):
        third_party |= imports(p) - {"events", "attrs", "__future__", "re", "typing"}
    assert set() == third_party


def test_the_lazy_command_table_names_every_registered_command():
    import importlib

    from cli.app import COMMANDS, main

    for module in {target.split(":")[0] for target in COMMANDS.values()}:
        importlib.import_module(module)
    registered = {name: cmd for name, cmd in main.commands.items()}
    table = {name: getattr(importlib.import_module(t.split(":")[0]), t.split(":")[1]) for name, t in COMMANDS.items()}
    assert registered == table


def test_version_needs_no_engine_import():
    import subprocess
    import sys

    code = "import sys, cli; from click.testing import CliRunner; CliRunner().invoke(cli.main, ['--version']); print(sorted(m for m in sys.modules if m.split('.')[0] in ('cattrs', 'sqlite_utils', 'projections') or m == 'chrono.store'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "[]" == out.strip()


# What reading costs to start: the commands a user runs most import neither the pictures (geography,
# SVG), nor sqlite-utils (only creating a log's schema uses it), nor what those bring (importlib.metadata).
HEAVY = ("projections.pictures.", "sqlite_utils", "pluggy", "dateutil", "importlib.metadata", "importlib.resources")


def _modules_after(args: list[str], cwd, env=None) -> list[str]:
    import os
    import subprocess
    import sys

    code = ("import sys, cli; cli.main(sys.argv[1:], standalone_mode=False); "
            "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                         env={**os.environ, **(env or {})}, check=True)
    return run.stderr.split()


@pytest.mark.parametrize("args", [["state", "--at", "2024-12-07T21:30"], ["state", "--at", "2024-12-07T21:30", "--json"],
                                  ["history", "aleppo", "--json"], ["timeline", "--json"]])
def test_reading_the_bundled_chronicle_imports_nothing_heavy(args, tmp_path):
    _modules_after(args, tmp_path)  # the run that creates the chronicle's log and saves its image
    loaded = _modules_after(args, tmp_path)  # every later run reads the image
    assert [] == [m for m in loaded if m.startswith(HEAVY)]


@pytest.mark.parametrize("args", [["state", "--at", "2024-12-07T21:30", "--entity", "aleppo", "--json"],
                                  ["history", "aleppo", "--json"]])
def test_reading_a_log_imports_nothing_heavy(args, tmp_path):
    from click.testing import CliRunner

    import cli

    db = str(tmp_path / "log.db")
    assert 0 == CliRunner().invoke(cli.main, ["--db", db, "init", "--chronicle", "syria-2024"]).exit_code
    loaded = _modules_after(["--db", db, *args], tmp_path)
    assert [] == [m for m in loaded if m.startswith(HEAVY)]
    assert "chrono.chronicles" not in loaded and "cli.bundled" not in loaded
