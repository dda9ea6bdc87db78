"""Data that changes with the law carries ``valid_from`` / ``valid_to``, half-open:
a row is in force on day ``d`` when ``valid_from <= d < valid_to`` (no ``valid_to``: still in force).

One definition for every app (org units, procedure versions, and later form templates and
report templates), so that "in force on" means the same everywhere.
"""

from datetime import date

from django.db import models


def still_in_force_after(on: date) -> models.Q:
    """Rows not ended by ``on``: ``valid_to`` is empty or later than ``on``."""
    return models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=on)


def in_force_on(on: date) -> models.Q:
    return models.Q(valid_from__lte=on) & still_in_force_after(on)


class ValidityQuerySet(models.QuerySet):
    def as_of(self, on: date):
        """Rows in force on date ``on``: ``valid_from <= on < valid_to``."""
        return self.filter(in_force_on(on))
