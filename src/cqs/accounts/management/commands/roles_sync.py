"""``cqs roles_sync``: create or update the roles described in ``accounts/data/roles.json``."""

from django.core.management.base import BaseCommand, CommandError

from cqs.accounts.services import ROLES_FILE, role_definitions_load, role_sync
from cqs.core.exceptions import ServiceError


class Command(BaseCommand):
    help = "Create or update roles from a JSON file (default: the shipped accounts/data/roles.json)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(ROLES_FILE), help="Role definitions (JSON).")

    def handle(self, *args, file: str, **options):
        try:
            result = role_sync(definitions=role_definitions_load(file))
        except ServiceError as exc:
            raise CommandError(f"{exc.error_code}: {exc.detail}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"roles: {len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged"
            )
        )
        for code in result.created:
            self.stdout.write(f"  + {code}")
        for code in result.updated:
            self.stdout.write(f"  ~ {code}")
