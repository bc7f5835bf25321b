"""Notice templates: English and Spanish for persons and attorneys, with known placeholders."""

from __future__ import annotations

import pytest

from casevault.breach.notices import NOTICE_FIELDS, notice_template, template_languages


@pytest.mark.parametrize("kind", ["person", "attorney"])
def test_english_and_spanish_exist_for_each_recipient(kind: str) -> None:
    assert {"eng", "spa"} <= template_languages(kind)


@pytest.mark.parametrize("kind", ["person", "attorney"])
@pytest.mark.parametrize("language", ["eng", "spa"])
def test_every_placeholder_is_one_a_run_fills(kind: str, language: str) -> None:
    template = notice_template(kind, language)
    assert template.is_valid()
    used = set(template.get_identifiers())
    assert used <= NOTICE_FIELDS and {"notice_id", "contact", "exposed"} <= used
