import pytest

from cqs.core.testing import clamd_running


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory):
    """The socket of one clamd for the whole run, loaded with the EICAR test signatures.

    Skipped where clamd is not installed, failed instead when ``CI`` is set. Point the code
    under test at it with ``settings.CQS_CLAMD = clamd_address``.
    """
    with clamd_running(tmp_path_factory.mktemp("clamd")) as address:
        yield address
