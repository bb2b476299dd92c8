"""How the package is built, kept true: product behaviour lives on the catalogue's entries, modules stay small."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "django_ekyc"
# The catalogue declares the products; the simulator plays the provider, which decides by its product codes.
OUTSIDE_THE_CATALOGUE = [
    path
    for path in sorted(PACKAGE.rglob("*.py"))
    if not {"catalogue", "simulator", "migrations"} & set(path.relative_to(PACKAGE).parts)
]
PRODUCT_CODE = r"""["'](eKYC(_[A-Z_]+)?|FACE_[A-Z_]+|ID_[A-Z_0-9]+|[A-Z]+_[0-9]?META[A-Z_]*|CREDENTIAL_[A-Z_]+)["']"""
COMPARISON = re.compile(rf"(==|!=|\bin\s*[(\[{{]|\bis\s).*{PRODUCT_CODE}|{PRODUCT_CODE}\s*(==|!=|\bin\b)")
MAX_LINES = 350


def test_the_scan_covers_the_package():
    names = {path.name for path in OUTSIDE_THE_CATALOGUE}
    assert {"flow.py", "transaction.py", "offering.py", "operations.py"} <= names


@pytest.mark.parametrize("path", OUTSIDE_THE_CATALOGUE, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_product_code_is_compared_outside_the_catalogue(path):
    """A behaviour that differs by product is a field of the product's entry, not a string comparison."""
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if COMPARISON.search(line) and not line.lstrip().startswith("#")
    ]
    assert not found, "compare a catalogue field instead:\n" + "\n".join(found)


def test_the_pattern_finds_what_it_must():
    for line in ('if product.code == "eKYC":', 'if code in ("FACE_IDU", "FACE_VERIFY"):', '"FACE_IDU" == code'):
        assert COMPARISON.search(line), line
    assert not COMPARISON.search('product_code = "eKYC"')


@pytest.mark.parametrize(
    "path",
    [path for path in sorted(PACKAGE.rglob("*.py")) if "migrations" not in path.parts],
    ids=lambda path: str(path.relative_to(PACKAGE)),
)
def test_no_module_is_over_350_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


DOCS = Path(__file__).resolve().parent.parent / "docs"
# The two packages the app's own layers import their internals through; every other module's __all__ is public.
INTERNAL_INDEXES = {"models/__init__.py", "services/__init__.py"}


def exported() -> dict[str, list[str]]:
    import ast

    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = str(path.relative_to(PACKAGE))
        if "migrations" in path.parts or relative in INTERNAL_INDEXES:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "__all__" for target in node.targets):
                found[relative] = list(ast.literal_eval(node.value))
    return found


def test_what_a_module_exports_the_docs_teach():
    """``__all__`` is the public surface: each name in it is taught somewhere in the docs; the rest is private."""
    text = " ".join(path.read_text() for path in DOCS.rglob("*.md"))
    untaught = [
        f"{module}: {name}"
        for module, names in exported().items()
        for name in names
        if not re.search(rf"\b{re.escape(name)}\b", text)
    ]
    assert not untaught, "document these or drop them from __all__:\n" + "\n".join(untaught)
