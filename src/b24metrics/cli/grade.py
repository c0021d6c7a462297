"""`grade check`: how well the lead grade has predicted on this portal, from its own history."""

from __future__ import annotations

import typer

from b24metrics.cli.context import settings
from b24metrics.errors import NotSynced
from b24metrics.warehouse import missing_tables, warehouse_of

app = typer.Typer(help="The lead grade A-D: how well it separates outcomes on this portal.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command()
def check(
    suggest: bool = typer.Option(True, "--suggest/--no-suggest",
                                 help="Also print the points each rule's history supports, as a proposed "
                                      "[grading] block (never applied: copy it into the config if you agree)."),
) -> None:
    """Test the grade against what became of the leads: for the settled leads (converted or junk,
    no deal of theirs still open), per grade at entry, how many reached a deal and a won deal
    (with 95 % intervals), revenue per lead and the median days to won; A's won rate over D's;
    and one line saying whether the grade separates outcomes here; then how the rules' employee
    thresholds were mapped onto the portal's size bands. Reads only."""
    from b24metrics.cli.render_grade import print_backtest, print_band_mapping
    from b24metrics.grading import backtest, portal_band_mapping

    config = settings(calls_portal=False)
    warehouse = warehouse_of(config)
    with warehouse.connect_current() as con:
        if missing_tables(con, ["lead_outcomes"]):
            raise NotSynced(f"no KPI tables in {warehouse.path} yet: run `b24metrics sync` first "
                            "(or `b24metrics kpi --refresh`)")
        result = backtest(con, config.grading, suggest=suggest)
        mapping = portal_band_mapping(con, config.grading)
    # First how the rules' size thresholds met the bands this portal really has (its top band
    # may be «более 500», so "1,000+" can only mean that one); the proposed block ends the output.
    print_band_mapping(mapping)
    print_backtest(result, config.grading)
