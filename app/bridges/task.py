"""``Task``: run functions and bridge calls concurrently (Lua tasks, Tengo call groups).

Tasks are implemented inside the spell's worker (``app/engines/lua_tasks.lua``, ``app/engines/tengo/tasks.py``):
their bridge calls are sent without blocking and the worker's event loop resumes whichever task's answer comes
first. This module is their description only — for the reference, completion and lint — so it is registered as
``worker_side`` and never receives a call. JavaScript has native promises instead: every bridge method has an
``...Async`` twin that returns a Promise (``LLM.completeAsync``), plus ``setTimeout`` and ``AbortController``.
"""

from __future__ import annotations

from typing import Any, TypedDict

from app.bridges.errors import SpellError
from app.bridges.registry import Bridge, Callback, bridge, handle_type, only_in


class GroupOptions(TypedDict, total=False):
    timeout: float


def _worker_side(name: str) -> SpellError:
    return SpellError("invalid_argument", f"{name} runs inside the spell's worker, not on the host")


@handle_type("Task", worker_side=True, languages=("lua",))
class TaskHandle(Bridge):
    """A running task (from ``Task.spawn``): await it, cancel it or ask how it is doing."""

    def cancel(self) -> bool:
        """Cancel the task: its pending bridge call is abandoned (an LLM request is closed) and awaiting it
        raises a ``cancelled`` error. What it was awaiting (a race, a group) is cancelled with it.

        Returns:
            true if the task was still running, false if it had already finished.
        Example (lua):
            local t = Task.spawn(function() Task.sleep(10) end)
            print(t:cancel(), t:status())  --> true  cancelled
        Example (js):
            const ac = new AbortController();
            const p = LLM.completeAsync("hi", { signal: ac.signal });
            ac.abort();
        """
        raise _worker_side("Task:cancel")

    def done(self) -> bool:
        """Whether the task has finished (returned, failed or was cancelled).

        Returns:
            true once it has finished.
        Example (lua):
            local t = Task.spawn(function() return 1 end)
            print(t:done())  --> false: it runs when the spawner waits
            t:await()
            print(t:done())  --> true
        Example (js):
            // a Promise has no done(): use await, or Promise.race with a timer
        """
        raise _worker_side("Task:done")

    def status(self) -> str:
        """The task's state: ``ready``, ``running``, ``waiting``, ``ok``, ``failed`` or ``cancelled``.

        Returns:
            The state as a string.
        Example (lua):
            local t = Task.spawn(function() error("no") end)
            pcall(Task.await, t)
            print(t:status())  --> failed
        Example (js):
            const [r] = await Promise.allSettled([JSON.decodeAsync("{")]);
            console.log(r.status);  // rejected
        """
        raise _worker_side("Task:status")

    def await_(self) -> Any:
        """Wait for the task and return its values (``t:await()`` is ``Task.await(t)``).

        Returns:
            What the task's function returned; its error is raised again here.
        Errors:
            cancelled: the task was cancelled. Any other error of the task, with its code and line.
        Example (lua):
            local t = Task.spawn(function(a, b) return a + b end, 2, 3)
            print(t:await())  --> 5
        Example (js):
            const v = await JSON.decodeAsync("[5]");
        """
        raise _worker_side("Task:await")


@bridge("Task", worker_side=True, languages=("lua", "tengo"))
class TaskBridge(Bridge):
    """Run work concurrently: LLM calls are I/O-bound, so N calls at once take about as long as one.

    In Lua a task is a function running on its own coroutine: when it makes a bridge call, the call goes to the
    host and other tasks run until its answer comes. A task starts running when its spawner waits
    (``Task.await``, ``Task.all``, ``Task.sleep``...); tasks still running when the spell's main chunk ends are
    waited for, and a task that failed with nobody awaiting it fails the run. In Tengo, ``Task.all`` and
    ``Task.race`` take bridge calls written as arrays, ``[LLM.complete, "prompt", {model: "..."}]``. A run has
    at most ``max_concurrent_calls`` (profile setting, 16 by default) calls in flight; more wait their turn. The
    time limit covers every task; Stop cancels them all. JavaScript uses native promises instead: every bridge
    method has an ``...Async`` twin (``LLM.completeAsync``), with ``await``, ``Promise.all``, ``setTimeout``
    and an ``AbortController`` ``signal`` option.
    """

    @only_in("lua")
    def spawn(self, fn: Callback, args: list[Any] | None = None) -> TaskHandle:
        """Start running ``fn(...)`` as a task and return the task at once.

        Args:
            fn: The function the task runs.
            args: The arguments passed to it (written after the function: ``Task.spawn(fn, a, b)``).
        Returns:
            The task: ``t:await()``, ``t:cancel()``, ``t:status()``.
        Example (lua):
            local t = Task.spawn(function(topic) return LLM.complete("One line on " .. topic) end, "tides")
            print(t:await())
        Example (js):
            const p = LLM.completeAsync("One line on tides");
            console.log(await p);
        """
        raise _worker_side("Task.spawn")

    @only_in("lua")
    def await_(self, task: TaskHandle) -> Any:
        """Wait for a task and return what its function returned (other tasks run meanwhile).

        Args:
            task: A task from ``Task.spawn``.
        Returns:
            The task's return values. Its error is raised here with its code and the task's line.
        Errors:
            cancelled: the task was cancelled. A deadlock error when every task waits for another.
        Example (lua):
            local t = Task.spawn(function() return LLM.complete("hello") end)
            print(Task.await(t))
        Example (js):
            console.log(await LLM.completeAsync("hello"));
        """
        raise _worker_side("Task.await")

    def all(self, tasks: list[Any], opts: GroupOptions | None = None) -> list[Any]:
        """Wait for every task and return their results in order; the first failure is raised and the
        remaining tasks are cancelled.

        Args:
            tasks: Lua: tasks or functions (a function is spawned). Tengo: bridge calls as arrays
                ``[fn, args...]``.
        Options:
            timeout: (Tengo) Seconds to wait; past it the calls are cancelled and a ``timeout`` error is
                returned. In Lua wrap the group: ``Task.timeout(s, function() return Task.all(ts) end)``.
        Returns:
            A list with each task's (first) result.
        Errors:
            cancelled: a task was cancelled. The first task error otherwise (Tengo returns it as an error value
            with its ``code``, ``message`` and the ``index`` of the failing call).
        Example (lua):
            local answers = Task.all({
              function() return LLM.complete("A haiku about rain") end,
              function() return LLM.complete("A haiku about snow") end,
            })
            print(answers[1], answers[2])
        Example (js):
            const [rain, snow] = await Promise.all([LLM.completeAsync("A haiku about rain"),
                                                    LLM.completeAsync("A haiku about snow")]);
        Example (tengo):
            fmt := import("fmt")
            answers := Task.all([[LLM.complete, "A haiku about rain"], [LLM.complete, "A haiku about snow"]])
            fmt.println(answers[0], answers[1])
        """
        raise _worker_side("Task.all")

    def race(self, tasks: list[Any], opts: GroupOptions | None = None) -> Any:
        """Return the result of the first task to finish (or raise its error) and cancel the others, whose
        LLM requests are closed.

        Args:
            tasks: Lua: tasks or functions. Tengo: bridge calls as arrays ``[fn, args...]``.
        Options:
            timeout: (Tengo) Seconds to wait; past it every call is cancelled and a ``timeout`` error is
                returned.
        Returns:
            The winner's result.
        Errors:
            timeout: (Tengo) nothing finished in time. The winner's error when the first to finish failed.
        Example (lua):
            local fastest = Task.race({
              function() return LLM.complete("Answer briefly: 2+2?", {model = "offline/echo"}) end,
              function() return LLM.complete("Answer briefly: 2+2?") end,
            })
            print(fastest)
        Example (js):
            const ac = new AbortController();
            const first = await Promise.race([LLM.completeAsync("2+2?", { signal: ac.signal }),
                                              LLM.completeAsync("two plus two?", { signal: ac.signal })]);
            ac.abort();  // the other call is cancelled
        Example (tengo):
            fmt := import("fmt")
            first := Task.race([[LLM.complete, "2+2?"], [LLM.complete, "two plus two?"]], {timeout: 30})
            fmt.println(first)
        """
        raise _worker_side("Task.race")

    @only_in("lua")
    def any(self, tasks: list[Any]) -> Any:
        """Return the result of the first task to succeed and cancel the others; fail only if all fail.

        Args:
            tasks: Tasks or functions.
        Returns:
            The first successful result.
        Errors:
            invalid_argument: an empty list. When every task failed, the first failure's code with a message
            that counts them.
        Example (lua):
            local v = Task.any({function() error("down") end, function() return "backup" end})
            print(v)  --> backup
        Example (js):
            const v = await Promise.any([JSON.decodeAsync("{"), JSON.decodeAsync("[1]")]);
        """
        raise _worker_side("Task.any")

    @only_in("lua")
    def sleep(self, seconds: float) -> None:
        """Pause for ``seconds`` while other tasks run.

        Args:
            seconds: How long, in seconds (fractions allowed).
        Example (lua):
            local t = Task.spawn(function() Task.sleep(0.1); return "later" end)
            print(t:await())
        Example (js):
            await new Promise((resolve) => setTimeout(resolve, 100));
        """
        raise _worker_side("Task.sleep")

    @only_in("lua")
    def timeout(self, seconds: float, task: Any) -> Any:
        """Wait at most ``seconds`` for a task (or a function, spawned); past that the task is cancelled and a
        ``timeout`` error is raised.

        Args:
            seconds: The deadline, in seconds.
            task: A task or a function.
        Returns:
            The task's results when it finished in time.
        Errors:
            timeout: the task did not finish in time (it was cancelled, with what it awaited).
        Example (lua):
            local ok, err = pcall(Task.timeout, 0.05, function() Task.sleep(5) end)
            print(ok, err.code)  --> false  timeout
        Example (js):
            try { await LLM.completeAsync("hi", { signal: AbortSignal.timeout(5000) }); }
            catch (e) { console.log(e.code); }
        """
        raise _worker_side("Task.timeout")

    @only_in("lua")
    def yield_(self) -> None:
        """Let the other ready tasks run before going on (a long computation in a task can share the time).

        Example (lua):
            local t = Task.spawn(function() for i = 1, 3 do Task.yield() end return "done" end)
            print(t:await())
        Example (js):
            await Promise.resolve();
        """
        raise _worker_side("Task.yield")


# ``await`` and ``yield`` are keywords in Python, not in Lua: the spell names are set here.
for _cls, _attr in ((TaskBridge, "await_"), (TaskBridge, "yield_"), (TaskHandle, "await_")):
    setattr(_cls, _attr[:-1], getattr(_cls, _attr))
    delattr(_cls, _attr)
