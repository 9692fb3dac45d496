"""Tri-fold and card for the whole built-in library: every treatment, in every language it
has, on A4 and US Letter, for the demo kit and a fresh kit, is made (none refused).

The leaflets are made and checked by ``handouts proof``'s own road, in worker processes.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from handouts.catalogue import treatment_catalogue
from handouts.cli import cli
from handouts.proof import proof_matrix, run_proof


@pytest.fixture(scope="module")
def fresh_kit(tmp_path_factory):
    kit = tmp_path_factory.mktemp("fresh") / "kit"
    made = CliRunner().invoke(cli, ["init", str(kit)])
    assert made.exit_code == 0, made.output
    return kit


@pytest.mark.parametrize("kit_name", ["demo", "fresh"])
def test_every_treatment_folds_and_fits_a_card_on_a4_and_letter(kit_name, fresh_kit):
    kit = None if kit_name == "demo" else fresh_kit
    items = proof_matrix(
        treatment_catalogue(kit),
        layouts=("trifold", "card"),
        papers=("a4", "letter"),
        large_print=(False,),
    )
    languages = {item.language for item in items}
    assert {"en", "es", "ar"} <= languages  # the matrix holds every language there is
    report = run_proof(kit, items, jobs=2, thumbnails=False)
    assert len(report.results) == len(items)
    refused = [
        f"{result.item.label}: {problem}"
        for result in report.results
        for problem in result.problems
        if problem.startswith("refused: ")
    ]
    assert refused == []
