"""The browser helper's two files and its types say the same: ``ekyc.js`` is built from ``ekyc.mjs``
(``scripts/build_js.py``), ``ekyc.d.ts`` declares exactly the module's exports, and in Chromium the module and
the classic script give the same functions."""

from __future__ import annotations

import re

import pytest

from scripts import build_js

from . import test_browser

browser, demo_site = test_browser.browser, test_browser.demo_site
TYPES = build_js.STATIC / "ekyc.d.ts"


def module_text() -> str:
    return build_js.SOURCE.read_text(encoding="utf-8")


def test_the_committed_script_is_built_from_the_module():
    assert build_js.TARGET.read_text(encoding="utf-8") == build_js.build(module_text()), (
        "ekyc.js is out of date: run python scripts/build_js.py"
    )
    assert build_js.main(["--check"]) == 0


@pytest.mark.parametrize(
    "addition",
    [
        "export const x = 1;",
        "export default start;",
        'import {x} from "./x.mjs";',
        "export {start};",
        "  export function indented() {}",  # not at the line's start: EXPORT would leave it in the script
        "\texport function tabbed() {}",
        '  import {x} from "./x.mjs";',
    ],
)
def test_the_build_refuses_what_a_classic_script_cannot_say(addition):
    with pytest.raises(ValueError, match="only 'export function'"):
        build_js.build(module_text() + "\n" + addition + "\n")


def test_blank_lines_before_an_export_are_no_indent():
    script = build_js.build(module_text() + "\n\n\nexport function more() {}\n")
    assert re.search(r"^\s*export\b", script, re.MULTILINE) is None and "\n  function more() {}\n" in script


def test_the_types_declare_exactly_the_modules_exports():
    declared = re.findall(r"^export declare function (\w+)", TYPES.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(declared) == sorted(build_js.exported_names(module_text())) == ["bind", "bindAll", "start"]


def test_the_module_and_the_classic_script_give_the_same_functions(browser, demo_site):
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{demo_site}/accounts/login/")  # any page of the site: the scripts come from its static files
        exported = tab.evaluate("""async () => Object.keys(await import("/static/django_ekyc/ekyc.mjs")).sort()""")
        tab.add_script_tag(url="/static/django_ekyc/ekyc.js")
        classic = tab.evaluate("Object.keys(window.DjangoEkyc).sort()")
        assert exported == classic == sorted(build_js.exported_names(module_text()))
        assert tab.evaluate("typeof window.DjangoEkyc.start") == "function"
    finally:
        context.close()
