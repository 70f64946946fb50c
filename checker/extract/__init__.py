"""Field extractors. Importing this package registers every field in `checker.fields`."""

from checker.extract import headers  # noqa: F401
