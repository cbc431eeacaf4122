#!/bin/sh
# Install LLMSpell Studio from this unpacked tarball (any Linux distribution with glibc >= GLIBC_MIN below and an
# X11 or Wayland desktop). The bundle also runs in place: ./llmspell-studio, ./llmspell.
#
#   ./install.sh                 as root: /opt/llmspell-studio, launchers in /usr/local/bin, menu entry system-wide
#                                as a user: ~/.local/lib/llmspell-studio, ~/.local/bin, ~/.local/share
#   ./install.sh --prefix DIR    bundle in DIR/lib/llmspell-studio, launchers in DIR/bin, data in DIR/share
#   ./install.sh --uninstall     remove what an install with the same options put there
set -eu

NAME=llmspell-studio
HERE=$(cd "$(dirname "$0")" && pwd)
UNINSTALL=0
PREFIX=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ -n "$PREFIX" ]; then
  APPDIR="$PREFIX/lib/$NAME"; BINDIR="$PREFIX/bin"; SHARE="$PREFIX/share"
elif [ "$(id -u)" = 0 ]; then
  APPDIR="/opt/$NAME"; BINDIR="/usr/local/bin"; SHARE="/usr/local/share"
else
  APPDIR="$HOME/.local/lib/$NAME"; BINDIR="$HOME/.local/bin"; SHARE="${XDG_DATA_HOME:-$HOME/.local/share}"
fi

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" || true
  command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$SHARE/mime" >/dev/null 2>&1 || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
}

if [ "$UNINSTALL" = 1 ]; then
  rm -rf "$APPDIR"
  rm -f "$BINDIR/$NAME" "$BINDIR/llmspell" "$SHARE/applications/$NAME.desktop" "$SHARE/mime/packages/$NAME.xml"
  find "$SHARE/icons/hicolor" -name "$NAME.*" -delete 2>/dev/null || true
  refresh
  echo "removed $APPDIR and its launchers"
  exit 0
fi

[ -x "$HERE/$NAME" ] && [ -d "$HERE/_internal" ] || { echo "install.sh: run me from the unpacked tarball" >&2; exit 1; }
# the newest glibc symbol version the bundle uses (build.sh fills it in from the .deb's libc6 dependency)
GLIBC_MIN=@GLIBC_MIN@
glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
case "$GLIBC_MIN" in @*) GLIBC_MIN="" ;; esac
if [ -n "$glibc" ] && [ -n "$GLIBC_MIN" ] && [ "$(printf '%s\n%s\n' "$glibc" "$GLIBC_MIN" | sort -V | head -1)" != "$GLIBC_MIN" ]; then
  echo "install.sh: this system has glibc $glibc; LLMSpell Studio needs glibc $GLIBC_MIN or newer" >&2
  exit 1
fi
mkdir -p "$APPDIR" "$BINDIR" "$SHARE/applications" "$SHARE/mime/packages" "$SHARE/icons"
# copy the bundle (a fresh copy: stale files of an older version must not stay)
rm -rf "$APPDIR.new"
mkdir -p "$APPDIR.new"
cp -a "$HERE/$NAME" "$HERE/llmspell" "$HERE/_internal" "$APPDIR.new/"
rm -rf "$APPDIR"
mv "$APPDIR.new" "$APPDIR"
ln -sf "$APPDIR/$NAME" "$BINDIR/$NAME"
ln -sf "$APPDIR/llmspell" "$BINDIR/llmspell"
cp -a "$HERE/share/icons/." "$SHARE/icons/"
cp "$HERE/share/mime/packages/$NAME.xml" "$SHARE/mime/packages/$NAME.xml"
# the menu entry names the launcher by absolute path: $BINDIR may not be on PATH in a desktop session
sed -e "s#^Exec=$NAME#Exec=$BINDIR/$NAME#" -e "s#^TryExec=$NAME#TryExec=$BINDIR/$NAME#" \
  "$HERE/share/applications/$NAME.desktop" > "$SHARE/applications/$NAME.desktop"
refresh
echo "installed in $APPDIR; launchers: $BINDIR/$NAME, $BINDIR/llmspell"
case ":$PATH:" in *":$BINDIR:"*) ;; *) echo "note: $BINDIR is not on your PATH" ;; esac
