"""``manage.py ekyc_simulator``: run the provider simulator in the foreground."""

from __future__ import annotations

import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_ekyc.catalogue.regions import REGIONS
from django_ekyc.client.configured import account_config
from django_ekyc.conf import ekyc_settings
from django_ekyc.simulator import Simulator


class Command(BaseCommand):
    help = (
        "Run a simulator of Alibaba Cloud ID Verification (cloudauth-intl) for demos and tests. "
        "It checks ACS3 signatures against the given AccessKey. Never expose it publicly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help="Port to listen on; 0: any free port, which it prints (default: SIMULATOR_URL's port, else 8765).",
        )
        parser.add_argument("--access-key-id", help="AccessKey ID to accept (default: settings.EKYC).")
        parser.add_argument("--access-key-secret", help="AccessKey secret to accept (default: settings.EKYC).")
        parser.add_argument("--public-url", help="Base URL browsers use to reach it (default: http://HOST:PORT).")
        parser.add_argument(
            "--region",
            default=None,
            choices=sorted(REGIONS),
            help="The provider's region it stands for (default: settings.EKYC REGION, else cn-hongkong).",
        )
        parser.add_argument(
            "--face-group",
            action="append",
            default=None,
            metavar="CODE",
            help="A face library to create (repeatable; default: settings.EKYC FACE_LIBRARY, if set).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        site = account_config("")  # in development mode, the AccessKey the site will sign with
        key_id = options["access_key_id"] or site["ACCESS_KEY_ID"]
        secret = options["access_key_secret"] or site["ACCESS_KEY_SECRET"]
        if not key_id or not secret:
            raise CommandError(_no_access_key(site))
        if options["verbosity"] > 1:
            simulator_log = logging.getLogger("django_ekyc.simulator")
            simulator_log.setLevel(logging.DEBUG)
            if not simulator_log.handlers:  # shown even where the site's LOGGING says nothing of it
                simulator_log.addHandler(logging.StreamHandler())
        port = _default_port() if options["port"] is None else options["port"]  # 0 is a port: any free one
        try:
            simulator = Simulator(
                {key_id: secret},
                host=options["host"],
                port=port,
                public_url=options["public_url"],
                region=options["region"] or ekyc_settings.REGION,
                face_groups=options["face_group"] or [code for code in [ekyc_settings.FACE_LIBRARY] if code],
            )
        except OSError as err:
            raise CommandError(f"Cannot listen on {options['host']}:{port}: {err}") from err
        self.stdout.write(f"eKYC simulator listening on {simulator.url} (AccessKey ID {key_id}); Ctrl-C stops it.")
        self.stdout.flush()
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            simulator.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            simulator.stop()


def _no_access_key(site: dict[str, Any]) -> str:
    """Why there is no AccessKey to accept, and the way out: most often development mode is off in this terminal
    only; with SIMULATOR_URL set, the site's own credentials leave the simulator's key unused."""
    given = "or give --access-key-id and --access-key-secret"
    if not ekyc_settings.SIMULATOR_URL:
        return (
            "The site is not in development mode here (no SIMULATOR_URL), so there is no AccessKey to accept: "
            "export EKYC_SIMULATOR_URL=http://127.0.0.1:8765 in this terminal too, or put the line (without export) "
            f"in the .env file the settings read with environ.Env.read_env, {given}."
        )
    if site["CREDENTIALS"] is not None:
        return (
            "SIMULATOR_URL is set, but settings.EKYC signs with CREDENTIALS, whose AccessKey the simulator cannot "
            f"know: leave CREDENTIALS unset while you build (the simulator's own AccessKey is then used), {given}."
        )
    half = "ACCESS_KEY_ID" if site["ACCESS_KEY_ID"] else "ACCESS_KEY_SECRET"
    return (
        f"SIMULATOR_URL is set, but settings.EKYC sets {half} alone, half an AccessKey: set both, or neither (the "
        f"simulator's own AccessKey is then used), {given}."
    )


def _default_port() -> int:
    """The development simulator's port, when the site names one (SIMULATOR_URL), else 8765."""
    return urlsplit(ekyc_settings.SIMULATOR_URL or "").port or 8765


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """Let ``kill`` (and the demo script) stop the simulator as cleanly as Ctrl-C does."""
    raise KeyboardInterrupt
