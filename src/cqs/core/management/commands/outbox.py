"""``cqs outbox``: look at and drive the outbox of messages to outside systems.

``dispatch`` delivers the due messages now (what the background task does), ``status`` counts
messages per topic and status, ``retry ID`` makes a failed message due again.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min

from cqs.core import outbox
from cqs.core.exceptions import ServiceError
from cqs.core.models import OutboxMessage, OutboxStatus


class Command(BaseCommand):
    help = "Outbox tools: `dispatch` delivers due messages, `status` counts them, `retry ID` re-queues one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{dispatch,status,retry}")
        dispatch = sub.add_parser("dispatch", help="Deliver due pending messages until none is left.")
        dispatch.add_argument(
            "--batch", type=int, default=50, help="Messages claimed per round (default 50)."
        )
        dispatch.add_argument(
            "--once", action="store_true", help="Only one round of at most --batch messages."
        )
        sub.add_parser(
            "status", help="Messages per topic and status, the oldest pending one, recent failures."
        )
        retry = sub.add_parser("retry", help="Make a failed message due now with a fresh count of attempts.")
        retry.add_argument("id", type=int)

    def handle(self, *args, subcommand: str, **options):
        getattr(self, subcommand)(**options)

    def dispatch(self, *, batch: int, once: bool, **options) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        total = outbox.DispatchCounts()
        while True:
            counts = outbox.outbox_dispatch(batch=batch)
            total.delivered += counts.delivered
            total.retried += counts.retried
            total.failed += counts.failed
            # A message that fails is rescheduled later, so each round only sees new work.
            if once or counts.claimed < batch:
                break
        self.stdout.write(
            f"delivered {total.delivered}, will retry {total.retried}, failed permanently {total.failed}"
        )

    def status(self, **options) -> None:
        rows = (
            OutboxMessage.objects.values("topic", "status")
            .annotate(count=Count("id"), oldest=Min("created_at"))
            .order_by("topic", "status")
        )
        if not rows:
            self.stdout.write("outbox empty")
        for row in rows:
            self.stdout.write(
                f"{row['topic']:<40} {row['status']:<10} {row['count']:>8}"
                f"  oldest {row['oldest']:%Y-%m-%d %H:%M}"
            )
        for message in OutboxMessage.objects.filter(status=OutboxStatus.FAILED).order_by("-id")[:10]:
            self.stdout.write(
                self.style.WARNING(
                    f"failed #{message.pk} {message.topic} after {message.attempts} attempts: "
                    f"{message.last_error}"
                )
            )

    def retry(self, *, id: int, **options) -> None:
        try:
            message = outbox.outbox_message_retry(message_id=id)
        except ServiceError as exc:
            raise CommandError(f"{exc.error_code}: {exc.detail}") from None
        self.stdout.write(self.style.SUCCESS(f"message #{message.pk} ({message.topic}) is due again"))
