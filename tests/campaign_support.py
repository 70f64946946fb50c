"""Near-duplicate messages for campaign and review tests: copies of a template message
as a bulk mailer varies them (recipient, greeting name, order numbers, tracking IDs in
links, receipt time), written as .eml files."""

from __future__ import annotations

import re
from pathlib import Path

NAMES = ("alice", "bob", "carol", "dave", "erin", "frank")


def near_duplicates(template: bytes, count: int, folder: Path, stem: str,
                    first_day: int = 2) -> list[Path]:
    """`count` variants of `template` in `folder`: another recipient and greeting name,
    other numbers in the subject, a per-recipient tracking id on each link, and a
    Received/Date a day apart."""
    text = template.decode("utf-8")
    paths = []
    for n in range(count):
        name = NAMES[n % len(NAMES)]
        variant = re.sub(r"trap\d*@trap\.example", f"{name}@trap.example", text)
        variant = re.sub(r"(?m)^(Subject: .*)$", rf"\1 #{4711 + 37 * n}", variant, count=1)
        variant = re.sub(r"(https?://[^\s\"'<>]+)", rf"\1?utm_source=mail&uid={name}{n}x9",
                         variant)
        variant = re.sub(r"(?m)^Message-ID: <", f"Message-ID: <v{n}.", variant)
        day = f"{first_day + n:02d}"
        variant = re.sub(r"(?m)^(Date: \w+, )\d\d", rf"\g<1>{day}", variant, count=1)
        variant = re.sub(r"(; \w+, )\d\d( \w+ \d{4} )", rf"\g<1>{day}\2", variant, count=1)
        variant = variant.replace("\n\n", f"\n\nDear {name.title()},\n\n", 1)
        path = folder / f"{stem}-{n + 1}.eml"
        path.write_bytes(variant.encode("utf-8"))
        paths.append(path)
    return paths
