#!/usr/bin/env bash
# Smoke test of the built packages (`make package-test`): the bundle, the .deb and the tarball from packaging/build.sh.
#
#   packaging/smoke_test.sh [DIST]        DIST defaults to ./dist
#
# For the bundle, the extracted .deb, the installed .deb and the unpacked/installed tarball it runs the bundled
# `llmspell` (run hello.lua/hello.js/a Tengo spell, a spell calling the offline model through litellm, an endless
# loop with --timeout 1 that must end with exit 3 -- which proves the frozen worker flag, `llmspell check`) and the
# bundled IDE offscreen: the hidden `--llmspell-smoke-test SPELL` mode opens the spell in the real main window, runs it
# in a worker and quits; then a plain start that must still be alive after a few seconds.
# As root (and unless SMOKE_APT=0) it also installs the .deb with `apt-get install ./…deb`, runs the launchers from
# /usr/bin, shows the IDE under Xvfb with a screenshot (DIST/smoke-screenshot.png) and purges the package again
# (SMOKE_KEEP_INSTALLED=1 keeps it). SMOKE_BENCH=0 skips the start-time comparison with the source install.
# Exit status: 0 when every check passed. A summary is written to DIST/smoke-report.txt.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIST=$(cd "${1:-${DIST:-$ROOT/dist}}" && pwd)
NAME=llmspell-studio
BUNDLE="$DIST/$NAME"
DEB=$(ls -t "$DIST"/${NAME}_*.deb 2>/dev/null | head -1)
TARBALL=$(ls -t "$DIST"/$NAME-*-linux-*.tar.gz 2>/dev/null | head -1)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/llmspell-smoke.XXXXXX")
REPORT="$DIST/smoke-report.txt"
IDE_ALIVE_S=${SMOKE_IDE_SECONDS:-5}
export LLMSPELL_CONFIG_DIR="$TMP/config" LLMSPELL_DATA_DIR="$TMP/data"  # never the user's settings or session
export LLMSPELL_SMOKE_TIMEOUT=${LLMSPELL_SMOKE_TIMEOUT:-120}
unset DISPLAY WAYLAND_DISPLAY
PASS=0
FAIL=0
INSTALLED_BY_US=0

cleanup() {
  if [ "$INSTALLED_BY_US" = 1 ] && [ "${SMOKE_KEEP_INSTALLED:-0}" != 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$NAME" >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
: > "$REPORT"
say() { echo "$*" | tee -a "$REPORT"; }
pass() { PASS=$((PASS + 1)); say "  ok    $*"; }
fail() { FAIL=$((FAIL + 1)); say "  FAIL  $*"; }

# expect LABEL RC PATTERN CMD...: run CMD (3 min cap), want exit RC and PATTERN (grep -E) in stdout+stderr
expect() {
  local label=$1 want=$2 pattern=$3 out rc t0 dt
  shift 3
  out="$TMP/out.txt"
  t0=$(date +%s.%N)
  timeout 180 "$@" > "$out" 2>&1
  rc=$?
  dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  if [ "$rc" = "$want" ] && { [ -z "$pattern" ] || grep -Eq -- "$pattern" "$out"; }; then
    pass "$label (exit $rc, ${dt} s)"
  else
    fail "$label: exit $rc (want $want), pattern '$pattern' $(grep -Eq -- "$pattern" "$out" && echo found || echo missing)"
    sed 's/^/        | /' "$out" | tail -15 | tee -a "$REPORT"
  fi
}

# spells used besides the bundled examples
S="$TMP/spells"
mkdir -p "$S"
printf 'fmt := import("fmt")\nfmt.println("Hello from a Tengo spell")\nexport {ok: true}\n' > "$S/hello.tengo"
printf 'while true do end\n' > "$S/loop.lua"
printf 'local r = LLM.complete("Say hello")\nprint("LLM said: " .. r)\nreturn #r\n' > "$S/llm.lua"
printf 'local x = \n' > "$S/bad.lua"

# check_cli LABEL BINDIR EXAMPLES: the llmspell checks, with BINDIR/llmspell
check_cli() {
  local label=$1 bin=$2/llmspell ex=$3
  expect "$label: llmspell run hello.lua" 0 "^Hello, world! Greetings from a Lua spell\." "$bin" run "$ex/hello.lua"
  expect "$label: llmspell run hello.js --input" 0 "^Hello, Ada! Greetings from a JavaScript spell\." \
    "$bin" run "$ex/hello.js" --input '{"name": "Ada"}'
  expect "$label: llmspell run hello.tengo" 0 "^Hello from a Tengo spell" "$bin" run "$S/hello.tengo"
  expect "$label: llmspell run (offline model via litellm)" 0 "^LLM said: " "$bin" run "$S/llm.lua"
  expect "$label: endless loop --timeout 1 -> exit 3 (frozen worker)" 3 "time limit" \
    "$bin" run "$S/loop.lua" --timeout 1
  expect "$label: llmspell check (clean files)" 0 "" "$bin" check "$ex/hello.lua" "$ex/hello.js" "$S/hello.tengo"
  expect "$label: llmspell check (syntax error)" 1 "bad\.lua:2:1: " "$bin" check "$S/bad.lua"
  expect "$label: llmspell docs (reference generator)" 0 "llmspell\.d\.ts" \
    "$bin" docs --out "$TMP/docs-$RANDOM" --format html,md,luals,dts
  expect "$label: every provider path imports (trimmed bundle)" 0 "^providers: 0 failed" \
    "$bin" --llmspell-provider-check
}

# check_ide LABEL BINDIR EXAMPLES [wrapper...]: the IDE opens and runs a spell, then a plain start stays up
check_ide() {
  local label=$1 bin=$2/$NAME ex=$3
  shift 3
  expect "$label: IDE offscreen opens hello.lua, runs it in a worker, quits" 0 "run finished: status=ok" \
    env QT_QPA_PLATFORM=offscreen "$@" "$bin" --llmspell-smoke-test "$ex/hello.lua"
  QT_QPA_PLATFORM=offscreen "$bin" --no-restore > "$TMP/ide.log" 2>&1 &
  local pid=$!
  sleep "$IDE_ALIVE_S"
  if kill -0 "$pid" 2>/dev/null; then
    pass "$label: IDE offscreen still running after ${IDE_ALIVE_S} s"
    kill "$pid" 2>/dev/null
  else
    wait "$pid"
    fail "$label: IDE exited within ${IDE_ALIVE_S} s (exit $?)"
    tail -15 "$TMP/ide.log" | sed 's/^/        | /' | tee -a "$REPORT"
  fi
  wait "$pid" 2>/dev/null
}

say "smoke test of $DIST ($(date -u +%Y-%m-%dT%H:%M:%SZ))"

# ------------------------------------------------------------------------------------------------------ bundle
say "bundle: $BUNDLE"
if [ -x "$BUNDLE/llmspell" ]; then
  check_cli "bundle" "$BUNDLE" "$BUNDLE/_internal/examples"
  check_ide "bundle" "$BUNDLE" "$BUNDLE/_internal/examples"
else
  fail "bundle: no $BUNDLE/llmspell (run packaging/build.sh)"
fi

# ------------------------------------------------------------------------------------------------- .deb, extracted
say ".deb: ${DEB:-missing}"
if [ -n "$DEB" ]; then
  R="$TMP/debroot"
  expect ".deb: dpkg-deb --info/--contents" 0 "" dpkg-deb --info "$DEB"
  dpkg-deb --contents "$DEB" > "$TMP/contents.txt"
  for p in ./usr/bin/llmspell-studio ./usr/bin/llmspell ./usr/share/applications/$NAME.desktop \
           ./usr/share/icons/hicolor/scalable/apps/$NAME.svg ./usr/share/icons/hicolor/48x48/apps/$NAME.png \
           ./usr/share/mime/packages/$NAME.xml ./usr/share/doc/$NAME/copyright ./usr/share/doc/$NAME/changelog.gz \
           ./opt/$NAME/llmspell ./opt/$NAME/$NAME; do
    if grep -q " $p\( \|$\)" "$TMP/contents.txt"; then pass ".deb contains $p"; else fail ".deb lacks $p"; fi
  done
  deps=$(dpkg-deb --field "$DEB" Depends)
  for d in libc6 libgl1 libegl1 libxcb1 libfontconfig1; do
    case "$deps" in *"$d"*) pass ".deb Depends names $d" ;; *) fail ".deb Depends lacks $d: $deps" ;; esac
  done
  if command -v desktop-file-validate >/dev/null 2>&1; then
    expect ".deb: desktop-file-validate" 0 "" desktop-file-validate "$ROOT/packaging/linux/$NAME.desktop"
  fi
  mkdir -p "$R"
  dpkg -x "$DEB" "$R"
  for l in llmspell llmspell-studio; do
    target=$(readlink "$R/usr/bin/$l")
    if [ "$target" = "/opt/$NAME/$l" ] && [ -x "$R$target" ]; then pass ".deb: /usr/bin/$l -> $target"
    else fail ".deb: /usr/bin/$l -> '$target' (missing or not executable in the package)"; fi
  done
  check_cli ".deb extracted" "$R/opt/$NAME" "$R/opt/$NAME/_internal/examples"
  check_ide ".deb extracted" "$R/opt/$NAME" "$R/opt/$NAME/_internal/examples"

  # ------------------------------------------------------------------------------------------- .deb, installed
  if [ "$(id -u)" = 0 ] && [ "${SMOKE_APT:-1}" = 1 ] && command -v apt-get >/dev/null 2>&1; then
    dpkg -s "$NAME" >/dev/null 2>&1 || INSTALLED_BY_US=1
    expect ".deb: apt-get install ./$(basename "$DEB")" 0 "" \
      env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")"
    if [ -x /usr/bin/llmspell ]; then
      check_cli ".deb installed" /usr/bin /opt/$NAME/_internal/examples
      if command -v xvfb-run >/dev/null 2>&1; then
        rm -f "$DIST/smoke-screenshot.png"
        expect ".deb installed: IDE under Xvfb runs hello.lua, screenshot" 0 "run finished: status=ok" \
          xvfb-run -a -s "-screen 0 1280x800x24" /usr/bin/$NAME --llmspell-smoke-test \
          /opt/$NAME/_internal/examples/hello.lua --llmspell-screenshot "$DIST/smoke-screenshot.png"
        if [ -s "$DIST/smoke-screenshot.png" ]; then pass ".deb installed: screenshot $DIST/smoke-screenshot.png"
        else fail ".deb installed: no screenshot"; fi
      else
        say "  skip  IDE under Xvfb: xvfb-run not installed"
      fi
      [ -f /usr/share/applications/$NAME.desktop ] && pass ".deb installed: menu entry" || fail ".deb installed: no menu entry"
    fi
  else
    say "  skip  apt-get install (not root, or SMOKE_APT=0)"
  fi
else
  fail ".deb: none in $DIST"
fi

# ------------------------------------------------------------------------------------------------------ tarball
say "tarball: ${TARBALL:-missing}"
if [ -n "$TARBALL" ]; then
  mkdir -p "$TMP/tar"
  expect "tarball: unpack" 0 "" tar -C "$TMP/tar" -xzf "$TARBALL"
  top=$(find "$TMP/tar" -mindepth 1 -maxdepth 1 -type d | head -1)
  if [ -n "$top" ]; then
    check_cli "tarball in place" "$top" "$top/_internal/examples"
    check_ide "tarball in place" "$top" "$top/_internal/examples"
    P="$TMP/prefix"
    expect "tarball: install.sh --prefix" 0 "installed in" "$top/install.sh" --prefix "$P"
    expect "tarball installed: llmspell run hello.lua" 0 "^Hello, world!" "$P/bin/llmspell" run "$top/_internal/examples/hello.lua"
    expect "tarball installed: endless loop --timeout 1 -> exit 3" 3 "time limit" "$P/bin/llmspell" run "$S/loop.lua" --timeout 1
    expect "tarball installed: IDE offscreen runs hello.js" 0 "run finished: status=ok" \
      env QT_QPA_PLATFORM=offscreen "$P/bin/$NAME" --llmspell-smoke-test "$top/_internal/examples/hello.js"
    grep -q "^Exec=$P/bin/$NAME %F" "$P/share/applications/$NAME.desktop" 2>/dev/null \
      && pass "tarball installed: menu entry points at the launcher" || fail "tarball installed: menu entry"
    expect "tarball: install.sh --uninstall" 0 "removed" "$top/install.sh" --prefix "$P" --uninstall
    [ ! -e "$P/bin/llmspell" ] && [ ! -e "$P/lib/$NAME" ] && pass "tarball: uninstalled cleanly" || fail "tarball: leftovers after uninstall"
  else
    fail "tarball: no top folder"
  fi
else
  fail "tarball: none in $DIST"
fi

# ------------------------------------------------------------------------------------- start time vs source install
# Wall time from process start to the first event-loop turn after the main window shows (the hidden
# --llmspell-startup-probe mode of packaging/llmspell_entry.py), the bundle against the same entry run by the venv's
# Python from the source tree; alternating, median of 5 after one warm-up each. Target: bundle <= 1.5x source.
if [ "${SMOKE_BENCH:-1}" = 1 ] && [ -x "$BUNDLE/$NAME" ] && [ -x "$ROOT/.venv/bin/python" ]; then
  say "start time: bundle vs source install (median of 5, offscreen)"
  if out=$("$ROOT/.venv/bin/python" - "$BUNDLE/$NAME" "$ROOT" <<'EOF'
import os, statistics, subprocess, sys, tempfile, time
bundle, root = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="llmspell-startup-")
env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LLMSPELL_CONFIG_DIR=os.path.join(tmp, "c"),
           LLMSPELL_DATA_DIR=os.path.join(tmp, "d"))
cmds = {"bundle": [bundle, "--llmspell-startup-probe"],
        "source": [os.path.join(root, ".venv/bin/python"), os.path.join(root, "packaging/llmspell_entry.py"),
                   "--llmspell-startup-probe"]}
def once(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, cwd=root)
    try:
        out, _ = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill(); p.wait()
        return float("inf")
    return time.perf_counter() - t0 if "INTERACTIVE" in out else float("inf")
for c in cmds.values():
    once(c)  # warm the page cache
times = {k: [] for k in cmds}
for _ in range(5):
    for k, c in cmds.items():
        times[k].append(once(c))
b, s = statistics.median(times["bundle"]), statistics.median(times["source"])
print(f"bundle {b:.2f} s, source {s:.2f} s, ratio {b / s:.2f} "
      f"(bundle {' '.join(f'{t:.2f}' for t in times['bundle'])}; source {' '.join(f'{t:.2f}' for t in times['source'])})")
sys.exit(0 if b <= 1.5 * s else 1)
EOF
  ); then pass "start time within 1.5x of the source install: $out"; else fail "start time: $out"; fi
fi

say ""
say "smoke test: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
