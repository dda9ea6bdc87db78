import pytest
from django.core.exceptions import ValidationError

from cqs.orgs.validators import validate_identifier


@pytest.mark.parametrize(
    "code", ["000.00.00.H62", "000.00.01.H62", "000.01.40.H62", "000.00.00.G22", "123.45.67.A01"]
)
def test_well_formed_identifiers_pass(code):
    # given a 13-character code L4.L3.L2.L1 with a level-1 letter A–K, when validated, then no error
    validate_identifier(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "000.00.00.H6",  # 12 characters
        "000.00.00.H621",  # 14 characters
        "00.000.00.H62",  # groups in the wrong places
        "000.00.00.Z62",  # no such level-1 group
        "000.00.00.h62",  # lower case
        "000-00-00-H62",
        " 000.00.00.H62",
        "000.00.00.H62\n",
    ],
)
def test_malformed_identifiers_are_refused_with_a_stable_code(code):
    # given a malformed code, when validated, then it is refused with code invalid_identifier
    with pytest.raises(ValidationError) as excinfo:
        validate_identifier(code)
    assert excinfo.value.code == "invalid_identifier"
    assert "Quyết định 20/2020/QĐ-TTg" in excinfo.value.messages[0]
