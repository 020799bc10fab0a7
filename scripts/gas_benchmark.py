"""Gas per action of whole tasks at growing sizes, beside each action's floor.

`ape run gas_benchmark --help`; `make gas-benchmark` rewrites the tables in docs/gas.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, ape_cli_context, network_option
from ape_foundry.provider import FoundryProvider

from learning_market.accounts import local_accounts
from learning_market.rpc import JsonRpc
from tools.gasbench import code_version, format_report, run_benchmark, write_section

MIN_WINDOW = 60  # seconds, for the market this script deploys (the clock is moved, not waited for)

_anvil_command = FoundryProvider.build_command


def _without_step_traces(provider: FoundryProvider) -> list[str]:
    # ape starts anvil with --steps-tracing, which keeps every step of every transaction in
    # memory: 5 GB for one 200 x 9 task, more than the machine has at 64 verifiers. The
    # benchmark reads receipts only. Patched on import: the command connects after that.
    return [arg for arg in _anvil_command(provider) if arg != "--steps-tracing"]


FoundryProvider.build_command = _without_step_traces  # type: ignore[method-assign]


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise click.BadArgumentUsage(f"expected comma-separated counts, got {text!r}") from error
    if not counts or min(counts) < 1:
        raise click.BadArgumentUsage(f"counts must be at least 1, got {text!r}")
    return counts


@click.command(cls=ConnectedProviderCommand, short_help="Gas per action and per contributor")
@ape_cli_context()
@network_option()
@click.option("--contributors", default="1,10,50,200", show_default=True,
              help="Contributor counts, comma-separated.")
@click.option("--verifiers", default="1,3,9", show_default=True,
              help="Verifier counts, comma-separated.")
@click.option("--batch", type=click.IntRange(min=1), default=64, show_default=True,
              help="Finalize steps per transaction (64: the clients' default).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs/gas.md"),
              show_default=True, help="Markdown file whose generated section is rewritten.")
def cli(cli_ctx, contributors: str, verifiers: str, batch: int, out: Path) -> None:
    """Runs one whole task (create to claims; synthetic digests, no training) for every
    CONTRIBUTORS x VERIFIERS pair on a new market, prints the tables and writes them to OUT."""
    if not chain.provider.network.is_local:
        raise click.BadOptionUsage("network", "the benchmark moves the chain's clock: local only")
    c_counts, v_counts = _counts(contributors), _counts(verifiers)
    version = code_version(Path(__file__).resolve().parent.parent, exclude=[str(out)])
    started = time.monotonic()
    funded = local_accounts(accounts.test_accounts, chain, 1 + max(c_counts) + max(v_counts))
    click.echo(f"{len(funded)} accounts funded in {time.monotonic() - started:.0f} s")
    market = funded[0].deploy(project.LearningMarket, MIN_WINDOW)
    result = run_benchmark(
        JsonRpc(chain.provider.http_uri), market.address, market.contract_type,
        [a.address for a in funded], c_counts, v_counts, batch, log=click.echo,
    )
    command = (f"ape run gas_benchmark --contributors {contributors} --verifiers {verifiers} "
               f"--batch {batch} --out {out}")
    report = format_report(result, version, command)
    click.echo("\n" + report)
    write_section(out, report)
    cli_ctx.logger.success(f"tables written to {out}")
