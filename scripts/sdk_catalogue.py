"""Write ``django_ekyc/catalogue/operations.json`` from the installed official SDK (``alibabacloud-cloudauth-intl``).

The SDK is the provider's own definition of the API: for every operation, its client method says which parameter
travels in the query and which in the form body, and its request model says each parameter's Python name, type and
(in a comment) whether it is required. This script copies those facts and nothing else; what the SDK does not say
(allowed values, who decides a parameter) is annotated by hand in ``django_ekyc/catalogue/annotations.py``.

    python scripts/sdk_catalogue.py           # rewrite the table
    python scripts/sdk_catalogue.py --check   # exit 1 when the committed table differs from the SDK
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import json
import re
import sys
from pathlib import Path
from typing import Any

SDK_DISTRIBUTION = "alibabacloud-cloudauth-intl20220809"
TABLE = Path(__file__).resolve().parent.parent / "django_ekyc" / "catalogue" / "operations.json"
# The SDK's statement that a field is required: a comment line of its own ("required when..." is conditional).
REQUIRED = "# This parameter is required."
KINDS = {"str": "string", "int": "integer", "bool": "boolean", "float": "number"}


def sdk_root() -> Path:
    import alibabacloud_cloudauth_intl20220809 as sdk

    return Path(sdk.__file__).resolve().parent


def class_file(root: Path, class_name: str) -> Path:
    """The model file of ``class_name``: FaceCompareRequest -> models/_face_compare_request.py."""
    for path in (root / "models").glob("_*.py"):
        if re.search(rf"^class {class_name}\(", path.read_text(), re.MULTILINE):
            return path
    raise LookupError(class_name)


def placements(method: ast.FunctionDef) -> tuple[str, dict[str, tuple[str, str]], bool]:
    """(action, API name -> (query|body, request attribute), whether the method builds a body)."""
    action, placed, has_body = "", {}, False
    for node in ast.walk(method):
        if isinstance(node, ast.keyword) and node.arg == "action" and isinstance(node.value, ast.Constant):
            action = str(node.value.value)
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "body":
                has_body = True
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id in ("query", "body")
                and isinstance(target.slice, ast.Constant)
                and isinstance(node.value, ast.Attribute)
            ):
                placed[str(target.slice.value)] = (target.value.id, node.value.attr)
    return action, placed, has_body


def request_class(method: ast.FunctionDef) -> str | None:
    """The request model the method takes; None for an operation without parameters (KeepaliveIntl)."""
    annotation = method.args.args[1].annotation
    return annotation.attr if isinstance(annotation, ast.Attribute) and annotation.attr.endswith("Request") else None


def model_fields(path: Path, class_name: str) -> dict[str, dict[str, Any]]:
    """Python name -> {type, required} from a request model's ``__init__`` and the comments above each field."""
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    fields: dict[str, dict[str, Any]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            init = next(item for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "__init__")
            for arg in init.args.args[1:]:
                kind = ast.unparse(arg.annotation) if arg.annotation else "str"
                fields[arg.arg] = {"kind": KINDS.get(kind, "json"), "required": False}
            for statement in init.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Attribute):
                    name = statement.targets[0].attr
                    if name in fields:
                        fields[name]["required"] = REQUIRED in _comment_above(lines, statement)
    return fields


def _comment_above(lines: list[str], statement: ast.stmt) -> list[str]:
    comment, index = [], statement.lineno - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        comment.append(lines[index].strip())
        index -= 1
    return comment


def result_fields(root: Path, response_class: str) -> list[str]:
    """The API names of the fields of an operation's ``Result`` (or of the body, when it has none)."""
    try:
        path = class_file(root, response_class)
    except LookupError:
        return []
    source = path.read_text()
    nested = re.findall(r"^class (\w+)\(DaraModel\)", source, re.MULTILINE)
    body = re.search(rf"^class {response_class}\(DaraModel\):.*?(?=^class |\Z)", source, re.MULTILINE | re.DOTALL)
    names = re.findall(r"result\['(\w+)'\] = ", body.group(0)) if body else []
    result_class = next((name for name in nested if name == f"{response_class}Result"), None)
    if "Result" in names and result_class:
        found = re.search(rf"^class {result_class}\(DaraModel\):.*?(?=^class |\Z)", source, re.MULTILINE | re.DOTALL)
        return sorted(set(re.findall(r"result\['(\w+)'\] = ", found.group(0)))) if found else []
    return sorted(set(names))


def operations(root: Path) -> dict[str, Any]:
    tree = ast.parse((root / "client.py").read_text())
    table: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.FunctionDef) and node.name.endswith("with_options")):
            continue
        action, placed, has_body = placements(node)
        if not action:
            continue
        wire_class = request_class(node)
        fields: dict[str, dict[str, Any]] = {}
        if wire_class is not None:
            # A Shrink request carries lists and objects as JSON strings: read the original request's fields.
            fields_class = wire_class.replace("ShrinkRequest", "Request")
            fields = model_fields(class_file(root, fields_class), fields_class)
        parameters = {}
        for api_name, (location, attribute) in sorted(placed.items()):
            python_name = attribute.removesuffix("_shrink")
            field = fields.get(python_name, {"kind": "string", "required": False})
            parameters[api_name] = {
                "python_name": python_name,
                "location": location,
                "required": field["required"],
                "kind": "json" if attribute.endswith("_shrink") else field["kind"],
            }
        table[action] = {
            "python_name": node.name.removesuffix("with_options").rstrip("_"),
            "sends_body": has_body,
            "parameters": parameters,
            "result_fields": result_fields(root, f"{action}ResponseBody"),
        }
    return dict(sorted(table.items()))


def render() -> str:
    root = sdk_root()
    document = {
        "sdk": f"{SDK_DISTRIBUTION} {importlib.metadata.version(SDK_DISTRIBUTION)}",
        "version": "2022-08-09",
        "operations": operations(root),
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed table differs from the SDK")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if TABLE.read_text() != text:
            print(f"{TABLE} differs from the installed SDK: run python scripts/sdk_catalogue.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text)
    print(f"wrote {len(json.loads(text)['operations'])} operations to {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
