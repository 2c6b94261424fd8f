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
    # Retention: do new users come back?

    Users are put in a cohort by the day (or week) they first signed up; retention is the
    share of each cohort that came back in each later period. Computed locally by DuckDB with
    Mixpanel's rules, from the built-in demo project (drop `demo=True` to use your own, after
    `mp auth login`).
    """)
    return


@app.cell
def _(dt, mp):
    ws = mp.connect(demo=True)
    FROM_DATE = dt.date(2024, 5, 2)
    TO_DATE = dt.date(2024, 5, 31)
    return FROM_DATE, TO_DATE, ws


@app.cell
def _(FROM_DATE, TO_DATE, mo, ws):
    # Coming back means doing anything, so fetch every event of the month.
    fetched = ws.fetch_events(FROM_DATE, TO_DATE)
    mo.md(
        f"**{fetched.table_rows:,}** events in the local `events` table "
        f"({fetched.days_fetched} days fetched now, {fetched.days_skipped} already local)."
    )
    return (fetched,)


@app.cell
def _(mo):
    unit = mo.ui.dropdown(["day", "week"], value="day", label="Cohorts by")
    comeback = mo.ui.dropdown(
        ["any event", "Purchase", "App Opened", "Login"], value="any event", label="Coming back"
    )
    unbounded = mo.ui.switch(label="Count a user in a period if they came back then or later")
    mo.hstack([unit, comeback, unbounded], justify="start")
    return comeback, unbounded, unit


@app.cell
def _(FROM_DATE, TO_DATE, comeback, fetched, unbounded, unit, ws):
    fetched
    retention = ws.retention(
        "Sign Up",
        return_event=None if comeback.value == "any event" else comeback.value,
        from_date=FROM_DATE,
        to_date=TO_DATE,
        by=unit.value,
        periods=7 if unit.value == "day" else 3,
        unbounded=unbounded.value,
        local=True,
    )
    retention.pl
    return (retention,)


@app.cell
def _(alt, mo, retention, unit):
    mo.ui.altair_chart(
        alt.Chart(retention.pl)
        .mark_rect()
        .encode(
            x=alt.X("period:O", title=f"{unit.value.capitalize()}s after signing up"),
            y=alt.Y("yearmonthdate(cohort):O", title="Cohort"),
            color=alt.Color(
                "rate:Q", title="Came back", scale=alt.Scale(scheme="blues", domain=[0, 1])
            ),
            tooltip=[
                alt.Tooltip("yearmonthdate(cohort):T", title="cohort"),
                "period:O",
                "cohort_size:Q",
                "users:Q",
                alt.Tooltip("rate:Q", format=".1%"),
            ],
        )
        .properties(title="Retention of sign-ups, per cohort", width=640),
        chart_selection=False,
        legend_selection=False,
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## The retention curve

    All cohorts together: for each period, the users who came back over the users whose
    cohort had reached that period (recent cohorts have fewer periods so far).
    """)
    return


@app.cell
def _(alt, mo, pl, retention, unit):
    curve = (
        retention.pl.group_by("period")
        .agg(pl.col("users").sum(), pl.col("cohort_size").sum().alias("eligible"))
        .with_columns(rate=pl.col("users") / pl.col("eligible"))
        .sort("period")
    )
    mo.vstack(
        [
            curve,
            mo.ui.altair_chart(
                alt.Chart(curve)
                .mark_line(point=True)
                .encode(
                    x=alt.X("period:O", title=f"{unit.value.capitalize()}s after signing up"),
                    y=alt.Y("rate:Q", title="Came back", axis=alt.Axis(format="%")),
                    tooltip=[
                        "period:O",
                        "users:Q",
                        "eligible:Q",
                        alt.Tooltip("rate:Q", format=".1%"),
                    ],
                )
                .properties(title="Retention curve", width=640)
            ),
        ]
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Do paying plans retain better?

    The same report split by the `plan` property of the sign-up (`group_by="plan"`): one curve
    per plan.
    """)
    return


@app.cell
def _(FROM_DATE, TO_DATE, alt, comeback, fetched, mo, pl, unbounded, unit, ws):
    fetched
    by_plan = (
        ws.retention(
            "Sign Up",
            return_event=None if comeback.value == "any event" else comeback.value,
            from_date=FROM_DATE,
            to_date=TO_DATE,
            by=unit.value,
            periods=7 if unit.value == "day" else 3,
            unbounded=unbounded.value,
            group_by="plan",
            local=True,
        )
        .pl.group_by("segment", "period")
        .agg(pl.col("users").sum(), pl.col("cohort_size").sum().alias("eligible"))
        .with_columns(rate=pl.col("users") / pl.col("eligible"))
        .sort("segment", "period")
    )
    mo.ui.altair_chart(
        alt.Chart(by_plan)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title=f"{unit.value.capitalize()}s after signing up"),
            y=alt.Y("rate:Q", title="Came back", axis=alt.Axis(format="%")),
            color=alt.Color("segment:N", title="Plan"),
            tooltip=["segment:N", "period:O", "eligible:Q", alt.Tooltip("rate:Q", format=".1%")],
        )
        .properties(title="Retention by plan", width=640)
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Who are the retained users?

    SQL over the local table: sign-ups of the month, with how many distinct days each was
    active afterwards, by plan. The plan is read from the raw `properties` JSON, where every
    property keeps its exact name (the typed columns are named after the properties too, but
    SQL names are case-insensitive, so a project with both `plan` and `Plan` gets `plan_2`).
    """)
    return


@app.cell
def _(fetched, ws):
    fetched
    ws.query_pl("""
        WITH signups AS (
            SELECT distinct_id, min(time) AS signed_up, any_value(properties->>'plan') AS plan
            FROM events
            WHERE event = 'Sign Up'
            GROUP BY 1
        )
        SELECT coalesce(s.plan, '(none)') AS plan,
               count(DISTINCT s.distinct_id) AS users,
               round(avg(coalesce(active.days, 0)), 2) AS avg_active_days_after
        FROM signups AS s
        LEFT JOIN (
            SELECT s2.distinct_id, count(DISTINCT CAST(e.time AS DATE)) AS days
            FROM signups AS s2
            JOIN events AS e ON e.distinct_id = s2.distinct_id AND e.time > s2.signed_up
            GROUP BY 1
        ) AS active ON active.distinct_id = s.distinct_id
        GROUP BY 1
        ORDER BY users DESC
    """)
    return


if __name__ == "__main__":
    app.run()
