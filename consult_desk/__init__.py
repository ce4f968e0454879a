"""consult-desk: case management for the SME-support desk of Chiyoda City."""

__version__ = "0.1.0"
