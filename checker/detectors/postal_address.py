"""Physical postal address (15 U.S.C. § 7704(a)(5)(A)(iii); 16 C.F.R. § 316.2(p)).

A "valid physical postal address" is a current street address, or a Post Office box or a
private mailbox at a commercial mail receiving agency (CMRA, "PMB 123" or "#123")
registered under USPS rules. Whether the address is *valid* (registered, current, really
the sender's) needs a person and a lookup; this detector only finds address-shaped text.

A false "no address" is a false accusation, so the patterns are generous: street lines on
one or several lines, with or without a suite / PMB / # unit, city, state (code, name or
old abbreviation), ZIP or ZIP+4 (optional when the state is there), P.O. Box forms, plus
foreign forms (kind `foreign`; the law asks for the sender's valid address, not a US one):
Canadian (the country may stand before the postal code), British (also without a house
number), Irish (places, county and country, or a Dublin district), continental European,
and a street or box followed by places and a country by name. They still need a street
word or a box and a locality, so phone numbers and prices never match. Letter-spaced
text ("1 4 4 0 C o r a l R i d g e D r.") is also searched closed up (`letter_spaced`).

Address-shaped text with no locality (a street line alone, "P.O. Box 123" alone, a
"City, ST 12345" line with no street) is reported with `complete: false`. When nothing
address-shaped is found at all, address-like fragments (a ZIP after a state name, a box
without a number, a numbered street, a suite) are reported (kind `fragment`), so that text
the patterns could not read makes the status `incomplete` for a person to look at rather
than `none`, which the rule reads as "no address at all".

`postal_address.status`: `visible` (a complete address the reader sees), `incomplete`
(only incomplete ones visible), `hidden_only` (only in hidden text), `none`.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from checker.detectors._text import (
    Literals,
    TextSource,
    body_sources,
    clean,
    describe_searched,
    fold,
    found_spans,
    span,
)
from checker.fields import register

STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP"
).split()
STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming|District of Columbia|Puerto Rico"
)
# Pre-USPS abbreviations still seen in 2002 mail ("Boca Raton, Fla. 33431").
OLD_ABBREVIATIONS = (
    r"Ala|Ariz|Ark|Calif|Cal|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Kans|Ky|La|Md|Mass|Mich|Minn|"
    r"Miss|Mo|Mont|Neb|Nebr|Nev|N\.\s?H|N\.\s?J|N\.\s?M|N\.\s?Y|N\.\s?C|N\.\s?D|Okla|Ore|Pa|"
    r"Penn|R\.\s?I|S\.\s?C|S\.\s?D|Tenn|Tex|Vt|Va|Wash|W\.\s?Va|Wis|Wisc|Wyo|D\.\s?C"
)
# A state: USPS code (capitals; any case when a ZIP follows: "Alpharetta Ga, 30004"),
# name, or old abbreviation.
_STATE = (
    rf"(?P<state>(?:{'|'.join(STATE_CODES)})\b|(?i:{STATE_NAMES})\b|(?:{OLD_ABBREVIATIONS})\."
    rf"|(?i:{'|'.join(STATE_CODES)})\b(?=[ \t,.]*\d{{5}}))"
)
_ZIP = r"(?P<zip>\d{5}(?:\s?-\s?\d{4})?)(?![\d\-])"

STREET_SUFFIXES = (
    "Street|St|Str|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|Place|Pl|"
    "Plaza|Plz|Parkway|Pkwy|Pky|Highway|Hwy|Circle|Cir|Terrace|Ter|Terr|Trail|Trl|Square|Sq|"
    "Center|Centre|Ctr|Pike|Loop|Alley|Aly|Row|Crossing|Xing|Commons|Broadway|Expressway|Expy|"
    "Freeway|Fwy|Turnpike|Tpke|Run|Point|Pt|Ridge|Park|Walk|Path|Cove|Crescent|Cres|Landing|"
    "Mall|Hill|Heights|Hts|Glen|Creek|Bend|Causeway|Row|Mews|Close|Passage|Pass|Springs|Pointe"
)
_ONE_UNIT = (
    r"(?:(?i:suite|ste|apt|apartment|unit|floor|fl|room|rm|bldg|building|dept|pmb|"
    r"private\s+mail\s*box|box|no)\.?\s*#?\s*[\w\-]{1,8}|\#\s*[\w\-]{1,8}|(?i:\d{1,3}(?:st|nd|rd|th)\s+floor))"
)
# One unit, or two: a registered agent's suite and the client's box in it ("Suite 600
# #4417", "Ste 2487 PMB 12").
_UNIT = rf"(?P<unit>{_ONE_UNIT}(?:[ \t]*,?[ \t]*{_ONE_UNIT}(?![\w\-]))?)"
# Street number, optional direction, 0-4 name words, a suffix; or a numbered route. A bare
# number is never a name word: in "Ultra Trim 2002\n4132 Pompton Ct." the street starts at
# 4132, not at the year.
_STREET = (
    r"(?P<street>(?:\b\d{1,6}(?:-\d{1,5})?(?:-?[A-Za-z])?(?:\s1/2)?"
    r"|\b(?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|ONE|TWO))\s+"
    r"(?:(?:[NSEW]|N\.?[EW]|S\.?[EW]|(?i:north|south|east|west))\.?\s+)?"
    r"(?:"
    rf"(?:(?!\d+\s)[A-Za-z0-9][\w.'\-]*\s+){{0,4}}?(?i:{STREET_SUFFIXES})\b\.?"
    r"(?:\s+(?:[NSEW]|NE|NW|SE|SW)\b\.?)?"
    r"|(?i:route|rte|highway|hwy|state\s+road|county\s+road|us\s+highway|interstate)\s+\d{1,4}"
    r"|[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){0,3}"  # "100 Main" without suffix (needs city+state+ZIP)
    r"|\d{1,3}(?:st|nd|rd|th)\b"  # "2714 West 5th" (needs a ZIP)
    r")|\b(?i:route|rte|highway|hwy|state\s+road|county\s+road|us\s+highway)\s+\d{1,4}"
    r"(?:\s+(?i:north|south|east|west|[NSEW])\b)?)"
)
# Between address lines: commas, line breaks, bullets, "> " quote marks -- and literal <br>
# tags, which some spam puts in plain-text bodies (the reader sees them as text).
_SEP = (
    r"[ \t]*(?:[,;]|\r?\n|[ \t]|[-|\u00b7\u2022]|<[a-zA-Z/][^<>\n]{0,15}>)"
    r"(?:[\s,;|\-\u00b7\u2022>]|<[a-zA-Z/][^<>\n]{0,15}>)*"
)
_CITY = r"(?P<city>[A-Z][A-Za-z.'\-]*(?:[ \t]+[A-Za-z][A-Za-z.'\-]*){0,3})"

# Between town, state and ZIP: spaces and a comma, or the bars and dots of one-line footers
# ("Cupertino | CA | 95014").
_TOWN_SEP = r"[ \t]*[,|\u00b7\u2022]?[ \t]*"
_ZIP_SEP = r"[ \t,.|\u00b7\u2022]*"
_STREET_ADDRESS = re.compile(
    rf"{_STREET}(?:{_SEP}{_UNIT})?{_SEP}{_CITY}{_TOWN_SEP}{_STATE}(?:{_ZIP_SEP}{_ZIP})?"
)
_PO_BOX = (
    r"(?P<box>(?i:\b(?:p\.?\s?o\.?\s?|post\s+office\s+|postal\s+|postoffice\s+|p\.?\s?o\.?\s+)box"
    r"|\bpob\b|\bp\.?\s?o\.?\s?drawer|\bcaller\s+box|\block\s?box|\bpmb\b|\bprivate\s+mail\s*box"
    r"|\bbox\b)\.?\s*(?:no\.?\s*)?#?\s*(?=[\w\-]{0,9}\d)[\w\-]{1,10})"
)
# No city: "520 8th Ave #2300 NY 10018" (the ZIP is required then).
_STREET_NO_CITY = re.compile(rf"{_STREET}(?:{_SEP}{_UNIT})?{_SEP}{_STATE}{_ZIP_SEP}{_ZIP}")
_BOX_ADDRESS = re.compile(
    rf"{_PO_BOX}(?:{_SEP}{_CITY}{_TOWN_SEP}{_STATE}(?:{_ZIP_SEP}{_ZIP})?)?"
)
_LOCALITY = re.compile(rf"{_CITY}[ \t]*[,|][ \t]*{_STATE}{_ZIP_SEP}{_ZIP}")

# Foreign: Canadian postal code after a province (the country may stand between them:
# "Don Mills Ontario, Canada\nM3B 2W6"), UK postcode, continental "Street 12, 12345 City"
# -- each needing a street-like line before the locality. CAN-SPAM asks for a valid
# physical postal address of the sender, not a US one.
_CA_PROVINCE = (r"(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT|Ontario|Quebec|Québec|Alberta"
                r"|British Columbia|Manitoba|Saskatchewan|Nova Scotia|New Brunswick"
                r"|Newfoundland|Prince Edward Island|Yukon)")
_CA_POSTCODE = r"[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"
# A UK postcode: one of the postcode areas, district, sector, unit ("SW1A 2AA", "BA1 5BG").
UK_POSTCODE_AREAS = (
    "AB AL BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY "
    "EC EH EN EX FK FY GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY LA LD LE LL "
    "LN LS LU ME MK ML NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM SA SE SG SK SL SM SN "
    "SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB WA WC WD WF WN WR WS WV YO ZE B E G L M N S W"
).split()
_UK_POSTCODE = rf"\b(?:{'|'.join(UK_POSTCODE_AREAS)})\d[A-Z\d]?[ \t]?\d[A-Z]{{2}}"
_UK_POSTCODE_SPACED = rf"\b(?:{'|'.join(UK_POSTCODE_AREAS)})\d[A-Z\d]?[ \t]\d[A-Z]{{2}}"
_THEN_CANADA = r"(?:[ \t]*,?[ \t]*(?i:canada)\b)?[ \t,]*(?:\r?\n[ \t]*)?"
# House number, then name words: capitalised, or a lower-case particle before one
# ("2135A des Laurentides Blvd").
_FOREIGN_NAME_WORD = r"(?:(?:de|des|du|la|le|les|del|della|di|van|von|der|of|the)[ \t]+)?[A-Z][A-Za-z'\-]*[a-z][A-Za-z'\-]*"
_FOREIGN_STREET = (
    rf"(?P<street>\b\d{{1,6}}[A-Za-z]?,?[ \t]+{_FOREIGN_NAME_WORD}"
    rf"(?:[ \t]+[A-Za-z][A-Za-z.'\-]*){{0,4}})(?:{_SEP}{_UNIT})?{_SEP}"
    r"(?:[A-Z][A-Za-z'\-]*[a-z][A-Za-z'\-]*[ \t,]+){1,3}"
    rf"(?:(?:{_CA_PROVINCE}){_THEN_CANADA}[ \t,]*{_CA_POSTCODE}"
    rf"|{_UK_POSTCODE})\b"
)
_FOREIGN_CONTINENTAL = (
    r"(?P<street2>\b[A-ZÄÖÜ][\wäöüßéè\-]*(?:stra(?:ß|ss)e|str\.|weg|platz|gasse|allee|laan|straat"
    r"|gracht|vej|gatan|gade)[ \t]+\d{1,5}[a-z]?)[\s,]+(?:[A-Z]{1,2}-)?\d{4,5}[ \t]+[A-ZÄÖÜ][\w\-]+"
    r"|(?P<street3>\b\d{1,5},?[ \t]+(?i:rue|avenue|boulevard|bd|calle|avenida|via|viale|piazza"
    r"|plaza|rua)\b[^\n,]{2,40}),?\s+(?:[A-Z]-)?\d{4,5}[ \t]+[A-Z][\w\-]+"
    # Street word, name, then the number, as Spain, Italy and Portugal write them:
    # "Calle Mayor 10, 28013 Madrid", "Via Roma 10, 00184 Roma", "Rua Augusta 100, 1100-053 Lisboa".
    # (capitalised, as in an address: "shop via our app 10, 2000 Users" is not one).
    # "C/ Mayor 5", "Gran Vía, 28", "Avinguda Diagonal 640", "Estrada de Benfica 12" too.
    r"|(?P<street4>(?:\b(?:Calle|CALLE|Avenida|Avda\.?|Paseo|Plaza|Carrer|Via|VIA|Viale|Corso|Piazza"
    r"|Largo|Rua|RUA|Rúa|Travessa|Praça|Avinguda|Passeig|Ronda|Camino|Carretera|Travesía|Estrada"
    r"|Alameda|Gran)|(?<![\w/])C/)[ \t]*(?:(?:de|del|de la|della|di|da|do|dos|das)[ \t]+)?"
    r"[A-ZÁÉÍÓÚÑ][^\n,\d]{1,40}?,?[ \t]*(?:n[º°o]\.?[ \t]*)?\d{1,5}[a-zA-Z]?)"
    r"[\s,]+(?:[A-Z]{1,2}-)?\d{4,5}(?:-\d{3})?[ \t]+[A-Z][\w\-]+"
)
_FOREIGN = re.compile(f"{_FOREIGN_STREET}|{_FOREIGN_CONTINENTAL}")
_FOREIGN_BY_KIND = {
    (True, False): re.compile(_FOREIGN_STREET),
    (False, True): re.compile(_FOREIGN_CONTINENTAL),
    (True, True): _FOREIGN,
}
# A US-style street line (number, name words, suffix) in a Canadian town: the province
# by name, or by code when the country or a postal code follows; the postal code may be
# missing, as a US ZIP may ("5863 Leslie St. Suite 408 Toronto, Ontario CANADA").
_CA_STREET_ADDRESS = re.compile(
    rf"{_STREET}(?:{_SEP}{_UNIT})?{_SEP}{_CITY}[ \t]*,?[ \t]*"
    rf"(?P<province>(?i:Ontario|Quebec|Québec|Alberta|British Columbia|Manitoba|Saskatchewan"
    rf"|Nova Scotia|New Brunswick|Newfoundland|Prince Edward Island|Yukon)\b"
    rf"|(?:{_CA_PROVINCE})\b(?=[ \t,]*(?:(?i:canada)|\r?\n?[ \t]*{_CA_POSTCODE})))"
    rf"{_THEN_CANADA}(?:[ \t,]*(?P<postcode>{_CA_POSTCODE})\b)?"
)
# Australian: a street line, the town, the state code and a four-digit postcode
# ("Level 5, 100 George Street, Sydney NSW 2000").
_AU_STATES = r"NSW|VIC|QLD|SA|WA|TAS|ACT|NT"
_AU_HINT = re.compile(rf"\b(?:{_AU_STATES})[ \t]+\d{{4}}\b")
_AU_ADDRESS = re.compile(
    rf"{_STREET}(?:{_SEP}{_UNIT})?{_SEP}{_CITY}[ \t]*,?[ \t]*(?:{_AU_STATES})[ \t]+\d{{4}}\b(?!\d)"
)
# One part of an address written on one line or between commas: "Ryanair Holdings plc",
# "Dublin Airport", "The Old Mill" (a capitalised first word).
_PART = r"[A-Z][\w.'&\-]*(?:[ \t]+[A-Za-z][\w.'&\-]*){0,4}"
_PART_SEP = r"[ \t]*(?:,[ \t]*(?:\r?\n[ \t]*)?|\r?\n[ \t]*)"
IRISH_COUNTIES = (
    "Antrim|Armagh|Carlow|Cavan|Clare|Cork|Derry|Donegal|Down|Dublin|Fermanagh|Galway|Kerry|"
    "Kildare|Kilkenny|Laois|Leitrim|Limerick|Londonderry|Longford|Louth|Mayo|Meath|Monaghan|"
    "Offaly|Roscommon|Sligo|Tipperary|Tyrone|Waterford|Westmeath|Wexford|Wicklow"
)
# Irish addresses have no street number or postcode as often as not: places, then the
# county and the country ("Ryanair Holdings plc, Dublin Airport, Co Dublin, Ireland"): at
# least two places, so that a mention of a village ("Doolin, Co. Clare, Ireland") is not
# taken for an address.
_IRISH_COUNTY = rf"(?:Co\.?|County)[ \t]+(?:{IRISH_COUNTIES})\b"
_IRISH_ADDRESS = re.compile(
    rf"(?P<places>(?:{_PART}{_PART_SEP}){{2,4}}){_IRISH_COUNTY}{_PART_SEP}(?:Ireland|Eire|IRELAND)\b"
    # A street line, then a Dublin postal district at the end of its line ("Dublin 2").
    rf"|{_STREET}{_PART_SEP}Dublin[ \t]+\d{{1,2}}W?(?=[ \t]*(?:[,.]|\r?\n|$))"
)
# British addresses without a house number ("Acme Ltd, The Old Mill, Bath BA1 5BG"):
# two parts, then a town and a full postcode, written with its space ("LS122BK" is a part
# number), at the end of the line.
_UK_ADDRESS = re.compile(
    rf"(?P<street>(?:{_PART}{_PART_SEP}){{2,3}})[A-Z][A-Za-z'\-]+(?:[ \t]+[A-Z][A-Za-z'\-]+)?"
    rf"[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?{_UK_POSTCODE_SPACED}(?=[ \t]*(?:[,.]|\r?\n|$|(?i:uk|united\s+kingdom|england)\b))"
)
# A street line or a box, then after a comma or line break one to three places and a
# country by name ("P.O. Box 1200, Oranjestad, Aruba").
COUNTRIES = (
    "Canada|Ireland|United Kingdom|England|Scotland|Wales|Northern Ireland|Australia|"
    "New Zealand|Bahamas|Aruba|Netherlands Antilles|Antigua|Barbados|Belize|Bermuda|"
    "Cayman Islands|Costa Rica|Panama|Dominica|Dominican Republic|Jamaica|Mexico|Germany|"
    "France|Spain|Italy|Netherlands|Holland|Belgium|Switzerland|Austria|Sweden|Norway|"
    "Denmark|Finland|Portugal|Greece|Israel|Japan|China|Hong Kong|Taiwan|Singapore|"
    "Malaysia|Philippines|Thailand|India|South Africa|Nigeria|Brazil|Argentina|Chile|"
    "Colombia|Venezuela|Peru|Uruguay|Russia|Poland|Hungary|Czech Republic|Cyprus|Malta|"
    "Gibraltar|Isle of Man|Liechtenstein|Luxembourg|Monaco|Vanuatu|Antigua and Barbuda|"
    "West Indies|British Virgin Islands|Turks and Caicos|Curacao|Grenada|St\\.? Lucia|"
    "St\\.? Kitts|Trinidad|United Arab Emirates|Korea|Indonesia|Ghana|Kenya|Egypt|Turkey"
)
_COUNTRY_NAME = rf"(?P<country>(?:{COUNTRIES}|{COUNTRIES.upper()})\b)"
_COUNTRY_ADDRESS = re.compile(
    rf"(?:{_STREET}(?:{_SEP}{_UNIT})?|{_PO_BOX}){_PART_SEP}"
    rf"(?:{_PART}{_PART_SEP}){{0,2}}{_PART}[ \t]*(?:,[ \t]*|\r?\n[ \t]*|[ \t])"
    rf"{_COUNTRY_NAME}"
)

# Addresses written the way much of the world writes them, which the forms above miss.
_WORLD_FORMS = (
    # Japan: the postcode mark, then a prefecture ("〒100-0001 東京都千代田区千代田1-1").
    r"〒[ \t]?\d{3}[-－]\d{4}[^\n]{0,10}?[\u4e00-\u9fff]{1,4}[都道府県][^\n]{2,40}",
    # China: a province or city, a road, a house number ("北京市朝阳区建国路88号").
    r"[\u4e00-\u9fff]{2,}[省市][\u4e00-\u9fff\d]{0,20}?(?:路|街|道|大道|巷)[\d\-－]+[号號]",
    # Korea: city or province, district, road and number ("서울특별시 강남구 테헤란로 123").
    r"[가-힣]{2,}(?:특별시|광역시|시|도)[ \t]+[가-힣]+(?:구|시|군)[ \t]+[가-힣\d]+(?:로|길)[ \t]?\d+",
    # Street word, name, number, then a postcode on the same line: "ul. Marszałkowska 10,
    # 00-590 Warszawa", "Av. Paulista 1000, São Paulo - SP, 01310-100", "Av. Reforma 222,
    # Col. Juárez, 06600 Ciudad de México".
    r"\b(?:ul\.|ulica|al\.|Al\.|Av\.|Avenida|Alameda|Rua|Calle|Carrera|Calzada)[ \t]+[^\n,\d]{2,40}?,?"
    r"[ \t]*\d{1,5}[A-Za-z]?\b[^\n]{0,60}?(?<![\d\-])(?:\d{2}-\d{3}|\d{5}-\d{3}|\d{5})(?![\d\-])",
    # Scandinavian street names end in the street word ("Drottninggatan 10, 111 51 Stockholm").
    r"\b[A-ZÅÄÖÆØ][a-zäöüåæø]+(?:gatan|vägen|gade|vej|veien|gata|gaten)[ \t]+\d{1,4}[A-Za-z]?,?[ \t]+"
    r"(?:\d{3}[ \t]\d{2}|\d{4})[ \t]+[A-ZÅÄÖÆØ][\w\-]+",
    # Netherlands: street, number, postcode of four digits and two letters ("Damrak 1, 1012 LG Amsterdam").
    # (not a year and an era: "Version 2, 2000 AD Company").
    r"\b[A-Z][\w'\-]+(?:[ \t][A-Za-z][\w'\-]+){0,2}[ \t]+\d{1,4}[A-Za-z]?,?[ \t]+\d{4}[ \t]?"
    r"(?!AD\b|BC\b|AM\b|PM\b|CE\b)[A-Z]{2}[ \t]+[A-Z][\w\-]+(?=[ \t]*(?:,|\r?\n|$))",
    # Russia: street and house ("ул. Тверская, д. 7").
    r"(?:ул\.|улица|пр-т|проспект|пер\.|переулок|наб\.)[ \t]*[А-ЯЁ][\w\-]+(?:[ \t][\w\-]+)?,?[ \t]*(?:д\.|дом)[ \t]*\d+",
)
_WORLD_ADDRESS = re.compile("|".join(f"(?:{form})" for form in _WORLD_FORMS))
# Something each world form needs: its mark, script or street word, or a Dutch postcode.
_WORLD_HINT = re.compile(r"〒|[号號]|[가-힣]{2}|ул|улиц|проспект|переул|наб\.|\b(?:ul|al|Al|Av)\.|\b(?:ulica"
                         r"|Avenida|Alameda|Rua|Calle|Carrera|Calzada)\b|(?:gatan|vägen|gade|vej|veien|gata"
                         r"|gaten)[ \t]+\d|\d{4}[ \t]?[A-Z]{2}\b")
# City-states: a street line, then the city-state's name ("12 Queen's Road Central, Hong Kong").
_CITY_STATE_ADDRESS = re.compile(
    rf"{_STREET}(?:{_SEP}{_UNIT})?{_PART_SEP}(?:Hong Kong|HONG KONG|Singapore|SINGAPORE|Monaco|Macau|Macao)\b"
    r"(?:[ \t]+\d{6})?"
)

# Cheap necessary conditions (each is part of every match of the patterns it guards), so
# a pattern that cannot match is not run: the expensive scans only run on texts that may
# hold an address. Results are exactly those of running every pattern.
_ZIP_HINT = re.compile(r"\d{5}")  # _LOCALITY and _STREET_NO_CITY need a ZIP
_POSTCODE_HINT = re.compile(  # Canadian or UK postcodes
    r"[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}\b"
)
# A state code or an old abbreviation as _STATE needs them (case-sensitive), a state name
# in the folded text; a ZIP covers the any-case code followed by one.
_STATE_LITERALS = Literals(
    STATE_CODES + [re.split(r"\\", abbreviation)[0] + "." for abbreviation in OLD_ABBREVIATIONS.split("|")]
)
_STATE_NAMES = Literals(name.lower() for name in STATE_NAMES.split("|"))
_CONTINENTAL_HINT = re.compile(r"\d{4}(?:-\d{3})?[ \t]+[A-ZÄÖÜ]")  # "10115 Berlin", "1100-053 Lisboa"
_BOX_WORDS = ("box", "pob", "drawer", "pmb")
_CITY_STATES = ("hong kong", "singapore", "monaco", "macau", "macao")


_CA_NAMES = ["canada", "ontario", "quebec", "québec", "alberta", "british columbia", "manitoba",
             "saskatchewan", "nova scotia", "new brunswick", "newfoundland",
             "prince edward island", "yukon"]
_IRISH_NAMES = ["ireland", "eire", "dublin"]  # each Irish form names one
_COUNTRY_NAMES = [fold(name).replace("\\.?", "") for name in COUNTRIES.split("|")]
_CA_WORDS, _IRISH_WORDS, _COUNTRY_WORDS = (Literals(names) for names in (_CA_NAMES, _IRISH_NAMES,
                                                                          _COUNTRY_NAMES))
# One pass for the three: most texts name no foreign place at all.
_FOREIGN_WORDS = Literals(_CA_NAMES + _IRISH_NAMES + _COUNTRY_NAMES)


def _patterns_that_may_match(text: str) -> dict[str, re.Pattern | None]:
    """Each address pattern, or None when a part every one of its matches needs is
    missing from the text."""
    folded = fold(text)
    has_zip = bool(_ZIP_HINT.search(text))
    may_name_state = (has_zip or _STATE_LITERALS.found_in(text)
                      or _STATE_NAMES.found_in(folded))
    foreign_kind = (bool(_POSTCODE_HINT.search(text)), bool(_CONTINENTAL_HINT.search(text)))
    names_place = _FOREIGN_WORDS.found_in(folded)
    return {
        "box": _BOX_ADDRESS if any(word in folded for word in _BOX_WORDS) else None,
        "street": _STREET_ADDRESS if may_name_state else None,
        "street_no_city": _STREET_NO_CITY if has_zip else None,
        "foreign": _FOREIGN_BY_KIND.get(foreign_kind),
        "canadian": (_CA_STREET_ADDRESS if foreign_kind[0]
                     or names_place and _CA_WORDS.found_in(folded) else None),
        "australian": _AU_ADDRESS if _AU_HINT.search(text) else None,
        "world": _WORLD_ADDRESS if _WORLD_HINT.search(text) else None,
        "city_state": (_CITY_STATE_ADDRESS if any(name in folded for name in _CITY_STATES)
                       else None),
        "irish": _IRISH_ADDRESS if names_place and _IRISH_WORDS.found_in(folded) else None,
        "british": _UK_ADDRESS if foreign_kind[0] else None,
        "country": _COUNTRY_ADDRESS if names_place and _COUNTRY_WORDS.found_in(folded) else None,
        "locality": _LOCALITY if has_zip else None,
    }


ITEM_FIELDS = {
    "kind": ("text", "street, po_box, pmb (private mailbox at a CMRA), foreign, locality, or "
                     "fragment (address-like text that could not be read as an address: a "
                     "ZIP after a state, a suite, a numbered street; only reported when "
                     "nothing else is found)."),
    "text": ("text", "The address on one line (closed up when it was letter-spaced)."),
    "complete": ("bool", "A street or box together with a city/state or postal code."),
    "field": ("text", "The text field it was found in."),
    "start": ("int", "Start offset."),
    "end": ("int", "End offset."),
    "quote": ("text", "The address as written (may span lines)."),
    "visible": ("bool", "Whether the reader sees it."),
    "hidden_reason": ("text", "Why it is hidden, when it is."),
    "state": ("text", "US state as written, when found."),
    "zip": ("text", "ZIP or ZIP+4, when found."),
    "unit": ("text", "Suite / PMB / # unit, when found."),
    "letter_spaced": ("bool", "Written with spaces between the letters "
                              "('1 4 4 0 C o r a l R i d g e D r.'); found on a closed-up copy."),
}


def _record(source: TextSource, match: re.Match, start: int, end: int, kind: str,
            complete: bool) -> dict[str, Any]:
    record = span(source.field, source.text, start, end)
    groups = match.groupdict()
    unit = groups.get("unit")
    if kind == "street" and unit and re.match(r"(?i)pmb|private", unit):
        kind = "pmb"
    record.update(
        kind=kind,
        text=clean(record["quote"]),
        complete=complete,
        visible=source.visible,
        hidden_reason=None if source.visible else source.hidden_reason,
        state=groups.get("state"),
        zip=groups.get("zip"),
        unit=unit,
        letter_spaced=False,
    )
    return record


def _street_ok(match: re.Match, strict: bool = False) -> bool:
    """A street line without a suffix word or route ("100 Main") needs a ZIP or postal code
    to count, so "500 Million Customers, Dallas TX" is not an address. `strict` (the forms
    ending in a country name): the street must end with its suffix, so "1 Free Street
    Party, Paris, France" is not one either."""
    groups = match.groupdict()
    if groups.get("zip") or groups.get("postcode") or groups.get("box") or groups.get("places"):
        return True
    street = groups.get("street") or ""
    rest = street.split(None, 1)[1] if " " in street else ""
    suffix = _SUFFIX_AT_END if strict else _SUFFIX_WORD
    return bool(suffix.search(rest) or _ROUTE_WORD.match(street))


_SUFFIX_WORD = re.compile(rf"(?i)\b(?:{STREET_SUFFIXES})\b")
_SUFFIX_AT_END = re.compile(rf"(?i)\b(?:{STREET_SUFFIXES})\b\.?(?:\s+(?:[NSEW]|NE|NW|SE|SW)\b\.?)?$")
_ROUTE_WORD = re.compile(r"(?i)(?:route|rte|highway|hwy|state\s+road|county\s+road|us\s+highway)\b")
_BARE_BOX = re.compile(r"(?i)box\b")

# Complete forms, in the order they claim text: boxes first (in "P.O. Box 101262 / Cape
# Coral FL 33910" the box number is not a street number), then US streets, then foreign.
_COMPLETE_FORMS = (("street", "street"), ("street_no_city", "street"), ("foreign", "foreign"),
                   ("canadian", "foreign"), ("australian", "foreign"), ("irish", "foreign"),
                   ("british", "foreign"), ("country", "foreign"), ("world", "foreign"),
                   ("city_state", "foreign"))
# The forms built on _STREET, whose suffix-less "100 Main" needs a ZIP or postal code.
_STREET_CHECKED = frozenset({"street", "street_no_city", "canadian", "australian", "irish", "country",
                             "city_state"})
_STRICT = frozenset({"canadian", "irish", "country"})


def _candidates(text: str):
    """(start, end, match, kind, complete) for every address-shaped match: the complete
    ones first, so an incomplete "POB 1200" never hides "POB 1200, Oranjestad, Aruba"."""
    patterns = _patterns_that_may_match(text)
    incomplete = []
    for start, end, match in _spans(patterns["box"], text):
        box = match.group("box")
        kind = _box_kind(box)
        if match.group("state"):
            yield start, end, match, kind, True
        elif not _BARE_BOX.match(box):  # "box 3" alone is not an address
            incomplete.append((start, end, match, kind, False))
    for name, kind in _COMPLETE_FORMS:
        for start, end, match in _spans(patterns[name], text):
            if name in _STREET_CHECKED and not _street_ok(match, strict=name in _STRICT):
                continue
            box = match.groupdict().get("box")
            if box and _BARE_BOX.match(box):
                continue
            # A box abroad is still a box (the rule asks when a box alone suffices).
            yield start, end, match, _box_kind(box) if box else kind, True
    yield from incomplete
    for start, end, match in _spans(patterns["locality"], text):
        yield start, end, match, "locality", False


def _box_kind(box: str) -> str:
    return "pmb" if re.match(r"(?i)pmb|private", box) else "po_box"


def find_addresses(source: TextSource, *, letter_spacing: bool = True) -> list[dict[str, Any]]:
    """Every address-shaped span in one text, complete ones first claimed; then those
    only a closed-up copy of letter-spaced text shows."""
    found: list[dict[str, Any]] = []
    claimed = _Claimed()
    for start, end, match, kind, complete in _candidates(source.text):
        if claimed.claim(start, end):
            found.append(_record(source, match, start, end, kind, complete))
    if letter_spacing:
        for record in _letter_spaced_addresses(source):
            if claimed.claim(record["start"], record["end"]):
                found.append(record)
    found.sort(key=lambda r: r["start"])
    return found[:20]


class _Claimed:
    """Non-overlapping (start, end) spans; `claim` adds one unless it overlaps another
    (sorted, so that a text with thousands of matches stays fast)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        index = bisect.bisect_right(self.starts, start)
        if index and self.ends[index - 1] > start:
            return False
        if index < len(self.starts) and self.starts[index] < end:
            return False
        self.starts.insert(index, start)
        self.ends.insert(index, end)
        return True


def _spans(pattern: re.Pattern | None, text: str):
    return found_spans(pattern, text) if pattern is not None else ()


# ------------------------------------------------------------ letter spacing
# "1 4 4 0   C o r a l   R i d g e   D r." hides an address from every pattern above while
# a reader sees it plainly. A run is two or more single letters or digits, each alone
# between single spaces; a text is treated as letter-spaced only when it holds a run of at
# least four (so "a 5" in ordinary prose is never closed up).
_SPACED_RUN = re.compile(r"(?<![^\W_])[^\W_](?: [^\W_])+(?![^\W_])")
_LONG_SPACED_RUN = re.compile(r"(?<![^\W_])[^\W_](?: [^\W_]){3,}(?![^\W_])")
_SPACED_HINT = re.compile(r" \w \w \w ")  # cheap: a literal space leads


def close_up(text: str) -> tuple[str, list[int]]:
    """The text with letter-spaced runs closed up ("C o r a l" -> "Coral"; a space is kept
    where letters turn to digits: "P O B 1 2 0 0" -> "POB 1200"), and for each character
    of it the offset of the same character in `text`."""
    out: list[str] = []
    offsets: list[int] = []
    last = 0
    for run in _SPACED_RUN.finditer(text):
        start, end = run.span()
        out.append(text[last:start])
        offsets.extend(range(last, start))
        chars, positions = text[start:end:2], range(start, end, 2)
        cut = 0
        for turn in _LETTER_DIGIT_TURN.finditer(chars):
            out.append(chars[cut:turn.start()] + " ")
            offsets.extend(positions[cut:turn.start()])
            offsets.append(positions[turn.start()] - 1)  # the space between the two
            cut = turn.start()
        out.append(chars[cut:])
        offsets.extend(positions[cut:])
        last = end
    out.append(text[last:])
    offsets.extend(range(last, len(text)))
    return "".join(out), offsets


_LETTER_DIGIT_TURN = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")


def _letter_spaced_addresses(source: TextSource) -> list[dict[str, Any]]:
    """Addresses found only in the closed-up copy, with offsets into the real text."""
    if not (_SPACED_HINT.search(source.text) and _LONG_SPACED_RUN.search(source.text)):
        return []
    closed, offsets = close_up(source.text)
    copy = TextSource(source.field, closed, source.visible, source.hidden_reason)
    records = []
    for found in find_addresses(copy, letter_spacing=False):
        start, end = offsets[found["start"]], offsets[found["end"] - 1] + 1
        if end - start == found["end"] - found["start"]:
            continue  # nothing was closed up inside it: the plain search has judged it
        record = dict(found, **span(source.field, source.text, start, end))
        record.update(letter_spaced=True, text=clean(found["quote"]))
        records.append(record)
    return records


# ------------------------------------------------------------ fragments
# Address-like material the patterns could not read as an address. When nothing else is
# found, it makes the status `incomplete` (a person looks) rather than `none` (which the
# rule treats as no address at all).
_ZIP_ALONE = re.compile(r"(?<![\d\-])\d{5}(?:-\d{4})?(?![\d\-])")
# "Coral Springs Fl 33071" (no comma, so not a locality): a town word, a state, the ZIP.
_STATE_BEFORE_ZIP = re.compile(
    rf"(?<=[A-Za-z][ \t,])(?:{'|'.join(STATE_CODES)}|{STATE_NAMES}|(?:{OLD_ABBREVIATIONS})\.)"
    r"[ \t,.]{1,3}$"
)
_FRAGMENT_FORMS = (
    # A box without a number (not the pobox.com mail host, nor "pobox" the company).
    (("box", "pmb"), re.compile(
        r"(?<![\w.@/])(?!pobox)(?i:p\.?[ \t]?o\.?[ \t]?box|post[ \t]+office[ \t]+box|pmb)(?![\w@/\-]|\.\w)")),
    # A suite number: "Suite 408", "Ste. 5" (not "Koch-Suite 0.7").
    (("suite", "ste."), re.compile(r"(?<![\w\-])(?i:suite|ste\.)[ \t]*#?[ \t]*\d{1,5}(?![\w.]|\.\d)")),
    # A numbered street with no locality the patterns could read: "5863 Leslie St.".
    (("st", "av", "road", "rd", "boulevard", "blvd", "dr", "lane", "ln.", "parkway", "pkwy",
      "highway", "hwy"), re.compile(
        r"\b\d{1,6}(?:-?[A-Z])?[ \t]+[A-Z][\w'\-]*[ \t]+(?:[A-Za-z][\w'\-]*[ \t]+){0,2}"
        r"(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Drive|Dr\.|Lane|Ln\.|Parkway"
        r"|Pkwy\.?|Highway|Hwy\.?)(?!\w)")),
)
MAX_FRAGMENTS = 5


def find_fragments(source: TextSource) -> list[dict[str, Any]]:
    """Address-like material (kind `fragment`, never complete), at most MAX_FRAGMENTS, in
    text order."""
    text, folded = source.text, fold(source.text)
    spans = []
    if _ZIP_HINT.search(text):
        for start, end, match in found_spans(_ZIP_ALONE, text):
            state = _STATE_BEFORE_ZIP.search(text, max(0, start - 30), start)
            if state:
                spans.append((state.start(), end, match))
    for words, pattern in _FRAGMENT_FORMS:
        if any(word in folded for word in words):
            spans.extend(found_spans(pattern, text))
    records: list[dict[str, Any]] = []
    claimed = _Claimed()
    for start, end, match in sorted(spans, key=lambda found: found[0]):
        if start < end and claimed.claim(start, end):
            records.append(_record(source, match, start, end, "fragment", False))
            if len(records) == MAX_FRAGMENTS:
                break
    return records


def detect_postal_addresses(sources: list[TextSource]) -> dict[str, Any]:
    """{status, addresses, searched} over the body texts (visible first, then hidden runs).
    Fragments are looked for only when no address is found: they turn `none` into
    `incomplete` (or `hidden_only`), never a found address into something weaker."""
    addresses = [a for source in sources for a in find_addresses(source)]
    if not addresses:
        addresses = [a for source in sources for a in find_fragments(source)]
    return {"status": _status(addresses), "addresses": addresses,
            "searched": describe_searched(sources)}


def _status(addresses: list[dict[str, Any]]) -> str:
    if any(a["visible"] and a["complete"] for a in addresses):
        return "visible"
    if any(a["visible"] for a in addresses):
        return "incomplete"
    if addresses:
        return "hidden_only"
    return "none"


# ------------------------------------------------------------------- fields


def _detect(msg) -> dict[str, Any]:
    return msg.memo("detector:postal_address", lambda m: detect_postal_addresses(body_sources(m)))


@register(
    "postal_address.status",
    "text",
    "visible | incomplete | hidden_only | none: whether a complete postal address (street, "
    "P.O. Box or PMB with city/state or postal code) is in what the reader sees.",
)
def postal_address_status(msg) -> str:
    return _detect(msg)["status"]


@register(
    "postal_addresses",
    "list[record]",
    "Each postal-address-shaped text in the body (street, P.O. Box, PMB, foreign, "
    "locality-only), visible or hidden.",
    item_fields=ITEM_FIELDS,
)
def postal_addresses(msg) -> list[dict[str, Any]]:
    return _detect(msg)["addresses"]


@register(
    "postal_address.searched",
    "text",
    "What the address search covered (visible text, hidden text), as a phrase for findings "
    "that rest on finding nothing.",
)
def postal_address_searched(msg) -> str:
    return _detect(msg)["searched"]
