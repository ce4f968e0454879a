"""``python -m consult_desk`` does what the ``consult-desk`` command does."""

import sys

from consult_desk.cli import main

sys.exit(main())
