"""Child processes that write through the services, for crash and concurrency tests.

Run as ``python -m tests.harness.writers MODE DB_PATH ...``:

- ``crash DB PREFIX``: add businesses forever; after each commit print its id (flushed),
  so the parent knows exactly what was acknowledged before it kills the child.
- ``count DB BUSINESS_ID N``: add one to the employees of a business N times, retrying on
  a version conflict the way a user would re-open and save again.
- ``add DB PREFIX N``: add N businesses.
"""

import sys

from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.errors import Conflict
from consult_desk.domain.permissions import SETUP
from consult_desk.services.businesses import BusinessService


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    db = Database(f"sqlite:///{path}")
    service = BusinessService(db, SETUP)
    if mode == "crash":
        prefix = argv[2]
        print("ready", flush=True)
        n = 0
        while True:
            n += 1
            business_id = service.add(BusinessInput(name=f"{prefix}-{n}", capital=n))
            print(business_id, flush=True)
    if mode == "count":
        business_id, times = int(argv[2]), int(argv[3])
        conflicts = 0
        for _ in range(times):
            while True:
                current = service.get(business_id)
                value = current.input
                try:
                    service.update(
                        business_id,
                        current.version,
                        type(value)(**{**_fields(value), "employees": (value.employees or 0) + 1}),
                    )
                    break
                except Conflict:
                    conflicts += 1
        print(conflicts, flush=True)
        return 0
    if mode == "add":
        prefix, times = argv[2], int(argv[3])
        for n in range(times):
            service.add(BusinessInput(name=f"{prefix}-{n}"))
        return 0
    raise SystemExit(f"unknown mode {mode}")


def _fields(value: BusinessInput) -> dict[str, object]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
