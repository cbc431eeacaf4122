"""Drives the real IDE window in a child process for the crash-recovery test.

``crash_app.py type FILE TEXT``  opens FILE, types TEXT at its end and in a new untitled buffer, waits until the
hot-exit backups are on disk, prints READY and keeps running until killed.
``crash_app.py report``          starts the IDE (restoring the session) and prints its tabs as JSON."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402
from ui_fakes import FakeRunner  # noqa: E402

from app.ui import paths  # noqa: E402
from app.ui.main import create_window  # noqa: E402


def main() -> None:
    mode = sys.argv[1]
    app, w = create_window(runner_factory=FakeRunner)
    w.show()
    if mode == "type":
        path, text = sys.argv[2], sys.argv[3]
        page = w.tabs.open_file(path)
        ed = page.editor
        ed.gotoPos(ed.length())
        QWidget.setFocus(ed)
        QTest.keyClicks(ed, text)
        untitled = w.tabs.new_file("lua")
        QWidget.setFocus(untitled.editor)
        QTest.keyClicks(untitled.editor, "untitled " + text)

        def poll() -> None:
            if len(list(paths.backup_dir().rglob("*.json"))) >= 2:
                print("READY", flush=True)
            else:
                QTimer.singleShot(100, poll)

        poll()
        app.exec()
    else:
        out = [
            {
                "path": p.path,
                "title": p.title,
                "text": p.editor.text(),
                "dirty": p.dirty,
                "caret": list(p.editor.caret()),
            }
            for p in w.tabs.pages()
        ]
        print(json.dumps(out), flush=True)
        os._exit(0)  # like a kill: do not touch the state on the way out


if __name__ == "__main__":
    main()
