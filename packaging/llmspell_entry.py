"""Entry point of the frozen (PyInstaller) executables ``llmspell-studio`` and ``llmspell``.

Every frozen executable is also the engine worker: the pool starts workers as ``[sys.executable,
"--llmspell-worker", LANG]`` when ``sys.frozen`` (``app/engines/pool.py``), so that flag is routed to
``app.engines.worker.main([LANG])`` before anything else is imported (no Qt, no litellm in a worker).

``llmspell --llmspell-provider-check`` sends one chat request through litellm for every provider the app lists (and
Bedrock, which needs botocore's data) to a closed port on 127.0.0.1: each must fail only with a connection error,
never with a missing module or data file. It proves that trimming the bundle left every provider path importable.

``llmspell-studio --llmspell-startup-probe`` prints ``INTERACTIVE`` once the window is up and exits (start-time
benchmark). ``llmspell-studio --llmspell-smoke-test SPELL [--llmspell-screenshot PNG]`` is a hidden mode for
``packaging/smoke_test.sh``: it builds the real main window, opens SPELL, runs it through the window's run service (so
in a worker process started from the bundle), optionally saves a screenshot of the window, closes it and exits 0 when
the run succeeded and printed something, 1 when it did not, 2 on a timeout.

Kept free of imports beyond the standard library at module level, so ``tests/packaging`` can import it cheaply.
"""
from __future__ import annotations

import os
import sys
from typing import Sequence

WORKER_FLAG = "--llmspell-worker"
SMOKE_FLAG = "--llmspell-smoke-test"
SHOT_FLAG = "--llmspell-screenshot"
PROBE_FLAG = "--llmspell-startup-probe"
PROVIDERS_FLAG = "--llmspell-provider-check"
SMOKE_TIMEOUT_S = float(os.environ.get("LLMSPELL_SMOKE_TIMEOUT", "90"))

KINDS = ("studio", "cli")


def route(argv: Sequence[str], default: str) -> tuple[str, list[str]]:
    """Decide what this process is: ``("worker", [LANG])``, ``("smoke", [...])`` or ``(default, args)``.

    ``argv`` is the whole ``sys.argv`` (program name first). The worker flag wins whatever the program is; the
    smoke-test flag is only for the IDE."""
    if default not in KINDS:
        raise ValueError(f"unknown executable kind {default!r}")
    args = list(argv[1:])
    if args and args[0] == WORKER_FLAG:
        return "worker", args[1:]
    if default == "studio" and args and args[0] == SMOKE_FLAG:
        return "smoke", args[1:]
    if default == "studio" and args and args[0] == PROBE_FLAG:
        return "probe", args[1:]
    if args and args[0] == PROVIDERS_FLAG:
        return "providers", args[1:]
    return default, args


def kind_for_program(argv0: str) -> str:
    """``cli`` when started as ``llmspell`` (or ``llmspell.exe``), else ``studio``: for a single binary used through
    differently named links."""
    name = os.path.basename(argv0).lower()
    if name.endswith(".exe"):
        name = name[:-4]
    return "cli" if name == "llmspell" else "studio"


def main(default: str | None = None, argv: Sequence[str] | None = None) -> int:
    if getattr(sys, "frozen", False):
        # a library using multiprocessing with the spawn start method (the default on macOS and Windows) restarts
        # this executable for its children: those must become multiprocessing children, not a second IDE
        import multiprocessing
        multiprocessing.freeze_support()
    argv = list(sys.argv if argv is None else argv)
    target, args = route(argv, default or kind_for_program(argv[0] if argv else ""))
    if target == "worker":
        from app.engines.worker import main as worker_main
        return worker_main(args)
    if target == "cli":
        from app.cli import main as cli_main
        return cli_main(args)
    if target == "smoke":
        return smoke_test(args)
    if target == "probe":
        return startup_probe()
    if target == "providers":
        return provider_check()
    from app.ui.main import main as studio_main
    return studio_main(args)


def startup_probe() -> int:
    """Build and show the main window like ``app.ui.main.main``, print ``INTERACTIVE`` at the first event-loop turn
    after show and exit: the smoke test times process start to that line, bundle vs source install."""
    from PySide6.QtCore import QTimer

    from app.ui.main import create_window

    app, window = create_window([sys.argv[0]], restore=False)
    window.show()
    QTimer.singleShot(0, window.runs.start_runner)

    def done() -> None:
        print(f"INTERACTIVE litellm_imported={'litellm' in sys.modules}", flush=True)
        os._exit(0)

    QTimer.singleShot(0, done)
    return app.exec()


#: credentials (fake) and arguments a provider needs before it builds a request; Bedrock signs with botocore
#: (an API key would skip botocore, which is what this check must reach)
_PROVIDER_ARGS: dict[str, dict[str, str]] = {
    "azure": {"api_key": "sk-check", "api_version": "2024-10-21"},
    "bedrock": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "example", "aws_region_name": "us-east-1"},
}
#: what a missing piece of the bundle looks like (anything else, such as a refused connection, is the expected end)
_MISSING = ("ModuleNotFoundError", "ImportError", "FileNotFoundError", "DataNotFoundError", "UnknownServiceError",
            "No module named", "Missing optional dependency")


def provider_check() -> int:
    """Every provider's request path, as far as it goes without a network (see the module docstring)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from app.bridges.litellm_support import get_litellm
    from app.bridges.model import PROVIDER_ENV

    litellm = get_litellm()
    failed = 0
    for provider in [*PROVIDER_ENV, "bedrock"]:
        model = f"{provider}/anthropic.claude-3-haiku-20240307-v1:0" if provider == "bedrock" else f"{provider}/m"
        try:
            litellm.completion(model=model, messages=[{"role": "user", "content": "hi"}],
                               api_base="http://127.0.0.1:9", timeout=5, num_retries=0, max_retries=0,
                               **_PROVIDER_ARGS.get(provider, {"api_key": "sk-check"}))
            outcome = "answered (unexpected, but the path imports)"
        except Exception as e:  # the expected end: nothing listens on port 9
            chain, cur = [], e
            while cur is not None and len(chain) < 10:
                chain.append(f"{type(cur).__name__}: {cur}")
                cur = cur.__cause__ or cur.__context__
            text = " <- ".join(chain)
            if any(m in text for m in _MISSING):
                failed += 1
                print(f"FAIL {provider}: {text[:400]}", flush=True)
                continue
            outcome = f"stopped at the network ({type(e).__name__})"
        print(f"ok   {provider}: {outcome}", flush=True)
    print(f"providers: {failed} failed", flush=True)
    return 1 if failed else 0


def smoke_test(args: list[str]) -> int:
    """Open a spell in the real main window, run it in a worker, check it finished ok, quit."""
    import time

    shot = None
    if SHOT_FLAG in args:
        i = args.index(SHOT_FLAG)
        shot = args[i + 1] if i + 1 < len(args) else None
        del args[i:i + 2]
    if len(args) != 1:
        print(f"usage: llmspell-studio {SMOKE_FLAG} SPELL [{SHOT_FLAG} PNG]", file=sys.stderr)
        return 2
    spell = os.path.abspath(args[0])
    t0 = time.perf_counter()

    from PySide6.QtCore import QTimer

    from app.ui.main import create_window

    app, window = create_window([sys.argv[0]], restore=False)
    window.show()
    QTimer.singleShot(0, window.runs.start_runner)
    state: dict = {"code": 2, "out": [], "status": None}

    def finish(code: int) -> None:
        state["code"] = code
        if shot:
            window.grab().save(shot)
        window.close()
        app.quit()

    def on_output(chunks: list) -> None:
        state["out"].extend(text for _stream, text in chunks)

    def on_finished(result: object) -> None:
        status = getattr(result, "status", None)
        state["status"] = status
        text = "".join(state["out"])
        print(f"smoke: run finished: status={status} after {time.perf_counter() - t0:.2f} s", flush=True)
        print(f"smoke: output: {text!r}", flush=True)
        ok = status == "ok" and bool(text.strip())
        # let the console/trace paint the result before the screenshot
        QTimer.singleShot(300, lambda: finish(0 if ok else 1))

    def start() -> None:
        page = window.tabs.open_file(spell)
        if page is None:
            print(f"smoke: could not open {spell}", file=sys.stderr, flush=True)
            finish(1)
            return
        run = window.action_run(page)
        if run is None:
            print("smoke: the window did not start a run", file=sys.stderr, flush=True)
            finish(1)
            return
        run.output.connect(on_output)
        run.finished.connect(on_finished)
        print(f"smoke: window shown, run started after {time.perf_counter() - t0:.2f} s", flush=True)

    def timeout() -> None:
        print(f"smoke: timed out after {SMOKE_TIMEOUT_S:.0f} s (status={state['status']})", file=sys.stderr,
              flush=True)
        finish(2)

    QTimer.singleShot(0, start)
    QTimer.singleShot(int(SMOKE_TIMEOUT_S * 1000), timeout)
    app.exec()
    return state["code"]


if __name__ == "__main__":
    sys.exit(main())
