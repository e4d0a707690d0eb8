"""Compile programs in a child process under an address-space cap and a deadline per program.

Hostile inputs and fuzzing must never take the test run (or the machine) down with them, so
they run here: ``python capped_run.py corpus DIR...`` compiles every program of the corpus
directories in this process and prints one JSON line per program (``name``, ``outcome``,
``reason``, ``rules``, ``seconds``, ``cpu_seconds``, ``rss_mib``). The parent starts it with
:func:`run_capped`, which sets ``RLIMIT_AS`` before the child starts; each program gets
``--deadline`` seconds (``SIGALRM``), after which its outcome is ``deadline``.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

INPUTS = re.compile(r"# inputs: (.*)\n")


class Deadline(Exception):
    """The program ran past its deadline."""


def run_capped(
    args: Sequence[str], address_space_mib: int, timeout: float, script: str = __file__
) -> subprocess.CompletedProcess[str]:
    """Run ``python <script> *args`` (this file by default) with ``RLIMIT_AS`` capped.

    The child's address space is limited to ``address_space_mib`` MiB (no core files); it is
    killed after ``timeout`` seconds (``subprocess.TimeoutExpired``).
    """
    limit = address_space_mib * 1024 * 1024

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return subprocess.run(
        [sys.executable, script, *args],
        preexec_fn=cap,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise Deadline


def _programs(directories: Sequence[str]) -> Iterator[Path]:
    for directory in directories:
        for path in sorted(Path(directory).iterdir()):
            if path.name.endswith((".qasm", ".eigen.py")):
                yield path


def main(argv: Sequence[str] | None = None) -> None:
    """Compile each program of the given corpus directories; print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="+")
    parser.add_argument("--deadline", type=int, default=30, help="seconds per program")
    args = parser.parse_args(argv)

    from eigen_common.errors import EigenError
    from eigen_compiler.model import CompileRequest, EigenLangSource, Limits, QasmSource
    from eigen_compiler.optimize import PassManagerCache
    from eigen_compiler.pipeline import Compiler

    compiler = Compiler(Limits(), PassManagerCache())
    signal.signal(signal.SIGALRM, _on_alarm)
    for path in _programs(args.directories):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if path.suffix == ".qasm":
            request = CompileRequest(QasmSource(text))
        else:
            m = INPUTS.match(text)
            request = CompileRequest(
                EigenLangSource(text), inputs=json.loads(m.group(1)) if m else {}
            )
        record: dict[str, object] = {"name": path.name}
        t0, c0 = time.perf_counter(), time.process_time()
        signal.alarm(args.deadline)
        try:
            compiler.compile(request)
            record.update(outcome="ok")
        except Deadline:
            record.update(outcome="deadline")
        except EigenError as exc:
            rules = [d.rule for d in exc.diagnostics]
            record.update(outcome="error", reason=exc.reason, rules=rules, message=exc.message)
        except BaseException as exc:  # reported, never swallowed: the test fails on it
            record.update(outcome="crash", error=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            signal.alarm(0)
        record.update(
            seconds=round(time.perf_counter() - t0, 3),
            cpu_seconds=round(time.process_time() - c0, 3),
            rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        )
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
