"""``cqs audit verify``: recompute the hash chain of the audit trail and report the first break.

``cqs audit protect`` (re)installs the database triggers that refuse UPDATE and DELETE on the
trail, e.g. after a migration rebuilt the table on SQLite.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cqs.audit import triggers
from cqs.audit.selectors import audit_append_only_installed, audit_chain_verify


class Command(BaseCommand):
    help = "Audit trail tools: `verify` checks the hash chain, `protect` installs the append-only triggers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,protect}")
        sub.add_parser("verify", help="Recompute every hash in id order; exit 1 at the first broken link.")
        sub.add_parser("protect", help="Install the triggers that make audit_auditevent append-only.")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "protect":
            triggers.install(connection)
            self.stdout.write(self.style.SUCCESS("append-only triggers installed on audit_auditevent"))
            return
        self.verify()

    def verify(self) -> None:
        if audit_append_only_installed() is False:
            self.stderr.write(
                self.style.WARNING(
                    "warning: the append-only triggers on audit_auditevent are missing; "
                    "reinstall them with `cqs audit protect`"
                )
            )
        result = audit_chain_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {result.count} audit events, hash chain intact"))
            return
        self.stderr.write(
            self.style.ERROR(f"BROKEN after {result.count} good events: {result.first_break.describe()}")
        )
        raise CommandError("audit chain verification failed", returncode=1)
