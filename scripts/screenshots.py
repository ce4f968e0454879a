"""Save a PNG of every page of the main window, on a fresh demo database, to docs/screenshots/.

Run: .venv/bin/python scripts/screenshots.py   (offscreen; needs no display)
"""

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date

from consult_desk.app import build_window, make_application, open_database
from consult_desk.services.demo import DemoService
from consult_desk.ui.main_window import PAGE_ORDER

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
FILE_NAMES = {
    "ダッシュボード": "dashboard",
    "事業者": "business-list",
    "相談記録": "consultations",
    "融資あっせん": "loans",
    "専門家派遣": "dispatch",
    "商店街支援": "streets",
    "施策": "plan",
    "帳票": "reports",
    "設定": "settings",
}
# A fixed date keeps the pictures the same from run to run.
DEMO_ANCHOR = date(2026, 11, 27)


def main() -> int:
    app = make_application([])
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'demo.sqlite'}")
        DemoService(db).fill(seed=1, businesses=300, anchor=DEMO_ANCHOR)
        window = build_window(db)
        window.show()
        for index, name in enumerate(PAGE_ORDER):
            window.show_page(index)
            for _ in range(3):
                app.processEvents()
            path = OUT / f"{FILE_NAMES[name]}.png"
            window.grab().save(str(path))
            print(path)
        window.close()
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
