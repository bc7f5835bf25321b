import pytest

from casevault.domain import fold, name_key


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("José", "jose"),
        ("PÉREZ", "perez"),
        ("Núñez-García", "nunez garcia"),
        ("O'Brien", "o brien"),
        ("  María   José ", "maria jose"),
        ("Straße", "strasse"),
        ("ÇAĞLAR", "caglar"),
        ("Nguyễn", "nguyen"),
        ("", ""),
    ],
)
def test_fold_removes_case_accents_and_punctuation(written: str, folded: str) -> None:
    assert fold(written) == folded


def test_name_key_is_family_then_given() -> None:
    assert name_key("Pérez López", "José") == "perez lopez jose"
    assert name_key("PEREZ LOPEZ", "JOSE") == name_key("Pérez López", "José")


def test_name_key_of_anonymous_person_is_none() -> None:
    assert name_key(None, None) is None
    assert name_key("", "  ") is None


def test_mononym_keeps_the_one_name() -> None:
    assert name_key("Suharto", None) == "suharto"
