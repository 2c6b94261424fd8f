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
    # Funnel analysis: from viewing an item to buying it

    How many users who view an item go on to add it to the cart, start a checkout and
    purchase, within a conversion window? Where do they drop off, does it differ by
    platform, does it change over the month, and how long does buying take?

    Funnels are computed locally by DuckDB with Mixpanel's rules (first entry, steps in
    order, a conversion window from the first step). The data is the built-in demo project;
    drop `demo=True` to use your own (after `mp auth login`).
    """)
    return


@app.cell
def _(dt, mp):
    ws = mp.connect(demo=True)
    STEPS = ["View Item", "Add to Cart", "Checkout Started", "Purchase"]
    FROM_DATE = dt.date(2024, 5, 2)
    TO_DATE = dt.date(2024, 5, 24)
    return FROM_DATE, STEPS, TO_DATE, ws


@app.cell
def _(STEPS, dt, mo, ws):
    # Users who enter by May 24 may convert until the end of the data (May 31): fetch it all.
    fetched = ws.fetch_events(dt.date(2024, 5, 2), dt.date(2024, 5, 31), events=STEPS)
    mo.md(
        f"**{fetched.table_rows:,}** events in the local `events` table "
        f"({fetched.days_fetched} days fetched now, {fetched.days_skipped} already local)."
    )
    return (fetched,)


@app.cell
def _(mo):
    window = mo.ui.slider(1, 14, value=7, label="Conversion window (days)", show_value=True)
    segment = mo.ui.dropdown(
        {"platform": "mp_lib", "operating system": "$os", "traffic source": "utm_source"},
        value="platform",
        label="Split by",
    )
    mo.hstack([window, segment], justify="start")
    return segment, window


@app.cell
def _(FROM_DATE, STEPS, TO_DATE, fetched, window, ws):
    fetched
    funnel = ws.funnel(
        STEPS, from_date=FROM_DATE, to_date=TO_DATE, window=f"{window.value}d", local=True
    )
    funnel.pl
    return (funnel,)


@app.cell
def _(alt, funnel, mo, pl):
    _steps = funnel.pl.with_columns(label=pl.format("{}. {}", "step", "event"))
    _bars = (
        alt.Chart(_steps)
        .mark_bar()
        .encode(
            x=alt.X("label:N", sort=None, title="Step"),
            y=alt.Y("users:Q", title="Users"),
            tooltip=[
                "label:N",
                "users:Q",
                alt.Tooltip("conversion_rate:Q", format=".1%", title="from step 1"),
                alt.Tooltip("step_conversion_rate:Q", format=".1%", title="from the previous"),
            ],
        )
    )
    _labels = _bars.mark_text(dy=-8).encode(text=alt.Text("conversion_rate:Q", format=".0%"))
    mo.ui.altair_chart(
        (_bars + _labels).properties(
            title=f"{funnel.conversion_rate:.1%} of item viewers purchased", width=640
        ),
        chart_selection=False,
        legend_selection=False,
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Where do users drop off, per segment?

    The same funnel, split by a property of the step-1 event. Each line is one segment's
    share of entrants still in the funnel at each step.
    """)
    return


@app.cell
def _(FROM_DATE, STEPS, TO_DATE, alt, fetched, mo, pl, segment, window, ws):
    fetched
    by_segment = ws.funnel(
        STEPS,
        from_date=FROM_DATE,
        to_date=TO_DATE,
        window=f"{window.value}d",
        group_by=segment.value,
        local=True,
    ).pl.with_columns(label=pl.format("{}. {}", "step", "event"))
    mo.ui.altair_chart(
        alt.Chart(by_segment)
        .mark_line(point=True)
        .encode(
            x=alt.X("label:N", sort=None, title="Step"),
            y=alt.Y("conversion_rate:Q", title="Share of entrants", axis=alt.Axis(format="%")),
            color=alt.Color("segment:N", title=segment.selected_key),
            tooltip=[
                "segment:N",
                "label:N",
                "users:Q",
                alt.Tooltip("conversion_rate:Q", format=".1%"),
            ],
        )
        .properties(title=f"Funnel by {segment.selected_key}", width=640)
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Does conversion change over the month?

    Entrants per week and the share of them that purchased (`by="week"` splits the funnel by
    the week users entered it). A user enters once, at their first item view of the range, so
    later weeks hold only users new to the funnel.
    """)
    return


@app.cell
def _(FROM_DATE, STEPS, TO_DATE, alt, fetched, mo, pl, window, ws):
    fetched
    _weekly = ws.funnel(
        STEPS,
        from_date=FROM_DATE,
        to_date=TO_DATE,
        window=f"{window.value}d",
        by="week",
        local=True,
    ).pl
    weekly = (
        _weekly.filter(pl.col("step") == 1)
        .select("date", pl.col("users").alias("entered"))
        .join(
            _weekly.filter(pl.col("step") == len(STEPS)).select(
                "date", pl.col("users").alias("purchased"), "conversion_rate"
            ),
            on="date",
        )
    )
    mo.vstack(
        [
            weekly,
            mo.ui.altair_chart(
                alt.Chart(weekly)
                .mark_line(point=True)
                .encode(
                    x=alt.X("date:T", title="Week of entry"),
                    y=alt.Y("conversion_rate:Q", title="Purchased", axis=alt.Axis(format="%")),
                    tooltip=[
                        "date:T",
                        "entered:Q",
                        "purchased:Q",
                        alt.Tooltip("conversion_rate:Q", format=".1%"),
                    ],
                )
                .properties(title="Conversion by week of entry", width=640)
            ),
        ]
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## How long does buying take?

    Plain SQL over the local table: for each user, the time from their first item view to
    their first purchase after it.
    """)
    return


@app.cell
def _(alt, fetched, mo, ws):
    fetched
    hours = ws.query_pl("""
        WITH viewed AS (
            SELECT distinct_id, min(time) AS first_view
            FROM events
            WHERE event = 'View Item'
            GROUP BY 1
        ),
        bought AS (
            SELECT v.distinct_id, min(e.time) AS first_purchase, any_value(v.first_view) AS first_view
            FROM viewed AS v
            JOIN events AS e ON e.distinct_id = v.distinct_id
            WHERE e.event = 'Purchase' AND e.time >= v.first_view
            GROUP BY 1
        )
        SELECT distinct_id, date_diff('second', first_view, first_purchase) / 3600.0 AS hours
        FROM bought
    """)
    mo.vstack(
        [
            mo.md(
                f"**{hours.height}** buyers; median **{hours['hours'].median():.1f} h** "
                "from first view to first purchase."
            ),
            mo.ui.altair_chart(
                alt.Chart(hours)
                .mark_bar()
                .encode(
                    x=alt.X("hours:Q", bin=alt.Bin(maxbins=40), title="Hours to purchase"),
                    y=alt.Y("count():Q", title="Buyers"),
                )
                .properties(title="Time from first view to first purchase", width=640)
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
