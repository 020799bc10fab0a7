"""`python -m ml.benchmark <table> [options]`: runs one benchmark, prints its markdown table."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch

from ml.benchmark import architectures, attacks, oneshot, privacy, rounds

COMMANDS = {
    "architectures": architectures,
    "oneshot": oneshot,
    "rounds": rounds,
    "attacks": attacks,
    "privacy": privacy,
}


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run the benchmark, print (and optionally write) the table."""
    parser = argparse.ArgumentParser(prog="python -m ml.benchmark", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        sub = commands.add_parser(name, help=(module.__doc__ or "").splitlines()[0])
        module.add_arguments(sub)
        sub.add_argument("--quick", action="store_true", help="a tiny run for tests, not a result")
        sub.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest here)")
        sub.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    table = COMMANDS[args.command].main(args)
    print(table)
    if args.out:
        with open(args.out, "w") as file:
            file.write(table)


if __name__ == "__main__":
    main()
