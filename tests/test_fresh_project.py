"""The install page, as written: a new ``django-admin startproject`` project, the documented snippets applied,
migrated, and one verification through it over HTTP, against the simulator the page tells the reader to start.

The snippets are read from ``docs/install.md`` (each follows a ``<!-- fresh-project: NAME -->`` marker), so the
page cannot drift from what works.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from scripts._support import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
INSTALL_PAGE = ROOT / "docs" / "install.md"
SNIPPET = re.compile(r"<!-- fresh-project: ([\w-]+) -->\s*```\w*\n(.*?)```", re.S)
META_INFO = json.dumps({"apdidToken": "", "bioMetaInfo": "4.1.0:2916352,0", "deviceType": "web", "ua": "Mozilla/5.0"})

pytestmark = pytest.mark.timeout(240)


def snippets() -> dict[str, str]:
    found = dict(SNIPPET.findall(INSTALL_PAGE.read_text(encoding="utf-8")))
    expected = {"settings", "urls", "environment", "dotenv", "simulator", "template", "view", "view-url"}
    assert expected <= set(found), f"docs/install.md lost a snippet: {expected - set(found)}"
    return found


def without_comment_line(snippet: str) -> str:
    """A snippet's first line names its file (``# settings.py``); the rest is the code."""
    lines = snippet.splitlines()
    return "\n".join(lines[1:] if lines[0].lstrip().startswith(("#", "<!--")) else lines) + "\n"


def environment_from(snippet: str) -> dict[str, str]:
    """``export NAME=value`` lines, as a shell would apply them."""
    return dict(re.findall(r"^export (\w+)=(\S+)", snippet, re.M))


def dotenv_from(snippet: str) -> dict[str, str]:
    """``NAME=value`` lines of a ``.env`` file."""
    return dict(re.findall(r"^(\w+)=(\S+)", snippet, re.M))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``django-admin startproject mysite``, then every snippet where the page says it goes."""
    parts = snippets()
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", str(tmp_path)], check=True)
    package = tmp_path / "mysite"
    with (package / "settings.py").open("a") as settings:
        settings.write("\n" + without_comment_line(parts["settings"]))
    with (package / "urls.py").open("a") as urls:
        urls.write("\n" + without_comment_line(parts["urls"]) + "\n" + without_comment_line(parts["view-url"]))
    (package / "views.py").write_text(without_comment_line(parts["view"]))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "verify.html").write_text(without_comment_line(parts["template"]))
    return tmp_path


@pytest.fixture(params=["export", "dotenv"])
def running(project: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The project's environment (the documented variable, on a free port: exported, or in ``.env`` as the page
    offers), its simulator and its server."""
    exported = request.param == "export"
    documented = environment_from(snippets()["environment"]) if exported else dotenv_from(snippets()["dotenv"])
    simulator_port, site_port = free_port(), free_port()
    documented["EKYC_SIMULATOR_URL"] = re.sub(r":\d+$", f":{simulator_port}", documented["EKYC_SIMULATOR_URL"])
    if not exported:  # only the file says it: both manage.py processes must read it there
        (project / ".env").write_text("".join(f"{name}={value}\n" for name, value in documented.items()))
    # Only the documented EKYC_* variables: any other one (the runner's own) is an error to ekyc_from_env().
    runner = {name: value for name, value in os.environ.items() if not name.startswith("EKYC_")}
    env = {**runner, **(documented if exported else {}), "DJANGO_SUPERUSER_PASSWORD": "fresh-pw"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=project, env=env, capture_output=True, text=True, check=False
        )

    for step in (("migrate", "--noinput"), ("check",)):
        result = manage(*step)
        assert result.returncode == 0, result.stdout + result.stderr
    assert manage("createsuperuser", "--noinput", "--username", "ada", "--email", "ada@x.test").returncode == 0
    # The page's command, unchanged: its port comes from EKYC_SIMULATOR_URL.
    command = snippets()["simulator"].strip().split()
    assert command[:3] == ["python", "manage.py", "ekyc_simulator"]
    processes = [
        subprocess.Popen([sys.executable, *command[1:]], cwd=project, env=env),
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{site_port}", "--noreload"], cwd=project, env=env
        ),
    ]
    try:
        wait_until_up(f"{documented['EKYC_SIMULATOR_URL']}/_sim/health")
        wait_until_up(f"http://127.0.0.1:{site_port}/admin/login/")
        yield {"site": f"http://127.0.0.1:{site_port}", "simulator": documented["EKYC_SIMULATOR_URL"]}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def test_a_new_project_verifies_a_user_with_the_install_page_as_written(running: dict[str, str]) -> None:
    site = running["site"]
    with requests.Session() as browser:
        signed_out = browser.get(f"{site}/verify/", timeout=10)  # LOGIN_URL: a sign-in page, not a 404
        assert (signed_out.status_code, signed_out.url) == (200, f"{site}/admin/login/?next=/verify/")
        signed_in = browser.post(
            f"{site}/admin/login/?next=/verify/",
            data={"username": "ada", "password": "fresh-pw", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            timeout=10,
        )
        page = signed_in.text
        assert signed_in.url == f"{site}/verify/" and "data-ekyc-start" in page
        assert f'<script src="{running["simulator"]}/cdn/jsvm_all.js"></script>' in page  # development mode
        # What ekyc.js does when the button is pressed.
        button = dict(re.findall(r'data-([\w-]+)="([^"]*)"', page))
        started = browser.post(
            f"{site}{button['url']}",
            json={"doc_type": button["doc-type"], "meta_info": META_INFO},
            headers={"X-CSRFToken": button["csrf-token"]},
            timeout=10,
        )
        assert started.status_code == 201, started.text
        hosted = started.json()["transaction_url"]
        assert hosted.startswith(running["simulator"])
        # The user on the provider's page, then back on the site.
        browser.get(hosted, timeout=10)
        token = parse_qs(urlsplit(hosted).query)["clientcfg"][0]
        done = browser.post(
            f"{running['simulator']}/1.0.0/submit", data={"clientcfg": token, "outcome": "pass"}, timeout=10
        )
        assert done.url.startswith(f"{site}/ekyc/return/")
        assert 'data-status="passed"' in done.text and "Identity verified" in done.text


def test_the_simulator_started_without_development_mode_says_how_to_turn_it_on(settings):
    """The newcomer's second terminal, without the exported variable: the way out is the simulator's URL. (On
    ``--port 0``, any free port: were it not refused, it would not take the demo's 8765.)"""
    from django.core.management import CommandError, call_command

    settings.EKYC = {}
    with pytest.raises(CommandError) as refused:
        call_command("ekyc_simulator", "--port", "0")
    message = str(refused.value)
    assert "no SIMULATOR_URL" in message and "EKYC_SIMULATOR_URL=http://127.0.0.1:8765" in message
    assert "environ.Env.read_env" in message and "--access-key-id" in message


@pytest.mark.parametrize(
    ("ekyc", "says"),
    [
        ({"CREDENTIALS": {"type": "ecs_ram_role"}}, "signs with CREDENTIALS"),
        ({"ACCESS_KEY_ID": "LTAI5tOnlyTheId"}, "sets ACCESS_KEY_ID alone"),
        ({"ACCESS_KEY_SECRET": "only-the-secret"}, "sets ACCESS_KEY_SECRET alone"),
    ],
)
def test_the_simulator_in_development_mode_says_why_the_sites_own_key_leaves_none_to_accept(settings, ekyc, says):
    """SIMULATOR_URL is set: telling the reader to set it would send them in circles."""
    from django.core.management import CommandError, call_command

    settings.EKYC = {"SIMULATOR_URL": "http://127.0.0.1:8765", **ekyc}
    with pytest.raises(CommandError) as refused:
        call_command("ekyc_simulator", "--port", "0")
    message = str(refused.value)
    assert says in message and "SIMULATOR_URL is set" in message and "--access-key-id" in message
    assert "no SIMULATOR_URL" not in message and "export EKYC_SIMULATOR_URL" not in message
    assert "only-the-secret" not in message  # a secret is never echoed


def test_the_simulator_on_port_0_listens_on_a_free_port_and_says_which():
    """``--port 0`` is the operating system's choice, as a test harness or a second copy wants, never 8765."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    command = ["-m", "django", "ekyc_simulator", "--port", "0", "--access-key-id", "k", "--access-key-secret", "s"]
    process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # written before it serves; empty if the command ended instead
        listening = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", line)
        assert listening and int(listening[2]) not in (0, 8765), line
        assert requests.get(f"{listening[1]}/_sim/health", timeout=10).status_code == 200
    finally:
        process.terminate()  # SIGTERM: it stops as after Ctrl-C
        process.wait(timeout=20)
