"""Storage: SQLAlchemy models, engine and migrations."""
