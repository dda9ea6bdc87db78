"""X-Road identifiers: ``INSTANCE/CLASS/MEMBER/SUBSYSTEM`` (a client) and ``…/SERVICE`` (a service).

The gateway path is ``/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}[/path][?query]``
(X-Road Message Protocol for REST, r1); both data-plane engines parse it the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
PROTOCOL = "r1"
# The metaservices answer for a provider subsystem instead of a service (X-Road PR-MREST).
METASERVICES = ("listMethods", "allowedMethods", "getOpenAPI")


@dataclass(frozen=True)
class SubsystemId:
    instance: str
    member_class: str
    member: str
    subsystem: str

    def __str__(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member}/{self.subsystem}"


@dataclass(frozen=True)
class ServiceId:
    instance: str
    member_class: str
    member: str
    subsystem: str
    service: str

    def __str__(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member}/{self.subsystem}/{self.service}"

    @property
    def provider(self) -> SubsystemId:
        return SubsystemId(self.instance, self.member_class, self.member, self.subsystem)


def _parts(text: str, count: int) -> list[str] | None:
    parts = text.strip("/").split("/")
    if len(parts) != count or not all(PART.match(part) for part in parts):
        return None
    return parts


def parse_subsystem_id(text: str) -> SubsystemId | None:
    """``INSTANCE/CLASS/MEMBER/SUBSYSTEM``, or None when it is not one."""
    parts = _parts(text, 4)
    return SubsystemId(*parts) if parts else None


def parse_service_id(text: str) -> ServiceId | None:
    """``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE``, or None when it is not one."""
    parts = _parts(text, 5)
    return ServiceId(*parts) if parts else None


def split_gateway_path(path: str) -> tuple[ServiceId, str] | None:
    """``/r1/I/C/M/S/SERVICE/rest`` → (the service id, ``/rest``); None when the path is not one."""
    parts = path.split("/", 7)
    # ["", "r1", I, C, M, S, SERVICE, rest...]
    if len(parts) < 7 or parts[0] != "" or parts[1] != PROTOCOL:
        return None
    service = parse_service_id("/".join(parts[2:7]))
    if service is None:
        return None
    rest = "/" + parts[7] if len(parts) == 8 else "/"
    return service, rest
