"""compare_modes against the real stack: the form (live_server), the worker cluster, the shop."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def table(markdown: str) -> dict:
    lines = [line.strip("|").split("|") for line in markdown.strip().splitlines()]
    header = [cell.strip() for cell in lines[0]]
    rows = [dict(zip(header, (cell.strip() for cell in line))) for line in lines[2:]]
    return {(row["scenario"], row["mode"]): row for row in rows}


def test_the_table_shows_what_each_mode_does_to_customers(cluster, live_server, tmp_path, capsys):
    call_command(
        "compare_modes", "--orders", "2", "--scenarios", "happy,down", "--web-url", live_server.url,
        "--markdown", str(tmp_path / "table.md"), "--chart", str(tmp_path / "chart.svg"), "--settle", "60",
    )
    output = capsys.readouterr().out
    rows = table((tmp_path / "table.md").read_text())

    assert rows[("happy", "sync")]["confirmed"] == "2/2" and rows[("happy", "async")]["confirmed"] == "2/2"
    # Shop down: synchronous customers see errors (each submits twice), asynchronous ones none; their
    # orders are kept, retried and finally failed, with a mail.
    assert rows[("down", "sync")]["errors shown"] == "4" and rows[("down", "sync")]["confirmed"] == "0/2"
    assert rows[("down", "async")]["errors shown"] == "0" and rows[("down", "async")]["failed (told)"] == "2/2"
    for row in rows.values():
        assert row["lost"] == "0" and row["duplicates at shop"] == "0"
        assert row["shop orders unknown to app"] == "0" and row["accepted at the shop, not confirmed here"] == "0"
    assert "4 runs of 2 customers" in output
    assert (tmp_path / "chart.svg").read_text().startswith("<svg")
