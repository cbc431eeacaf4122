"""Reading and atomically writing text files while keeping their encoding, BOM and line endings."""

from __future__ import annotations

import codecs
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAX_OPEN_BYTES = 50 * 1024 * 1024


@dataclass
class TextFile:
    """A decoded text file: ``text`` always uses ``\\n``; ``eol`` and ``encoding`` say how to write it back."""

    text: str
    encoding: str = "utf-8"
    bom: bool = False
    eol: str = "\n"
    mtime_ns: int = 0
    size: int = 0


_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


def detect_eol(text: str) -> str:
    """The dominant line ending of ``text`` (``\\n`` when there is none)."""
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    best = max((crlf, "\r\n"), (lf, "\n"), (cr, "\r"), key=lambda t: t[0])
    return best[1] if best[0] else "\n"


def decode(data: bytes) -> tuple[str, str, bool]:
    """``(text, encoding, has_bom)`` for raw file bytes: BOM first, then UTF-8, then cp1252/latin-1."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, errors="replace"), enc, True
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252", False
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", False


def read_text(path: str | os.PathLike[str]) -> TextFile:
    """Read a text file; line endings are normalised to ``\\n`` and remembered in ``eol``."""
    p = Path(path)
    st = p.stat()
    if st.st_size > MAX_OPEN_BYTES:
        raise OSError(f"{p.name} is too large to open ({st.st_size // (1024 * 1024)} MB)")
    data = p.read_bytes()
    text, enc, bom = decode(data)
    eol = detect_eol(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return TextFile(text, enc, bom, eol, st.st_mtime_ns, st.st_size)


def encode(tf: TextFile) -> bytes:
    """The bytes to write for ``tf`` (its text with its line endings, encoding and BOM)."""
    text = tf.text.replace("\n", tf.eol) if tf.eol != "\n" else tf.text
    data = text.encode(tf.encoding)
    if tf.bom:
        bom = {enc: b for b, enc in _BOMS}.get(tf.encoding, b"")
        data = bom + data
    return data


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (``os.umask`` sets it while it
    reads, which other threads could see)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to a temp file in the same folder, flush and fsync it, then replace ``path`` with it.

    The file keeps its permissions; a new one gets the usual ones (0666 less the umask), not the temp file's
    0600."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = p.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=str(p.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if os.name == "posix":
            os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename durable too
        dfd = os.open(str(p.parent), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def write_text(path: str | os.PathLike[str], tf: TextFile) -> TextFile:
    """Atomically save ``tf`` to ``path``; if its encoding cannot represent the text, fall back to UTF-8.

    Returns the (possibly updated) :class:`TextFile` with the new modification time and size."""
    try:
        data = encode(tf)
    except UnicodeEncodeError:
        log.warning("%s: text does not fit %s, saving as UTF-8", path, tf.encoding)
        tf = TextFile(tf.text, "utf-8", False, tf.eol)
        data = encode(tf)
    atomic_write_bytes(path, data)
    st = os.stat(path)
    return TextFile(tf.text, tf.encoding, tf.bom, tf.eol, st.st_mtime_ns, st.st_size)
