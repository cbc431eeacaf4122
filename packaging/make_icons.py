"""Render packaging/icons/llmspell-studio.svg to the PNG sizes (Linux hicolor theme), .ico (Windows) and .icns (macOS).

Run after editing the SVG:  QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py
The outputs are committed, so a build needs no SVG renderer.
"""
from __future__ import annotations

import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "icons")
SVG = os.path.join(HERE, "llmspell-studio.svg")
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    img = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    QSvgRenderer(SVG).render(p)
    p.end()
    return img


def main() -> int:
    from PySide6.QtGui import QGuiApplication
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - image plugins need it
    for size in SIZES:
        out = os.path.join(HERE, f"llmspell-studio-{size}.png")
        if not render(size).save(out, "PNG"):
            print(f"could not write {out}", file=sys.stderr)
            return 1
        print(out)
    for fmt in ("ico", "icns"):
        out = os.path.join(HERE, f"llmspell-studio.{fmt}")
        if not render(256).save(out, fmt.upper()):
            print(f"could not write {out}", file=sys.stderr)
            return 1
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
