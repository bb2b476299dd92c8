"""What is shipped: the source distribution carries a test suite that runs from it, and the compiled catalogues;
the wheel carries the templates, static files and catalogues the app needs at run time."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "-o", str(out), str(ROOT)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [archive] = out.glob("django_ekyc-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    [tree] = [path for path in out.iterdir() if path.is_dir()]
    return tree


def test_the_sdist_carries_the_test_suite_and_the_catalogues(sdist: Path) -> None:
    for name in (
        "tests/conftest.py",
        "tests/settings.py",
        "tests/urls.py",
        "tests/helpers.py",
        "tests/e2e/test_browser.py",
        "docs/install.md",
        "manage.py",
        "example_project/settings.py",
        "django_ekyc/locale/zh_Hant/LC_MESSAGES/django.mo",
        "django_ekyc/templates/django_ekyc/result.html",
        "django_ekyc/static/django_ekyc/ekyc.js",
    ):
        assert (sdist / name).is_file(), name
    assert not list(sdist.rglob("__pycache__"))


def test_the_sdists_tests_run_from_it(sdist: Path) -> None:
    # Neither the site's database nor this run's coverage measurement (the sdist's copy is another file tree).
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE") and not key.startswith("COV")
    }
    where = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, '.'); import django_ekyc; print(django_ekyc.__file__)"],
        cwd=sdist,
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.strip().startswith(str(sdist))  # the sdist's own code is what its tests import
    tests = ["tests/test_signing.py", "tests/test_faces.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=sdist,
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout


def _metadata() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _tested() -> set[str]:
    """The classifiers tox.ini's env_list stands for: py312-django61 tests Python 3.12 and Django 6.1."""
    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    tested = set()
    for env in tox["tox"]["env_list"].split():
        if match := re.fullmatch(r"py3(\d+)-django(\d)(\d+)", env):
            tested.add(f"Programming Language :: Python :: 3.{match[1]}")
            tested.add(f"Framework :: Django :: {match[2]}.{match[3]}")
    return tested


def test_the_classifiers_claim_exactly_what_the_matrix_tests() -> None:
    versions = {c for c in _metadata()["classifiers"] if re.search(r":: \d+\.\d+$", c)}
    assert versions == _tested()


def test_the_index_page_links_work_off_the_repository() -> None:
    # The package index renders README.md with no repository around it: a relative link there leads nowhere.
    links = re.findall(r"\]\(([^)]+)\)", (ROOT / "README.md").read_text())
    assert links
    assert [link for link in links if not link.startswith("https://")] == []
    assert set(_metadata()["urls"]) == {"Documentation", "Changelog", "Issues", "Source"}


def test_the_development_tools_are_groups_not_published_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert {"test", "lint", "docs"} <= set(project["dependency-groups"])
    assert not {"test", "lint", "docs"} & set(project["project"]["optional-dependencies"])
