"""``cqs demo``: load the demonstration data of every app, idempotently, and show the accounts."""

from importlib import import_module

from django.core.management.base import BaseCommand

# In dependency order: the units first, then the plan (lead units), then the accounts (units, roles),
# then the procedure catalogue (implementing units), then the documents (accounts, units).
LOADERS = (
    "cqs.orgs.demo",
    "cqs.plans.demo",
    "cqs.accounts.demo",
    "cqs.onestop.demo",
    "cqs.documents.demo",
    "cqs.reporting.demo",
    "cqs.lgsp.demo",
    "cqs.feedback.demo",
)
DEMO_PASSWORD = "demo-cqs-2026"  # noqa: S105 - published demo password, printed on purpose


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu minh họa (cây tổ chức, kế hoạch 326/KH-UBND, tài khoản minh họa). "
        "Chạy lại nhiều lần không thay đổi gì thêm."
    )

    def handle(self, *args, **options):
        def log(line: str) -> None:
            self.stdout.write(f"  {line}")

        # No outer transaction: each loader is atomic on its own, so a failure in a later one
        # keeps what the earlier ones loaded, and a rerun completes the rest.
        for module_name in LOADERS:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{module_name}.load_demo"))
            import_module(module_name).load_demo(log=log)

        accounts_demo = import_module("cqs.accounts.demo")
        accounts = accounts_demo.DEMO_ACCOUNTS
        password = getattr(accounts_demo, "DEMO_PASSWORD", DEMO_PASSWORD)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Tài khoản minh họa (mật khẩu: {password}):"))
        width = max((len(_field(account, "username")) for account in accounts), default=0)
        for account in accounts:
            name = _field(account, "full_name")
            role = _field(account, "role") or "công dân"
            unit = _field(account, "unit", "unit_label", "unit_name")
            line = f"  {_field(account, 'username'):<{width}}  {name} — {role}"
            self.stdout.write(f"{line} — {unit}" if unit else line)


def _field(account, *names: str) -> str:
    """The first of ``names`` that ``account`` has, as a dict key or an attribute."""
    for name in names:
        value = account.get(name) if isinstance(account, dict) else getattr(account, name, None)
        if value is not None:
            return str(value)
    return ""
