import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from cqs.core.counters import DOSSIER_CODE_SCOPE, counter_next, dossier_code_next
from cqs.core.exceptions import ServiceError
from cqs.core.models import Counter

AGENCY = "000.00.00.H62"
DAY = dt.date(2026, 11, 27)


@pytest.mark.django_db
def test_a_new_counter_starts_at_one_and_increments_by_one():
    assert [counter_next(scope="s", key="k") for _ in range(3)] == [1, 2, 3]
    assert Counter.objects.get(scope="s", key="k").value == 3


@pytest.mark.django_db
def test_keys_and_scopes_are_independent():
    counter_next(scope="s", key="a")
    counter_next(scope="s", key="a")
    assert counter_next(scope="s", key="b") == 1
    assert counter_next(scope="other", key="a") == 1
    assert counter_next(scope="s", key="a") == 3


@pytest.mark.django_db
def test_a_rolled_back_transaction_does_not_consume_the_number():
    assert counter_next(scope="s", key="k") == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert counter_next(scope="s", key="k") == 2
        raise RuntimeError("the dossier could not be saved")
    # The failed dossier's number is handed out again: no gap among committed numbers.
    assert counter_next(scope="s", key="k") == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("scope", "key"), [("", "k"), ("s", ""), ("s" * 101, "k"), ("s", None)])
def test_an_invalid_scope_or_key_is_refused_and_nothing_is_written(scope, key):
    with pytest.raises(ValueError):
        counter_next(scope=scope, key=key)
    assert not Counter.objects.exists()


@pytest.mark.django_db
def test_dossier_codes_follow_circular_01_2018_per_agency_per_day():
    first = dossier_code_next(agency_identifier=AGENCY, on=DAY)
    second = dossier_code_next(agency_identifier=AGENCY, on=DAY)
    next_day = dossier_code_next(agency_identifier=AGENCY, on=DAY + dt.timedelta(days=1))
    other_agency = dossier_code_next(agency_identifier="000.00.01.H62", on=DAY)
    assert (first, second) == ("000.00.00.H62-261127-0001", "000.00.00.H62-261127-0002")
    assert next_day == "000.00.00.H62-261128-0001"
    assert other_agency == "000.00.01.H62-261127-0001"
    assert Counter.objects.get(scope=DOSSIER_CODE_SCOPE, key=f"{AGENCY}-261127").value == 2


@pytest.mark.django_db
def test_dossier_numbers_widen_past_9999():
    Counter.objects.create(scope=DOSSIER_CODE_SCOPE, key=f"{AGENCY}-261127", value=9998)
    assert dossier_code_next(agency_identifier=AGENCY, on=DAY) == "000.00.00.H62-261127-9999"
    assert dossier_code_next(agency_identifier=AGENCY, on=DAY) == "000.00.00.H62-261127-10000"


@pytest.mark.django_db
@pytest.mark.parametrize("agency", ["", "H62", "000.00.00.h62", "000-00-00-H62", None])
def test_an_invalid_agency_identifier_is_refused_with_a_vietnamese_message(agency):
    with pytest.raises(ServiceError) as caught:
        dossier_code_next(agency_identifier=agency, on=DAY)
    assert caught.value.error_code == "invalid_identifier"
    assert caught.value.field == "agency_identifier"
    assert "Mã định danh điện tử" in caught.value.detail
    assert not Counter.objects.exists()


@pytest.mark.django_db
def test_a_missing_date_is_refused():
    with pytest.raises(ServiceError) as caught:
        dossier_code_next(agency_identifier=AGENCY, on="2026-11-27")
    assert caught.value.error_code == "dossier_code_date_invalid"
    assert not Counter.objects.exists()


THREADS, CALLS = 8, 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_get_every_number_exactly_once():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads cannot share SQLite's in-memory test database; CI runs this on PostgreSQL")
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker():
        try:
            start.wait()
            for _ in range(CALLS):
                with transaction.atomic():
                    value = counter_next(scope="race", key="k")
                with lock:
                    results.append(value)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == list(range(1, THREADS * CALLS + 1))
    assert Counter.objects.get(scope="race", key="k").value == THREADS * CALLS
