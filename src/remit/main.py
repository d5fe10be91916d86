"""The `remit` program: the command line's subcommands, `remit worker`, and
`remit bank` (cash application).

Like `remit.urls` for the web faces, this is the project's root for the processes started
from a shell: it puts the faces together (the command line, the worker) and belongs to
none of them, so that neither face imports the other.
"""

from __future__ import annotations

import sys

from remit.cli import bank as bank_cli
from remit.cli import main as cli
from remit.cli import report, statement
from remit.worker import command as worker


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, others=[worker, statement, bank_cli, report])


if __name__ == "__main__":
    sys.exit(main())
