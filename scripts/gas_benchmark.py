"""Gas per action of whole mechanism-v2 tasks at growing sizes, beside each action's floor.

`ape run gas_benchmark --help`; `make gas-benchmark` rewrites the tables in docs/gas.md.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context, network_option
from ape_foundry.provider import FoundryProvider

from learning_market.rpc import JsonRpc
from tools.gasbench import (
    BenchmarkError,
    code_version,
    format_report,
    run_benchmark,
    write_section,
)

MAX_PANEL = 63  # the market's cap (LearningMarket.MAX_PANEL_SIZE)
MAX_CONTRIBUTORS = 512  # the market's cap (LearningMarket.MAX_CONTRIBUTORS_CAP)

_anvil_command = FoundryProvider.build_command


def _without_step_traces(provider: FoundryProvider) -> list[str]:
    # ape starts anvil with --steps-tracing, which keeps every step of every transaction in
    # memory: gigabytes for one 200-contributor task. The benchmark reads receipts only.
    # Patched on import: the command connects after that.
    return [arg for arg in _anvil_command(provider) if arg != "--steps-tracing"]


FoundryProvider.build_command = _without_step_traces  # type: ignore[method-assign]


def _counts(text: str, name: str, low: int, high: int, odd: bool = False) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise click.BadParameter(f"expected comma-separated counts, got {text!r}",
                                 param_hint=name) from error
    bad = [c for c in counts if not low <= c <= high or (odd and c % 2 == 0)]
    if not counts or bad:
        kind = "odd numbers" if odd else "numbers"
        raise click.BadParameter(f"expected {kind} from {low} to {high}, got {text!r}",
                                 param_hint=name)
    return counts


@click.command(cls=ConnectedProviderCommand, short_help="Gas per action and per contributor")
@ape_cli_context()
@network_option()
@click.option("--contributors", default="1,10,50,200", show_default=True,
              help="Contributor counts, comma-separated.")
@click.option("--panels", default="3,5,9", show_default=True,
              help="Panel sizes (odd, 3..63), comma-separated.")
@click.option("--batch", type=click.IntRange(min=1), default=64, show_default=True,
              help="Finalize steps per transaction (64: the clients' default).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs/gas.md"),
              show_default=True, help="Markdown file whose generated section is rewritten.")
def cli(cli_ctx, contributors: str, panels: str, batch: int, out: Path) -> None:
    """Runs one whole task (create to the fused model; synthetic digests, no training) for every
    CONTRIBUTORS x PANELS pair on a new market and pool, prints the tables and writes them to OUT."""
    if not chain.provider.network.is_local:
        raise click.BadOptionUsage("network", "the benchmark moves the chain's clock: local only")
    c_counts = _counts(contributors, "--contributors", 1, MAX_CONTRIBUTORS)
    p_counts = _counts(panels, "--panels", 3, MAX_PANEL, odd=True)
    version = code_version(Path(__file__).resolve().parent.parent, exclude=[str(out)])
    try:
        result = run_benchmark(
            JsonRpc(chain.provider.http_uri), project.LearningMarket.contract_type,
            project.VerifierPool.contract_type, c_counts, p_counts, batch, log=click.echo,
        )
    except BenchmarkError as error:
        raise click.ClickException(f"the benchmark stopped: {error}") from error
    command = (f"ape run gas_benchmark --contributors {contributors} --panels {panels} "
               f"--batch {batch} --out {out}")
    report = format_report(result, version, command)
    click.echo("\n" + report)
    write_section(out, report)
    cli_ctx.logger.success(f"tables written to {out}")
