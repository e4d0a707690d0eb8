"""``eigen`` entry point: the command group, global options and the one error handler."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.text import Text

from eigen_os.cli import admin, artifacts, compilecmd, devices, jobs, reservations, stackcmd
from eigen_os.cli.context import AppContext
from eigen_os.cli.errors import HANDLED_ERRORS, classify
from eigen_os.cli.output import JSON_META_KEY, stderr_console
from eigen_os.client import DEFAULT_TIMEOUT


class EigenGroup(click.Group):
    """Command group whose :meth:`invoke` is the single place errors become exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; typed errors become a message on stderr and an exit code."""
        try:
            return super().invoke(ctx)
        except HANDLED_ERRORS as exc:
            report = classify(exc)
            if ctx.meta.get(JSON_META_KEY):
                click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False), err=True)
            else:
                console = stderr_console()
                console.print(Text.assemble(("error:", "bold red"), " ", report.message))
                for line in report.details:
                    console.print(Text(f"  {line}"))
                if report.hint:
                    console.print(Text(f"hint: {report.hint}", style="dim"))
            ctx.exit(report.exit_code)


@click.group(cls=EigenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--endpoint",
    metavar="HOST:PORT",
    default=None,
    help="Eigen API endpoint; https:// or grpcs:// for TLS (default: EIGEN_ENDPOINT, config "
    "file, local stack, 127.0.0.1:50051).",
)
@click.option(
    "--token",
    default=None,
    help="Bearer token (default: EIGEN_TOKEN, config file, $EIGEN_HOME/token).",
)
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    metavar="PEM",
    help="CA certificate(s) to trust with TLS (default: EIGEN_CA_FILE, config ca_file, the "
    "CA of `eigen up --tls`, the system's roots).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Deadline of each API call, in seconds.",
)
@click.version_option("0.1.0", prog_name="eigen")
@click.pass_context
def cli(
    ctx: click.Context,
    endpoint: str | None,
    token: str | None,
    ca_file: str | None,
    timeout: float,
) -> None:
    """Eigen OS: submit and follow hybrid quantum-classical jobs.

    Start a local stack with `eigen up`, then e.g. `eigen submit --job examples/bell/job.yaml
    --wait`. Exit codes: 0 ok, 2 user error, 3 server unreachable, 4 job or server failed.
    """
    app = AppContext(endpoint, token, timeout, ca_file)
    ctx.obj = app
    ctx.call_on_close(app.close)


for _module in (stackcmd, jobs, artifacts, devices, reservations, compilecmd, admin):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Console-script entry point (``eigen``)."""
    cli(prog_name="eigen")
