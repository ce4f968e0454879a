"""Use cases: one transaction per call; validation and permissions live here."""
