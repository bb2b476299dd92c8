"""axe-core in the browser tests: the accessibility rules a page breaks, as axe reports them.

Nothing is downloaded but from npm's registry, through npm itself: ``axe.min.js`` is cached in ``EKYC_AXE_DIR``
(default: ``ekyc-axe`` under the system's temporary directory); when it is not there, ``npm install --no-save
axe-core@4`` fetches it into that directory. Without npm, or when the install fails, the tests that need it fail
under CI (``CI`` set) and are skipped elsewhere, with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import pytest

AXE_PACKAGE = "axe-core@4"
INSTALL_TIMEOUT = 180  # seconds
BLOCKING = frozenset({"serious", "critical"})


def axe_dir() -> Path:
    return Path(os.environ.get("EKYC_AXE_DIR") or Path(tempfile.gettempdir()) / "ekyc-axe")


def _unavailable(reason: str) -> NoReturn:
    message = f"axe-core is not available: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI must run the accessibility checks
    pytest.skip(message)


def axe_script() -> Path:
    """The path of ``axe.min.js``: the cached copy, else installed with npm (once) and cached."""
    directory = axe_dir()
    script = directory / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is not installed (apt-get install npm), and axe.min.js is not cached in " + str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    prefix = Path(tempfile.mkdtemp(prefix=".install-", dir=directory))  # one install's own: no half-written cache
    try:
        command = [str(npm), "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(prefix), AXE_PACKAGE]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        except subprocess.CalledProcessError as err:
            _unavailable(f"npm install {AXE_PACKAGE} failed ({err.returncode}): {(err.stderr or '').strip()[-500:]}")
        except (subprocess.TimeoutExpired, OSError) as err:
            _unavailable(f"npm install {AXE_PACKAGE} did not finish: {err}")
        installed = prefix / "node_modules" / "axe-core" / "axe.min.js"
        if not installed.is_file():
            _unavailable(f"npm install {AXE_PACKAGE} left no {installed}")
        partial = prefix / "axe.min.js"
        shutil.copyfile(installed, partial)
        os.replace(partial, script)  # atomic: another test run sees the whole file or none
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    return script


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe on the page as it is now; its violations (id, impact, help, the nodes' selectors)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    return page.evaluate(
        """async () => {
          const results = await axe.run(document, {resultTypes: ["violations"]});
          return results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" ")),
          }));
        }"""
    )


def assert_accessible(page: Any, state: str) -> list[dict[str, Any]]:
    """No violation with impact serious or critical; the others are printed (and returned)."""
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    for violation in violations:
        if violation["impact"] not in BLOCKING:
            print(f"axe ({state}), {violation['impact']}: {violation['id']}: {violation['help']} {violation['nodes']}")
    assert not blocking, f"axe ({state}): {blocking}"
    return violations
