import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import datetime as dt

    import altair as alt
    import marimo as mo
    import polars as pl

    import mixpanel_data as mp

    return alt, dt, mo, mp, pl


@app.cell
def _(mo):
    mo.md(r"""
    # mixpanel_data quickstart

    Fetch a week of Mixpanel events into a local DuckDB file once, then answer questions with
    SQL as polars frames, and run Mixpanel's reports live or locally.

    This app reads the built-in demo project: an in-process Mixpanel emulator with 30 days of
    synthetic data (May 2024), so it needs no credentials and no network. To use your own
    project, run `mp auth login` and drop `demo=True` below.
    """)
    return


@app.cell
def _(mp):
    ws = mp.connect(demo=True)
    return (ws,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 1. Fetch once

    `fetch_events` downloads raw events day by day into the `events` table. Days fetched
    before are skipped, so running the cell again costs nothing.
    """)
    return


@app.cell
def _(dt, mo, ws):
    FROM_DATE = dt.date(2024, 5, 20)
    TO_DATE = dt.date(2024, 5, 26)
    fetched = ws.fetch_events(FROM_DATE, TO_DATE)
    mo.md(
        f"Fetched **{fetched.days_fetched}** days ({fetched.days_skipped} already local): "
        f"the `events` table holds **{fetched.table_rows:,}** events."
    )
    return FROM_DATE, TO_DATE, fetched


@app.cell
def _(mo):
    mo.md(r"""
    ## 2. Look at the local database

    Every table with its row count and time range, then the columns of `events`: the fixed
    columns (`event`, `time`, `distinct_id`, ...), the raw `properties` JSON, and one typed
    column per property, named exactly as the property.
    """)
    return


@app.cell
def _(fetched, ws):
    fetched  # read again after each fetch
    ws.tables().pl
    return


@app.cell
def _(fetched, ws):
    fetched
    ws.table_schema("events").pl
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. Ask with SQL

    `ws.query_pl` runs DuckDB SQL and returns a polars frame: only the answer, never the raw
    events. Daily users and events first, then events per platform (the `mp_lib` property).
    """)
    return


@app.cell
def _(FROM_DATE, TO_DATE, fetched, pl, ws):
    fetched
    daily = ws.query_pl("""
        SELECT CAST(time AS DATE) AS day,
               count(DISTINCT distinct_id) AS users,
               count(*) AS events
        FROM events
        GROUP BY 1
        ORDER BY 1
    """).filter(pl.col("day").is_between(FROM_DATE, TO_DATE))
    daily
    return (daily,)


@app.cell
def _(alt, daily, mo):
    mo.ui.altair_chart(
        alt.Chart(daily)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="Day"),
            y=alt.Y("users:Q", title="Active users"),
            tooltip=["day:T", "users:Q", "events:Q"],
        )
        .properties(title="Daily active users", width=640, height=260)
    )
    return


@app.cell
def _(alt, fetched, mo, ws):
    fetched
    platforms = ws.query_pl("""
        SELECT coalesce(mp_lib, '(none)') AS platform,
               count(*) AS events,
               count(DISTINCT distinct_id) AS users
        FROM events
        GROUP BY 1
        ORDER BY events DESC
    """)
    mo.vstack(
        [
            platforms,
            mo.ui.altair_chart(
                alt.Chart(platforms)
                .mark_bar()
                .encode(
                    x=alt.X("events:Q", title="Events"),
                    y=alt.Y("platform:N", sort="-x", title="Platform"),
                    tooltip=["platform:N", "events:Q", "users:Q"],
                )
                .properties(title="Events per platform", width=640)
            ),
        ]
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## 4. Reports: live or local

    Every report runs against Mixpanel's Query API, or with `local=True` from the local table
    with Mixpanel's rules. Here, daily purchases both ways: the two columns agree.
    """)
    return


@app.cell
def _(FROM_DATE, TO_DATE, fetched, pl, ws):
    fetched
    live = ws.segmentation("Purchase", from_date=FROM_DATE, to_date=TO_DATE)
    local = ws.segmentation("Purchase", from_date=FROM_DATE, to_date=TO_DATE, local=True)
    purchases = live.pl.rename({"value": "live"}).join(
        local.pl.rename({"value": "local"}), on="date", how="full", coalesce=True
    )
    purchases.with_columns(agree=pl.col("live") == pl.col("local"))
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Next

    - `notebooks/funnel_analysis.py` and `notebooks/retention.py` go deeper.
    - `mp explore marimo` writes an app like this one over your own workspace.
    - The same API runs in scripts: `with mp.Workspace() as ws: ws.query_pl(...)`.
    """)
    return


if __name__ == "__main__":
    app.run()
