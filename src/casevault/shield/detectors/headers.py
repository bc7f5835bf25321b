"""What a column header says its cells hold, in English and Spanish.

A leaked spreadsheet announces itself in its header row long before any single
cell is conclusive: ``LAST``, ``FIRST``, ``DOB``, ``A#``. Detectors read the
header of the cell they look at (a whole cell under ``LAST`` is a family name),
and tabular inference classifies whole columns with the same vocabulary, so the
two never disagree about what a header means.

Headers are compared by a *key*: accents and case folded, camelCase split,
``#``/``No.``/``Nbr``/``Número`` read as "number", small words (of, de, the…)
and trailing digits dropped, the rest joined: ``A#``, ``A-Number`` and
``a_number`` all have the key ``anumber``; ``Fecha de Nacimiento`` has
``fechanacimiento``.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Final

from casevault.domain.names import fold
from casevault.shield.model import Kind


class ColumnRole(StrEnum):
    """What a column holds: finer than ``Kind`` (which only names what is reported).

    Sex, language, city, ZIP and the dates of entry and booking are not
    identifiers on their own and have no ``Kind``; together they re-identify
    people, which is why tabular inference still names them.
    """

    FULL_NAME = "full_name"
    FAMILY_NAME = "family_name"
    GIVEN_NAME = "given_name"
    DATE_OF_BIRTH = "date_of_birth"
    BIRTH_YEAR = "birth_year"
    A_NUMBER = "a_number"
    SSN = "ssn"
    ITIN = "itin"
    PASSPORT = "passport"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    NATIONALITY = "nationality"
    FACILITY = "facility"
    BOOKING_DATE = "booking_date"
    ENTRY_DATE = "entry_date"
    SEX = "sex"
    LANGUAGE = "language"
    CITY = "city"
    POSTAL_CODE = "postal_code"


ROLE_KIND: Final[dict[ColumnRole, Kind]] = {
    ColumnRole.FULL_NAME: Kind.PERSON_NAME,
    ColumnRole.FAMILY_NAME: Kind.FAMILY_NAME,
    ColumnRole.GIVEN_NAME: Kind.GIVEN_NAME,
    ColumnRole.DATE_OF_BIRTH: Kind.DATE_OF_BIRTH,
    ColumnRole.A_NUMBER: Kind.A_NUMBER,
    ColumnRole.SSN: Kind.SSN,
    ColumnRole.ITIN: Kind.ITIN,
    ColumnRole.PASSPORT: Kind.PASSPORT,
    ColumnRole.PHONE: Kind.PHONE,
    ColumnRole.EMAIL: Kind.EMAIL,
    ColumnRole.ADDRESS: Kind.ADDRESS,
    ColumnRole.NATIONALITY: Kind.NATIONALITY,
    ColumnRole.FACILITY: Kind.FACILITY,
}
"""The report kind of a role; roles absent here (sex, city, …) are quasi-identifiers only."""

QUASI_IDENTIFIER_ROLES: Final = frozenset({
    ColumnRole.DATE_OF_BIRTH, ColumnRole.BIRTH_YEAR, ColumnRole.SEX, ColumnRole.NATIONALITY,
    ColumnRole.LANGUAGE, ColumnRole.CITY, ColumnRole.POSTAL_CODE, ColumnRole.FACILITY,
    ColumnRole.ENTRY_DATE, ColumnRole.BOOKING_DATE,
})
"""Roles that re-identify in combination (issue 6, "Re-identification risk")."""

NAME_ROLES: Final = frozenset({ColumnRole.FULL_NAME, ColumnRole.FAMILY_NAME,
                               ColumnRole.GIVEN_NAME})

_CAMEL: Final = re.compile(r"(?<=[a-z])(?=[A-Z])")
_TOKENS: Final = re.compile(r"[a-z0-9]+")
_NUMBER_WORDS: Final = frozenset({"no", "nbr", "num", "number", "numero", "nro", "nr", "nos"})
_SMALL_WORDS: Final = frozenset({"of", "the", "de", "del", "la", "el", "y", "and", "s"})

_PERSON: Final = (r"(?:alien|respondent|detainee|person|client|applicant|subject|inmate|"
                  r"beneficiary)?")
_RULES: Final[tuple[tuple[ColumnRole, str], ...]] = (
    (ColumnRole.EMAIL, r"e?mail(?:address)?|correo(?:electronico)?|emailaddr"),
    (ColumnRole.BIRTH_YEAR, r"yearbirth|birthyear|birthyr|yob|anonacimiento|anonac"),
    (ColumnRole.NATIONALITY, r"nat|nationality|nationalities|citizenship|citizenshipcountry|"
                             r"country(?:citizenship|nationality|origin|birth)|birthcountry|"
                             r"nacionalidad|pais(?:origen|nacimiento|nacionalidad)?|"
                             r"ciudadania"),
    (ColumnRole.CITY, r"(?:alien|updated|residence|home|mailing)?city|town|ciudad|municipio|"
                      r"city(?:residence|birth)|placebirth|birthplace|lugarnacimiento"),
    (ColumnRole.DATE_OF_BIRTH, _PERSON + r"(?:dob|dobdate|datebirth|birthdate|birthday|"
                               r"birthdt|dtbirth|bdate|bday|c?birthdate|"
                               r"fecha(?:nacimiento|nac)|fnac|nacimiento|cumpleanos)"),
    (ColumnRole.A_NUMBER, _PERSON + r"(?:a|alien|alienregistration|alienreg)"
                          r"(?:number|id|file)s?|numbera|numberextranjero|aliennumber|anum|"
                          r"uscisnumber|registrationnumber"),
    (ColumnRole.SSN, r"ssn(?:number)?|ssnumber|socialsecurity(?:number)?|segurosocial|"
                     r"numberseguro(?:social)?"),
    (ColumnRole.ITIN, r"itin(?:number)?|taxid|taxidnumber|tin|taxpayerid(?:entificationnumber)?"),
    (ColumnRole.PASSPORT, r"passport(?:number)?|pasaporte|numberpasaporte|"
                          r"traveldocument(?:number)?|documentnumber|docnumber|documentonumber|"
                          r"numberdocumento"),
    (ColumnRole.PHONE, r"(?:home|work|cell|mobile|contact|primary|alien)?(?:phone|telephone)"
                       r"(?:number)?|tel|cell|mobile|telefono|celular|movil|phonenumber"),
    (ColumnRole.ADDRESS, r"(?:home|mailing|street|residential|residence|current|alien|last|"
                         r"lastknown|physical)?(?:address|addr)(?:line)?|street|streetaddress|"
                         r"direccion|domicilio|calle"),
    (ColumnRole.POSTAL_CODE, r"(?:alien|updated|mailing|home)?(?:zip|zipcode|postalcode|postcode)|"
                             r"codigopostal"),
    (ColumnRole.FAMILY_NAME, _PERSON + r"(?:last|lastname|lname|lastnm|surnames?|familyname|"
                             r"familynames|apellidos?|primerapellido|segundoapellido)"),
    (ColumnRole.GIVEN_NAME, _PERSON + r"(?:first|firstname|fname|firstnm|givennames?|given|"
                            r"forenames?|middle|middlename|mname|nombres|primernombre|"
                            r"segundonombre|nombrepila)"),
    (ColumnRole.FULL_NAME, _PERSON + r"(?:full)?names?|" + _PERSON + r"fullname|nombre|"
                           r"nombrecompleto|nombreapellidos|nombresapellidos|apellidosnombres?|"
                           r"lastfirst|lastnamefirstname|namelastfirst|othernames?|alias(?:es)?|"
                           r"aka|respondent|respondentname|detainee|detaineename|applicant|"
                           r"applicantname|demandado|solicitante"),
    (ColumnRole.FACILITY, r"(?:detention|current|correctional|dc)?(?:facility|facilities)"
                          r"(?:name|code)?|correctionalfac|detentioncenter|detentionlocation|"
                          r"centrodetencion|centrodetenciones|jail|prison|detainedat"),
    (ColumnRole.BOOKING_DATE, r"(?:booking|bookin|book)(?:date|dt)?|datebooked(?:in)?|"
                              r"datedetained|detentiondate|detaineddate|fechadetencion|"
                              r"fechaingreso"),
    (ColumnRole.ENTRY_DATE, r"(?:date|dt)(?:last)?entry|(?:last)?entrydate|entrydt|arrivaldate|"
                            r"datearrival|fecha(?:entrada|llegada)"),
    (ColumnRole.SEX, r"sex|gender|genero|sexo"),
    (ColumnRole.LANGUAGE, r"lang|language|languages|primarylanguage|nativelanguage|"
                          r"languagespoken|idioma|lengua"),
)
_MATCHERS: Final = tuple((role, re.compile(pattern)) for role, pattern in _RULES)


def header_key(header: str) -> str:
    """The comparable form of a header (see the module docstring)."""
    split = _CAMEL.sub(" ", header)
    tokens = _TOKENS.findall(fold(split.replace("#", " number ")))
    words = ["number" if token in _NUMBER_WORDS else token
             for token in tokens if token not in _SMALL_WORDS]
    return "".join(words).rstrip("0123456789")


@lru_cache(maxsize=4096)
def header_role(header: str | None) -> ColumnRole | None:
    """The role a header names, or None; cached because every cell of a column asks."""
    if not header:
        return None
    key = header_key(header)
    for role, pattern in _MATCHERS:
        if pattern.fullmatch(key):
            return role
    return None


__all__ = ["NAME_ROLES", "QUASI_IDENTIFIER_ROLES", "ROLE_KIND", "ColumnRole", "header_key",
           "header_role"]
