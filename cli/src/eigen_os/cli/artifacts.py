"""``eigen artifact``: download one of a job's stored artifacts (SPEC §15).

Every ``qfs://`` reference the API hands out (``error_details_ref``, ``history_ref``, the
artifact list of ``eigen results``) can be fetched: ``eigen artifact JOB NAME`` or ``eigen
artifact qfs://jobs/JOB/NAME``. The bytes go to stdout unchanged (binary-safe; a binary
artifact is not written to a terminal) or with ``-o FILE`` to a file, which appears only once
the download is complete.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from eigen.api.v1 import job_pb2
from eigen_os.cli.context import AppContext, pass_app
from eigen_os.cli.output import stderr_console

QFS_JOBS_PREFIX = "qfs://jobs/"
#: Media types written to a terminal as they are (everything else needs -o or a pipe).
_TEXT_MEDIA = ("text/", "application/json", "application/x-ndjson", "application/yaml")


def split_reference(ref: str) -> tuple[str, str]:
    """``qfs://jobs/<job_id>/<name>`` → ``(job_id, name)``.

    Raises:
        click.BadParameter: not a job artifact reference.
    """
    rest = ref.removeprefix(QFS_JOBS_PREFIX) if ref.startswith(QFS_JOBS_PREFIX) else ""
    job_id, _, name = rest.partition("/")
    if not job_id or not name:
        raise click.BadParameter(
            f"{ref!r} is not a job artifact reference (qfs://jobs/JOB/NAME); "
            "give JOB and NAME instead",
            param_hint="JOB",
        )
    return job_id, name


def is_text_media(content_type: str) -> bool:
    """True for media types that are safe to print on a terminal."""
    return content_type.startswith(_TEXT_MEDIA)


def _chunks(
    updates: Iterator[job_pb2.GetJobArtifactResponse], to_terminal: bool, name: str
) -> Iterator[bytes]:
    first = True
    for msg in updates:
        if first and to_terminal and msg.content_type and not is_text_media(msg.content_type):
            raise click.UsageError(
                f"{name} is {msg.content_type}; not writing binary data to a terminal "
                "(use -o FILE or a pipe)"
            )
        first = False
        yield msg.chunk


def _write_file(path: Path, chunks: Iterator[bytes]) -> int:
    """Write ``chunks`` to ``path`` through a temporary file beside it; returns the byte count."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    written = 0
    try:
        with tmp.open("wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                written += len(chunk)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return written


@click.command()
@click.argument("job", metavar="JOB")
@click.argument("name", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="Write the artifact to FILE (default: stdout; `-` = stdout).",
)
@pass_app
def artifact(app: AppContext, job: str, name: str | None, output: Path | None) -> None:
    """Download a job's artifact: results.json, error.json, events.jsonl, history.json, ...

    NAME may be the artifact's qfs:// reference; `eigen artifact qfs://jobs/JOB/NAME` works
    without NAME. `eigen results JOB` lists a finished job's artifacts. Exit 2 when the job or
    the artifact does not exist.
    """
    if name is None:
        job, name = split_reference(job)
    updates = app.client().stream_artifact(job, name)
    if output is None or str(output) == "-":
        for chunk in _chunks(updates, sys.stdout.isatty(), name):
            click.echo(chunk, nl=False)  # bytes go to the binary buffer, unchanged
        return
    written = _write_file(output, _chunks(updates, False, name))
    stderr_console().print(f"wrote {written} bytes to {output}", highlight=False)


COMMANDS = [artifact]
