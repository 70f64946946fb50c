"""spamlaw: check email messages against anti-spam law and turn findings into evidence."""

__version__ = "0.1.0"
