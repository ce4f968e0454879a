"""Child processes that write through the services, for crash and concurrency tests.

Run as ``python -m tests.harness.writers MODE DB ...``; DB is an SQLite file's path or a
database URL (``postgresql+psycopg://…``), so the same children run against either engine:

- ``crash DB PREFIX``: add businesses forever; after each commit print its id (flushed),
  so the parent knows exactly what was acknowledged before it kills the child.
- ``count DB BUSINESS_ID N``: add one to the employees of a business N times, retrying on
  a version conflict the way a user would re-open and save again.
- ``add DB PREFIX N``: add N businesses.
- ``race-business DB GO TAG ID,ID,…``: open every business (read its version), print
  ``ready``, wait until the file GO exists, then save each with ``TAG`` in its summary using
  the version read before: the second of two such users must get a conflict. Prints
  ``ok ID`` or ``conflict ID`` per business.
- ``race-loan DB GO TAG ID,ID,…``: the same for loan cases, taking the 受付 step (two
  officers clicking at once). Prints ``ok ID``, ``conflict ID`` or ``refused ID``.
- ``edit DB TAG SEED N ID,ID,…``: N saves of the summary of randomly chosen businesses
  (``TAG-1``, ``TAG-2``, …), each after reading the business and a short pause, starting over
  on a conflict as a user would. Prints ``saved N conflicts C``.
"""

import random
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from consult_desk.config import database_url
from consult_desk.db.engine import Database
from consult_desk.domain.businesses import BusinessInput
from consult_desk.domain.errors import Conflict, ValidationError
from consult_desk.domain.loans import StepInput, StepName
from consult_desk.domain.permissions import SETUP
from consult_desk.services.businesses import BusinessService
from consult_desk.services.loans import LoanService

RECEIVED_ON = date(2026, 11, 20)
GO_WAIT_S = 60


def main(argv: list[str]) -> int:
    mode, where = argv[0], argv[1]
    db = Database(database_url(where))
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
    if mode == "edit":
        tag, seed, times = argv[2], int(argv[3]), int(argv[4])
        ids = [int(i) for i in argv[5].split(",")]
        rng = random.Random(seed)
        conflicts = 0
        for n in range(1, times + 1):
            business_id = rng.choice(ids)
            while True:
                current = service.get(business_id)
                time.sleep(rng.random() * 0.004)  # the user typing: others may save meanwhile
                try:
                    service.update(
                        business_id, current.version, replace(current.input, summary=f"{tag}-{n}")
                    )
                    break
                except Conflict:
                    conflicts += 1
        print(f"saved {times} conflicts {conflicts}", flush=True)
        return 0
    if mode in ("race-business", "race-loan"):
        go, tag, ids = Path(argv[2]), argv[3], [int(i) for i in argv[4].split(",")]
        if mode == "race-business":
            _race_businesses(service, go, tag, ids)
        else:
            _race_loans(LoanService(db, SETUP), go, tag, ids)
        return 0
    raise SystemExit(f"unknown mode {mode}")


def _wait_for(go: Path) -> None:
    print("ready", flush=True)
    deadline = time.monotonic() + GO_WAIT_S
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.01)


def _race_businesses(service: BusinessService, go: Path, tag: str, ids: list[int]) -> None:
    opened = {business_id: service.get(business_id) for business_id in ids}  # the forms
    _wait_for(go)
    for business_id, current in opened.items():
        value = replace(current.input, summary=f"{tag} が編集")
        try:
            service.update(business_id, current.version, value)
            print(f"ok {business_id}", flush=True)
        except Conflict:
            print(f"conflict {business_id}", flush=True)


def _race_loans(service: LoanService, go: Path, tag: str, ids: list[int]) -> None:
    opened = {case_id: service.get(case_id).version for case_id in ids}  # the case cards
    _wait_for(go)
    for case_id, version in opened.items():
        step = StepInput(StepName.RECEIVE, RECEIVED_ON, interviewer=tag)
        try:
            service.advance(case_id, version, step, today=date(2026, 11, 30))
            print(f"ok {case_id}", flush=True)
        except Conflict:
            print(f"conflict {case_id}", flush=True)
        except ValidationError:  # the state had already moved on: the step is not offered
            print(f"refused {case_id}", flush=True)


def _fields(value: BusinessInput) -> dict[str, object]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
