"""The tray icon, a paper pinwheel (風車) drawn with QPainter: no image files to ship or lose.

While a bot runs the pinwheel turns (the tray redraws it at a new angle), so staff can see at a
glance that something is working on their PC.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

#: The four blades: vermilion, indigo, yellow and green, like a 縁日 pinwheel.
BLADE_COLOURS = ("#e0452b", "#2c4f9e", "#f2b51c", "#2e9a57")
SIZES = (16, 20, 22, 24, 32, 48, 64, 128)


def _blade(radius: float) -> QPainterPath:
    """One blade pointing up: from the hub out to the tip, folded back to the next corner."""
    path = QPainterPath(QPointF(0, 0))
    path.lineTo(QPointF(0, -radius))
    path.lineTo(QPointF(radius * 0.72, -radius * 0.72))
    path.closeSubpath()
    return path


def pinwheel_pixmap(size: int, angle: float = 0.0) -> QPixmap:
    """The pinwheel on a transparent square of ``size`` pixels, turned by ``angle`` degrees."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre = size / 2
        radius = size * 0.47
        painter.translate(centre, centre)
        painter.rotate(angle)
        outline = QPen(QColor("#3a2a1a"))
        outline.setWidthF(max(0.6, size / 40))
        painter.setPen(outline)
        for index, colour in enumerate(BLADE_COLOURS):
            painter.save()
            painter.rotate(90 * index)
            painter.setBrush(QColor(colour))
            painter.drawPath(_blade(radius))
            # The fold: a lighter half of the blade, so it reads as paper, not a flat star.
            painter.setBrush(QColor(colour).lighter(140))
            fold = QPainterPath(QPointF(0, 0))
            fold.lineTo(QPointF(0, -radius))
            fold.lineTo(QPointF(radius * 0.36, -radius * 0.6))
            fold.closeSubpath()
            painter.drawPath(fold)
            painter.restore()
        hub = max(1.2, size * 0.07)
        painter.setBrush(QColor("#fdf6e3"))
        painter.drawEllipse(QPointF(0, 0), hub, hub)
    finally:
        painter.end()
    return pixmap


def pinwheel_icon(angle: float = 0.0) -> QIcon:
    """The icon at every size a tray or a title bar asks for."""
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(pinwheel_pixmap(size, angle))
    return icon
