"""``cqs orgs_reorganise FILE``: apply a reorganisation decision written as JSON, all or nothing.

The file is read by ``cqs.orgs.reorganisation_file`` and applied by ``orgunit_reorganise``; this
command only chooses the actor, rolls back a dry run and prints what changed.
"""

from __future__ import annotations

from argparse import RawDescriptionHelpFormatter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from django.db import transaction
from django.utils.translation import gettext as _

from cqs.audit.models import AuditEvent
from cqs.core.exceptions import ServiceError
from cqs.orgs.choices import SuccessionKind
from cqs.orgs.models import OrgUnit, ReorganisationEvent
from cqs.orgs.reorganisation_file import document_load, operations_from_document
from cqs.orgs.services import orgunit_reorganise

HELP = """\
Áp dụng một quyết định sắp xếp tổ chức (hợp nhất, chia tách, chuyển, đổi tên, giải thể) từ một
tệp JSON, trọn vẹn hoặc không gì cả. Lỗi: in mã lỗi và thông báo, thoát với mã khác 0, không ghi gì.

Tệp (UTF-8):
  {"event_name": "...", "legal_basis": "...", "effective_date": "YYYY-MM-DD", "note": "...",
   "new_units": {"<khóa>": <đơn vị mới>},
   "merges": [{"predecessors": [<đơn vị>, ...], "successor": <đơn vị hoặc đơn vị mới>}],
   "splits": [{"predecessor": <đơn vị>, "successors": [<đơn vị hoặc đơn vị mới>, ...]}],
   "moves": [{"unit": <đơn vị>, "new_parent": <đơn vị hoặc đơn vị mới, null = cấp gốc>}],
   "renames": [{"unit": <đơn vị>, "new_name": "...", "new_short_name": "... (không bắt buộc)"}],
   "dissolutions": [{"unit": <đơn vị>, "successor": <không bắt buộc>}]}
  <đơn vị>       {"identifier": "000.00.40.H62"} (phiên bản còn hiệu lực ngày trước ngày hiệu lực)
                 hoặc {"id": 123}
  <đơn vị mới>   {"new_unit": "<khóa trong new_units>"}: cùng một đơn vị dù được nêu nhiều lần;
                 hoặc {"new": {"kind": "xa", "name": "...", "short_name": "", "identifier": "",
                 "identifier_source": "official (mặc định)|derived|demo", "division_code": "", "parent":
                 <đơn vị hoặc đơn vị mới>, "source": ""}} (kind, name bắt buộc)
Chỉ có event_name, legal_basis, effective_date là bắt buộc; khóa lạ bị từ chối.
Xem docs/operations.md, mục "Áp dụng một quyết định sắp xếp tổ chức".
"""


class _HelpFormatter(DjangoHelpFormatter, RawDescriptionHelpFormatter):
    """Keeps the line breaks of the format description above."""


class _DryRun(Exception):
    """Not an error: raised at the end of a dry run so that ``atomic`` rolls everything back."""

    def __init__(self, changes: dict) -> None:
        self.changes = changes


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        return super().create_parser(prog_name, subcommand, formatter_class=_HelpFormatter, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help="Tệp JSON mô tả quyết định.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Chạy thử: kiểm tra và in những gì sẽ thay đổi, rồi hoàn tác; không ghi gì.",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="Tài khoản được ghi là người thực hiện trong nhật ký kiểm toán (mặc định: hệ thống).",
        )

    def handle(self, *args, file: str, dry_run: bool, actor: str | None, **options):
        try:
            user = _actor(actor)
            # Refs are resolved before anything is written: a bad file stops here.
            operations = operations_from_document(document_load(file))
            with transaction.atomic():
                event = orgunit_reorganise(**operations, actor=user)
                changes = _changes(event)
                if dry_run:
                    raise _DryRun(changes)
        except _DryRun as rolled_back:
            self._report(rolled_back.changes, dry_run=True)
            return
        except ServiceError as exc:
            raise CommandError(f"{exc.error_code}: {exc.detail}") from exc
        self._report(changes, dry_run=False)

    def _report(self, changes: dict, *, dry_run: bool) -> None:
        event = changes["event"]
        ended, created, links = changes["ended"], changes["created"], changes["links"]
        counts = f"{len(ended)} đơn vị chấm dứt, {len(created)} đơn vị mới, {len(links)} quan hệ kế thừa"
        title = f"“{event.name}” ngày {event.effective_date:%d/%m/%Y}"
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Chạy thử sự kiện {title}: sẽ có {counts}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Đã áp dụng sự kiện #{event.pk} {title}: {counts}."))
        self.stdout.write(f"Đơn vị chấm dứt ({len(ended)}):")
        for unit in ended:
            self.stdout.write(f"  - {_label(unit)}")
        self.stdout.write(f"Đơn vị mới ({len(created)}):")
        for unit in created:
            parent = f" (thuộc {unit.parent.name})" if unit.parent else ""
            self.stdout.write(f"  + {_label(unit)}{parent}")
        self.stdout.write(f"Quan hệ kế thừa ({len(links)}):")
        for predecessor, successor, kind in links:
            self.stdout.write(f"  {_label(predecessor)} → {_label(successor)}: {SuccessionKind(kind).label}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Chạy thử (--dry-run): đã hoàn tác, không ghi gì."))


def _actor(username: str | None):
    if username is None:
        return None
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None or not user.is_active:
        raise ServiceError(
            "unknown_actor",
            _("--actor: không có tài khoản đang hoạt động nào tên “%(username)s”.") % {"username": username},
        )
    return user


def _changes(event: ReorganisationEvent) -> dict:
    """What the event ended, created and linked, read while its transaction is still open.

    The event's own audit record is the one place that lists all of it: a unit dissolved without
    successor has no ``Succession`` row, and an end date alone does not tell which event set it.
    """
    summary = AuditEvent.objects.get(
        action="orgs.reorganise", object_type=ReorganisationEvent._meta.label_lower, object_id=str(event.pk)
    ).after
    pks = {*summary["ended"], *summary["created"]}
    pks.update(pk for link in summary["successions"] for pk in link[:2])
    units = OrgUnit.objects.select_related("parent").in_bulk(pks)
    return {
        "event": event,
        "ended": [units[pk] for pk in summary["ended"]],
        "created": [units[pk] for pk in summary["created"]],
        "links": [(units[pred], units[succ], kind) for pred, succ, kind in summary["successions"]],
    }


def _label(unit: OrgUnit) -> str:
    return f"{unit.name} [{unit.identifier}]" if unit.identifier else f"{unit.name} [id {unit.pk}]"
