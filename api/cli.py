"""The HTTP API's commands of the ``topo`` command line: ``topo serve`` and ``topo view``.

topo finds them through the ``topo.commands`` entry-point group (see ``pyproject.toml``),
so the planner never imports the web stack; the web stack is imported when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["serve_cmd", "view_cmd"]


def serve_cmd(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")
    ] = "info",
) -> None:
    """Serve the HTTP API (docs at /docs); settings come from TOPO_* environment variables."""
    from pydantic import ValidationError

    from topo.cli import EXIT_USER_ERROR, err_console

    try:
        import uvicorn

        from api.config import Settings
        from api.main import busy_message, create_app

        settings = Settings()
        try:
            busy = busy_message(settings)
        except Exception:  # the store cannot be opened: start-up reports it in full
            busy = None
    except ImportError as exc:
        err_console.print(f"[red]error[/red] the HTTP API needs the {exc.name!r} package")
        raise typer.Exit(EXIT_USER_ERROR) from None
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            name = "TOPO_" + "_".join(str(p) for p in err["loc"]).upper()
            err_console.print(f"[red]error[/red] {name}: {err['msg']}", soft_wrap=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    if busy is not None:
        err_console.print(f"[red]error[/red] {busy}", soft_wrap=True)
        raise typer.Exit(EXIT_USER_ERROR)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)


def view_cmd(
    folder: Annotated[
        Path, typer.Argument(help="A `topo plan` output folder, or a `topo batch` runs folder.")
    ],
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8765,
) -> None:
    """Show a plan folder (or a batch's runs folder) in the browser viewer, on loopback."""
    from topo.cli import EXIT_USER_ERROR, err_console, out_console

    try:
        from api.routes.viewer import serve_folder
    except ImportError as exc:
        err_console.print(f"[red]error[/red] the viewer needs the {exc.name!r} package")
        raise typer.Exit(EXIT_USER_ERROR) from None
    serve_folder(folder, port=port, echo=lambda line: out_console.print(line, soft_wrap=True))
