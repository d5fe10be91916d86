"""Imports run downward and no face imports another face (DESIGN "Code layout"): the
import-linter contracts in pyproject.toml, run as `lint-imports` runs them.

The contracts are also tried on a copy of the code with one bad import added, so a
contract that stopped biting (a typo in a layer, a layer made optional) fails here too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
SOURCE = ROOT / "src" / "remit"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the `remit` package found first from `cwd` (it puts `cwd` first on
    its path)."""
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(CONFIG), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_every_import_contract():
    run = lint_imports(SOURCE.parent)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.fixture
def copy(tmp_path) -> Path:
    """The `remit` package's Python files, copied into a folder of their own."""
    shutil.copytree(
        SOURCE,
        tmp_path / "remit",
        ignore=shutil.ignore_patterns("static", "templates", "__pycache__"),
    )
    return tmp_path


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("cli/render.py", "remit.api.auth"),  # a face importing another face
        ("webhooks/urls.py", "remit.portal.access"),
        ("worker/tasks.py", "remit.cli.render"),
        ("payments/models.py", "remit.receipts.serializers"),  # upward
        ("core/money.py", "remit.customers.models"),
        ("ledger/rules.py", "remit.invoices.rules"),
        ("gateways/protocol.py", "remit.payments.states"),
        ("receipts/pdf.py", "remit.books.audit"),
        ("integrations/keys.py", "remit.api.errors"),
        ("customers/models.py", "remit.urls"),  # the project's root
    ],
)
def test_an_import_upward_or_between_two_faces_breaks_a_contract(copy, module, imported):
    path = copy / "remit" / module
    path.write_text(path.read_text() + f"\nimport {imported}  # noqa\n")
    run = lint_imports(copy)
    assert run.returncode != 0
    importer, target = "remit." + module.split("/")[0], ".".join(imported.split(".")[:2])
    assert f"{importer} is not allowed to import {target}" in run.stdout, run.stdout


def test_a_new_app_must_be_given_its_layer(copy):
    (copy / "remit" / "notify").mkdir()
    (copy / "remit" / "notify" / "__init__.py").write_text("")
    run = lint_imports(copy)
    assert run.returncode != 0
    assert "remit.notify" in run.stdout, run.stdout
