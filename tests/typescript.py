"""TypeScript's compiler over JSON bodies, against a product's own npm type packages.

tests/typecheck/<project>/ holds a pinned package.json, a tsconfig.json and check.ts, which
exports the type a body must have. The packages are installed once into a cache folder
(USAGE_WAREHOUSE_NPM_CACHE, else ~/.cache/usage-warehouse/npm), one folder per content of
package.json, never into the repository; every body becomes a typed constant of a
generated .ts file (an object literal: literal types kept, excess properties refused) and
one `tsc` run checks them all. Node.js and npm are needed (scripts/install-test-services
installs them); nothing is skipped without them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PROJECTS = Path(__file__).parent / "typecheck"


def cache_root() -> Path:
    configured = os.environ.get("USAGE_WAREHOUSE_NPM_CACHE")
    if configured:
        return Path(configured)
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(home) / "usage-warehouse" / "npm"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `make test` installs Node.js and npm")
    return found


def installed(project: str) -> Path:
    """The folder holding the project's pinned packages, installed when missing (under a
    lock: parallel workers and checkouts share it; a half install is never seen)."""
    spec = (PROJECTS / project / "package.json").read_bytes()
    root = cache_root()
    folder = root / f"{project}-{hashlib.sha256(spec).hexdigest()[:16]}"
    if (folder / ".installed").exists():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{project}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / ".installed").exists():
            return folder
        staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{project}-"))
        (staging / "package.json").write_bytes(spec)
        result = subprocess.run(
            [_tool("npm"), "install", "--no-audit", "--no-fund", "--ignore-scripts"]
            + ["--no-package-lock", "--loglevel=error", f"--cache={root / '.npm'}"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            shutil.rmtree(staging, ignore_errors=True)
            pytest.fail(f"npm install of tests/typecheck/{project} failed: {result.stderr}")
        (staging / ".installed").touch()
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    return folder


def assert_bodies_type_check(
    project: str, type_name: str, bodies: dict[str, object], refused: dict[str, object]
) -> None:
    """Every body (name -> parsed JSON) is a valid `type_name` of check.ts, strictly, and
    every refused one is not (its constant, on one line, carries `@ts-expect-error`: tsc
    fails on a directive that finds no error), which shows that the check bites."""
    folder = installed(project)
    run = Path(tempfile.mkdtemp(dir=folder, prefix="run-"))
    try:
        for name in ("check.ts", "tsconfig.json"):
            shutil.copy(PROJECTS / project / name, run / name)
        constants = "".join(
            f"export const {name}: {type_name} = {json.dumps(body, indent=1)};\n"
            for name, body in bodies.items()
        ) + "".join(
            f"// @ts-expect-error: not a {type_name}\n"
            f"export const {name}: {type_name} = {json.dumps(body)};\n"
            for name, body in refused.items()
        )
        (run / "bodies.ts").write_text(
            f"import type {{ {type_name} }} from './check';\n{constants}"
        )
        tsc = folder / "node_modules" / "typescript" / "bin" / "tsc"
        result = subprocess.run(
            [_tool("node"), str(tsc), "-p", str(run), "--pretty", "false"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"tsc ({project}):\n{result.stdout}{result.stderr}"
    finally:
        shutil.rmtree(run, ignore_errors=True)
