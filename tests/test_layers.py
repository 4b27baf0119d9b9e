"""The house's floors: a module imports only from its own floor or the floors below it, so
data flows one way, and no two rooms import each other, even through others. Every import
counts, those inside functions too.

The floors, from the ground up, as the README's picture of the code shows them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = [
    # What everything shares: settings, the record kinds, progress lines, sample data.
    ["config", "config_errors", "records", "progress", "generate"],
    # The SQL catalog: every SQL file's header, the macros, what each model reads.
    ["sqlcatalog"],
    # Files and sessions: paths, the file catalog, the views, atomic writes.
    ["storage", "interruption"],
    # Who a person is in each product; the forgotten list.
    ["privacy"],
    # Products -> raw files -> record tables.
    ["collect", "extract"],
    # Record tables -> staging -> facts.
    ["transform"],
    # Facts -> checks, and reports -> the products' answers.
    ["checks", "endpoints"],
    # Answers -> the dashboard page, what the layers keep, the published files, the status.
    ["dashboard"],
    ["retention", "publish", "monitoring"],
    # The HTTP face.
    ["auth", "openapi", "serve"],
    # The nightly run, erasing a person, scheduling, the commands.
    ["pipeline", "forget"],
    ["prefect_setup", "scheduling", "flows"],
    ["cli", "__main__"],
]
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}


def room(module: str) -> str:
    """The room of a module: its first name below `pipelines`."""
    return module.split(".")[1]


def imports(path: Path) -> set[str]:
    """The pipelines modules a file imports, anywhere in it."""
    found = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                )
            if base == "pipelines":
                found |= {f"pipelines.{alias.name}" for alias in node.names}
            elif base.startswith("pipelines."):
                found.add(base)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pipelines.")}
    return found


def test_every_module_has_a_floor():
    rooms = {p.stem if p.is_file() else p.name for p in (ROOT / "pipelines").iterdir()}
    rooms -= {"__init__", "__pycache__"}
    assert rooms == set(FLOOR), "list a new module in FLOORS (and the README's picture)"


def test_no_module_imports_from_a_higher_floor():
    upward = []
    for path in sorted((ROOT / "pipelines").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module == "pipelines.__init__":
            continue
        for imported in imports(path):
            if FLOOR[room(imported)] > FLOOR[room(module)]:
                upward.append(f"{module} imports {imported}")
    assert upward == []


def test_no_two_rooms_import_each_other():
    needs: dict[str, set[str]] = {}
    for path in sorted((ROOT / "pipelines").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module != "pipelines.__init__":
            needs.setdefault(room(module), set()).update(
                room(i) for i in imports(path) if room(i) != room(module)
            )

    def circle(start: str, at: str, trail: tuple[str, ...]) -> tuple[str, ...] | None:
        for next_room in sorted(needs.get(at, ())):
            if next_room == start:
                return (*trail, start)
            if next_room not in trail and (found := circle(start, next_room, (*trail, next_room))):
                return found
        return None

    circles = {c for r in needs if (c := circle(r, r, (r,)))}
    assert not circles, " ; ".join(" -> ".join(c) for c in sorted(circles))
