"""The data-plane engines a compiled snapshot is applied to (docs/lgsp.md#engines).

An engine has a ``name``, ``validate(snapshot)`` (raise ``EngineError`` if the snapshot would not
run) and ``apply(directory, snapshot) -> Applied`` (make it live, or raise ``EngineError``; with
``rolled_back=True`` when the previous configuration is still serving).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

ENGINES = {
    "builtin": "cqs.lgsp.engines.builtin.BuiltinEngine",
    "haproxy": "cqs.lgsp.engines.haproxy.HaproxyEngine",
}


class EngineError(Exception):
    def __init__(self, message: str, *, rolled_back: bool = False):
        super().__init__(message)
        self.message = message
        self.rolled_back = rolled_back


@dataclass(frozen=True)
class Applied:
    reload_ms: int = 0
    note: str = ""


def get(name: str):
    try:
        return import_string(ENGINES[name])()
    except KeyError:
        raise EngineError(
            f"unknown LGSP engine {name!r} (CQS_LGSP_ENGINE): use one of {sorted(ENGINES)}"
        ) from None


def current():
    return get(settings.CQS_LGSP_ENGINE)
