"""Which fakes the demo runs, built from the settings (Django side: the fakes themselves are not).

A fake runs only for an outside system whose URL points at this machine (``127.0.0.1`` or
``localhost``), on that URL's port, listening on ``CQS_FAKES_HOST``. A URL that points elsewhere
is a real system, and an empty one turns the integration off: neither gets a fake.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from cqs.fakes.runner import RunningFake, serve_in_thread

logger = logging.getLogger(__name__)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DEMO_PROCEDURES = Path(__file__).resolve().parent.parent / "onestop" / "data" / "procedures_demo.json"


def _local_port(url: str) -> int | None:
    """The port of a local ``url`` (0 is allowed: any free port), or None when it is not local."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port is not None else {"https": 443}.get(parts.scheme, 80)


def _paygov():
    from cqs.fakes import paygov

    return paygov.make_app(partner_code=settings.CQS_PAYGOV_PARTNER_CODE, secret=settings.CQS_PAYGOV_SECRET)


def _dvcqg():
    from cqs.fakes import dvcqg

    # The demo catalogue's records: what the portal would serve for the procedures CQS knows.
    try:
        procedures = json.loads(DEMO_PROCEDURES.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError):
        procedures = None
    return dvcqg.make_app(token=settings.CQS_DVCQG_TOKEN, procedures=procedures)


def _sms():
    from cqs.fakes import sms

    return sms.make_app(token=settings.CQS_SMS_TOKEN)


def _ris():
    from cqs.fakes import ris

    return ris.make_app(token=settings.CQS_RIS_TOKEN)


def _dancu():
    from cqs.fakes import dancu

    return dancu.make_app(token=getattr(settings, "CQS_DANCU_TOKEN", ""))


def _ndxp():
    from cqs.fakes import ndxp

    return ndxp.make_app(token=getattr(settings, "CQS_NDXP_TOKEN", ""))


def _tsa():
    from cqs.fakes import tsa

    return tsa.make_app_from_pki()


def _vneid():
    try:
        from cqs.fakes import vneid
    except ModuleNotFoundError as exc:
        if exc.name != "cqs.fakes.vneid":
            raise
        logger.warning("the VNeID fake (cqs.fakes.vneid) is not available: not started")
        return None
    return vneid.make_app(
        issuer=settings.CQS_VNEID_ISSUER,
        client_id=settings.CQS_VNEID_CLIENT_ID,
        client_secret=settings.CQS_VNEID_CLIENT_SECRET,
    )


def _vdxp_own_organs() -> list[dict]:
    """The province's units with an electronic identifier, read from ``cqs.orgs`` when it can be.

    ``cqs fakes`` may start before migrations run: then the province's own code is enough, since
    the axis also routes every code ending in the province's suffix to our system.
    """
    from cqs.orgs.models import OrgUnit

    system_id = settings.CQS_VDXP_SYSTEM_ID
    organs = {system_id: {"id": system_id, "name": f"UBND tỉnh {settings.CQS_PROVINCE_NAME}"}}
    try:
        units = list(
            OrgUnit.objects.as_of(timezone.localdate())
            .exclude(identifier="")
            .values_list("identifier", "name")
        )
    except Exception as exc:  # no table yet, no database, or no database access allowed (tests)
        logger.warning("VDXP fake: unit identifiers not read from the database (%s)", type(exc).__name__)
        units = []
    for identifier, name in units:
        organs[identifier] = {"id": identifier, "name": name}  # the tree's name wins
    return list(organs.values())


def _vdxp():
    from cqs.fakes import vdxp

    system_id = settings.CQS_VDXP_SYSTEM_ID
    suffix = "." + system_id.rsplit(".", 1)[-1] if "." in system_id else ""
    systems = {
        system_id: {
            "secret": settings.CQS_VDXP_SECRET,
            "organs": _vdxp_own_organs(),
            "suffixes": [suffix] if suffix else [],
        }
    }
    # The simulated second province, so that the demo exchanges documents both ways.
    systems.setdefault(vdxp.NGHE_AN_SYSTEM_ID, {**vdxp.NGHE_AN, "suffixes": [".H41"]})
    from cqs.documents.demo import nghe_an_sample

    return vdxp.make_app(systems=systems, sample=nghe_an_sample)


# (name, setting holding its URL, builder); a builder returning None skips that fake.
FAKES: list[tuple[str, str, Callable[[], object | None]]] = [
    ("paygov", "CQS_PAYGOV_URL", _paygov),
    ("dvcqg", "CQS_DVCQG_URL", _dvcqg),
    ("sms", "CQS_SMS_URL", _sms),
    ("vneid", "CQS_VNEID_ISSUER", _vneid),
    ("tsa", "CQS_TSA_URL", _tsa),
    ("ris", "CQS_RIS_URL", _ris),
    ("vdxp", "CQS_VDXP_URL", _vdxp),
    ("dancu", "CQS_DANCU_URL", _dancu),
    ("ndxp", "CQS_NDXP_URL", _ndxp),
]


def fake_apps_from_settings() -> list[tuple[str, object, str, int]]:
    """``(name, wsgi app, host, port)`` for every outside system the settings place on this machine."""
    host = getattr(settings, "CQS_FAKES_HOST", "127.0.0.1") or "127.0.0.1"
    apps = []
    for name, setting, build in FAKES:
        port = _local_port(getattr(settings, setting, "") or "")
        if port is None:
            continue
        app = build()
        if app is not None:
            apps.append((name, app, host, port))
    return apps


def start_fakes(apps: list[tuple[str, object, str, int]] | None = None) -> list[RunningFake]:
    """Serve ``apps`` (default: ``fake_apps_from_settings()``) each in its own thread.

    All or nothing: if one cannot listen (port taken), those already started are stopped and the
    ``OSError`` is raised.
    """
    if apps is None:
        apps = fake_apps_from_settings()
    running: list[RunningFake] = []
    try:
        for _name, app, host, port in apps:
            running.append(serve_in_thread(app, host=host, port=port))
    except OSError:
        for fake in running:
            fake.stop()
        raise
    return running
