"""A TypeScript client generated from the app's OpenAPI schema compiles against a typed program that uses the API.

The schema is the one the app serves (in-process, no server). ``openapi-typescript`` turns it into types, exactly
as docs/frontend.md ("A TypeScript client") tells a frontend to, and ``tsc --strict`` compiles ``tests/typescript/``
against them: a start for the web and for an app, the checks from pictures, errors narrowed by code. The program's
``@ts-expect-error`` lines make a schema that claims too much fail too; the last test proves they do, on schemas
broken on purpose.

Nothing is downloaded but from npm's registry, through npm itself: ``npm ci`` installs the versions pinned in
``tests/typescript/package-lock.json`` once into a cache directory (``EKYC_TYPESCRIPT_DIR``, default
``ekyc-typescript`` under the system's temporary directory), keyed by the lock file's hash. Without npm or node, or
when the install fails, the tests fail under CI (``CI`` set) and are skipped elsewhere, with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest
from django.test import Client

import django_ekyc

PROGRAM = Path(__file__).parent / "typescript"
STATIC = Path(django_ekyc.__file__).parent / "static" / "django_ekyc"
INSTALL_TIMEOUT = 240  # seconds, a guard against a hung npm or tsc, not a measure
RUN_TIMEOUT = 240
# The first test also waits for the install (pytest-timeout's default, 120 s, counts the fixtures).
pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT + 2 * RUN_TIMEOUT)
# The command docs/frontend.md gives ("A TypeScript client"): request fields with a default are optional
# (openapi-typescript's own default makes them required, as if the body were an answer).
GENERATE = ["--default-non-nullable", "false"]


def _unavailable(reason: str) -> NoReturn:
    message = f"the TypeScript toolchain is not available: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI must compile the client
    pytest.skip(message)


def _run(command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


def _install(directory: Path) -> None:
    """``npm ci`` of the pinned packages into a fresh directory beside ``directory``, then renamed to it: another
    run sees a whole install or none."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _unavailable("npm and node are not installed (apt-get install npm)")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".install-", dir=directory.parent))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(PROGRAM / name, staging / name)
        try:
            done = _run([npm, "ci", "--no-audit", "--no-fund"], staging, INSTALL_TIMEOUT)
        except (subprocess.TimeoutExpired, OSError) as err:
            _unavailable(f"npm ci did not finish: {err}")
        if done.returncode != 0:
            _unavailable(f"npm ci failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        try:
            os.rename(staging, directory)
        except OSError:  # another run installed it meanwhile
            if not (directory / "node_modules" / ".bin" / "tsc").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@pytest.fixture(scope="module")
def toolchain() -> Path:
    """The directory whose ``node_modules`` holds the pinned openapi-typescript, openapi-fetch and typescript."""
    lock = hashlib.sha256((PROGRAM / "package-lock.json").read_bytes()).hexdigest()[:16]
    root = Path(os.environ.get("EKYC_TYPESCRIPT_DIR") or Path(tempfile.gettempdir()) / "ekyc-typescript")
    directory = root / lock
    if not (directory / "node_modules" / ".bin" / "tsc").is_file():
        _install(directory)
    return directory


@pytest.fixture(scope="module")
def served_schema() -> dict[str, Any]:
    """The schema as ``ekyc/api/schema/`` serves it."""
    response = Client().get("/ekyc/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def compile_program(toolchain: Path, schema: dict[str, Any], work: Path) -> subprocess.CompletedProcess[str]:
    """The program in a copy of ``tests/typescript`` beside the types generated from ``schema``; tsc's outcome."""
    shutil.copytree(PROGRAM, work, ignore=shutil.ignore_patterns("node_modules", "generated", "static"))
    (work / "node_modules").symlink_to(toolchain / "node_modules", target_is_directory=True)
    (work / "static").mkdir()
    for declarations in STATIC.glob("*.d.ts"):
        shutil.copyfile(declarations, work / "static" / declarations.name)
    (work / "schema.json").write_text(json.dumps(schema))
    bin_dir = toolchain / "node_modules" / ".bin"
    output = work / "generated" / "schema.d.ts"
    command = [str(bin_dir / "openapi-typescript"), "schema.json", "-o", str(output), *GENERATE]
    generated = _run(command, work, RUN_TIMEOUT)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return _run([str(bin_dir / "tsc"), "--project", "tsconfig.json", "--noEmit", "--strict"], work, RUN_TIMEOUT)


def test_the_generated_client_compiles_against_the_program(toolchain, served_schema, tmp_path):
    compiled = compile_program(toolchain, served_schema, tmp_path / "program")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def _one_answer_for_both(schemas: dict[str, Any]) -> None:
    """What the issue found: one answer with every field of both required (no union by channel)."""
    browser, app = schemas["BrowserStarted"], schemas["AppStarted"]
    schemas["Started"] = {
        "type": "object",
        "properties": {**app["properties"], **browser["properties"]},
        "required": sorted({*app["required"], *browser["required"]}),
    }


def _code_is_any_string(schemas: dict[str, Any]) -> None:
    schemas["Error"]["properties"]["code"] = {"type": "string"}


def _protocol_is_never_null(schemas: dict[str, Any]) -> None:
    del schemas["AppStarted"]["properties"]["protocol"]["nullable"]


def _meta_info_is_optional(schemas: dict[str, Any]) -> None:
    schemas["StartVerification"]["required"].remove("meta_info")


@pytest.mark.parametrize(
    "break_it", [_one_answer_for_both, _code_is_any_string, _protocol_is_never_null, _meta_info_is_optional]
)
def test_a_schema_that_claims_too_much_fails_the_compilation(
    toolchain, served_schema, tmp_path, break_it: Callable[[dict[str, Any]], None]
):
    broken = json.loads(json.dumps(served_schema))
    break_it(broken["components"]["schemas"])
    compiled = compile_program(toolchain, broken, tmp_path / "program")
    assert compiled.returncode != 0
    assert "TS2578" in compiled.stdout, compiled.stdout  # an expected error that did not happen
