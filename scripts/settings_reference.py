"""Write docs/reference/settings.md from the settings' own declarations (django_ekyc.conf).

The table is generated so that it cannot drift from the code: ``tests/test_docs.py`` fails when the file differs
from what this script writes. Run it after adding or changing a setting.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "reference" / "settings.md"

HEADER = """# Settings

Every setting lives in one dict, `settings.EKYC`; unknown keys raise `EkycConfigurationError` (check `E006`), a
value of the wrong type fails check `E009`, and values are re-read when settings change (`override_settings`
works). `django_ekyc.env.ekyc_from_env()` builds the dict from `EKYC_<NAME>` environment variables (see
[Install](../install.md)).

This page is generated from the declarations in `django_ekyc/conf.py` (`python scripts/settings_reference.py`).

| setting | type | default | what it does |
| --- | --- | --- | --- |
"""


def describe_default(value: Any) -> str:
    if isinstance(value, dict) and len(repr(value)) > 60:
        return f"{len(value)} entries"
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return f"`{text}`".replace("|", "\\|")


def describe_type(setting: Any) -> str:
    names = []
    for kind in setting.accepts:
        name = getattr(kind, "__name__", str(kind))
        names.append({"Mapping": "dict", "Callable": "callable"}.get(name, name))
    if setting.optional:
        names.append("None")
    return " or ".join(dict.fromkeys(names))


def render() -> str:
    from django_ekyc.conf import EkycSettings

    rows = []
    for name, setting in EkycSettings.declared().items():
        doc = " ".join(setting.doc.split()).replace("|", "\\|")
        rows.append(f"| `{name}` | {describe_type(setting)} | {describe_default(setting.default)} | {doc} |")
    return HEADER + "\n".join(rows) + "\n"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
