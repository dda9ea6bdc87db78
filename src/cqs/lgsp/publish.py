"""Publishing the registry to the data plane: compile, validate, apply, record (docs/lgsp.md#publishing).

Every registry change calls ``request()`` inside its transaction; after commit the change is
compiled (``snapshot.build_snapshot``) and applied by the configured engine (``engines``), on a
background thread of the process that committed it (``BackgroundPublisher``), so that the web
request that made the change does not wait for HAProxy's reload. The same snapshot applied twice
is a no-op. Changes that could make an invalid configuration call
``validate_or_refuse()`` first, inside their transaction, so that they are refused (rolled back)
before anything goes live. A background task re-publishes every minute, which also drops
credentials that expired since the last generation.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import hashlib
import logging
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction
from django.utils.translation import gettext as _

from cqs.core.exceptions import ServiceError
from cqs.lgsp import engines
from cqs.lgsp.choices import GenerationStatus
from cqs.lgsp.models import GatewayGeneration
from cqs.lgsp.snapshot import build_snapshot, snapshot_bytes, snapshot_counts

logger = logging.getLogger(__name__)

# Generation directories kept on disk (the active one, and earlier ones to roll back to).
KEEP_GENERATIONS = 10
_PENDING_ATTR = "_cqs_lgsp_publish_pending"
# How long a process about to exit waits for its background publication.
EXIT_WAIT_SECONDS = 30.0


def lgsp_dir() -> Path:
    path = Path(settings.CQS_LGSP_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _publish_lock():
    """One publisher at a time on this machine (web requests, the worker, the command line)."""
    with open(lgsp_dir() / "publish.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class BackgroundPublisher:
    """Publishes on one background thread per process, started when there is work.

    Requests that arrive while a publication runs are merged into the next one: a burst of
    changes makes at most two generations. Why a thread and not a task of the worker: the worker
    runs its tasks one after the other, and the minute task (log ingestion, HAProxy's reload wait)
    or an e-mail dispatch ahead of it in the queue would hold a revocation back for as long as
    they take; here it starts as soon as the transaction commits. What a thread loses if the
    process dies before it has published, the minute task publishes (docs/lgsp.md#publishing).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reasons: list[str] = []
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def submit(self, reason: str) -> None:
        with self._lock:
            self._reasons.append(reason)
            self._idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cqs-lgsp-publish", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """True once nothing is waiting or running (tests, and processes about to exit)."""
        return self._idle.wait(timeout)

    def _next_reason(self) -> str | None:
        with self._lock:
            if not self._reasons:
                self._thread = None
                self._idle.set()
                return None
            reasons, self._reasons = self._reasons, []
        if len(reasons) == 1:
            return reasons[0]
        return f"{reasons[0]} (+{len(reasons) - 1})"

    def _run(self) -> None:
        try:
            while (reason := self._next_reason()) is not None:
                try:
                    publish_now(reason=reason)
                except Exception:  # the change is committed; the minute task will publish it
                    logger.exception("LGSP: publishing after a registry change failed")
                finally:
                    connections.close_all()  # this thread's own connections
        finally:
            with self._lock:  # not left marked as running if something escaped
                if self._thread is threading.current_thread():
                    self._thread = None
                    self._idle.set()


background = BackgroundPublisher()
# A command that made changes (cqs demo, an import) finishes their publication before it exits.
atexit.register(background.wait_idle, EXIT_WAIT_SECONDS)


def _publish_after_commit(reason: str) -> None:
    if settings.CQS_LGSP_PUBLISH_IN_BACKGROUND:
        background.submit(reason)
        return
    try:
        publish_now(reason=reason)
    except Exception:  # the change is committed; the minute task will publish it
        logger.exception("LGSP: publishing after a registry change failed")


def request(*, reason: str) -> None:
    """Publish after the current transaction commits (once, however many changes it made)."""
    connection = transaction.get_connection()
    # A rolled-back transaction (or savepoint) drops its callbacks, so this finds only live ones.
    for entry in connection.run_on_commit:
        if getattr(entry[1], _PENDING_ATTR, False):
            return
    callback = functools.partial(_publish_after_commit, reason)
    setattr(callback, _PENDING_ATTR, True)
    transaction.on_commit(callback)


def validate_or_refuse() -> None:
    """Compile the registry as it stands inside this transaction and let the engine check it.

    Raises ``ServiceError("invalid_gateway_config")`` so that the change is rolled back.
    """
    snapshot = build_snapshot()
    try:
        engines.current().validate(snapshot)
    except engines.EngineError as exc:
        raise ServiceError(
            "invalid_gateway_config",
            _("Thay đổi này tạo ra cấu hình cổng kết nối không hợp lệ nên không được áp dụng: %(error)s")
            % {"error": exc.message},
        ) from exc


def _prune(generations: Path, keep: set[int]) -> None:
    numbered = sorted((int(p.name) for p in generations.iterdir() if p.name.isdigit()), reverse=True)
    for number in numbered[KEEP_GENERATIONS:]:
        if number not in keep:
            shutil.rmtree(generations / str(number), ignore_errors=True)


def publish_now(*, reason: str = "", force: bool = False) -> GatewayGeneration | None:
    """Compile and apply; None when the active generation already has this snapshot."""
    engine = engines.current()
    with _publish_lock():
        started = time.monotonic()
        snapshot = build_snapshot()
        data = snapshot_bytes(snapshot)  # once: 0.1 s for 1,000 services and 5,000 grants
        sha = hashlib.sha256(data).hexdigest()
        active = GatewayGeneration.objects.filter(status=GenerationStatus.ACTIVE).order_by("-number").first()
        if (
            not force
            and active is not None
            and active.snapshot_sha256 == sha
            and active.engine == engine.name
        ):
            return None
        last = GatewayGeneration.objects.order_by("-number").values_list("number", flat=True).first() or 0
        number = last + 1
        generations = lgsp_dir() / "generations"
        directory = generations / str(number)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "snapshot.json").write_bytes(data)
        compile_ms = int((time.monotonic() - started) * 1000)
        generation = GatewayGeneration(
            number=number,
            engine=engine.name,
            snapshot_sha256=sha,
            compile_ms=compile_ms,
            reason=reason[:200],
            **snapshot_counts(snapshot),
        )
        try:
            result = engine.apply(directory, snapshot)
        except engines.EngineError as exc:
            generation.status = GenerationStatus.ROLLED_BACK if exc.rolled_back else GenerationStatus.FAILED
            generation.error = exc.message
            generation.save()
            logger.error("LGSP: generation %s not applied: %s", number, exc.message)
            return generation
        generation.status = GenerationStatus.ACTIVE
        generation.reload_ms = result.reload_ms
        generation.error = result.note
        with transaction.atomic():
            GatewayGeneration.objects.filter(status=GenerationStatus.ACTIVE).update(
                status=GenerationStatus.REPLACED
            )
            generation.save()
        _prune(generations, keep={number, active.number if active else number})
        return generation
