"""`ledger` lineage commands: trace, impact, as-of, diff and report; they only read MLMD."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import datetime, timezone

import click

from pipeline.commands import context
from pipeline.commands.errors import one_line_errors
from pipeline.commands.identifiers import MODEL, TRACE_TARGET, VERSION
from pipeline.lineage import LineageError, LineageGraph, dot, text
from pipeline.lineage.api import Lineage, names_receipt
from pipeline.signing.allowed_signers import AllowedSigners

_handled = one_line_errors(LineageError, KeyError)


def _lineage_command(name: str, *, formats: bool = True):
    """click.command plus --json/--dot (when `formats`); the store comes from the group."""

    def decorate(function):
        command = _handled(function)
        if formats:
            command = click.option("--dot", "as_dot", is_flag=True,
                                   help="Print Graphviz DOT source.")(command)
            command = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)
        return click.command(name)(command)

    return decorate


def _open() -> tuple[Lineage, str]:
    settings = context.settings()
    allowed = AllowedSigners.load_or_empty(settings.allowed_signers_path)
    found = Lineage.open(settings.metadata_spec, settings.paths, allowed=allowed,
                         hmac_key=settings.hmac_key)
    return found, settings.metadata_spec


def _emit(result, as_json: bool, as_dot: bool, human, graph: LineageGraph, title: str) -> None:
    if as_json and as_dot:
        raise click.UsageError("choose one of --json and --dot")
    if as_json:
        click.echo(text.as_json(result))
    elif as_dot:
        click.echo(dot.graph_dot(graph, title), nl=False)
    else:
        click.echo(human(result))


@_lineage_command("trace")
@click.argument("target", type=TRACE_TARGET)
def trace_command(target, as_json, as_dot):
    """Trace TARGET upstream to its data and code: MODEL@VERSION, MODEL@production, a
    prediction id (MODEL@VERSION:HEX) or a receipt JSON file (its signature is verified first);
    a prediction shows its captured inputs and outputs."""
    lineage, verified = _open()[0], None
    if names_receipt(str(target)):  # receipt checks load only when a receipt is traced
        from pipeline.serving.receipt_checks import ReceiptTrust

        lineage.receipt_trust = ReceiptTrust.of(context.settings())
        verified = lineage.verified_receipt(str(target))
    if verified is None:
        found = lineage.trace(str(target))
        return _emit(found, as_json, as_dot, text.trace_text, found.graph,
                     found.version.identifier)
    receipt = verified.receipt
    found = lineage.trace_version(lineage.registry.version(receipt.model, receipt.version))
    captured = lineage.captured_prediction(receipt.prediction_id)
    if as_json and not as_dot:
        document = {**asdict(found), "prediction": text.prediction_dict(verified, captured)}
        return click.echo(json.dumps(document, indent=2, sort_keys=True, default=str))
    if not as_dot:
        click.echo(text.prediction_text(verified, captured))
    _emit(found, as_json, as_dot, text.trace_text, found.graph, found.version.identifier)


@_lineage_command("impact")
@click.argument("target")
def impact_command(target, as_json, as_dot):
    """Everything downstream of TARGET: a dataset version id (dsv-...) or a file's SHA-256."""
    found = _open()[0].impact(target)
    _emit(found, as_json, as_dot, text.impact_text, found.graph, f"impact of {target}")


@_lineage_command("as-of")
@click.argument("model", type=MODEL)
@click.argument("time")
def as_of_command(model, time, as_json, as_dot):
    """Which version of MODEL was deployed at TIME (ISO-8601 UTC), by whom, on what data."""
    lineage = _open()[0]
    model = model.model
    found = lineage.as_of(model, time)
    graph = lineage.trace_version(found.version).graph if found.deployed and as_dot else None
    title = f"{model} at {found.at}: " + (found.version.identifier if found.deployed else "none")
    _emit(found, as_json, as_dot, text.as_of_text, graph or LineageGraph([], []), title)


@_lineage_command("diff", formats=True)
@click.argument("a", type=VERSION)
@click.argument("b", type=VERSION)
def diff_command(a, b, as_json, as_dot):
    """Compare two versions (MODEL@A MODEL@B): metrics, hyperparameters, data, code, digests."""
    found = _open()[0].diff(str(a), str(b))
    if as_dot and not as_json:
        return click.echo(dot.diff_dot(found.graph_a, found.graph_b, f"{found.a} vs {found.b}"),
                          nl=False)
    _emit(found, as_json, as_dot, text.diff_text, found.graph_a, "")


@_lineage_command("report", formats=False)
@click.argument("target", type=TRACE_TARGET)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="HTML file to write.")
def report_command(target, out):
    """Write a self-contained HTML page of TARGET's lineage: the graph and every node's facts."""
    from pipeline.lineage.report import report_html  # the SVG layout: only this command

    lineage, spec = _open()
    found = lineage.trace(str(target))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = report_html(found, store=spec, generated_at=now)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(page)
    click.echo(f"wrote {os.path.abspath(out)} ({len(found.graph.nodes)} nodes)")


COMMANDS = [trace_command, impact_command, as_of_command, diff_command, report_command]
