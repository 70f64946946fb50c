"""Field extractors. Importing this package registers every field in `checker.fields`.

The import order is the order `spamlaw fields` lists the fields in, hence no sorting.
"""
# isort: skip_file

from checker.extract import headers  # noqa: F401  (headers, subject, date, ids, unsubscribe)
from checker.extract import addresses  # noqa: F401  (from, sender, return_path, to, cc, ...)
from checker.extract import received  # noqa: F401
from checker.extract import authres  # noqa: F401
from checker.extract import body  # noqa: F401  (body.*, links, images)
from checker.extract import images  # noqa: F401  (body.image_text: text read from pictures)
from checker.extract import structure  # noqa: F401  (attachments, mime.*, size)
from checker.extract import unread  # noqa: F401  (content.not_read)
