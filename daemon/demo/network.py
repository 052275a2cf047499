"""A generated network: people with names, companies and positions, as LinkedIn and vCard files.

The demo imports these through the real importers, so the files follow the
real formats: LinkedIn's ``Connections.csv`` (with its notes preamble and
"09 Oct 2024" dates) and a vCard 3.0 file carrying the addresses LinkedIn
leaves out. Deterministic for a ``random.Random``.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

FIRST_NAMES = (
    "Ada Ben Chidi Dana Elif Farid Gala Hana Ines Jonas Kira Lars Mina Nour Omar Priya Quinn Rosa Sami Tomas "
    "Uma Vera Wen Xavier Yara Zoltan Amara Bruno Carmen Dmitri Esther Felix Greta Hugo Ivana Jamal Keiko Luca "
    "Maya Nils Olga Pablo Rania Stefan Tara Ulla Viktor Wanda Yusuf Zara"
).split()
LAST_NAMES = (
    "Abara Bianchi Castillo Dubois Eriksen Fischer Garcia Haddad Ito Jansen Kowalski Laurent Moreau Novak "
    "Okafor Petrov Quist Rossi Sato Tanaka Ulrich Varga Weber Xu Yilmaz Zimmermann Andersen Brennan Costa "
    "Dimitrou Engel Falk Grant Holm Iqbal Jovanovic Keller Lindqvist Mendes Nakamura"
).split()
COMPANIES = (
    "Analytical Engines", "Babbage & Co", "Cobalt Labs", "Delta Freight", "Ember Health", "Fjord Systems",
    "Granite Bank", "Helios Energy", "Iris Media", "Juniper Retail", "Kestrel Robotics", "Lumen Design",
    "Meridian Insurance", "Nimbus Cloud", "Orbit Logistics", "Pioneer Foods", "Quartz Analytics",
    "Redwood Capital", "Saffron Travel", "Tidal Games", "Umbra Security", "Vertex Pharma", "Willow Schools",
    "Xenon Motors", "Yarrow Consulting", "Zephyr Airlines",
)  # fmt: skip
POSITIONS = (
    "Engineering Manager", "Product Manager", "Founder", "Head of Sales", "Data Scientist", "Designer",
    "Recruiter", "CTO", "Account Executive", "Research Scientist", "Operations Lead", "Investor",
    "Marketing Director", "Software Engineer", "Consultant",
)  # fmt: skip
MAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
EMAIL_SHARE = 0.7  # of people whose address the user has (half from LinkedIn, half from vCards)


@dataclass(frozen=True)
class Person:
    """One generated contact; ``email`` is empty when the user has no address for them."""

    first: str
    last: str
    company: str
    position: str
    profile_url: str
    connected_on: date
    email: str = ""
    email_in_linkedin: bool = False

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def generate(count: int, randomness: random.Random, start: date) -> list[Person]:
    """``count`` people with distinct names, connected over the eight years before ``start``."""
    if count > len(FIRST_NAMES) * len(LAST_NAMES):
        raise ValueError(f"at most {len(FIRST_NAMES) * len(LAST_NAMES)} generated contacts")
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    randomness.shuffle(pairs)
    people = []
    for number, (first, last) in enumerate(pairs[:count]):
        company = randomness.choice(COMPANIES)
        email = ""
        if randomness.random() < EMAIL_SHARE:
            domain = company.lower().replace(" & ", "").replace(" ", "") + ".example"
            if randomness.random() < 0.3:
                domain = randomness.choice(MAIL_DOMAINS)
            email = f"{first.lower()}.{last.lower()}@{domain}"
        people.append(
            Person(
                first=first,
                last=last,
                company=company,
                position=randomness.choice(POSITIONS),
                profile_url=f"https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{number:04x}",
                connected_on=start - timedelta(days=randomness.randint(30, 8 * 365)),
                email=email,
                email_in_linkedin=bool(email) and randomness.random() < 0.5,
            )
        )
    if len(people) >= 2:
        people[:2] = _twins(people[0], people[1])
    return people


def _twins(first: Person, second: Person) -> list[Person]:
    """Two contacts with one name and no address: what ``connect5 review`` is for."""
    return [
        replace(first, email="", email_in_linkedin=False),
        replace(second, first=first.first, last=first.last, email="", email_in_linkedin=False,
                profile_url=f"https://www.linkedin.com/in/{first.first.lower()}-{first.last.lower()}-twin"),
    ]


def write_connections(path: Path, people: list[Person]) -> Path:
    """LinkedIn's ``Connections.csv``, as in a 2024 export."""
    buffer = io.StringIO()
    buffer.write("Notes:\n\"When exporting your connection data, you may notice that some of the email addresses"
                 " are missing.\"\n\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"])
    for person in people:
        writer.writerow([
            person.first, person.last, person.profile_url, person.email if person.email_in_linkedin else "",
            person.company, person.position, person.connected_on.strftime("%d %b %Y"),
        ])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_vcards(path: Path, people: list[Person]) -> Path:
    """vCard 3.0 cards for the people whose address LinkedIn did not give."""
    cards = []
    for person in people:
        if person.email and not person.email_in_linkedin:
            cards.append("\r\n".join([
                "BEGIN:VCARD", "VERSION:3.0", f"FN:{person.name}", f"N:{person.last};{person.first};;;",
                f"ORG:{person.company}", f"EMAIL;TYPE=INTERNET:{person.email}", "END:VCARD",
            ]))
    path.write_text("\r\n".join(cards) + "\r\n", encoding="utf-8")
    return path
