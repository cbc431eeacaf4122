"""Neutralise absolute RPATH/RUNPATH entries of the build machine in a bundle's ELF files.

    python packaging/fix_rpath.py BUNDLE_DIR

A CPython built with pyenv leaves ``RUNPATH /root/.pyenv/versions/3.11.7/lib`` in libpython and every lib-dynload
module; in a bundle that path means "search the build machine's home on the user's machine". Each such string is
overwritten in place with ``$ORIGIN`` (what ``chrpath -r`` does: same or shorter string, no relayout), so only
paths inside the bundle are searched. Paths that already start with ``$ORIGIN`` are left alone. Prints what it changed.
64-bit little-endian ELF only (the Linux targets we build); anything else is skipped.
"""
from __future__ import annotations

import os
import struct
import sys

DT_NULL, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 5, 15, 29
PT_LOAD, PT_DYNAMIC = 1, 2
REPLACEMENT = b"$ORIGIN"


def _vaddr_to_offset(loads: list[tuple[int, int, int]], vaddr: int) -> int | None:
    for offset, start, size in loads:
        if start <= vaddr < start + size:
            return offset + (vaddr - start)
    return None


def fix_file(path: str) -> list[str]:
    """Rewrite absolute (non-$ORIGIN) RPATH/RUNPATH strings of one file; returns the old values it replaced."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:  # ELFCLASS64, little endian
        return []
    e_phoff, = struct.unpack_from("<Q", data, 0x20)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(e_phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", data, e_phoff + i * e_phentsize)
        if p_type == PT_LOAD:
            loads.append((p_offset, p_vaddr, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return []
    entries, strtab = [], None
    for off in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, val = struct.unpack_from("<qQ", data, off)
        if tag == DT_NULL:
            break
        if tag == DT_STRTAB:
            strtab = val
        elif tag in (DT_RPATH, DT_RUNPATH):
            entries.append(val)
    if not entries or strtab is None:
        return []
    base = _vaddr_to_offset(loads, strtab)
    if base is None:
        return []
    changed = []
    for str_off in entries:
        start = base + str_off
        end = data.index(b"\0", start)
        old = bytes(data[start:end])
        parts = old.split(b":")
        if all(p.startswith(b"$ORIGIN") or p == b"" for p in parts):
            continue
        keep = b":".join(p for p in parts if p.startswith(b"$ORIGIN")) or REPLACEMENT
        if len(keep) > len(old):
            keep = REPLACEMENT
        data[start:end] = keep + b"\0" * (len(old) - len(keep))
        changed.append(old.decode("utf-8", "replace"))
    if changed:
        mode = os.stat(path).st_mode
        tmp = path + ".rpath-tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    count = 0
    for folder, _dirs, files in os.walk(argv[1]):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not (".so" in name or os.access(path, os.X_OK)):
                continue
            for old in fix_file(path):
                count += 1
                print(f"fix_rpath: {os.path.relpath(path, argv[1])}: {old} -> $ORIGIN")
    print(f"fix_rpath: {count} absolute search path(s) replaced")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
