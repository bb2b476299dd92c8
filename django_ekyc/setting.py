"""``Setting``: one typed setting of ``settings.EKYC`` (its default, the types it accepts, what it is for), and
the small cleaners that turn what a site wrote into the value code reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from django_ekyc.exceptions import EkycConfigurationError

if TYPE_CHECKING:
    from django_ekyc.conf import EkycSettings

T = TypeVar("T")
Timeout = float | tuple[float, float]
NUMBER = (int, float)


class Setting(Generic[T]):
    """One setting: its default, the Python types it accepts, and what it is for (``doc``)."""

    def __init__(
        self,
        default: T,
        accepts: type | tuple[type, ...],
        doc: str,
        *,
        optional: bool = False,
        clean: Callable[[Any], T] | None = None,
    ) -> None:
        self.default = default
        self.accepts = accepts if isinstance(accepts, tuple) else (accepts,)
        self.doc = doc
        self.optional = optional
        self._clean = clean
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, instance: EkycSettings, owner: type) -> T: ...

    def __get__(self, instance: EkycSettings | None, owner: type) -> Setting[T] | T:
        if instance is None:
            return self
        return instance.value_of(self)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` cannot be this setting, or None."""
        if value is None and self.optional:
            return None
        numeric = any(kind in NUMBER for kind in self.accepts)
        if isinstance(value, bool) and bool not in self.accepts and numeric:
            return f"EKYC['{self.name}'] must be {self.describe()}, not a bool."
        if not isinstance(value, self.accepts):
            return f"EKYC['{self.name}'] must be {self.describe()}, not {type(value).__name__}."
        return None

    def describe(self) -> str:
        names = " or ".join(kind.__name__ for kind in self.accepts)
        return f"{names} or None" if self.optional else names

    def clean(self, value: Any) -> T:
        problem = self.problem(value)
        if problem:
            raise EkycConfigurationError(problem)
        if self._clean is not None and value is not None:
            return self._clean(value)
        return value  # type: ignore[no-any-return]


def clean_strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(item) for item in value)


def clean_number(value: Any) -> float:
    return float(value)


def clean_deadline(value: Any) -> float:
    if value <= 0:
        raise EkycConfigurationError("EKYC['REQUEST_DEADLINE'] must be a positive number of seconds, or None.")
    return float(value)


def clean_timeout(value: Any) -> Timeout:
    if isinstance(value, int | float):
        return float(value)
    pair = tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair):
        raise EkycConfigurationError("EKYC['TIMEOUT'] must be a number or a (connect, read) pair of numbers.")
    return float(pair[0]), float(pair[1])
