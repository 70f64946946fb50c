"""Detectors: legal domain knowledge that is code, not YAML. Each module registers its
fields in `checker.fields`; importing this package registers them all.

Evidence convention (for the engine and the exhibits)
-----------------------------------------------------
A record in a detector's `list[record]` field that has the keys `field`, `start`, `end`
and `quote` is evidence: `quote == text[start:end]`, where `text` is the string value of
the field path named in `field`:

- a plain field name: `subject`, `body.visible_text`, `from.display_name`, `message_id`;
- an item of a `list[record]` field and one of its keys: `body.hidden_text[2].text`,
  `links[3].text`, `links[3].url`, `received[1].raw`, `authentication_results[0].raw`,
  `reply_to[0].address`, `list_unsubscribe[0].url`.

So `msg.get("received")[1]["raw"][start:end] == quote`. Offsets are Python `str` indices
(code points). Records may carry more keys (`visible`, `hidden_reason`, `detail`, ...).

Each detector module has pure functions over plain inputs (strings, lists of dicts, see
`_text.TextSource`) and a thin layer that reads the message fields by their contract names.
A missing input field raises rather than defaulting: a detector must never report "no
opt-out / no address found" because its input was unavailable.
"""

from checker.detectors import (  # noqa: F401  (imported so their fields register)
    ad_label,
    adult,
    commercial,
    header_integrity,
    opt_out,
    pictures,
    postal_address,
    subject_integrity,
)
