"""Run the processes of a Procfile in the foreground and restart the ones that exit (what `make run` runs).

    python -m ukbot.supervise [-f Procfile] [-d DIR] [NAME ...]

Like honcho, which this replaces for `make run`: each line ``name: command`` runs under ``/bin/sh`` in ``DIR``
with the environment (plus ``DIR/.env`` when there is one), and every line it prints is shown prefixed with its
time and name, the prefix coloured on a terminal. Unlike honcho, one process that exits does not stop the others:
it is started again after a pause of 1 s that doubles with each exit in a row up to 30 s, and is back to 1 s once
the process has stayed up for a minute. SIGINT or SIGTERM stops them all (SIGTERM, then SIGKILL after a grace
period) and the supervisor exits with 0. See docs/decisions/0034.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0  # seconds up after which the next exit is a fresh start again
STOP_GRACE = 20.0  # seconds between SIGTERM and SIGKILL on stop
_COLOURS = (36, 33, 32, 35, 34, 31)  # cyan, yellow, green, magenta, blue, red
_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")


def read_procfile(path: Path) -> dict[str, str]:
    """The ``name: command`` entries of a Procfile, in order.

    :raises ValueError: for a line that is neither an entry, a comment nor blank, or a name given twice.
    """
    entries: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise ValueError(f"{path}:{number}: expected 'name: command', got {raw!r}")
        name, command = match.groups()
        if name in entries:
            raise ValueError(f"{path}:{number}: {name!r} is defined twice")
        entries[name] = command
    return entries


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a .env file (honcho reads one too); ``export`` and quotes around values allowed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass
class _Process:
    name: str
    command: str
    colour: int
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # when to start it again after an exit
    backoff: float = BACKOFF_FIRST
    readers: list[threading.Thread] = field(default_factory=list)


class Supervisor:
    """Starts, watches and stops the processes; ``run()`` blocks until a stop is asked for."""

    def __init__(
        self,
        procfile: dict[str, str],
        *,
        cwd: Path,
        env: dict[str, str],
        out: IO[str] | None = None,
        colour: bool | None = None,
        backoff_first: float = BACKOFF_FIRST,
        backoff_max: float = BACKOFF_MAX,
        stable_after: float = STABLE_AFTER,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        self.out = out or sys.stdout
        self.colour = self.out.isatty() if colour is None else colour
        self.cwd, self.env = cwd, env
        self.backoff_first, self.backoff_max = backoff_first, backoff_max
        self.stable_after, self.stop_grace = stable_after, stop_grace
        self.width = max([len(name) for name in procfile] + [len("system")])
        self.processes = [
            _Process(name, command, _COLOURS[i % len(_COLOURS)], backoff=backoff_first)
            for i, (name, command) in enumerate(procfile.items())
        ]
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # --- output ---------------------------------------------------------------------------------------------
    def _print(self, name: str, colour: int, text: str) -> None:
        prefix = f"{time.strftime('%H:%M:%S')} {name:<{self.width}} |"
        if self.colour:
            prefix = f"\033[0;{colour}m{prefix}\033[0m"
        with self._lock:
            self.out.write(f"{prefix} {text}\n")
            self.out.flush()

    def say(self, text: str) -> None:
        self._print("system", 37, text)

    def _pump(self, process: _Process, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self._print(process.name, process.colour, raw.decode(errors="replace").rstrip("\r\n"))
        stream.close()

    # --- life cycle -----------------------------------------------------------------------------------------
    def _start(self, process: _Process) -> None:
        # Its own process group, so a stop that must use SIGKILL also reaches what it started (pool processes).
        popen = subprocess.Popen(  # noqa: S603 - commands of our own Procfile, run by a shell as honcho does
            ["/bin/sh", "-c", process.command],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.popen, process.started_at, process.restart_at = popen, time.monotonic(), None
        self.say(f"{process.name} started (pid {popen.pid})")
        assert popen.stdout is not None
        reader = threading.Thread(target=self._pump, args=(process, popen.stdout), daemon=True)
        reader.start()
        process.readers = [reader]

    def _on_exit(self, process: _Process, code: int) -> None:
        now = time.monotonic()
        if now - process.started_at >= self.stable_after:
            process.backoff = self.backoff_first
        delay = process.backoff
        process.backoff = min(self.backoff_max, process.backoff * 2)
        process.restart_at = now + delay
        process.popen = None
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        self.say(f"{process.name} {how}; restarting it in {delay:g} s")

    def stop(self) -> None:
        """Ask ``run()`` to stop every process and return (safe from a signal handler)."""
        self._stop.set()

    def run(self) -> int:
        for process in self.processes:
            self._start(process)
        while not self._stop.wait(0.1):
            now = time.monotonic()
            for process in self.processes:
                if process.popen is not None:
                    code = process.popen.poll()
                    if code is not None:
                        # What it left behind (a killed gunicorn's workers still holding the port, a killed worker's
                        # pool) goes too, so the new one starts clean.
                        _signal_group(process.popen.pid, signal.SIGKILL)
                        for reader in process.readers:
                            reader.join(timeout=1)  # its last words before the exit line
                        self._on_exit(process, code)
                elif process.restart_at is not None and now >= process.restart_at:
                    self._start(process)
        self._stop_all()
        return 0

    def _stop_all(self) -> None:
        # Signals go to each process group, as honcho sent them: the shell running the line, the program it runs
        # and what that started (gunicorn's workers, a worker's pool) all hear SIGTERM and stop in their own way.
        running = [p for p in self.processes if p.popen is not None and p.popen.poll() is None]
        self.say("stopping " + (", ".join(p.name for p in running) or "nothing"))
        for process in running:
            assert process.popen is not None
            _signal_group(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace
        for process in running:
            assert process.popen is not None
            try:
                process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{process.name} did not stop within {self.stop_grace:g} s: killing it")
        for process in self.processes:
            if process.popen is not None:
                _signal_group(process.popen.pid, signal.SIGKILL)  # whatever is still there
                process.popen.wait()
            for reader in process.readers:
                reader.join(timeout=1)
        self.say("all stopped")


def _signal_group(pgid: int, signum: int) -> None:
    # A group lives on while any member does, so its id is still this one's even once the leader has exited.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ukbot.supervise", description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--procfile", type=Path, default=Path("Procfile"))
    parser.add_argument("-d", "--directory", type=Path, default=None, help="where to run (default: the Procfile's)")
    parser.add_argument("names", nargs="*", help="processes to run (default: all)")
    args = parser.parse_args(argv)
    try:
        entries = read_procfile(args.procfile)
    except (OSError, ValueError) as exc:
        print(f"supervise: {exc}", file=sys.stderr)
        return 2
    unknown = [name for name in args.names if name not in entries]
    if unknown:
        print(f"supervise: not in {args.procfile}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.names:
        entries = {name: entries[name] for name in args.names}
    cwd = args.directory or args.procfile.resolve().parent
    env = {**os.environ, **read_dotenv(cwd / ".env"), "PYTHONUNBUFFERED": "1"}
    supervisor = Supervisor(entries, cwd=cwd, env=env)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: supervisor.stop())
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
