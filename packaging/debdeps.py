"""Compute the Debian ``Depends`` of a PyInstaller bundle: the system libraries it links but does not carry.

    python packaging/debdeps.py BUNDLE_DIR [EXTRA_PACKAGE ...]

1. Every ELF file of the bundle and its ``NEEDED`` sonames (``objdump -p``).
2. Sonames not provided by a file of the bundle are system libraries; each must be installed on the build machine
   (else we cannot know its package: exit 1) and maps to its package with ``dpkg -S``.
3. ``dpkg-shlibdeps`` gives the minimum versions; only its entries for packages found in step 2 are kept (it also
   names packages for libraries that the bundle carries itself, which the bundle does not need from the system).
4. EXTRA packages (what Qt loads with dlopen, invisible to step 1) are added unversioned unless already there.

Prints the Depends value on stdout and a per-package explanation (which soname needs it) on stderr.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile


def elf_files(root: str) -> list[str]:
    out = []
    for folder, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(folder, f)
            if os.path.islink(p):
                continue
            with open(p, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(p)
    return sorted(out)


def needed(path: str) -> list[str]:
    text = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, check=False).stdout
    return re.findall(r"^\s*NEEDED\s+(\S+)", text, re.M)


def system_lib_dirs() -> list[str]:
    triplet = subprocess.run(["gcc", "-dumpmachine"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("gcc") else ""
    if not triplet and shutil.which("dpkg-architecture"):
        triplet = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True,
                                 text=True).stdout.strip()
    dirs = [f"/lib/{triplet}", f"/usr/lib/{triplet}"] if triplet else []
    return dirs + ["/lib", "/usr/lib", "/lib64", "/usr/lib64"]


def package_of(soname: str, dirs: list[str]) -> str | None:
    for d in dirs:
        p = os.path.join(d, soname)
        if not os.path.exists(p):
            continue
        for candidate in (p, os.path.realpath(p)):
            r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout:
                return r.stdout.split(":", 1)[0].split(",")[0].strip()
        # merged /usr: dpkg knows /lib/... while the file is reached through /usr/lib/... (or the other way)
        alt = p[4:] if p.startswith("/usr/") else "/usr" + p
        r = subprocess.run(["dpkg", "-S", alt], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def shlibdeps(elfs: list[str], libdirs: list[str]) -> dict[str, str]:
    """package -> 'package (>= version)' as dpkg-shlibdeps sees it (empty when the tool is missing)."""
    if not shutil.which("dpkg-shlibdeps"):
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "debian"))
        with open(os.path.join(tmp, "debian", "control"), "w") as f:
            f.write("Source: bundle\n\nPackage: bundle\nArchitecture: any\n")
        cmd = ["dpkg-shlibdeps", "-O", "--ignore-missing-info", "--warnings=0"]
        cmd += [f"-l{d}" for d in libdirs]
        for e in elfs:
            cmd += ["-e", e]
        r = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
    m = re.search(r"^shlibs:Depends=(.*)$", r.stdout, re.M)
    result = {}
    for part in (m.group(1).split(",") if m else []):
        part = part.strip()
        if part:
            result[re.split(r"[\s(]", part, maxsplit=1)[0]] = part
    return result


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root, extra = argv[1], argv[2:]
    if not shutil.which("objdump") or not shutil.which("dpkg"):
        print("debdeps: objdump (binutils) and dpkg are required", file=sys.stderr)
        return 1
    elfs = elf_files(root)
    provided = set()
    for folder, _dirs, files in os.walk(root):
        provided.update(files)
    wanted: dict[str, list[str]] = {}
    users: dict[str, list[str]] = {}
    for e in elfs:
        for so in needed(e):
            if so not in provided:
                wanted.setdefault(so, []).append(os.path.relpath(e, root))
                users.setdefault(so, [])
    dirs = system_lib_dirs()
    packages: dict[str, list[str]] = {}
    missing = []
    for so in sorted(wanted):
        pkg = package_of(so, dirs)
        if pkg is None:
            missing.append(so)
            continue
        packages.setdefault(pkg, []).append(so)
    if missing:
        for so in missing:
            print(f"debdeps: {so} (needed by {wanted[so][0]}) is neither bundled nor installed here", file=sys.stderr)
        return 1
    versions = shlibdeps(elfs, sorted({os.path.dirname(e) for e in elfs}))
    out = {}
    for pkg, sonames in sorted(packages.items()):
        out[pkg] = versions.get(pkg, pkg)
        print(f"debdeps: {out[pkg]:40s} for {', '.join(sonames)}", file=sys.stderr)
    for pkg in extra:
        if pkg not in out:
            out[pkg] = pkg
            print(f"debdeps: {pkg:40s} (dlopen'ed at run time)", file=sys.stderr)
    print(", ".join(out[p] for p in sorted(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
