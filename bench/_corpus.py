"""Where the shared real-mail corpus lives, and loading it (shared by benchmarks)."""

from __future__ import annotations

import mailbox
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
SPAM_MBOX = CORPUS / "spamassassin-spam.mbox"


def load_mbox(path: Path = SPAM_MBOX, limit: int | None = None) -> list[bytes]:
    """The raw bytes of each message (without its envelope line), in file order."""
    box = mailbox.mbox(str(path), create=False)
    try:
        keys = list(box.keys())[:limit]
        return [box.get_bytes(key) for key in keys]
    finally:
        box.close()
