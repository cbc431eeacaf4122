"""``llmspell debug FILE``: a small terminal debugger on the same :class:`DebugSession` the IDE uses.

Commands (before the run starts and at every stop)::

    b [FILE:]LINE [if COND]   breakpoint (FILE defaults to the spell)     d [FILE:]LINE  delete it
    r | c                     run / continue                              n   step over
    s                         step into                                   finish  step out
    bt                        call stack                                  p EXPR  evaluate (read-only)
    watch EXPR                print EXPR at every stop                    l   source around the line
    llm on|off                break before LLM calls                      answer TEXT  answer the LLM call
    q                         stop the run and quit

Useful headless and for testing the core without Qt. Wire it into ``app/cli.py`` with a ``debug`` subcommand
that calls :func:`main` (see the module's ``main`` signature).
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
from typing import TYPE_CHECKING, TextIO

from app.debugger.session import BreakpointStore, CallBreakpoints, DebugError, DebugSession, StopInfo

if TYPE_CHECKING:
    from app.runner import RunHandle, RunOptions, SpellRunner

log = logging.getLogger(__name__)

STOP_WAIT_S = 3600.0


class TerminalDebugger:
    """A line-oriented front end: reads commands from ``inp``, writes to ``out``."""

    def __init__(
        self,
        runner: SpellRunner,
        path: str,
        options: RunOptions | None = None,
        inp: TextIO | None = None,
        out: TextIO | None = None,
    ):
        self.runner = runner
        self.path = os.path.abspath(path)
        self.options = options
        self.inp = inp or sys.stdin
        self.out = out or sys.stdout
        self.store = BreakpointStore()
        self.session = DebugSession(self.store, calls=CallBreakpoints())
        self.watches: list[str] = []
        self.run: RunHandle | None = None

    # output --------------------------------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _source_line(self, file: str | None, line: int | None) -> str:
        if not file or not line:
            return ""
        try:
            with open(file, encoding="utf-8") as f:
                lines = f.read().splitlines()
            return lines[line - 1].strip() if 0 < line <= len(lines) else ""
        except OSError:
            return ""

    def show_stop(self, st: StopInfo) -> None:
        where = f"{os.path.basename(st.file or '?')}:{st.line}" if st.line else "?"
        self.say(f"stopped ({st.reason}) at {where}  {self._source_line(st.file, st.line)}")
        if st.message:
            self.say(f"  {st.message}")
        if st.reason in ("llm_call", "tool_call"):
            self.say(f"  request: {st.data.get('request')}")
        for w in self.watches:
            self.say(f"  {w} = {self._eval(w)}")

    def _eval(self, expr: str) -> str:
        try:
            r = self.session.evaluate(expr)
        except DebugError as e:
            return f"<{e}>"
        return r["value"] if r.get("ok") else f"<{r.get('error')}>"

    # commands ------------------------------------------------------------------------------------------------------
    def _location(self, spec: str) -> tuple[str, int]:
        file, _, line = spec.rpartition(":")
        if not file:
            return self.path, int(line)
        if not os.path.isabs(file):
            file = os.path.join(os.path.dirname(self.path), file)
        return file, int(line)

    def _start(self) -> None:
        self.run = self.runner.debug(self.path, self.session, options=self.options, observer=self)

    def on_output(self, stream: str, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def command(self, line: str) -> bool:
        """Run one command; False when the debugger should exit."""
        parts = line.strip().split(None, 1)
        if not parts:
            return True
        cmd, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        s = self.session
        try:
            if cmd == "b":
                spec, _, cond = rest.partition(" if ")
                file, ln = self._location(spec.strip())
                bp = self.store.add(file, ln, condition=cond.strip() or None)
                self.say(f"breakpoint {bp.id} at {os.path.basename(file)}:{ln}")
            elif cmd == "d":
                file, ln = self._location(rest.strip())
                self.say("deleted" if self.store.remove(file, ln) else "no breakpoint there")
            elif cmd in ("r", "c"):
                if self.run is None:
                    self._start()
                else:
                    s.continue_()
                return self._wait()
            elif cmd in ("n", "s", "finish"):
                {"n": s.step_over, "s": s.step_in, "finish": s.step_out}[cmd]()
                return self._wait()
            elif cmd == "bt":
                for f in s.stack():
                    where = f"{os.path.basename(f['file'])}:{f['line']}" if f.get("file") else f["kind"]
                    self.say(f"  #{f['id']} {f['name']}  {where}")
            elif cmd == "p":
                self.say(self._eval(rest))
            elif cmd == "watch":
                self.watches.append(rest)
                self.say(f"watch {len(self.watches)}: {rest}")
            elif cmd == "l":
                st = s.stop_info
                if st and st.file and st.line:
                    with open(st.file, encoding="utf-8") as source:
                        lines = source.read().splitlines()
                    for i in range(max(1, st.line - 3), min(len(lines), st.line + 3) + 1):
                        self.say(f"{'=>' if i == st.line else '  '} {i:4d}  {lines[i - 1]}")
            elif cmd == "llm":
                s.calls.llm = rest.strip() != "off"
                self.say(f"break before LLM calls: {'on' if s.calls.llm else 'off'}")
            elif cmd == "answer":
                s.answer(" ".join(shlex.split(rest)) if rest.startswith(("'", '"')) else rest)
                return self._wait()
            elif cmd == "q":
                if self.run is not None and not self.run.done:
                    s.stop()
                    self.run.wait(10)
                return False
            else:
                self.say(f"unknown command {cmd!r} (b d r c n s finish bt p watch l llm answer q)")
        except (DebugError, ValueError, OSError) as e:
            self.say(f"error: {e}")
        return True

    def _wait(self) -> bool:
        st = self.session.wait_paused(STOP_WAIT_S)
        if st is not None:
            self.show_stop(st)
            return True
        res = self.run.wait(10) if self.run is not None else None
        if res is not None:
            if res.ok:
                self.say(f"finished: {res.value!r}")
            else:
                self.say(f"finished ({res.status}): {res.failure.message if res.failure else ''}")
        return False

    def loop(self) -> int:
        """Read commands until the run ends or ``q``; the exit code of the run."""
        while True:
            self.out.write("(debug) ")
            self.out.flush()
            line = self.inp.readline()
            if not line:
                self.command("q")
                break
            if not self.command(line):
                break
        res = self.run.result if self.run is not None else None
        return res.exit_code if res is not None else 0


def main(
    path: str,
    runner: SpellRunner | None = None,
    options: RunOptions | None = None,
    inp: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Debug ``path`` in the terminal; returns the exit code (as ``llmspell run``)."""
    own = runner is None
    if own:
        from app.engines.base import language_for
        from app.runner import Runner

        runner = Runner(warm={language_for(path): 1})
    assert runner is not None
    try:
        return TerminalDebugger(runner, path, options, inp, out).loop()
    finally:
        if own:
            runner.shutdown()


def cli(argv: list[str] | None = None) -> int:
    """``python -m app.debugger.terminal FILE [--profile P] [--timeout S]`` (what ``llmspell debug`` runs)."""
    import argparse

    p = argparse.ArgumentParser(prog="llmspell debug", description="Debug a spell in the terminal.")
    p.add_argument("file")
    p.add_argument("--profile", default="standard")
    p.add_argument("--timeout", type=float)
    p.add_argument("--input", help="the spell's INPUT as JSON text")
    args = p.parse_args(argv)
    import json

    from app.runner import RunOptions

    opts = RunOptions(
        profile=args.profile, timeout_s=args.timeout, inputs=json.loads(args.input) if args.input else None
    )
    return main(args.file, options=opts)


if __name__ == "__main__":
    sys.exit(cli())
