"""Names of respondents and staff, drawn once from Faker and combined with a seeded Random.

Faker is slow per call, so each locale is asked a few hundred times up front and
the generator then picks from those pools. Names keep the spelling of their
culture (José Pérez Núñez, João da Silva) because later features match names
across accent and spelling variants; Cyrillic names are transliterated to the
Latin script US court records use, and Chinese names are romanised.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Final

from faker import Faker

from casevault.synth._draw import pick

_POOL_SIZE: Final = 400


class Naming(Enum):
    """How a culture composes full names (which decides aliases and family names)."""

    SPANISH = "spanish"        # two family names, paternal then maternal
    PORTUGUESE = "portuguese"  # often two family names, maternal then paternal
    SLAVIC = "slavic"          # gendered family names, transliterated
    CHINESE = "chinese"        # family name first when written natively
    SINGLE = "single"          # one given and one family name


@dataclass(frozen=True, slots=True)
class Nationality:
    """A nationality's share of the docket, its name pool and its languages."""

    code: str
    weight: float
    pool: str
    naming: Naming
    languages: tuple[tuple[str, float], ...]


NATIONALITIES: Final = (
    Nationality("MX", 14, "es_MX", Naming.SPANISH, (("spa", 96), ("eng", 2), ("nhe", 2))),
    Nationality("GT", 12, "es_MX", Naming.SPANISH,
                (("spa", 68), ("mam", 13), ("quc", 11), ("kek", 8))),
    Nationality("HN", 12, "es_MX", Naming.SPANISH, (("spa", 98), ("eng", 2))),
    Nationality("SV", 8, "es_MX", Naming.SPANISH, (("spa", 99), ("eng", 1))),
    Nationality("VE", 10, "es_CO", Naming.SPANISH, (("spa", 100),)),
    Nationality("CU", 7, "es_ES", Naming.SPANISH, (("spa", 100),)),
    Nationality("EC", 7, "es_CO", Naming.SPANISH, (("spa", 92), ("qug", 8))),
    Nationality("CO", 6, "es_CO", Naming.SPANISH, (("spa", 100),)),
    Nationality("HT", 5, "fr_FR", Naming.SINGLE, (("hat", 90), ("fra", 10))),
    Nationality("NI", 4, "es_MX", Naming.SPANISH, (("spa", 100),)),
    Nationality("IN", 3, "en_IN", Naming.SINGLE, (("pan", 45), ("hin", 40), ("guj", 15))),
    Nationality("CN", 3, "zh_CN", Naming.CHINESE, (("cmn", 70), ("cdo", 20), ("yue", 10))),
    Nationality("BR", 3, "pt_BR", Naming.PORTUGUESE, (("por", 100),)),
    Nationality("DO", 2, "es_ES", Naming.SPANISH, (("spa", 100),)),
    Nationality("PE", 2, "es_CO", Naming.SPANISH, (("spa", 100),)),
    Nationality("RU", 1.5, "ru_RU", Naming.SLAVIC, (("rus", 100),)),
    Nationality("UA", 1.5, "uk_UA", Naming.SLAVIC, (("ukr", 55), ("rus", 45))),
    Nationality("AF", 1, "af", Naming.SINGLE, (("prs", 60), ("pus", 40))),
    Nationality("TR", 1, "tr_TR", Naming.SINGLE, (("tur", 80), ("kmr", 20))),
    Nationality("RO", 0.5, "ro_RO", Naming.SINGLE, (("ron", 70), ("rom", 30))),
)

STAFF_POOLS: Final = (("en_US", 70), ("es_MX", 14), ("en_IN", 5), ("zh_CN", 4), ("fr_FR", 3),
                      ("pt_BR", 2), ("ru_RU", 2))
"""Name pools of staff and attorneys: mostly en_US, some from the communities they serve."""

_AFGHAN_MALE: Final = (
    "Ahmad", "Mohammad", "Abdul", "Farid", "Hamid", "Jawad", "Karim", "Mustafa", "Nasir",
    "Omid", "Rahim", "Sayed", "Shafiq", "Wahid", "Zabihullah", "Habibullah", "Naveed",
    "Rashid", "Sohail", "Tariq", "Ajmal", "Bilal", "Fawad", "Hekmat", "Idris", "Masood",
)
_AFGHAN_FEMALE: Final = (
    "Zahra", "Fatima", "Maryam", "Nargis", "Parwana", "Shabnam", "Soraya", "Farzana",
    "Laila", "Mina", "Nadia", "Roya", "Sadia", "Tahmina", "Zarghona", "Freshta", "Homa",
    "Mahnaz", "Nilofar", "Sima", "Khadija", "Marzia",
)
_AFGHAN_FAMILY: Final = (
    "Ahmadi", "Hakimi", "Karimi", "Noori", "Rahimi", "Safi", "Sultani", "Wardak", "Hashimi",
    "Habibi", "Amiri", "Azizi", "Haidari", "Jalali", "Mohammadi", "Nazari", "Popal", "Qaderi",
    "Rasuli", "Stanekzai", "Yousufi", "Samadi", "Niazi", "Durrani", "Barakzai", "Mangal",
    "Sharifi", "Faizi", "Sadat", "Rezai",
)
_SPELLING_VARIANTS: Final = {
    "Mohammad": "Muhammad", "Ahmadi": "Ahmady", "Noori": "Nuri", "Yousufi": "Yusufi",
    "Zahra": "Zohra", "Fatima": "Fatema", "Hashimi": "Hashemi", "Rahimi": "Rahemi",
    "Mohammadi": "Mohamadi", "Masood": "Masud", "Khadija": "Khadeeja", "Sayed": "Said",
}
"""Common alternative romanisations of Dari and Pashto names."""

_RUSSIAN_LATIN: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}
"""Russian to Latin, close to BGN/PCGN (the usual writing in US records)."""

_UKRAINIAN_LATIN: Final = {
    **_RUSSIAN_LATIN, "г": "h", "ґ": "g", "е": "e", "є": "ye", "и": "y", "і": "i", "ї": "yi",
    "й": "y", "'": "", "’": "", "ʼ": "",
}
"""Ukrainian to Latin, after the 2010 national system (word-initial forms throughout)."""

def transliterate(text: str, table: dict[str, str]) -> str:
    """Cyrillic to Latin letters; a capital letter's digraph keeps only its first capital."""
    out: list[str] = []
    for char in text:
        lower = char.lower()
        latin = table.get(lower, char)
        out.append(latin.capitalize() if char != lower else latin)
    return "".join(out)


def strip_accents(text: str) -> str:
    """``José Núñez`` -> ``Jose Nunez``: how many US forms record Spanish names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class NamePool:
    """Given and family names of one culture (family names by sex where they differ)."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    family_male: tuple[str, ...]
    family_female: tuple[str, ...]

    def given(self, rng: random.Random, female: bool) -> str:
        return pick(rng, self.female if female else self.male)

    def family(self, rng: random.Random, female: bool) -> str:
        return pick(rng, self.family_female if female else self.family_male)


def _draw(faker: Faker, method: str) -> tuple[str, ...]:
    call = getattr(faker, method)
    return tuple(str(call()) for _ in range(_POOL_SIZE))


def _faker_pool(locale: str, seed: int) -> NamePool:
    faker = Faker(locale)
    faker.seed_instance(seed)
    if locale == "zh_CN":
        return NamePool(_draw(faker, "first_romanized_name"), _draw(faker, "first_romanized_name"),
                        *(2 * (_draw(faker, "last_romanized_name"),)))
    pool = NamePool(_draw(faker, "first_name_male"), _draw(faker, "first_name_female"),
                    _draw(faker, "last_name_male"), _draw(faker, "last_name_female"))
    if locale in ("ru_RU", "uk_UA"):
        table = _UKRAINIAN_LATIN if locale == "uk_UA" else _RUSSIAN_LATIN
        return NamePool(*(tuple(transliterate(name, table) for name in names)
                          for names in (pool.male, pool.female, pool.family_male,
                                        pool.family_female)))
    return pool


@cache
def name_pools(seed: int) -> dict[str, NamePool]:
    """Every pool the generator uses, keyed by locale (``af`` is a built-in list)."""
    locales = sorted({n.pool for n in NATIONALITIES} | {p for p, _ in STAFF_POOLS})
    pools = {locale: _faker_pool(locale, seed + index)
             for index, locale in enumerate(locales) if locale != "af"}
    pools["af"] = NamePool(_AFGHAN_MALE, _AFGHAN_FEMALE, _AFGHAN_FAMILY, _AFGHAN_FAMILY)
    return pools


def spelling_variant(name: str) -> str | None:
    """Another common romanisation of a name, if one is known."""
    words = name.split()
    changed = [_SPELLING_VARIANTS.get(word, word) for word in words]
    return " ".join(changed) if changed != words else None


def passport_spelling(latin_name: str, pool: str) -> str | None:
    """The ICAO passport spelling of a transliterated name, where it differs.

    Works back from our Latin spelling for the digraphs that the two systems write
    differently; names without them have no second spelling.
    """
    if pool not in ("ru_RU", "uk_UA"):
        return None
    variant = latin_name
    for ours, theirs in (("Yu", "Iu"), ("yu", "iu"), ("Ya", "Ia"), ("ya", "ia"), ("iy", "ii"),
                         ("yi", "i"), ("Ye", "Ie"), ("ye", "ie")):
        variant = variant.replace(ours, theirs)
    if pool == "uk_UA":
        variant = variant.replace("h", "g").replace("H", "G")
    return variant if variant != latin_name else None
