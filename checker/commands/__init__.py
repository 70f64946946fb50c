"""One module per `spamlaw` command; each exposes `register(app)`."""
