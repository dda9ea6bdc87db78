import pytest
from django.db import transaction

from cqs.audit.services import audit_record


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def record(n: int = 1, *, action: str = "test.change", **kwargs):
    """Append ``n`` events, each in its own transaction as a service would."""
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    action=action,
                    object_type="test.thing",
                    object_id=str(i + 1),
                    object_repr=f"Vật {i + 1}",
                    before={"value": i},
                    after={"value": i + 1, "note": "Đã sửa"},
                    **kwargs,
                )
            )
    return events
