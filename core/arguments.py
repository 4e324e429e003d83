"""Which keyword arguments a caller actually passed, as opposed to defaults.

Some arguments conflict with others only when the caller chose them: a queue built
with ``gateway=`` refuses ``visibility_timeout_seconds=300`` although 300 is the
default. A default value in the signature cannot tell the two apart, and a sentinel
default would hide the real default from ``help()`` and type checkers. So the
constructor is wrapped: the wrapper notes the names of the keyword arguments, then
calls it unchanged. ``functools.wraps`` keeps the visible signature.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")
_ATTRIBUTE = "_explicit_keyword_arguments"


def records_explicit_arguments(
    init: Callable[Concatenate[_T, _P], None],
) -> Callable[Concatenate[_T, _P], None]:
    """Wrap ``__init__`` so that :func:`explicit_arguments` can read what was passed.

    Args:
        init: An ``__init__`` whose optional arguments are keyword-only.

    Returns:
        The same ``__init__``, noting the names of its keyword arguments first.
    """

    @functools.wraps(init)
    def noting_init(self: _T, /, *args: _P.args, **kwargs: _P.kwargs) -> None:
        setattr(self, _ATTRIBUTE, frozenset(kwargs))
        init(self, *args, **kwargs)

    return noting_init


def explicit_arguments(instance: object) -> frozenset[str]:
    """The keyword arguments the caller passed to ``instance``'s constructor."""
    names: frozenset[str] = getattr(instance, _ATTRIBUTE, frozenset())
    return names
