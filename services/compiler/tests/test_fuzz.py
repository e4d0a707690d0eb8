"""A bounded Hypothesis fuzz of each front end (issue 11): no crash, no hang, failures typed.

``fuzz_frontends.py`` runs in a child process capped at :data:`ADDRESS_SPACE_MIB` MiB of address
space (``capped_run.run_capped``) with a deadline per input; a crash of the child, a hang, an
untyped exception or an INTERNAL error fails the test with Hypothesis's falsifying example in
the output. The run is derandomised (the same inputs every time, a few seconds per front end);
docs/fuzzing.md describes the long random run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from capped_run import run_capped

FUZZ = str(Path(__file__).parent / "fuzz_frontends.py")
ADDRESS_SPACE_MIB = 3 * 1024
EXAMPLES = 100


@pytest.fixture(scope="module")
def summaries() -> dict[str, dict[str, object]]:
    """One capped run over every front end; its JSON summary per front end."""
    done = run_capped(
        ["--examples", str(EXAMPLES), "--deadline", "30"], ADDRESS_SPACE_MIB, 1200, FUZZ
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {s["front_end"]: s for s in lines}


@pytest.mark.parametrize("front_end", ["qasm2", "qasm3", "eigen-lang"])
def test_every_input_compiles_or_fails_typed(
    summaries: dict[str, dict[str, object]], front_end: str
) -> None:
    summary = summaries[front_end]
    outcomes = summary["outcomes"]
    assert isinstance(outcomes, dict)
    assert summary["examples"] >= EXAMPLES  # every input was tried
    assert outcomes.get("ok", 0) > 0  # the strategies reach valid programs too
    assert len(outcomes) >= 4  # ... and a spread of diagnostics
