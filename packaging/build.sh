#!/usr/bin/env bash
# Build the Linux packages of LLMSpell Studio (`make package`):
#   dist/llmspell-studio/                               one-folder PyInstaller bundle (llmspell-studio + llmspell)
#   dist/llmspell-studio_<version>_<arch>.deb           installs to /opt/llmspell-studio, launchers in /usr/bin
#   dist/llmspell-studio-<version>-linux-<machine>.tar.gz  the bundle + install.sh, for other distributions
# Version from pyproject.toml. Environment: PY (python of the venv), DIST (output folder), WORK (PyInstaller work
# folder), SKIP_BUNDLE=1 (reuse an existing bundle, only re-make the .deb and tarball), LINTIAN=0 (skip lintian),
# DEB_COMPRESS=xz (instead of zstd: what lintian 2.116 of Debian 12 can read), DEB_LEVEL (compression level: zstd
# 15 by default — level 19 is a few percent smaller but took over 20 minutes on 2 busy cores; xz 6).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKG="$ROOT/packaging"
PY=${PY:-$ROOT/.venv/bin/python}
DIST=${DIST:-$ROOT/dist}
WORK=${WORK:-$ROOT/build/pyinstaller}
NAME=llmspell-studio
cd "$ROOT"
export LITELLM_LOCAL_MODEL_COST_MAP=True   # the spec imports litellm (collect_submodules): no network fetch

log() { printf '\n== %s\n' "$*"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
MACHINE=$(uname -m)
BUNDLE="$DIST/$NAME"
DEB="$DIST/${NAME}_${VERSION}_${ARCH}.deb"
TARBASE="$NAME-$VERSION-linux-$MACHINE"
TARBALL="$DIST/$TARBASE.tar.gz"
REPORT="$DIST/package-report.txt"
mkdir -p "$DIST"
: > "$REPORT"
report() { echo "$*" | tee -a "$REPORT"; }
report "llmspell-studio $VERSION ($ARCH), built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n), $(nproc) cores"

# ------------------------------------------------------------------------------------------ 0. build tools
# objdump (binutils): library pruning in the spec and Depends; dpkg-shlibdeps (dpkg-dev): Depends versions;
# lintian: optional check. Installed as root with apt-get when missing, like `make system-deps`.
need=""
command -v objdump >/dev/null 2>&1 || need="$need binutils"
command -v dpkg-shlibdeps >/dev/null 2>&1 || need="$need dpkg-dev"
if [ "${LINTIAN:-1}" = 1 ] && ! command -v lintian >/dev/null 2>&1; then need="$need lintian"; fi
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing build tools:$need"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
  fi
  command -v objdump >/dev/null 2>&1 || { echo "build.sh: objdump is required (apt-get install binutils)" >&2; exit 1; }
fi

# ------------------------------------------------------------------------------------------------- 1. the bundle
if [ "${SKIP_BUNDLE:-0}" != 1 ] || [ ! -x "$BUNDLE/$NAME" ]; then
  if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
    log "installing PyInstaller (the 'package' extra of pyproject.toml)"
    spec=$("$PY" -c 'import tomllib; print(*tomllib.load(open("pyproject.toml","rb"))["project"]["optional-dependencies"]["package"])')
    "$PY" -m pip install --quiet $spec
  fi
  log "PyInstaller bundle -> $BUNDLE"
  t=$(now)
  LLMSPELL_VERSION=$VERSION "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" \
    "$PKG/$NAME.spec"
  report "bundle: PyInstaller took $(elapsed "$t") s"
fi
[ -x "$BUNDLE/$NAME" ] && [ -x "$BUNDLE/llmspell" ] || { echo "build.sh: no bundle in $BUNDLE" >&2; exit 1; }
# pyenv's CPython leaves RUNPATH=<build machine's home> in libpython and lib-dynload: point it into the bundle
"$PY" "$PKG/fix_rpath.py" "$BUNDLE" | tail -1
# One executable on Linux: `llmspell` becomes a link to `llmspell-studio`, which is the CLI when started under that
# name (packaging/entry_studio.py). Each executable embeds the whole Python archive (39 MB): this keeps one copy.
# (Windows and macOS keep two: there the console/windowed flag of the executable itself matters.)
if [ -f "$BUNDLE/llmspell" ] && [ ! -L "$BUNDLE/llmspell" ]; then
  rm "$BUNDLE/llmspell"
  ln -s "$NAME" "$BUNDLE/llmspell"
fi
# CPython's own shared objects carry their debug information (libpython 23 MB -> 6 MB stripped); strip only those:
# the wheels' libraries stay as shipped (stripping auditwheel/patchelf-edited files can corrupt them)
find "$BUNDLE/_internal" -maxdepth 1 -type f -name 'libpython3*.so*' -exec strip --strip-unneeded {} +
find "$BUNDLE/_internal" -path '*/lib-dynload/*.so' -type f -exec strip --strip-unneeded {} +
# shared objects need no execute bit (Debian policy; lintian shared-library-is-executable)
find "$BUNDLE/_internal" -type f -name '*.so*' -exec chmod 644 {} +
report "bundle: $(du -sh "$BUNDLE" | cut -f1) unpacked, $(find "$BUNDLE" -type f | wc -l) files"

# ----------------------------------------------------------------------------------- 2. Depends of the bundle
# The system libraries the bundle links but does not carry (packaging/debdeps.py: objdump NEEDED minus the bundle's
# own files, dpkg -S, versions from dpkg-shlibdeps), plus what Qt opens with dlopen(): GL and EGL.
log "computing Depends"
t=$(now)
DEPENDS=$("$PY" "$PKG/debdeps.py" "$BUNDLE" libgl1 libegl1)
report "deb: Depends: $DEPENDS  ($(elapsed "$t") s)"

# ------------------------------------------------------------------------------------------------- 3. the .deb
log ".deb -> $DEB"
t=$(now)
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/llmspell-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
R="$STAGE/root"
mkdir -p "$R/DEBIAN" "$R/opt" "$R/usr/bin" "$R/usr/share/applications" "$R/usr/share/mime/packages" \
         "$R/usr/share/doc/$NAME" "$R/usr/share/man/man1" "$R/usr/share/lintian/overrides" \
         "$R/usr/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE" "$R/opt/$NAME"
ln -s "/opt/$NAME/$NAME" "$R/usr/bin/$NAME"
ln -s "/opt/$NAME/llmspell" "$R/usr/bin/llmspell"
install -m 644 "$PKG/linux/$NAME.desktop" "$R/usr/share/applications/$NAME.desktop"
install -m 644 "$PKG/linux/$NAME-mime.xml" "$R/usr/share/mime/packages/$NAME.xml"
install -m 644 "$PKG/icons/$NAME.svg" "$R/usr/share/icons/hicolor/scalable/apps/$NAME.svg"
for png in "$PKG"/icons/$NAME-*.png; do
  size=$(basename "$png" .png); size=${size##*-}
  mkdir -p "$R/usr/share/icons/hicolor/${size}x${size}/apps"
  install -m 644 "$png" "$R/usr/share/icons/hicolor/${size}x${size}/apps/$NAME.png"
done
install -m 644 "$PKG/linux/copyright" "$R/usr/share/doc/$NAME/copyright"
sed "s/@VERSION@/$VERSION/g; s/@DATE@/$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")/g" \
  "$PKG/linux/changelog" | gzip -9n > "$R/usr/share/doc/$NAME/changelog.gz"
for man in "$PKG"/linux/*.1; do gzip -9n < "$man" > "$R/usr/share/man/man1/$(basename "$man").gz"; done
install -m 644 "$PKG/linux/lintian-overrides" "$R/usr/share/lintian/overrides/$NAME"
# PyInstaller leaves some files group-writable or without read for others: normalise
chmod -R u+rwX,go+rX,go-w "$R"
installed_kb=$(du -sk --exclude=DEBIAN "$R" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@DEPENDS@/$DEPENDS/" -e "s/@SIZE@/$installed_kb/" \
  "$PKG/linux/control" > "$R/DEBIAN/control"
(cd "$R" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's#  \./#  #') \
  > "$R/DEBIAN/md5sums"
chmod 644 "$R/DEBIAN/control" "$R/DEBIAN/md5sums"
rm -f "$DEB"
DEB_COMPRESS=${DEB_COMPRESS:-zstd}
if [ "$DEB_COMPRESS" = zstd ]; then DEB_LEVEL=${DEB_LEVEL:-15}; else DEB_LEVEL=${DEB_LEVEL:-6}; fi
dpkg-deb --root-owner-group -Z"$DEB_COMPRESS" -z"$DEB_LEVEL" --build "$R" "$DEB" >/dev/null
report "deb: $(basename "$DEB") $(du -h "$DEB" | cut -f1), installed size $((installed_kb / 1024)) MB ($(elapsed "$t") s)"

if [ "${LINTIAN:-1}" = 1 ] && command -v lintian >/dev/null 2>&1; then
  log "lintian"
  t=$(now)
  if lintian --tag-display-limit 0 "$DEB" > "$DIST/lintian.txt" 2>&1; then lint_rc=0; else lint_rc=$?; fi
  cat "$DIST/lintian.txt"
  report "lintian: exit $lint_rc, $(grep -c '^E:' "$DIST/lintian.txt" || true) errors, $(grep -c '^W:' "$DIST/lintian.txt" || true) warnings after overrides ($(elapsed "$t") s)"
fi

# ----------------------------------------------------------------------------------------------- 4. the tarball
log "tarball -> $TARBALL"
t=$(now)
T="$STAGE/tar/$TARBASE"
mkdir -p "$T/share/applications" "$T/share/mime/packages" "$T/share/icons/hicolor/scalable/apps"
cp -a "$BUNDLE/." "$T/"
cp -a "$R/usr/share/icons/." "$T/share/icons/"
install -m 644 "$PKG/linux/$NAME.desktop" "$T/share/applications/$NAME.desktop"
install -m 644 "$PKG/linux/$NAME-mime.xml" "$T/share/mime/packages/$NAME.xml"
glibc_min=$(printf '%s\n' "$DEPENDS" | sed -n 's/.*libc6 (>= \([0-9.]*\)).*/\1/p')
sed "s/@GLIBC_MIN@/${glibc_min:-2.35}/" "$PKG/linux/install.sh" > "$T/install.sh"
chmod 755 "$T/install.sh"
install -m 644 "$PKG/linux/copyright" "$T/COPYRIGHT"
printf '%s\n' "$VERSION" > "$T/VERSION"
chmod -R u+rwX,go+rX,go-w "$T"
rm -f "$TARBALL"
if command -v pigz >/dev/null 2>&1; then gz="pigz -6"; else gz="gzip -6"; fi
tar -C "$STAGE/tar" --owner=0 --group=0 --numeric-owner --sort=name -cf - "$TARBASE" | $gz > "$TARBALL"
report "tarball: $(basename "$TARBALL") $(du -h "$TARBALL" | cut -f1) ($(elapsed "$t") s)"

log "done"
cat "$REPORT"
