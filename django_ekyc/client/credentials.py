"""Who signs a request: a fixed AccessKey, or a credentials provider asked before each attempt.

Alibaba Cloud's guidance for servers is temporary credentials (an ECS instance's RAM role, STS AssumeRole, an OIDC
role on ACK), which expire. They come from a *credentials provider*: the ``alibabacloud-credentials`` package's
``Client``, or any object with its ``get_credential()``, which caches them and refreshes them before they expire
(a class named instead is built once per client, with no arguments).
The transport asks it once per attempt, with one call, so that the AccessKey ID, its secret and the security token
always come from the same credential, and keeps nothing between attempts: a refreshed credential is used from the
next request on. The package is imported only when a site names its default chain (``CREDENTIALS = "default"``).

Secrets and security tokens live in :class:`Secret`, which no ``repr``, log or traceback shows, and
:meth:`Credential.scrub` takes both out of any text the provider echoes back.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string

from django_ekyc.exceptions import EkycConfigurationError

PACKAGE = "alibabacloud_credentials"
INSTALL_HINT = "pip install 'django-ekyc[credentials]' (the alibabacloud-credentials package)"
DEFAULT_CHAIN = "default"


class Secret:
    """Holds an AccessKey secret or a security token so that no ``repr``, log or traceback shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'********'"

    __str__ = __repr__


@dataclass(frozen=True)
class Credential:
    """What one request is signed with: an AccessKey ID, its secret, and for temporary credentials the STS token."""

    access_key_id: str
    secret: Secret
    security_token: Secret | None = None

    def scrub(self, text: str) -> str:
        """Provider messages are copied into exceptions: never let the secret or the token ride along."""
        for hidden in (self.secret, self.security_token):
            value = hidden.reveal() if hidden is not None else ""
            if value and value in text:
                text = text.replace(value, "[redacted]")
        return text


class CredentialsUnavailable(Exception):
    """The credentials provider gave nothing to sign with; the message names the failure's type only."""


class StaticCredentials:
    """The AccessKey (and, rarely, an STS token) a client was given: the same for every request."""

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str | None = None) -> None:
        if not access_key_id or not access_key_secret:
            raise EkycConfigurationError("An AccessKey ID and secret, or a credentials provider, are required.")
        token = Secret(security_token) if security_token else None
        self._credential = Credential(access_key_id, Secret(access_key_secret), token)

    @property
    def access_key_id(self) -> str:
        return self._credential.access_key_id

    def current(self) -> Credential:
        return self._credential

    def __repr__(self) -> str:
        return f"<StaticCredentials {self.access_key_id!r}>"


class ProviderCredentials:
    """A credentials provider, asked for the current credential before each attempt (it caches and refreshes)."""

    def __init__(self, provider: Any) -> None:
        if not callable(getattr(provider, "get_credential", None)):
            raise EkycConfigurationError(
                f"A credentials provider needs a get_credential() method, which {type(provider).__name__} lacks."
            )
        self.provider = provider
        self.access_key_id = ""  # the last one used: not a secret (every request names it), shown in reprs

    def current(self) -> Credential:
        try:
            model = self.provider.get_credential()
        except Exception as err:
            # Not chained, and only the type named: a provider's message may quote what it was answered.
            raise CredentialsUnavailable(f"the credentials provider failed ({type(err).__name__})") from None
        key_id, secret = getattr(model, "access_key_id", None), getattr(model, "access_key_secret", None)
        if not key_id or not secret:
            raise CredentialsUnavailable("the credentials provider gave no AccessKey")
        token = getattr(model, "security_token", None)
        self.access_key_id = str(key_id)
        return Credential(self.access_key_id, Secret(str(secret)), Secret(str(token)) if token else None)

    def __repr__(self) -> str:
        return f"<ProviderCredentials {type(self.provider).__name__} access_key_id={self.access_key_id!r}>"


def credentials_for(
    access_key_id: str, access_key_secret: str, security_token: str | None = None, provider: Any = None
) -> StaticCredentials | ProviderCredentials:
    """A provider when one is given, else the fixed AccessKey."""
    if provider is not None:
        return ProviderCredentials(provider)
    return StaticCredentials(access_key_id, access_key_secret, security_token)


def provider_from(value: Any) -> Any:
    """The credentials provider a ``CREDENTIALS`` setting names: ``"default"`` (the package's default chain), a
    provider (anything with ``get_credential()``), a provider class (instantiated with no arguments, once per
    client), a callable returning one (called once per client), or the dotted path of any of them. Raises
    :class:`EkycConfigurationError` when it names none, or needs a missing package."""
    if value == DEFAULT_CHAIN:
        return _default_chain()
    if isinstance(value, str):
        value = _imported(value)
    # A class has get_credential too, as a plain function: only its instance can be asked.
    if isinstance(value, type) or (not _is_provider(value) and callable(value)):
        value = _called(value)
    if not _is_provider(value):
        raise EkycConfigurationError(_not_a_provider(value))
    return value


def provider_problem(value: Any) -> str | None:
    """Why a ``CREDENTIALS`` value names no provider, found without building one: a system check must neither
    call the site's factory nor start the package's refresh threads (its ECS RAM role provider starts one)."""
    if value == DEFAULT_CHAIN:
        try:
            importlib.import_module(PACKAGE)  # importing it builds no provider
        except ImportError:
            return str(_missing_package())
        return None
    if isinstance(value, str):
        try:
            value = _imported(value)
        except EkycConfigurationError as err:
            return str(err)
    if isinstance(value, type):
        return _class_problem(value)
    if _is_provider(value) or callable(value):
        return None
    return _not_a_provider(value)


def _is_provider(value: Any) -> bool:
    """An object that can be asked for a credential (a class is not: its get_credential is unbound)."""
    return not isinstance(value, type) and callable(getattr(value, "get_credential", None))


def _class_problem(cls: type) -> str | None:
    """Why a class cannot be the setting: it is built with no arguments, and its instances are asked."""
    if not callable(getattr(cls, "get_credential", None)):
        return _not_a_provider(cls)
    try:
        inspect.signature(cls).bind()
    except TypeError:
        return (
            f"EKYC CREDENTIALS names the class {cls.__name__}, which is built with no arguments but needs some: "
            "name a factory (a function) that builds it."
        )
    except ValueError:  # no signature to read: building it will tell
        return None
    return None


def _not_a_provider(value: Any) -> str:
    what = f"the class {value.__name__}" if isinstance(value, type) else type(value).__name__
    return (
        "EKYC CREDENTIALS must be 'default', a credentials provider (an alibabacloud_credentials Client, or "
        f"anything with get_credential()), its class, or a callable or dotted path giving one; not {what}."
    )


def _default_chain() -> Any:
    """``alibabacloud_credentials.client.Client()``: the environment, an OIDC role (ACK RRSA), the CLI's and the
    SDK's profile files, the ECS RAM role, a credentials URI, in that order."""
    try:
        module = importlib.import_module(f"{PACKAGE}.client")
    except ImportError:
        raise _missing_package() from None
    return module.Client()


def _imported(path: str) -> Any:
    try:
        return import_string(path)
    except ImportError as err:
        if _is_the_package(err):
            raise _missing_package() from None
        raise EkycConfigurationError(f"EKYC CREDENTIALS {path!r} does not import: {err}") from None


def _called(factory: Callable[[], Any]) -> Any:
    try:
        return factory()
    except ImportError as err:
        if _is_the_package(err):
            raise _missing_package() from None
        raise


def _is_the_package(err: ImportError) -> bool:
    """Whether the import that failed is alibabacloud-credentials itself (not the site's own module)."""
    return (getattr(err, "name", None) or "").split(".")[0] == PACKAGE


def _missing_package() -> EkycConfigurationError:
    return EkycConfigurationError(f"EKYC CREDENTIALS needs {PACKAGE}, which is not installed: {INSTALL_HINT}.")
