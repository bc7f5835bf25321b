import json
from pathlib import Path

import pytest

from casevault.domain import format_a_number, is_a_number, normalize_a_number
from casevault.errors import InvalidValue

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "a_numbers.json").read_text())


@pytest.mark.parametrize(("written", "canonical"), VECTORS["accepted"])
def test_accepted_writings_normalise_to_the_canonical_form(written: str, canonical: str) -> None:
    assert normalize_a_number(written) == canonical
    assert is_a_number(written)


@pytest.mark.parametrize("written", VECTORS["rejected"])
def test_rejected_writings_raise_without_repeating_the_input(written: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalize_a_number(written)
    assert not is_a_number(written)
    digits = "".join(ch for ch in written if ch.isdigit())
    if len(digits) >= 4:
        assert digits not in str(caught.value)


def test_display_form_groups_digits() -> None:
    assert format_a_number("A012345678") == "A-012-345-678"
    assert normalize_a_number(format_a_number("A012345678")) == "A012345678"
