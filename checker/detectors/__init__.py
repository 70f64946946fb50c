"""Detectors: legal domain knowledge that is code, not YAML. Each module registers its
fields in `checker.fields`; importing this package registers them all."""
