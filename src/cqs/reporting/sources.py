"""Indicators the platform already knows, computed from other modules' records.

Each source takes the reporting unit and the report's data window ``[start, end]`` (dates,
inclusive, Vietnam time) and returns a number: a count of the records of the unit's whole subtree
(every unit whose ``path`` starts with the unit's), so a commune, a district, a department or the
province all work. ``source_note`` says where the number came from, shown next to the cell.

A source of a module not built yet is listed with ``compute=None`` (``available`` is False) and is
never filled: the form shows ``hint`` (e.g. "chưa có phân hệ phản ánh, kiến nghị"). No number is
ever made up for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    module: str
    compute: Callable[..., Decimal] | None = None
    # What the number counts, for the note: "hồ sơ tiếp nhận" gives
    # "Một cửa: 12 hồ sơ tiếp nhận 15/02–14/03/2026".
    counts: str = ""
    # Shown instead of a number while the module does not exist.
    missing: str = ""
    # A stock counted on the window's last day (open dossiers, procedures), not a flow over it.
    stock: bool = False

    @property
    def available(self) -> bool:
        return self.compute is not None

    @property
    def hint(self) -> str:
        """What the form says next to a row bound to this source."""
        if self.available:
            return gettext("Tự động từ phân hệ %(module)s: %(label)s") % {
                "module": self.module,
                "label": self.label,
            }
        return str(self.missing or gettext("Chưa có phân hệ %(module)s") % {"module": self.module})

    def describe(self, *, value: Decimal, start: date, end: date) -> str:
        number = f"{int(value):,}".replace(",", ".") if value == value.to_integral() else str(value)
        if self.stock:
            return gettext("%(module)s: %(value)s %(counts)s ngày %(end)s") % {
                "module": self.module,
                "value": number,
                "counts": self.counts or self.label,
                "end": f"{end:%d/%m/%Y}",
            }
        return gettext("%(module)s: %(value)s %(counts)s %(start)s–%(end)s") % {
            "module": self.module,
            "value": number,
            "counts": self.counts or self.label,
            "start": f"{start:%d/%m}" if start.year == end.year else f"{start:%d/%m/%Y}",
            "end": f"{end:%d/%m/%Y}",
        }


SOURCES: dict[str, Source] = {}


def register(
    key: str,
    label: str,
    module: str,
    compute: Callable[..., Decimal] | None = None,
    *,
    counts: str = "",
    missing: str = "",
    stock: bool = False,
) -> None:
    SOURCES[key] = Source(
        key=key,
        label=label,
        module=module,
        compute=compute,
        counts=counts,
        missing=missing,
        stock=stock,
    )


def source_value(key: str, *, unit, start: date, end: date) -> Decimal | None:
    source = SOURCES.get(key)
    if source is None or source.compute is None:
        return None
    return Decimal(source.compute(unit=unit, start=start, end=end))


def source_note(key: str, *, value: Decimal, start: date, end: date) -> str:
    source = SOURCES.get(key)
    return source.describe(value=value, start=start, end=end) if source is not None else ""


# --- helpers ---------------------------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start, end]`` as moments ``[midnight of start, midnight after end)``, local time."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def _subtree(unit, field: str = "unit") -> Q:
    return Q(**{f"{field}__path__startswith": unit.path})


# --- one-stop (cqs.onestop): the statistics module's own conditions ---------------------------


def _dossier_count(*buckets: str):
    """A compute summing buckets of ``cqs.onestop.statistics.bucket_conditions`` (the same
    conditions as the one-stop statistics page, so the two never disagree)."""

    def compute(*, unit, start: date, end: date) -> Decimal:
        from cqs.onestop.models import Dossier
        from cqs.onestop.statistics import bucket_conditions

        begin, finish = _bounds(start, end)
        conditions = bucket_conditions(start=begin, end=finish, as_at=min(finish, timezone.now()))
        aggregates = {name: Count("pk", filter=conditions[name]) for name in buckets}
        counts = Dossier.objects.filter(_subtree(unit)).aggregate(**aggregates)
        return Decimal(sum(counts.values()))

    return compute


def _procedures_full_online(*, unit, start: date, end: date) -> Decimal:
    """Procedures implemented by a unit of the subtree whose version in force on ``end`` is
    offered fully online (Decree 42/2022 Art. 11)."""
    from cqs.onestop.choices import OnlineLevel
    from cqs.onestop.models import Procedure, ProcedureVersion

    in_force = ProcedureVersion.objects.as_of(end).filter(
        procedure=OuterRef("pk"), online_level=OnlineLevel.FULL
    )
    procedures = Procedure.objects.filter(_subtree(unit, "units")).filter(Exists(in_force))
    return Decimal(procedures.distinct().count())


# --- documents (cqs.documents), Decree 30/2020 -----------------------------------------------


def _outgoing(*, unit, start: date, end: date, signed: bool = False) -> Decimal:
    from cqs.documents.choices import Direction, FileRole, OutgoingState
    from cqs.documents.models import Document, DocumentFile

    documents = Document.objects.filter(
        _subtree(unit),
        direction=Direction.OUTGOING,
        # A recalled document was issued all the same.
        state__in=[OutgoingState.ISSUED, OutgoingState.RECALLED],
        issued_date__gte=start,
        issued_date__lte=end,
    )
    if signed:
        files = DocumentFile.objects.filter(document=OuterRef("pk"), role=FileRole.MAIN, signed=True)
        documents = documents.filter(Exists(files))
    return Decimal(documents.count())


def _outgoing_signed(*, unit, start: date, end: date) -> Decimal:
    return _outgoing(unit=unit, start=start, end=end, signed=True)


def _incoming(*, unit, start: date, end: date, axis: bool = False) -> Decimal:
    from cqs.documents.choices import Channel, Direction
    from cqs.documents.models import Document

    begin, finish = _bounds(start, end)
    documents = Document.objects.filter(
        _subtree(unit),
        direction=Direction.INCOMING,
        register__isnull=False,  # registered: it has an arrival number (Art. 22)
        arrival_date__gte=begin,
        arrival_date__lt=finish,
    )
    if axis:
        documents = documents.filter(channel=Channel.AXIS)
    return Decimal(documents.count())


def _incoming_axis(*, unit, start: date, end: date) -> Decimal:
    return _incoming(unit=unit, start=start, end=end, axis=True)


# --- citizen feedback (cqs.feedback): the statistics module's own selector ---------------------


def _feedback_count(figure: str):
    """A compute reading one figure of ``cqs.feedback.statistics.feedback_counts`` (the conditions
    of the feedback statistics page): ``received`` and the outcomes count the reports received in
    the window; ``answered_in_period`` those answered in it, whenever received."""

    def compute(*, unit, start: date, end: date) -> Decimal:
        from cqs.feedback.statistics import feedback_counts

        return Decimal(feedback_counts(unit=unit, start=start, end=end)[figure])

    return compute


ONESTOP = _("Một cửa")
DOCUMENTS = _("Văn bản điều hành")
FEEDBACK = _("Phản ánh, kiến nghị")

register(
    "onestop.received",
    _("Số hồ sơ tiếp nhận mới trong kỳ"),
    ONESTOP,
    _dossier_count("received_new"),
    counts=_("hồ sơ tiếp nhận"),
)
register(
    "onestop.received_online",
    _("Số hồ sơ tiếp nhận trực tuyến"),
    ONESTOP,
    _dossier_count("received_online"),
    counts=_("hồ sơ tiếp nhận trực tuyến"),
)
register(
    "onestop.resolved",
    _("Số hồ sơ đã giải quyết"),
    ONESTOP,
    _dossier_count("processed"),
    counts=_("hồ sơ đã giải quyết"),
)
register(
    "onestop.resolved_on_time",
    _("Số hồ sơ giải quyết trước và đúng hạn"),
    ONESTOP,
    _dossier_count("processed_early", "processed_on_time"),
    counts=_("hồ sơ giải quyết trước, đúng hạn"),
)
register(
    "onestop.resolved_late",
    _("Số hồ sơ giải quyết quá hạn"),
    ONESTOP,
    _dossier_count("processed_late"),
    counts=_("hồ sơ giải quyết quá hạn"),
)
register(
    "onestop.overdue",
    _("Số hồ sơ đang giải quyết đã quá hạn (cuối kỳ)"),
    ONESTOP,
    _dossier_count("in_progress_overdue"),
    counts=_("hồ sơ đang giải quyết đã quá hạn"),
    stock=True,
)
register(
    "onestop.procedures_full_online",
    _("Số thủ tục cung cấp dịch vụ công trực tuyến toàn trình"),
    ONESTOP,
    _procedures_full_online,
    counts=_("thủ tục trực tuyến toàn trình"),
    stock=True,
)
register(
    "documents.outgoing_issued",
    _("Số văn bản đi đã phát hành"),
    DOCUMENTS,
    _outgoing,
    counts=_("văn bản đi phát hành"),
)
register(
    "documents.outgoing_signed",
    _("Số văn bản đi đã ký số"),
    DOCUMENTS,
    _outgoing_signed,
    counts=_("văn bản đi có chữ ký số"),
)
register(
    "documents.incoming_registered",
    _("Số văn bản đến đã vào sổ"),
    DOCUMENTS,
    _incoming,
    counts=_("văn bản đến vào sổ"),
)
register(
    "documents.incoming_axis",
    _("Số văn bản đến qua trục liên thông"),
    DOCUMENTS,
    _incoming_axis,
    counts=_("văn bản đến qua trục liên thông"),
)
register(
    "feedback.received",
    _("Số phản ánh, kiến nghị tiếp nhận"),
    FEEDBACK,
    _feedback_count("received"),
    counts=_("phản ánh, kiến nghị tiếp nhận"),
)
register(
    "feedback.resolved",
    _("Số phản ánh, kiến nghị đã xử lý"),
    FEEDBACK,
    _feedback_count("answered_in_period"),
    counts=_("phản ánh, kiến nghị đã trả lời"),
)
register(
    "feedback.resolved_on_time",
    _("Số phản ánh, kiến nghị tiếp nhận trong kỳ đã trả lời đúng hạn"),
    FEEDBACK,
    _feedback_count("answered_on_time"),
    counts=_("phản ánh, kiến nghị trả lời đúng hạn"),
)
