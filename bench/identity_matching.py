"""Identity-matching benchmark: precision, recall, review rate and blocking cost on generated data.

    uv run python bench/identity_matching.py --children 4000 --referrals 10000 --seed 1

Generates fictional children in fictional families (realistic UK name frequencies, nicknames,
double-barrelled family names, twins and siblings sharing an address, permanent, temporary and
duplicate UPNs, NHS numbers, house moves), then referrals about them with clerical noise. Every
referral goes through blocking (an in-memory key index standing in for the PostgreSQL key table)
and ``resolve``, in time order: a MATCHED_EXISTING referral joins the matched child, anything else
(NEW_CHILD or NEEDS_REVIEW) starts a new child, so review counts as "not merged".

All names, dates, addresses and identifiers are generated; none describe a real child. The
generator's nickname list deliberately differs from the package's table (some informal forms are
missing from the table) so the benchmark measures the table's gaps too.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import comb

from stdnum.gb import nhs
from stdnum.gb import upn as stdnum_upn

from services.intake.domain.identity import Decision, PersonRecord, blocking_keys, resolve, score_pair

# Frequency-ranked (most common first) UK given names, with the informal forms referrals use.
# fmt: off
BOYS = [
    "Oliver", "George", "Noah", "Arthur", "Harry", "Leo", "Muhammad", "Jack", "Charlie", "Oscar",
    "Jacob", "Henry", "Thomas", "Freddie", "Alfie", "Theo", "William", "Theodore", "Archie", "Joshua",
    "Alexander", "James", "Isaac", "Edward", "Lucas", "Tommy", "Finley", "Max", "Logan", "Ethan",
    "Teddy", "Benjamin", "Arlo", "Joseph", "Sebastian", "Mason", "Louie", "Rory", "Albert", "Hugo",
    "Jaxon", "Reggie", "Elijah", "Daniel", "Samuel", "Zachary", "Adam", "Riley", "Toby", "Dylan",
    "Harrison", "Mohammed", "Jude", "Ronnie", "Ezra", "Reuben", "Louis", "Frankie", "Elliot", "Jenson",
    "Grayson", "Ellis", "Harley", "Michael", "Caleb", "Rowan", "Stanley", "Luca", "Kai", "Austin",
    "Jesse", "Bobby", "Jayden", "Nathan", "Liam", "Callum", "Ryan", "Jamie", "Matthew", "Lewis",
    "Connor", "Luke", "Kyle", "Aaron", "Christopher", "Nicholas", "Anthony", "Robert", "David", "John",
    "Patrick", "Dominic", "Tyler", "Kieran", "Jordan", "Owen", "Angus", "Ibrahim", "Yusuf", "Kacper",
]
GIRLS = [
    "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow",
    "Rosie", "Sophia", "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily", "Ella",
    "Evelyn", "Phoebe", "Sofia", "Evie", "Charlotte", "Harper", "Millie", "Matilda", "Maya", "Sophie",
    "Alice", "Emilia", "Isabelle", "Ruby", "Luna", "Maisie", "Aria", "Penelope", "Mila", "Bonnie",
    "Eva", "Hallie", "Eliza", "Ada", "Violet", "Esme", "Arabella", "Imogen", "Jessica", "Delilah",
    "Eleanor", "Harriet", "Chloe", "Lucy", "Layla", "Hannah", "Holly", "Megan", "Ellie", "Scarlett",
    "Jasmine", "Erin", "Amber", "Katie", "Rebecca", "Abigail", "Victoria", "Elizabeth", "Natalie",
    "Aisha", "Fatima", "Zara", "Leah", "Niamh", "Lauren", "Caitlin", "Bethany", "Georgia", "Molly",
    "Amy", "Sarah", "Hollie", "Lola", "Summer", "Zoe", "Alexandra", "Madison", "Nicole", "Samantha",
    "Catherine", "Zofia", "Maryam", "Aoife", "Chiamaka",
]
INFORMAL = {
    "Oliver": ["Ollie", "Olly"], "Harry": ["Haz"], "Muhammad": ["Mohammed", "Mohammad", "Mo"],
    "Mohammed": ["Muhammad", "Mohamed"], "Jacob": ["Jake"], "Thomas": ["Tom", "Tommy"],
    "William": ["Will", "Billy", "Liam"], "Theodore": ["Theo", "Teddy"], "Joshua": ["Josh"],
    "Alexander": ["Alex", "Xander"], "James": ["Jamie", "Jim"], "Edward": ["Eddie", "Ted", "Teddy"],
    "Benjamin": ["Ben", "Benji"], "Joseph": ["Joe", "Joey"], "Sebastian": ["Seb"], "Daniel": ["Dan", "Danny"],
    "Samuel": ["Sam", "Sammy"], "Zachary": ["Zach", "Zac"], "Michael": ["Mike", "Mikey"], "Stanley": ["Stan"],
    "Matthew": ["Matt", "Matty"], "Christopher": ["Chris", "Kit"], "Nicholas": ["Nick", "Nico"],
    "Anthony": ["Tony"], "Robert": ["Rob", "Bobby"], "David": ["Dave"], "Patrick": ["Paddy"],
    "Dominic": ["Dom"], "Nathan": ["Nate"], "Frankie": ["Frank"], "Angus": ["Gus"], "Reuben": ["Rubes"],
    "Amelia": ["Millie", "Milly"], "Florence": ["Flo", "Florrie"], "Sophia": ["Sophie"],
    "Isabella": ["Bella", "Izzy", "Isabel"], "Evelyn": ["Evie"], "Charlotte": ["Lottie", "Charlie"],
    "Matilda": ["Tilly"], "Isabelle": ["Izzy", "Belle"], "Penelope": ["Penny", "Nell"],
    "Eliza": ["Liza"], "Jessica": ["Jess"], "Eleanor": ["Ellie", "Nell"], "Harriet": ["Hattie"],
    "Rebecca": ["Becky", "Bex"], "Abigail": ["Abbie", "Abi"], "Victoria": ["Vicky", "Tori"],
    "Elizabeth": ["Beth", "Lizzie", "Libby"], "Natalie": ["Nat"], "Alexandra": ["Alex", "Lexi"],
    "Madison": ["Maddie"], "Samantha": ["Sam"], "Catherine": ["Kate", "Katie", "Cat"],
    "Katie": ["Kate"], "Amy": ["Aimee"], "Zofia": ["Zosia"], "Imogen": ["Immy"], "Arabella": ["Bella"],
}
SURNAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
    "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
    "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
    "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
    "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart",
    "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West",
    "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien",
    "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees",
    "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe",
    "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland",
    "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Williamson",
    "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess",
    "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren",
    "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis",
    "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill",
    "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle",
    "Wallace", "George", "Jordan", "Hutchinson", "Rowe", "Burke", "May", "Pritchard", "Gilbert",
    "Willis", "Higgins", "Read", "Miles", "Stevenson", "Stephenson", "Hammond", "Arnold", "Buckley",
    "Walters", "Hewitt", "Barber", "Nelson", "Slater", "Austin", "Sullivan", "Whitehead", "Mann",
    "Frost", "Lambert", "Stephens", "Blake", "Akhtar", "Lynch", "Goodwin", "Barton", "Woodward",
    "Thomson", "Cunningham", "Quinn", "Barnett", "Baxter", "Bibi", "Clayton", "Nash", "Greenwood",
    "Jennings", "Holt", "Kemp", "Poole", "Gallagher", "Bond", "Stokes", "Tucker", "Davidson", "Fowler",
    "Heath", "Norman", "Middleton", "Lawson", "Banks", "French", "Stanley", "Jarvis", "Gibbs",
    "Ferguson", "Hayward", "Carroll", "Douglas", "Dickinson", "Todd", "Barlow", "Peters", "Lucas",
    "Knowles", "Hartley", "Miah", "Simmons", "Morton", "Alexander", "Field", "Morrison", "Norris",
    "Townsend", "Preston", "Hancock", "Thornton", "Baldwin", "Burrows", "Briggs", "Storey", "Pollard",
    "Kowalski", "Nowak", "Wiśniewski", "Popescu", "Ionescu", "Okafor", "Adeyemi", "Mensah", "Nguyen",
    "Chen", "O'Sullivan", "MacDonald", "de Souza", "da Silva", "Van der Merwe",
]
STREET_NAMES = [
    "High", "Church", "Station", "Mill", "Park", "Victoria", "Green", "Manor", "Kings", "Queens",
    "New", "School", "North", "St Mary's", "St John's", "Chapel", "Orchard", "Meadow", "Elm", "Oak",
    "Ash", "Beech", "Willow", "Cedar", "Hawthorn", "Windsor", "York", "Albert", "Grange", "Springfield",
    "Westfield", "Brook", "Bridge", "Castle", "Market", "Hill", "Forest", "Richmond", "Highfield",
    "Fairfield", "Cherry", "Hazel", "Rowan", "Holly", "Lime", "Maple", "Birch", "Poplar", "Sycamore",
    "Chestnut", "Nelson", "Jubilee", "Coronation", "Kingsway", "Moor", "Priory", "Abbey", "Vicarage",
    "Rectory", "Princes", "Alexandra", "Clarence", "Cromwell", "Stanley", "Warwick", "Belmont",
]
STREET_TYPES = {
    "Street": ["St", "St."], "Road": ["Rd", "Rd."], "Avenue": ["Ave", "Av"], "Close": ["Cl"],
    "Drive": ["Dr"], "Lane": ["Ln"], "Gardens": ["Gdns"], "Crescent": ["Cres"], "Court": ["Ct"],
    "Place": ["Pl"], "Terrace": ["Tce"], "Grove": ["Gr"], "Way": ["Way"],
}
# fmt: on
# The county's postal districts and, for arrivals, other LAs' UPN codes. 940 is a post-2011 LA number.
DISTRICTS = [f"CM{number}" for number in range(1, 25)] + ["CO3", "CO4", "SS1", "SS2", "SS7"]
HOME_LA, OTHER_LAS = 881, (882, 883, 940, 919, 850)
UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
FIRST_BIRTH, LAST_BIRTH = date(2009, 9, 1), date(2021, 8, 31)

# Noise rates per referral, each applied independently. These are assumptions, not measurements:
# a few per cent per field, the range record-linkage work on administrative data usually reports,
# with day/month transposition applied only where the day could be a month.
NICKNAME_RATE = 0.12
GIVEN_TYPO_RATE = 0.04
MIDDLE_AS_GIVEN_RATE = 0.01
UNRELATED_PREFERRED_NAME_RATE = 0.003
FAMILY_TYPO_RATE = 0.04
FAMILY_NAME_CHANGE_RATE = 0.01
SWAPPED_NAMES_RATE = 0.015
DOB_TRANSPOSED_RATE = 0.03
DOB_TYPO_RATE = 0.015
DOB_MISSING_RATE = 0.02
SEX_MISSING_RATE = 0.10
SEX_WRONG_RATE = 0.005
UPN_INCLUDED_RATE = 0.6
UPN_INVALID_TYPO_RATE = 0.01
UPN_SIBLING_MIX_UP_RATE = 0.003
FORMER_UPN_LISTED_RATE = 0.5
NHS_INCLUDED_RATE = 0.25
NHS_INVALID_TYPO_RATE = 0.01
POSTCODE_MISSING_RATE = 0.05
POSTCODE_TYPO_RATE = 0.01
ADDRESS_MISSING_RATE = 0.03
ADDRESS_REFORMATTED_RATE = 0.4
STREET_TYPO_RATE = 0.02
MIDDLE_NAMES_GIVEN_RATE = 0.5
# Child- and family-level rates.
TWIN_BIRTH_RATE = 0.03
HYPHENATED_FAMILY_RATE = 0.06
HALF_SIBLING_SURNAME_RATE = 0.15
FAMILY_MOVES_RATE = 0.25
PERMANENT_UPN_RATE = 0.88
TEMPORARY_BEFORE_PERMANENT_RATE = 0.08
TEMPORARY_ONLY_RATE = 0.05
DUPLICATE_PERMANENT_UPN_RATE = 0.02
HYPHEN_VARIANTS = ("space", "joined", "first part", "second part")
HYPHEN_VARIANT_RATE = 0.5


@dataclass(frozen=True)
class Address:
    number: int
    street: str
    street_type: str
    flat: int | None
    postcode: str


@dataclass
class Household:
    family_name: str
    address: Address
    moved_to: Address | None
    move_time: float


@dataclass
class Child:
    index: int
    given: str
    middle: str | None
    family: str
    born: date
    sex: str
    household: Household
    permanent_upn: str | None = None
    temporary_upn: str | None = None
    permanent_from: float = 0.0
    duplicate_upn: str | None = None
    duplicate_from: float = 1.0
    nhs_number: str = ""
    siblings: list[Child] = field(default_factory=list)


@dataclass(frozen=True)
class Referral:
    time: float
    child: Child
    record: PersonRecord
    noise: tuple[str, ...]


def zipf_weights(count: int, exponent: float = 0.9) -> list[float]:
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]


class Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.boy_weights = zipf_weights(len(BOYS), 0.8)
        self.girl_weights = zipf_weights(len(GIRLS), 0.8)
        self.surname_weights = zipf_weights(len(SURNAMES), 0.9)
        self.streets = self._streets()
        self.used_upns: set[str] = set()

    def _streets(self) -> list[tuple[str, str, str]]:
        """(name, type, postcode) for every street; one postcode unit per street."""
        streets = []
        used: set[str] = set()
        for district in DISTRICTS:
            for _ in range(40):
                name, kind = self.rng.choice(STREET_NAMES), self.rng.choice(list(STREET_TYPES))
                postcode = ""
                while not postcode or postcode in used:
                    letters = "".join(self.rng.choices("ABDEFGHJLNPQRSTUWXYZ", k=2))
                    postcode = f"{district} {self.rng.randint(1, 9)}{letters}"
                used.add(postcode)
                streets.append((name, kind, postcode))
        return streets

    def address(self) -> Address:
        name, kind, postcode = self.rng.choice(self.streets)
        flat = self.rng.randint(1, 12) if self.rng.random() < 0.2 else None
        return Address(self.rng.randint(1, 150), f"{name} {kind}", kind, flat, postcode)

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, self.surname_weights)[0]

    def given_name(self, sex: str, taken: set[str]) -> str:
        """A name not already used in the family, nor an informal form of one (no "Edward" and
        "Teddy" as brothers)."""
        names, weights = (BOYS, self.boy_weights) if sex == "M" else (GIRLS, self.girl_weights)
        while (name := self.rng.choices(names, weights)[0]) in taken:
            pass
        taken.update((name, *INFORMAL.get(name, ())))
        taken.update(formal for formal, informal in INFORMAL.items() if name in informal)
        return name

    def upn(self, temporary: bool, la: int, year: int) -> str:
        while True:
            serial = (
                f"{self.rng.randint(0, 99):02d}{self.rng.choice(UPN_ALPHABET)}"
                if temporary
                else f"{self.rng.randint(0, 999):03d}"
            )
            body = f"{la:03d}{self.rng.randint(2000, 7999):04d}{year % 100:02d}{serial}"
            candidate = stdnum_upn.calc_check_digit(body) + body
            if candidate not in self.used_upns:
                self.used_upns.add(candidate)
                return candidate

    def nhs_number(self) -> str:
        while True:
            digits = f"{self.rng.randint(400_000_000, 799_999_999)}"
            check = 11 - sum(int(digit) * (10 - position) for position, digit in enumerate(digits)) % 11
            if check == 10:
                continue
            candidate = digits + str(0 if check == 11 else check)
            if nhs.is_valid(candidate):
                return candidate

    def birth_date(self, after: date | None) -> date | None:
        if after is None:
            return FIRST_BIRTH + timedelta(days=self.rng.randint(0, (LAST_BIRTH - FIRST_BIRTH).days))
        born = after + timedelta(days=self.rng.randint(365, 5 * 365))
        return born if born <= LAST_BIRTH else None

    def identifiers(self, child: Child) -> None:
        la = HOME_LA if self.rng.random() < 0.8 else self.rng.choice(OTHER_LAS)
        school_start = child.born.year + 5
        roll = self.rng.random()
        if roll < PERMANENT_UPN_RATE:
            child.permanent_upn = self.upn(temporary=False, la=la, year=school_start)
            if self.rng.random() < TEMPORARY_BEFORE_PERMANENT_RATE:
                child.temporary_upn = self.upn(temporary=True, la=la, year=school_start)
                child.permanent_from = self.rng.random()
            if self.rng.random() < DUPLICATE_PERMANENT_UPN_RATE:
                child.duplicate_upn = self.upn(temporary=False, la=HOME_LA, year=school_start + 3)
                child.duplicate_from = self.rng.random()
        elif roll < PERMANENT_UPN_RATE + TEMPORARY_ONLY_RATE:
            child.temporary_upn = self.upn(temporary=True, la=HOME_LA, year=school_start)
            child.permanent_from = 2.0
        child.nhs_number = self.nhs_number()

    def family_name(self) -> str:
        if self.rng.random() < HYPHENATED_FAMILY_RATE:
            first, second = self.surname(), self.surname()
            if first != second:
                return f"{first}-{second}"
        return self.surname()

    def population(self, size: int) -> list[Child]:
        children: list[Child] = []
        while len(children) < size:
            moved = self.rng.random() < FAMILY_MOVES_RATE
            household = Household(
                family_name=self.family_name(),
                address=self.address(),
                moved_to=self.address() if moved else None,
                move_time=self.rng.random() if moved else 2.0,
            )
            family: list[Child] = []
            taken: set[str] = set()
            born = self.birth_date(None)
            births = 1 + min(int(self.rng.expovariate(1.1)), 4)
            for _ in range(births):
                if born is None or len(children) + len(family) >= size:
                    break
                twins = 2 if self.rng.random() < TWIN_BIRTH_RATE else 1
                for _ in range(twins):
                    family.append(self.child(len(children) + len(family), born, household, taken, family))
                born = self.birth_date(born)
            for member in family:
                member.siblings = [other for other in family if other is not member]
            children.extend(family)
        return children[:size]

    def child(self, index: int, born: date, household: Household, taken: set[str], family: list[Child]) -> Child:
        sex = self.rng.choice("MF")
        given = self.given_name(sex, taken)
        family_name = household.family_name
        if family and self.rng.random() < HALF_SIBLING_SURNAME_RATE:
            family_name = self.surname()
        middle = self.given_name(sex, set(taken)) if self.rng.random() < 0.7 else None
        child = Child(index, given, middle, family_name, born, sex, household)
        self.identifiers(child)
        return child


class Noise:
    """Clerical noise, applied to the child's true details one referral at a time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def chance(self, rate: float) -> bool:
        return self.rng.random() < rate

    def typo(self, text: str) -> str:
        if len(text) < 3:
            return text
        # First letters are rarely wrong; errors cluster in the middle and end of a word.
        position = self.rng.randint(1, len(text) - 1)
        letter = self.rng.choice(string.ascii_lowercase)
        operation = self.rng.choice(("substitute", "delete", "insert", "transpose"))
        if operation == "substitute":
            return text[:position] + letter + text[position + 1 :]
        if operation == "delete":
            return text[:position] + text[position + 1 :]
        if operation == "insert":
            return text[:position] + letter + text[position:]
        if position == len(text) - 1:
            position -= 1
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]

    def letter_case(self, text: str) -> str:
        roll = self.rng.random()
        if roll < 0.15:
            return text.upper()
        if roll < 0.25:
            return text.lower()
        return text

    def given_name(self, child: Child, tags: list[str]) -> str:
        given = child.given
        if child.middle and self.chance(MIDDLE_AS_GIVEN_RATE):
            tags.append("middle name used")
            given = child.middle
        elif self.chance(UNRELATED_PREFERRED_NAME_RATE):
            tags.append("unrelated preferred name")
            given = self.rng.choice(BOYS if child.sex == "M" else GIRLS)
        elif given in INFORMAL and self.chance(NICKNAME_RATE):
            tags.append("nickname")
            given = self.rng.choice(INFORMAL[given])
        if self.chance(GIVEN_TYPO_RATE):
            tags.append("given typo")
            given = self.typo(given)
        return self.letter_case(given)

    def family_name(self, child: Child, tags: list[str]) -> str:
        family = child.family
        if "-" in family and self.chance(HYPHEN_VARIANT_RATE):
            variant = self.rng.choice(HYPHEN_VARIANTS)
            tags.append(f"hyphen {variant}")
            first, second = family.split("-")
            family = {
                "space": f"{first} {second}",
                "joined": first + second,
                "first part": first,
                "second part": second,
            }[variant]
        if self.chance(FAMILY_NAME_CHANGE_RATE):
            tags.append("family name changed")
            family = self.rng.choice(SURNAMES)
        if self.chance(FAMILY_TYPO_RATE):
            tags.append("family typo")
            family = self.typo(family)
        return self.letter_case(family)

    def birth_date(self, child: Child, tags: list[str]) -> date | None:
        born = child.born
        if self.chance(DOB_MISSING_RATE):
            tags.append("dob missing")
            return None
        if born.day <= 12 and born.day != born.month and self.chance(DOB_TRANSPOSED_RATE):
            tags.append("dob day/month swapped")
            return date(born.year, born.day, born.month)
        if self.chance(DOB_TYPO_RATE):
            tags.append("dob typo")
            choice = self.rng.random()
            if choice < 0.4:
                return born + timedelta(days=self.rng.choice((-1, 1)))
            if choice < 0.7:
                return born.replace(year=born.year + self.rng.choice((-1, 1))) if born.day != 29 else born
            swapped_day = int(f"{born.day:02d}"[::-1])
            try:
                return born.replace(day=swapped_day)
            except ValueError:
                return born + timedelta(days=self.rng.choice((-1, 1)))
        return born

    def sex(self, child: Child, tags: list[str]) -> str | None:
        if self.chance(SEX_MISSING_RATE):
            return None
        if self.chance(SEX_WRONG_RATE):
            tags.append("sex wrong")
            return "F" if child.sex == "M" else "M"
        return self.rng.choice((child.sex, child.sex, "Male" if child.sex == "M" else "Female"))

    def upns(self, child: Child, when: float, tags: list[str]) -> tuple[str | None, tuple[str, ...]]:
        current = child.temporary_upn if when < child.permanent_from else child.permanent_upn
        if child.duplicate_upn and when >= child.duplicate_from and self.chance(0.5):
            current = child.duplicate_upn
            tags.append("duplicate permanent upn")
        if current is None or not self.chance(UPN_INCLUDED_RATE):
            return None, ()
        siblings_with_upn = [sibling for sibling in child.siblings if sibling.permanent_upn]
        if siblings_with_upn and self.chance(UPN_SIBLING_MIX_UP_RATE):
            tags.append("sibling's upn")
            return self.rng.choice(siblings_with_upn).permanent_upn, ()
        if self.chance(UPN_INVALID_TYPO_RATE):
            tags.append("upn typo")
            position = self.rng.randint(5, 11)
            current = current[:position] + str((int(current[position]) + 1) % 10) + current[position + 1 :]
        former: tuple[str, ...] = ()
        if current == child.permanent_upn and child.temporary_upn and self.chance(FORMER_UPN_LISTED_RATE):
            former = (child.temporary_upn,)
        if current == child.temporary_upn and child.permanent_upn:
            tags.append("temporary upn")
        return current, former

    def nhs_number(self, child: Child, tags: list[str]) -> str | None:
        if not self.chance(NHS_INCLUDED_RATE):
            return None
        if self.chance(NHS_INVALID_TYPO_RATE):
            tags.append("nhs typo")
            digits = child.nhs_number
            return digits[:4] + digits[5] + digits[4] + digits[6:]
        return self.rng.choice(
            (child.nhs_number, f"{child.nhs_number[:3]} {child.nhs_number[3:6]} {child.nhs_number[6:]}")
        )

    def address_line(self, address: Address, tags: list[str]) -> str | None:
        if self.chance(ADDRESS_MISSING_RATE):
            tags.append("address missing")
            return None
        street = address.street
        if self.chance(STREET_TYPO_RATE):
            tags.append("street typo")
            name, _, kind = street.rpartition(" ")
            street = f"{self.typo(name)} {kind}"
        if not self.chance(ADDRESS_REFORMATTED_RATE):
            base = f"{address.number} {street}"
            return f"Flat {address.flat}, {base}" if address.flat else base
        tags.append("address reformatted")
        name, _, kind = street.rpartition(" ")
        kind = self.rng.choice([kind, *STREET_TYPES.get(kind, [])])
        separator = self.rng.choice((" ", ", "))
        base = f"{address.number}{separator}{name} {kind}"
        if address.flat:
            base = self.rng.choice(
                (
                    f"Flat {address.flat}, {base}",
                    f"{base}, Flat {address.flat}",
                    f"{address.flat}/{address.number} {name} {kind}",
                    f"Apartment {address.flat} {base}",
                )
            )
        return self.letter_case(base)

    def postcode(self, postcode: str, tags: list[str]) -> str | None:
        if self.chance(POSTCODE_MISSING_RATE):
            tags.append("postcode missing")
            return None
        if self.chance(POSTCODE_TYPO_RATE):
            tags.append("postcode typo")
            postcode = postcode[:-1] + self.rng.choice("ABDEFGHJLNPQRSTUWXYZ".replace(postcode[-1], ""))
        return self.rng.choice((postcode, postcode.lower(), postcode.replace(" ", "")))

    def referral(self, child: Child, when: float) -> Referral:
        tags: list[str] = []
        household = child.household
        moved = household.moved_to is not None and when >= household.move_time
        address = household.moved_to if moved and household.moved_to else household.address
        if moved:
            tags.append("moved")
        given = self.given_name(child, tags)
        family = self.family_name(child, tags)
        if self.chance(SWAPPED_NAMES_RATE):
            tags.append("names swapped")
            given, family = family, given
        upn, former = self.upns(child, when, tags)
        if upn is None:
            tags.append("no upn")
        record = PersonRecord(
            given_name=given,
            family_name=family,
            middle_names=child.middle if child.middle and self.chance(MIDDLE_NAMES_GIVEN_RATE) else None,
            date_of_birth=self.birth_date(child, tags),
            sex=self.sex(child, tags),
            upn=upn,
            former_upns=former,
            nhs_number=self.nhs_number(child, tags),
            postcode=self.postcode(address.postcode, tags),
            address_line=self.address_line(address, tags),
        )
        return Referral(when, child, record, tuple(tags))


def referrals_for(children: Sequence[Child], total: int, rng: random.Random) -> list[Referral]:
    """At least one referral per child; the rest skewed, since some children are referred again and again."""
    weights = [rng.gammavariate(0.7, 1.0) for _ in children]
    assigned = list(children) + rng.choices(list(children), weights, k=max(total - len(children), 0))
    noise = Noise(rng)
    referrals = [noise.referral(child, rng.random()) for child in assigned]
    referrals.sort(key=lambda referral: referral.time)
    return referrals


@dataclass
class Outcome:
    """Per-referral results, in referral order."""

    predicted: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    candidates_same_child: list[int] = field(default_factory=list)
    candidates_other_children: list[int] = field(default_factory=list)
    register_records: list[int] = field(default_factory=list)
    key_counts: list[int] = field(default_factory=list)
    blocking_missed: int = 0
    seconds: list[float] = field(default_factory=list)
    # (score, candidate child holds the referral's true child) for each candidate child's best record.
    calibration: list[tuple[float, bool]] = field(default_factory=list)


def run(referrals: Sequence[Referral], review_mode: str) -> Outcome:
    """Resolve referrals in time order against a growing register.

    review_mode "provisional": a NEEDS_REVIEW referral is stored as a new child until an officer
    decides, so later referrals can match it (and may then see two candidate children).
    "parked": it waits in the review queue outside the register.
    """
    outcome = Outcome()
    index: dict[str, list[int]] = defaultdict(list)
    stored: list[tuple[str, PersonRecord]] = []
    true_child_of_record: list[int] = []
    members: dict[str, set[int]] = defaultdict(set)
    children_seen: set[int] = set()
    for number, referral in enumerate(referrals):
        started = time.perf_counter()
        keys = blocking_keys(referral.record)
        found = {position for key in keys for position in index.get(key, ())}
        resolution = resolve(referral.record, [stored[position] for position in found])
        outcome.seconds.append(time.perf_counter() - started)

        true_child = referral.child.index
        matched = resolution.decision is Decision.MATCHED_EXISTING and resolution.child_id is not None
        child_id = resolution.child_id if matched and resolution.child_id else f"child-{number}"
        outcome.predicted.append(child_id)
        outcome.decisions.append(resolution.decision)
        same = sum(1 for position in found if true_child_of_record[position] == true_child)
        outcome.candidates_same_child.append(same)
        outcome.candidates_other_children.append(len(found) - same)
        outcome.register_records.append(len(stored))
        outcome.key_counts.append(len(keys))
        if true_child in children_seen and same == 0:
            outcome.blocking_missed += 1
        children_seen.add(true_child)
        best_per_child: dict[str, float] = {}
        for position in found:
            candidate_child, known = stored[position]
            scored = score_pair(referral.record, known).score
            best_per_child[candidate_child] = max(scored, best_per_child.get(candidate_child, 0.0))
        outcome.calibration.extend(
            (scored, true_child in members[candidate_child]) for candidate_child, scored in best_per_child.items()
        )
        if resolution.decision is Decision.NEEDS_REVIEW and review_mode == "parked":
            continue
        for key in keys:
            index[key].append(len(stored))
        stored.append((child_id, referral.record))
        true_child_of_record.append(true_child)
        members[child_id].add(true_child)
    return outcome


def pairs(cluster_sizes: Iterable[int]) -> int:
    return sum(comb(size, 2) for size in cluster_sizes)


def pairwise(referrals: Sequence[Referral], predicted: Sequence[str]) -> tuple[float, float, int, int]:
    """Pairwise precision and recall: every two referrals put under one child is a predicted pair."""
    truth = Counter(referral.child.index for referral in referrals)
    both = Counter((referral.child.index, child_id) for referral, child_id in zip(referrals, predicted, strict=True))
    true_positive = pairs(both.values())
    predicted_pairs, true_pairs = pairs(Counter(predicted).values()), pairs(truth.values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    return precision, true_positive / true_pairs, predicted_pairs, true_pairs


def false_pairs(referrals: Sequence[Referral], predicted: Sequence[str]) -> Counter[str]:
    """Referral pairs put under one child although they are about different children, by how the
    two children are related: twins and siblings are the hard cases."""
    clusters: dict[str, list[Child]] = defaultdict(list)
    for referral, child_id in zip(referrals, predicted, strict=True):
        clusters[child_id].append(referral.child)
    kinds: Counter[str] = Counter()
    for members in clusters.values():
        for position, first in enumerate(members):
            for second in members[position + 1 :]:
                if first is second:
                    continue
                if second in first.siblings:
                    kinds["twins" if first.born == second.born else "siblings"] += 1
                else:
                    kinds["unrelated"] += 1
    return kinds


@dataclass
class Links:
    """Referral-level view: did each MATCHED decision join the right child, and did each repeat
    referral (its child seen before) join its child? Tallied by noise tag."""

    matched: int = 0
    wrong: int = 0
    repeats: Counter[str] = field(default_factory=Counter)
    linked: Counter[str] = field(default_factory=Counter)
    reviewed: Counter[str] = field(default_factory=Counter)


def links(referrals: Sequence[Referral], outcome: Outcome) -> Links:
    members: dict[str, set[int]] = defaultdict(set)
    seen: set[int] = set()
    tally = Links()
    for referral, child_id, decision in zip(referrals, outcome.predicted, outcome.decisions, strict=True):
        true_child = referral.child.index
        joined_right = decision is Decision.MATCHED_EXISTING and true_child in members[child_id]
        if decision is Decision.MATCHED_EXISTING:
            tally.matched += 1
            tally.wrong += not joined_right
        if true_child in seen:
            for tag in referral.noise or ("no noise",):
                tally.repeats[tag] += 1
                tally.linked[tag] += joined_right
                tally.reviewed[tag] += decision is Decision.NEEDS_REVIEW
        seen.add(true_child)
        members[child_id].add(true_child)
    return tally


def cost_windows(total: int) -> list[slice]:
    """Referral windows where the register holds about 1k, 10k, 100k records, plus the last 1,000."""
    windows = [slice(size - 500, size + 500) for size in (1_000, 10_000, 100_000) if size + 500 <= total]
    last = slice(max(total - 1000, 0), total)
    return windows if windows and windows[-1].stop == total else [*windows, last]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)] if ordered else 0.0


CALIBRATION_BANDS = ((0.0, 0.01), (0.01, 0.5), (0.5, 0.97), (0.97, 0.999), (0.999, 1.01))


def report(
    args: argparse.Namespace, children: Sequence[Child], referrals: Sequence[Referral], outcome: Outcome
) -> None:
    total = len(referrals)
    precision, recall, predicted_pairs, true_pairs = pairwise(referrals, outcome.predicted)
    decisions = Counter(outcome.decisions)
    tally = links(referrals, outcome)
    twins = sum(1 for child in children if any(sibling.born == child.born for sibling in child.siblings))
    referred = len({referral.child.index for referral in referrals})
    repeats = total - referred
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"seed {args.seed}, review mode {args.review_mode}: "
        f"{referred} children referred ({twins} of them twins), "
        f"{total} referrals ({repeats} about a child referred before), "
        f"{sum(1 for r in referrals if r.record.upn)} with a UPN, "
        f"{sum(1 for r in referrals if r.record.nhs_number)} with an NHS number"
    )
    print(
        f"pairwise precision {precision:.4f}, recall {recall:.4f} "
        f"(predicted pairs {predicted_pairs}, true pairs {true_pairs})"
    )
    print(
        "decisions: "
        + ", ".join(f"{decision.value} {count} ({count / total:.2%})" for decision, count in sorted(decisions.items()))
    )
    print(f"matched decisions that joined the wrong child: {tally.wrong} of {tally.matched}")
    wrong_pairs = false_pairs(referrals, outcome.predicted)
    print(
        "wrongly merged referral pairs by relationship: "
        + (", ".join(f"{kind} {count}" for kind, count in wrong_pairs.most_common()) or "none")
    )
    print(
        f"repeat referrals where blocking found no earlier record of the child: {outcome.blocking_missed} "
        f"of {repeats} ({outcome.blocking_missed / repeats if repeats else 0:.2%})"
    )
    print(f"blocking keys per referral: mean {mean(outcome.key_counts):.2f}, max {max(outcome.key_counts)}")
    print("cost as the register grows (1,000-referral windows around each register size):")
    for window in cost_windows(total):
        print(
            f"  referrals {window.start + 1:>6}-{window.stop:<6} "
            f"register {mean(outcome.register_records[window]):8.0f} records: "
            f"candidates {mean(outcome.candidates_same_child[window]):5.2f} of the same child + "
            f"{mean(outcome.candidates_other_children[window]):5.2f} of others; "
            f"{percentile(outcome.seconds[window], 0.5) * 1000:.2f} ms median, "
            f"{percentile(outcome.seconds[window], 0.95) * 1000:.2f} ms p95 per referral"
        )
    print(
        f"wall time {sum(outcome.seconds):.2f} s for blocking + resolve "
        f"({mean(outcome.seconds) * 1000:.2f} ms per referral)"
    )
    print("calibration (candidate child's best score band: share that really was the same child):")
    for low, high in CALIBRATION_BANDS:
        band = [same for score, same in outcome.calibration if low <= score < high]
        print(
            f"  [{low:.3f}, {min(high, 1.0):.3f}{')' if high <= 1 else ']'} {len(band):>6} candidates, "
            f"{mean([float(same) for same in band]):7.2%} same child"
        )
    print("repeat referrals by noise present (one referral can carry several):")
    print(f"  {'noise':<28} {'count':>6} {'linked':>8} {'review':>8}")
    for tag, count in sorted(tally.repeats.items(), key=lambda item: -item[1]):
        print(f"  {tag:<28} {count:>6} {tally.linked[tag] / count:8.2%} {tally.reviewed[tag] / count:8.2%}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", type=int, default=4000)
    parser.add_argument("--referrals", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--review-mode", choices=("provisional", "parked"), default="provisional")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    children = Generator(rng).population(args.children)
    referrals = referrals_for(children, args.referrals, rng)
    # The generated population is not part of what is measured; keep the collector off it.
    gc.collect()
    gc.freeze()
    report(args, children, referrals, run(referrals, args.review_mode))
    return 0


if __name__ == "__main__":
    sys.exit(main())
