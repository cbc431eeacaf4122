"""Atomic saves that keep a file's encoding, BOM and line endings."""

from __future__ import annotations

import codecs
import os

import pytest

from app.ui import fileio


@pytest.mark.parametrize(
    "raw, encoding, bom, eol",
    [
        (b"a\nb\n", "utf-8", False, "\n"),
        ("é\r\nb\r\n".encode(), "utf-8", False, "\r\n"),
        (codecs.BOM_UTF8 + "ü\nx".encode(), "utf-8", True, "\n"),
        ("café\r\n".encode("cp1252"), "cp1252", False, "\r\n"),
        (codecs.BOM_UTF16_LE + "hi\r\nthere".encode("utf-16-le"), "utf-16-le", True, "\r\n"),
        (b"old\rmac\r", "utf-8", False, "\r"),
    ],
)
def test_roundtrip_keeps_bytes(tmp_path, raw, encoding, bom, eol):
    p = tmp_path / "f.lua"
    p.write_bytes(raw)
    tf = fileio.read_text(p)
    assert (tf.encoding, tf.bom, tf.eol) == (encoding, bom, eol)
    assert "\r" not in tf.text
    fileio.write_text(p, tf)
    assert p.read_bytes() == raw


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "x.lua"
    p.write_text("old")
    os.chmod(p, 0o640)
    fileio.atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"new"
    assert oct(p.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(os.listdir(tmp_path)) == ["x.lua"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "x.lua"
    p.write_text("precious")

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        fileio.atomic_write_bytes(p, b"partial")
    assert p.read_text() == "precious"
    assert sorted(os.listdir(tmp_path)) == ["x.lua"]


def test_unencodable_text_falls_back_to_utf8(tmp_path):
    p = tmp_path / "x.txt"
    tf = fileio.TextFile("snow ☃\n", "cp1252", False, "\n")
    out = fileio.write_text(p, tf)
    assert out.encoding == "utf-8"
    assert p.read_bytes() == "snow ☃\n".encode()


def test_a_new_file_gets_the_users_umask_not_0600(tmp_path):
    """A saved new spell is readable as the user's other files are (0666 less the umask), not private."""
    old = os.umask(0o027)
    try:
        p = tmp_path / "new.lua"
        fileio.write_text(p, fileio.TextFile("print(1)\n"))
        assert oct(p.stat().st_mode & 0o777) == oct(0o640)
        os.umask(0o022)
        q = tmp_path / "other.lua"
        fileio.write_text(q, fileio.TextFile("print(2)\n"))
        assert oct(q.stat().st_mode & 0o777) == oct(0o644)
    finally:
        os.umask(old)
