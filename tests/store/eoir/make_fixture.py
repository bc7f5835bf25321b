"""Writes the synthetic EOIR release in ``tests/fixtures/eoir/`` (run once; files are committed).

Every row is spelled out below so that the expected counts in the fixture's
README.md can be worked out by hand from this file, not by the importer under
test. All values are invented. Run: ``.venv/bin/python tests/store/eoir/make_fixture.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "eoir"
EOL = b"\r\n"  # the release is a Windows export


def _names(text: str) -> list[str]:
    """Column names in file order, as listed in the shared formats note (eoir_foia.md)."""
    return text.split()


CASE_COLUMNS = _names(
    "IDNCASE ALIEN_CITY ALIEN_STATE ALIEN_ZIPCODE UPDATED_ZIPCODE UPDATED_CITY NAT LANG CUSTODY "
    "SITE_TYPE E_28_DATE ATTY_NBR CASE_TYPE UPDATED_SITE LATEST_HEARING LATEST_TIME "
    "LATEST_CAL_TYPE UP_BOND_DATE UP_BOND_RSN CORRECTIONAL_FAC RELEASE_MONTH RELEASE_YEAR "
    "INMATE_HOUSING DATE_OF_ENTRY C_ASY_TYPE C_BIRTHDATE C_RELEASE_DATE UPDATED_STATE "
    "ADDRESS_CHANGEDON ZBOND_MRG_FLAG GENDER DATE_DETAINED DATE_RELEASED LPR DETENTION_DATE "
    "DETENTION_LOCATION DCO_LOCATION DETENTION_FACILITY_TYPE CASEPRIORITY_CODE"
)
PROCEEDING_COLUMNS = _names(
    "IDNPROCEEDING IDNCASE OSC_DATE INPUT_DATE BASE_CITY_CODE HEARING_LOC_CODE IJ_CODE "
    "TRANSFER_DATE PREV_HEARING_LOC PREV_HEARING_BASE PREV_IJ_CODE TRANS_NBR HEARING_DATE "
    "HEARING_TIME DEC_TYPE DEC_CODE DEP1 DEP2 OTHER_COMP APPEAL_RSVD APPEAL_NOT_FILED COMP_DATE "
    "ABSENTIA VENUE_CHG_GRANTED TRANSFER_TO DATE_APPEAL_DUE_STATUS TRANSFER_STATUS CUSTODY "
    "CASETYPE NAT LANG SCHEDULED_HEAR_LOC CORRECTIONAL_FAC CRIM_IND IHP AGGRAVATE_FELON "
    "DATE_DETAINED DATE_RELEASED"
)
SCHEDULE_COLUMNS = _names(
    "IDNSCHEDULE IDNPROCEEDING IDNCASE OSC_DATE GENERATION SUB_GENERATION REC_TYPE LANG "
    "HEARING_LOC_CODE BASE_CITY_CODE IJ_CODE INTERPRETER_CODE INPUT_DATE INPUT_TIME UPDATE_DATE "
    "UPDATE_TIME ASSIGNMENT_PATH CAL_TYPE ADJ_DATE ADJ_TIME_START ADJ_TIME_STOP ADJ_RSN ADJ_MED "
    "ADJ_MSG ADJ_ELAP_DAYS LNGSESSNID SCHEDULE_TYPE NOTICE_CODE BLNCLOCKOVERRIDE EOIRATTORNEYID"
)
APPLICATION_COLUMNS = _names(
    "IDNPROCEEDINGAPPLN IDNPROCEEDING IDNCASE APPL_CODE APPL_RECD_DATE APPL_DEC"
)
REPRESENTATION_COLUMNS = _names(
    "IDNREPSASSIGNED IDNCASE STRATTYLEVEL STRATTYTYPE PARENT_TABLE PARENT_IDN BASE_CITY_CODE "
    "INS_TA_DATE_ASSIGNED E_27_DATE E_28_DATE BLNPRIMEATTY"
)
CHARGE_COLUMNS = _names("IDNPRCDCHG IDNCASE IDNPROCEEDING CHARGE CHG_STATUS")

T = " 00:00:00.000"  # SQL Server's time part of a date column

# Regular cases: IDNCASE -> (city, state, zip, NAT, LANG, CUSTODY, CASE_TYPE, birth, gender).
# Planted problems are marked; see README.md for the list.
CASES: list[tuple[int, tuple[str, ...]]] = [
    (1001, ("ARLINGTON", "VA", "22201", "MX", "SP", "D", "RMV", "1985-04-12" + T, "M")),
    (1002, ("HOUSTON", "TX", "77002", "GT", "MAM", "R", "RMV", "1979-11-03" + T, "F")),
    (1003, ("LOS ANGELES", "CA", "90012", "HO", "SP", "D", "RMV", "1985-02-30" + T, "M")),  # bad
    (1004, ("FAIRFAX", "VA", "22030", "ES", "SP", "R", "RMV", "0000-00-00", "F")),  # bad date
    (1005, ("SPRING\0FIELD", "IL", "62701", "CH", "MAN", "N", "RMV", "1990-01-01" + T, "M")),
    (1006, ("CHICAGO", "IL", "60601", "VE", "SP", "N", "RMV", "1990", "F")),  # year only
    (1007, ("SAN JOSÉ", "CA", "95113", "HA", "CRE", "N", "RMV", "1992-07-21" + T, "M")),
    (1008, ("EL PASO", "TX", "79901", "IN", "PUN", "N", "RMV", "UNKNOWN", "M")),  # bad date
    (1009, ('"NORTH" HAVEN', "CT", "06473", "RS", "RUS", "N", "RMV", "1988-03-14" + T, "F")),
    (1010, ("QUEENS", "NY", "11373", "MX", "SP", "N", "RMV", "1995-05-05" + T, "F")),
    (1011, ("PASADENA", "CA", "91101", "GT", "KIC", "N", "XYZ", "1983-08-30" + T, "M")),
    (1012, ("BAYTOWN", "TX", "77520", "HO", "SP", "N", "RMV", "1999-12-31" + T, "M")),
    (1013, ("HIALEAH", "FL", "33010", "ES", "SP", "", "RMV", "1975-06-15" + T, "")),
    (1014, ("EVANSTON", "IL", "60201", "MX", "ENG", "N", "CFR", "2001-02-14" + T, "F")),
    (1015, ("LOS\tANGELES", "CA", "90001", "MX", "SP", "N", "RMV", "1980-01-01" + T, "M")),
    (1016, ("OAKLAND", "CA", "94612", "XX", "SP", "N", "RMV", "1987-09-09" + T, "F")),
    (1017, ("ALEXANDRIA", "VA", "22314", "QQ", "SP", "N", "RMV", "1986-10-10" + T, "M")),
    (1018, ("YONKERS", "NY", "10701", "GT", "UNK", "N", "RMV", "1991-11-11" + T, "F")),
    (1019, ("NEWARK", "NJ", "07102", "MX", "SP", "N", "RMV", "1993-03-03" + T, "M")),
    (1020, ("TRENTON", "NJ", "08608", "MX", "SP", "N", "RMV", "1994-04-04" + T, "F")),
    (1021, ("RIVERSIDE", "ZZ", "92501", "HO", "SP", "N", "RMV", "1982-02-02" + T, "M")),
    (1022, ("HUMBLE", "TX", "1234", "ES", "SP", "N", "RMV", "1984-04-04" + T, "F")),
    (1023, ("KENDALL", "FL", "33156", "CH", "MAN", "N", "RFR", "1978-07-07" + T, "M")),
    (1024, ("AURORA", "IL", "60505", "VE", "SP", "N", "AOC", "1996-06-06" + T, "F")),
    (1025, ("SAN MATEO", "CA", "94401", "HA", "CRE", "N", "WHO", "1997-08-08" + T, "M")),
    (1026, ("RESTON", "VA", "20190", "IN", "PUN", "N", "BND", "1989-09-19" + T, "F")),
    (1027, ("BRONX", "NY", "10451", "RS", "RUS", "N", "RSC", "1970-01-20" + T, "M")),
    (1028, ("BURBANK", "CA", "91502", "MX", "SP", "N", "BOND", "1998-12-12" + T, "F")),
    (1029, ("MANHATTAN", "NY", "10001-2345", "GT", "MAM", "N", "RMV", "1981-05-25" + T, "M")),
    (1030, ("DORAL", "FL", "33172", "HO", "SP", "N", "RMV", "1977-03-30" + T, "F")),
    (1010, ("BROOKLYN", "NY", "11201", "MX", "SP", "D", "RMV", "1995-05-05" + T, "F")),  # dup
    (1012, ("KATY", "TX", "77449", "HO", "SP", "D", "RMV", "1999-12-31" + T, "M")),  # dup
]
CASE_EXTRA = {  # IDNCASE -> (E_28_DATE, LATEST_HEARING); default (blank, a valid date)
    1019: ("2020-01-15" + T, ""),
    1020: ("", ""),
}

# IDNPROCEEDING, IDNCASE, OSC_DATE, INPUT_DATE, BASE_CITY_CODE, HEARING_LOC_CODE, COMP_DATE
PROCEEDINGS = [
    (5001, 1001, "2015-01-10" + T, "2015-01-20" + T, "ARL", "ARL", "2016-03-01" + T),
    (5002, 1002, "2016-02-01" + T, "2016-02-03" + T, "HOU", "HOU", "2018-07-09" + T),
    (5003, 1003, "2017-03-15" + T, "2017-03-16" + T, "LOS", "LOS", ""),
    (5004, 1004, "2017-04-02" + T, "2017-04-05" + T, "NYC", "NYC", ""),
    (5005, 1005, "2017-05-02" + T, "2017-05-05" + T, "MIA", "MIA", ""),
    (5006, 1006, "2017-06-02" + T, "2017-06-05" + T, "CHI", "CHI", ""),
    (5007, 1007, "2017-07-02" + T, "2017-07-05" + T, "SFR", "SFR", ""),
    (5008, 1008, "2017-08-02" + T, "2017-08-05" + T, "", "ELP", ""),
    (5009, 1009, "2017-09-02" + T, "2017-09-05" + T, "ARL", "ARL", ""),
    (5010, 1010, "2017-10-02" + T, "2017-10-05" + T, "NYC", "NYC", ""),
    (5011, 1011, "2017-11-02" + T, "2017-11-05" + T, "LOS", "LOS", ""),
    (5012, 1012, "2017-12-02" + T, "2017-12-05" + T, "HOU", "HOU", "2019-13-45" + T),  # bad
    (5013, 1013, "2018-01-02" + T, "2018-01-05" + T, "MIA", "MIA", ""),
    (5014, 1014, "2018-02-02" + T, "2018-02-05" + T, "CHI", "CHI", ""),
    (5015, 1015, "2018-03-02" + T, "2018-03-05" + T, "LOS", "LOS", ""),  # case was shifted
    (5016, 1016, "2018-04-02" + T, "2018-04-05" + T, "SFR", "SFR", ""),
    (5017, 1017, "2018-05-02" + T, "2018-05-05" + T, "ARL", "ARL", ""),
    (5018, 1018, "2018-06-02" + T, "2018-06-05" + T, "NYC", "NYC", ""),
    (5021, 1021, "2018-07-02" + T, "2018-07-05" + T, "LOS", "LOS", ""),
    (5022, 1022, "2018-08-02" + T, "2018-08-05" + T, "HOU", "HOU", ""),
    (5023, 1023, "2018-09-02" + T, "2018-09-05" + T, "MIA", "MIA", ""),
    (5024, 1024, "2018-10-02" + T, "2018-10-05" + T, "CHI", "CHI", ""),
    (5025, 1025, "2018-11-02" + T, "2018-11-05" + T, "SFR", "SFR", ""),
    (5026, 1026, "2018-12-02" + T, "2018-12-05" + T, "ARL", "ARL", ""),
    (5027, 1027, "2019-01-02" + T, "2019-01-05" + T, "NYC", "NYC", ""),
    (5028, 1028, "2019-02-02" + T, "2019-02-05" + T, "LOS", "LOS", ""),
    (5029, 1029, "2019-03-02" + T, "2019-03-05" + T, "HOU", "HOU", "2021-05-05" + T),
    (5030, 1030, "", "2018-09-09" + T, "MIA", "MIA", ""),
    (5031, 1001, "2017-05-01" + T, "2017-05-02" + T, "NYC", "NYC", ""),
    (9001, 9999, "2019-04-02" + T, "2019-04-05" + T, "NYC", "NYC", ""),  # unknown case
    (5003, 1003, "2019-05-02" + T, "2019-05-05" + T, "HOU", "HOU", ""),  # duplicate id
]

REGULAR_HEARING_CASES = [1010, 1011, 1012, 1013, 1014, 1016, 1017, 1018, 1019, 1021, 1022,
                         1023, 1024, 1025, 1026, 1027, 1028, 1029, 1030]
# IDNSCHEDULE, IDNCASE, CAL_TYPE, ADJ_DATE, ADJ_TIME_START, ADJ_RSN, LANG
HEARINGS = [
    (7001, 1001, "M", "2019-06-01" + T, "0900", "", "SP"),
    (7002, 1001, "I", "2020-02-03" + T, "13:30", "17", "SP"),  # past, adjourned
    (7003, 1002, "M", "2016-05-05" + T, "0830", "", "MAM"),
    (7004, 1002, "I", "2018-07-09" + T, "1000", "", "MAM"),
    (7005, 1003, "M", "2030-01-15" + T, "0900", "02", "SP"),  # future: no outcome
    (7006, 1004, "M", "2020-02-30" + T, "0900", "", "SP"),  # impossible date
    (7007, 9999, "M", "2020-03-03" + T, "0900", "", "SP"),  # unknown case
    (7008, 1005, "M", "2019-08-08" + T, "25:99", "", "MAN"),  # bad time
    (7009, 1006, "X", "2019-09-09" + T, "0900", "", "SP"),  # unmapped calendar type
    (7010, 1007, "M", "2019-10-10", "9:15", "", "CRE"),  # date-only
    (7011, 1008, "M", "", "0900", "", "PUN"),  # blank required date
    (7012, 1009, "M", "2019-12-12" + T, "0900", "", "UNK"),  # unmapped language
    (7013, 1015, "M", "2020-01-13" + T, "0900", "", "SP"),  # case was shifted
    (7001, 1001, "M", "2019-06-02" + T, "1000", "", "SP"),  # duplicate id
] + [
    (7014 + i, case, "M", f"2021-{1 + i % 12:02d}-{10 + i:02d}" + T, "0900", "", "SP")
    for i, case in enumerate(REGULAR_HEARING_CASES)
]

# IDNPROCEEDINGAPPLN, IDNCASE, APPL_CODE, APPL_RECD_DATE, APPL_DEC
APPLICATIONS = [
    (8001, 1001, "ASYL", "2015-06-01" + T, "G"),
    (8002, 1001, "WCAT", "2015-06-01" + T, "G"),
    (8003, 1002, "ASYW", "2016-06-01" + T, "D"),
    (8004, 1003, "CAT", "2017-06-01" + T, ""),
    (8005, 1004, "42A", "2017-07-01" + T, "W"),
    (8006, 1005, "42B", "2017-08-01" + T, "A"),
    (8007, 1006, "AOS", "2017-09-01" + T, "G"),
    (8008, 1007, "245", "2017-10-01" + T, "D"),
    (8009, 1008, "ADJ", "2017-11-01" + T, ""),
    (8010, 1009, "VD", "2017-12-01" + T, "G"),
    (8011, 1010, "VDP", "2018-01-01" + T, "D"),
    (8012, 1011, "BOND", "2018-02-01" + T, "G"),
    (8013, 1012, "ZZZ", "2018-03-01" + T, ""),  # unmapped application code
    (8014, 1013, "ASYL", "", ""),  # blank required date
    (8015, 9999, "ASYL", "2018-05-01" + T, ""),  # unknown case
    (8016, 1014, "ASYL", "2018-06-01" + T, "X"),  # unmapped decision
    (8017, 1016, "ASYL", "2018-02-29" + T, ""),  # impossible required date
] + [
    (8018 + i, case, "ASYL", f"2019-{1 + i:02d}-15" + T, "")
    for i, case in enumerate([1017, 1018, 1019, 1021, 1022, 1023, 1024, 1025, 1026, 1027])
]

# IDNREPSASSIGNED, IDNCASE, INS_TA_DATE_ASSIGNED, E_28_DATE
REPRESENTATIONS = [
    (6001, 1001, "", "2015-02-01" + T),
    (6002, 1002, "2016-03-03" + T, ""),
    (6003, 1003, "", ""),  # no start date at all
    (6004, 9999, "", "2019-01-01" + T),  # unknown case
    (6005, 1004, "2017-05-05" + T, "2017-00-10" + T),  # bad E_28_DATE, INS_TA used
    (6001, 1001, "", "2016-02-01" + T),  # duplicate id
] + [
    (6006 + i, case, "", f"2018-{1 + i % 12:02d}-20" + T)
    for i, case in enumerate([1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                              1016, 1017, 1018, 1021, 1022])
]

# IDNPRCDCHG, IDNCASE, IDNPROCEEDING, CHARGE, CHG_STATUS
CHARGES = [
    (9101, 1001, 5001, "212a06Ai", "S"),
    (9102, 1001, 5031, "237a02Ai", ""),
    (9103, 1002, 5002, "212a07Ai", "S"),
    (9104, 1003, 5003, "", "S"),  # blank charge
    (9105, 1020, 0, "212a06Ai", "S"),  # case skipped (no date to open it on)
    (9106, 9999, 9001, "212a06Ai", "S"),  # unknown case
    (9107, 1004, 5004, '"212a06Ai', "S"),  # leading quote character
    (9103, 1002, 5002, "237a01B", "S"),  # duplicate id
] + [
    (9108 + i, case, 5000 + case - 1000, "212a06Ai", "S" if i % 2 else "")
    for i, case in enumerate([1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                              1016, 1017, 1018, 1019, 1021, 1022, 1023, 1024, 1025, 1026])
]

NATIONALITIES = [("MX", "MEXICO"), ("GT", "GUATEMALA"), ("HO", "HONDURAS"), ("ES", "EL SALVADOR"),
                 ("CH", "CHINA"), ("VE", "VENEZUELA"), ("HA", "HAITI"), ("IN", "INDIA"),
                 ("RS", "RUSSIA"), ("XX", "UNKNOWN NATIONALITY")]
LANGUAGES = [("SP", "SPANISH"), ("ENG", "ENGLISH"), ("MAM", "MAM"), ("CRE", "HAITIAN CREOLE"),
             ("MAN", "MANDARIN"), ("PUN", "PUNJABI"), ("RUS", "RUSSIAN"), ("KIC", "K'ICHE'"),
             ("UNK", "UNKNOWN LANGUAGE")]
BASE_CITIES = [("ARL", "Arlington Immigration Court", "ARLINGTON", "VA"),
               ("NYC", "New York Broadway Immigration Court", "NEW YORK", "NY"),
               ("LOS", "Los Angeles Immigration Court", "LOS ANGELES", "CA"),
               ("HOU", "Houston Immigration Court", "HOUSTON", "TX"),
               ("MIA", "Miami Immigration Court", "MIAMI", "FL"),
               ("CHI", "Chicago Immigration Court", "CHICAGO", "IL"),
               ("SFR", "San Francisco Immigration Court", "SAN FRANCISCO", "CA")]


def _line(columns: list[str], values: dict[str, str], *, latin1: bool = False) -> bytes:
    text = "\t".join(values.get(name, "") for name in columns)
    return text.encode("latin-1" if latin1 else "utf-8") + EOL


def _write(name: str, columns: list[str], lines: list[bytes]) -> None:
    path = OUT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\t".join(columns).encode() + EOL + b"".join(lines))


def _case_lines() -> list[bytes]:
    lines = []
    for idn, (city, state, zipcode, nat, lang, custody, case_type, birth, gender) in CASES:
        e28, latest = CASE_EXTRA.get(idn, ("", f"2019-{idn % 12 + 1:02d}-01" + T))
        values = {
            "IDNCASE": str(idn), "ALIEN_CITY": city, "ALIEN_STATE": state,
            "ALIEN_ZIPCODE": zipcode, "NAT": nat, "LANG": lang, "CUSTODY": custody,
            "SITE_TYPE": "N", "E_28_DATE": e28, "ATTY_NBR": "", "CASE_TYPE": case_type,
            "LATEST_HEARING": latest, "LATEST_TIME": "0900", "LATEST_CAL_TYPE": "M",
            "DATE_OF_ENTRY": "2014-01-01" + T, "C_ASY_TYPE": "", "C_BIRTHDATE": birth,
            "GENDER": gender, "LPR": "0", "CASEPRIORITY_CODE": "",
        }
        lines.append(_line(CASE_COLUMNS, values, latin1=idn == 1007))
    return lines


def _proceeding_lines() -> list[bytes]:
    return [
        _line(PROCEEDING_COLUMNS, {
            "IDNPROCEEDING": str(idn), "IDNCASE": str(case), "OSC_DATE": osc,
            "INPUT_DATE": entered, "BASE_CITY_CODE": base, "HEARING_LOC_CODE": loc,
            "IJ_CODE": "XYZ", "DEC_TYPE": "O" if comp else "", "DEC_CODE": "X" if comp else "",
            "COMP_DATE": comp, "CUSTODY": "N", "CASETYPE": "RMV", "CRIM_IND": "N",
        })
        for idn, case, osc, entered, base, loc, comp in PROCEEDINGS
    ]


def _hearing_lines() -> list[bytes]:
    return [
        _line(SCHEDULE_COLUMNS, {
            "IDNSCHEDULE": str(idn), "IDNPROCEEDING": str(5000 + case % 1000),
            "IDNCASE": str(case), "LANG": lang, "HEARING_LOC_CODE": "NYC",
            "BASE_CITY_CODE": "NYC", "IJ_CODE": "XYZ", "CAL_TYPE": cal, "ADJ_DATE": day,
            "ADJ_TIME_START": time, "ADJ_TIME_STOP": "", "ADJ_RSN": reason,
            "SCHEDULE_TYPE": "MC",
        })
        for idn, case, cal, day, time, reason, lang in HEARINGS
    ]


def _application_lines() -> list[bytes]:
    return [
        _line(APPLICATION_COLUMNS, {
            "IDNPROCEEDINGAPPLN": str(idn), "IDNPROCEEDING": str(5000 + case % 1000),
            "IDNCASE": str(case), "APPL_CODE": code, "APPL_RECD_DATE": received,
            "APPL_DEC": decision,
        })
        for idn, case, code, received, decision in APPLICATIONS
    ]


def _representation_lines() -> list[bytes]:
    return [
        _line(REPRESENTATION_COLUMNS, {
            "IDNREPSASSIGNED": str(idn), "IDNCASE": str(case), "STRATTYLEVEL": "COURT",
            "STRATTYTYPE": "ALIEN", "PARENT_TABLE": "TBLPROCEEDING",
            "PARENT_IDN": str(5000 + case % 1000), "BASE_CITY_CODE": "NYC",
            "INS_TA_DATE_ASSIGNED": assigned, "E_28_DATE": e28, "BLNPRIMEATTY": "1",
        })
        for idn, case, assigned, e28 in REPRESENTATIONS
    ]


def _charge_lines() -> list[bytes]:
    return [
        _line(CHARGE_COLUMNS, {
            "IDNPRCDCHG": str(idn), "IDNCASE": str(case), "IDNPROCEEDING": str(proceeding),
            "CHARGE": charge, "CHG_STATUS": status,
        })
        for idn, case, proceeding, charge, status in CHARGES
    ]


def _lookup_lines(rows: Sequence[tuple[str, ...]]) -> list[bytes]:
    return [("\t".join((str(i), *row))).encode() + EOL for i, row in enumerate(rows, start=1)]


def main() -> None:
    _write("A_TblCase.csv", CASE_COLUMNS, _case_lines())
    _write("B_TblProceeding.csv", PROCEEDING_COLUMNS, _proceeding_lines())
    _write("tbl_schedule.csv", SCHEDULE_COLUMNS, _hearing_lines())
    _write("tbl_Court_Appln.csv", APPLICATION_COLUMNS, _application_lines())
    _write("tbl_RepsAssigned.csv", REPRESENTATION_COLUMNS, _representation_lines())
    _write("B_TblProceedCharges.csv", CHARGE_COLUMNS, _charge_lines())
    _write("Lookup/tblLookupNationality.csv", ["IDNNATIONALITY", "NAT_CODE", "NAT_NAME"],
           _lookup_lines(NATIONALITIES))
    _write("Lookup/tblLanguage.csv", ["IDNLANGUAGE", "LANG_CODE", "LANG_NAME"],
           _lookup_lines(LANGUAGES))
    _write("Lookup/tblLookupBaseCity.csv",
           ["IDNBASECITY", "BASE_CITY_CODE", "BASE_CITY_NAME", "CITY", "STATE"],
           _lookup_lines(BASE_CITIES))


if __name__ == "__main__":
    main()
