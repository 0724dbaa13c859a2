"""Cross-cutting pieces: settings, database, errors, i18n, auth, audit, outbox."""
