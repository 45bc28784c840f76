"""The layout's rules, read from the source: imports point down (bot → ingest → vectorstore),
the answering core knows no front end, no settings and no web ingestion, and no module is part
of an import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "ingest", "vectorstore")
WEB_INGESTION = ("ingest.fetch", "ingest.web", "ingest.web_sync", "ingest.feeds",
                 "ingest.pinned", "ingest.sources_file")  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Our modules that `path` imports (anywhere in it, or only at module level)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def test_imports_point_down() -> None:
    order = {"vectorstore": 0, "ingest": 1, "bot": 2}
    for name, path in modules().items():
        for target in imports(path):
            assert order[target.split(".")[0]] <= order[name.split(".")[0]], (name, target)


def test_the_answering_core_knows_no_front_end_settings_or_web_ingestion() -> None:
    forbidden = ("bot.discordbot", "bot.settings", "bot.app", "bot.cli", "bot.terminal",
                 "bot.library", *WEB_INGESTION)  # fmt: skip
    for name, path in modules().items():
        if name.startswith("bot.answering"):
            bad = {t for t in imports(path) if t.startswith(forbidden)}
            assert not bad, f"{name} imports {bad}"


def test_no_import_cycles() -> None:
    known = modules()
    graph = {
        name: {t for t in imports(path, top_level_only=True) if t in known and t != name}
        for name, path in known.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        assert name not in trail, " → ".join([*trail[trail.index(name) :], name])
        if name in done:
            return
        for target in graph[name]:
            visit(target, [*trail, name])
        done.add(name)

    for name in graph:
        visit(name, [])


def test_the_rules_can_fail(tmp_path: Path) -> None:
    """The checks above see an import of a front end, and a cycle."""
    module = tmp_path / "m.py"
    module.write_text("from bot.discordbot.client import NhsBot\nimport ingest.fetch\n")
    assert {"bot.discordbot.client", "ingest.fetch"} <= imports(module)
    module.write_text("def f():\n    from bot.settings import Settings\n")
    assert "bot.settings" in imports(module) and not imports(module, top_level_only=True)
