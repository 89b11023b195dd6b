"""`ledger ui`: serve the read-only web app over the MLMD store on a local port."""

from __future__ import annotations

import errno
import socket
from functools import partial

import click

from pipeline.commands.context import settings
from pipeline.commands.errors import one_line_errors
from pipeline.lineage import LineageError

DEFAULT_PORT = 8600


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port), or one clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound ({exc.strerror})"
        raise click.ClickException(f"port {port} on {host} {why}") from None
    sock.listen(128)
    return sock


def trust_of(resolved):
    """What records are checked against, as the registry reads the settings (an allowed-signers
    file named explicitly must exist; the home's may not exist yet)."""
    from pipeline.registry.trust import Trust
    from pipeline.signing.allowed_signers import AllowedSigners

    path = resolved.allowed_signers_path
    home_file = resolved.uses_home_allowed_signers
    load = AllowedSigners.load_or_empty if home_file else AllowedSigners.load
    return Trust(load(path), resolved.hmac_key)


@click.command("ui")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default keeps the app on this machine.")
@one_line_errors(LineageError)
def ui_command(port, host):
    """Serve the registry, versions, evidence and lineage as a read-only local web app."""
    import uvicorn

    from pipeline.lineage.api import Lineage
    from pipeline.serving.receipt_checks import ReceiptTrust
    from pipeline.ui.app import create_app
    from pipeline.ui.evidence_binding import export_signer

    resolved = settings()  # the group's --home, --metadata, keys
    lineage = Lineage.open(resolved.metadata_spec, resolved.paths,
                           receipt_trust=ReceiptTrust.of(resolved))
    app = create_app(lineage, partial(trust_of, resolved), export_signer(resolved))
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"ledger ui: http://{shown}:{bound}/ (read-only; Ctrl-C stops)", err=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])


COMMANDS = [ui_command]
