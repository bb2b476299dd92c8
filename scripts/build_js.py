"""Write the classic script ``ekyc.js`` from the ES module ``ekyc.mjs``, its one source.

The module's ``export function`` declarations become the functions of ``window.DjangoEkyc``, inside one
function scope, and the script binds the page's ``[data-ekyc-start]`` buttons once the page has loaded (a module
leaves that to its importer). ``tests/e2e/test_scripts.py`` fails when the committed ``ekyc.js`` is not what
this script writes: run it after changing ``ekyc.mjs``. ``--check`` only says whether it is up to date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "django_ekyc" / "static" / "django_ekyc"
SOURCE = STATIC / "ekyc.mjs"
TARGET = STATIC / "ekyc.js"
GLOBAL = "DjangoEkyc"

EXPORT = re.compile(r"^export function (\w+)\(", re.MULTILINE)
# Anything else a module may say that a classic script cannot: refused, so that the two never differ in meaning.
# An indented export too: EXPORT rewrites only those at the start of a line, and would leave it in the script.
UNSUPPORTED = re.compile(r"^(?:[ \t]*import\b|[ \t]+export\b|export\b(?! function \w+\())", re.MULTILINE)
HEADER = re.compile(r"\A(/\*!.*?\*/\n)", re.DOTALL)

NOTICE = "/* Generated from ekyc.mjs by scripts/build_js.py: edit ekyc.mjs, then run the script. */\n"
EPILOGUE = """
if (globalThis.document.readyState === "loading") {
  globalThis.document.addEventListener("DOMContentLoaded", bindAll);
} else {
  bindAll();
}

globalThis.%(global)s = {%(members)s};
"""


def exported_names(module: str) -> list[str]:
    """The names ``ekyc.mjs`` exports, in their order."""
    return EXPORT.findall(module)


def build(module: str) -> str:
    """The classic script for ``module``'s text."""
    unsupported = UNSUPPORTED.search(module)
    if unsupported:
        raise ValueError(f"ekyc.mjs: only 'export function' declarations can be built: {unsupported.group(0)!r}")
    names = exported_names(module)
    if "bindAll" not in names:
        raise ValueError("ekyc.mjs must export bindAll: the script binds the page's buttons with it")
    header = HEADER.match(module)
    head = header.group(1) if header else ""
    body = module[len(head) :].strip("\n")
    body = EXPORT.sub(lambda match: f"function {match.group(1)}(", body)
    members = ", ".join(f"{name}: {name}" for name in names)
    body += "\n" + (EPILOGUE % {"global": GLOBAL, "members": members}).rstrip("\n")
    indented = "\n".join(f"  {line}" if line else "" for line in body.split("\n"))
    return f'{head}{NOTICE}(function () {{\n  "use strict";\n\n{indented}\n}})();\n'


def main(argv: list[str]) -> int:
    script = build(SOURCE.read_text(encoding="utf-8"))
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != script:
            print(f"{TARGET.name} is out of date: run python scripts/build_js.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(script, encoding="utf-8")
    print(f"wrote {TARGET.name} from {SOURCE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
