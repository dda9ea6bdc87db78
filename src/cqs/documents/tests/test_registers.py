"""Register books: numbers per unit, year, direction and secrecy, never duplicated nor skipped."""

import threading

import pytest
from django.db import connection, transaction

from cqs.documents.choices import Direction, Secrecy
from cqs.documents.models import RegisterBook
from cqs.documents.services import register_number_take

pytestmark = pytest.mark.django_db


def take(unit, *, year=2026, direction=Direction.OUTGOING, secrecy=Secrecy.NONE):
    with transaction.atomic():
        return register_number_take(unit=unit, year=year, direction=direction, secrecy=secrecy)[1]


def test_each_book_counts_from_one(office):
    assert [take(office.province) for _ in range(3)] == [1, 2, 3]
    assert take(office.province, direction=Direction.INCOMING) == 1
    assert take(office.province, secrecy=Secrecy.SECRET) == 1
    assert take(office.province, year=2027) == 1
    assert take(office.department) == 1
    assert RegisterBook.objects.count() == 5


def test_a_rolled_back_issue_gives_its_number_back(office):
    take(office.province)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        register_number_take(unit=office.province, year=2026, direction=Direction.OUTGOING, secrecy=0)
        raise Undo

    assert take(office.province) == 2


@pytest.mark.django_db(transaction=True)
def test_a_number_outside_a_transaction_is_refused():
    from cqs.orgs.tests.factories import OrgUnitFactory

    with pytest.raises(RuntimeError):
        register_number_take(unit=OrgUnitFactory(), year=2026, direction=Direction.OUTGOING, secrecy=0)


THREADS, CALLS = 6, 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_clerks_get_every_number_once_even_when_some_roll_back():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads cannot share SQLite's in-memory test database; CI runs this on PostgreSQL")
    from cqs.orgs.tests.factories import OrgUnitFactory

    unit = OrgUnitFactory(short_name="UBND")
    kept: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    class Undo(Exception):
        pass

    def worker(index):
        try:
            start.wait()
            for call in range(CALLS):
                try:
                    with transaction.atomic():
                        _book, number = register_number_take(
                            unit=unit, year=2026, direction=Direction.OUTGOING, secrecy=0
                        )
                        if (index + call) % 5 == 0:
                            raise Undo  # a failed issue: its number must go to the next one
                    with lock:
                        kept.append(number)
                except Undo:
                    pass
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(kept) == list(range(1, len(kept) + 1))
    assert RegisterBook.objects.get(unit=unit).last_number == len(kept)
