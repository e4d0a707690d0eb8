"""Local stack commands: up, down."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from eigen_os import paths, stack, supervisor
from eigen_os.cli.output import emit_json, json_option, stderr_console, stdout_console


def _home(home: Path | None) -> Path:
    return home.expanduser() if home is not None else paths.eigen_home()


def _render_state(state: stack.StackState) -> Table:
    table = Table(box=None, pad_edge=False)
    for col in ("SERVICE", "PORT", "METRICS", "PID", "RESTARTS", "LOG"):
        table.add_column(col)
    for s in state.services:
        pid = str(s.pid) if s.state == "running" else f"{s.pid} ({s.state})"
        table.add_row(
            s.name, str(s.port), str(s.metrics_port or "off"), pid, str(s.restarts), s.log
        )
    if state.supervisor is not None:
        table.add_row("supervisor", "", "", str(state.supervisor.pid), "", state.supervisor.log)
    return table


_HOME = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="State directory (default: $EIGEN_HOME or ~/.eigen). Other commands look for the "
    "token and endpoint in $EIGEN_HOME, so prefer setting EIGEN_HOME.",
)


@click.command()
@_HOME
@click.option(
    "--port-base",
    type=click.IntRange(1, 65532),
    default=None,
    envvar="EIGEN_PORT_BASE",
    help="gRPC ports: system-api = base, kernel +1, compiler +2, driver-manager +3 "
    "(default 50051; env EIGEN_PORT_BASE).",
)
@click.option(
    "--metrics-port-base",
    type=click.IntRange(0, 65532),
    default=None,
    envvar="EIGEN_METRICS_PORT_BASE",
    help="Prometheus ports in the same order (default 9101; 0 = off; env EIGEN_METRICS_PORT_BASE).",
)
@click.option("--api-port", type=click.IntRange(1, 65535), default=None, help="system-api port.")
@click.option("--kernel-port", type=click.IntRange(1, 65535), default=None, help="kernel port.")
@click.option("--compiler-port", type=click.IntRange(1, 65535), default=None, help="compiler port.")
@click.option(
    "--driver-manager-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="driver-manager port.",
)
@click.option(
    "--rest-port",
    type=click.IntRange(0, 65535),
    default=None,
    envvar="EIGEN_REST_PORT",
    help="The REST API's port on the system-api (default 8080; 0 = off; env EIGEN_REST_PORT).",
)
@click.option(
    "--start-timeout",
    type=click.FloatRange(min=1),
    default=stack.DEFAULT_START_TIMEOUT,
    show_default=True,
    help="Seconds each service gets to become healthy.",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve TLS on the API endpoint and mTLS among the services, with a local CA made "
    "under $EIGEN_HOME/tls (the CLI trusts it).",
)
@click.option(
    "--foreground",
    is_flag=True,
    help="Supervise in this terminal; Ctrl-C stops the stack.",
)
@json_option
def up(
    home: Path | None,
    port_base: int | None,
    metrics_port_base: int | None,
    api_port: int | None,
    kernel_port: int | None,
    compiler_port: int | None,
    driver_manager_port: int | None,
    rest_port: int | None,
    start_timeout: float,
    tls: bool,
    foreground: bool,
    as_json: bool,
) -> None:
    """Start the local stack (compiler, driver-manager, kernel, system-api) in the background.

    A supervisor watches the four services and restarts only the one that dies (with backoff,
    up to a limit; see logs/supervisor.log). State, logs, the generated local admin token and
    the per-stack internal secret live under $EIGEN_HOME (default ~/.eigen); the CLI finds the
    token by itself. Running `eigen up` again reports the running stack.
    """
    cfg = stack.StackConfig.build(
        _home(home),
        port_base=port_base,
        metrics_port_base=metrics_port_base,
        ports={
            "system-api": api_port,
            "kernel": kernel_port,
            "compiler": compiler_port,
            "driver-manager": driver_manager_port,
        },
        start_timeout=start_timeout,
        tls=tls,
        rest_port=rest_port,
    )
    err = stderr_console()

    def say(msg: str) -> None:
        err.print(Text(msg, style="dim"))

    if foreground:
        code = supervisor.run_foreground(cfg, on_event=say)
        if code:
            raise click.exceptions.Exit(code)
        return
    result = stack.up(cfg, on_event=None if as_json else say)
    if as_json:
        emit_json(
            {
                **result.state.to_json(),
                "already_running": result.already_running,
                "home": str(cfg.home),
                "token_file": str(result.token_file),
                "tls_ca_file": result.state.tls_ca or None,
            }
        )
        return
    console = stdout_console()
    if result.already_running:
        console.print(f"the Eigen OS stack is already running ({result.state.endpoint})")
    else:
        console.print(
            Text.assemble(("Eigen OS stack running", "bold green"), f" on {result.state.endpoint}")
        )
    console.print(_render_state(result.state))
    console.print(
        f"credentials: {result.token_file} (used by the CLI automatically; never printed)",
        highlight=False,
    )
    if cfg.rest_port:
        scheme = "https" if cfg.tls else "http"
        console.print(f"REST: {scheme}://{cfg.host}:{cfg.rest_port}/v1/", highlight=False)
    if result.state.tls_ca:
        console.print(f"TLS: clients trust the local CA {result.state.tls_ca}", highlight=False)
    console.print("stop it with: eigen down")


@click.command()
@_HOME
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=stack.DEFAULT_STOP_GRACE,
    show_default=True,
    help="Seconds each service gets to drain after SIGTERM before SIGKILL.",
)
@json_option
def down(home: Path | None, grace: float, as_json: bool) -> None:
    """Stop the local stack started by `eigen up`: its supervisor, then the four services."""
    result = stack.down(_home(home), grace=grace)
    if as_json:
        sup = result.supervisor if result else None
        emit_json(
            {
                "running": result is not None,
                "supervisor": {"pid": sup.pid, "outcome": sup.outcome} if sup else None,
                "services": [
                    {"name": o.name, "pid": o.pid, "outcome": o.outcome}
                    for o in (result.services if result else [])
                ],
            }
        )
        return
    console = stdout_console()
    if result is None:
        console.print("no local stack is running")
        return
    for o in [*([result.supervisor] if result.supervisor else []), *result.services]:
        console.print(f"{o.name:<15} pid {o.pid:<8} {o.outcome}", highlight=False)
    console.print("the Eigen OS stack is stopped")


COMMANDS = [up, down]
