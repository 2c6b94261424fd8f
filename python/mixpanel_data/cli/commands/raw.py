"""``mp raw``: Mixpanel's endpoints, answered as they are (the escape hatch).

Raw commands never open the local database. The export and engage write NDJSON (one object
per line, streamed); jql and get write the JSON answer. The global ``--format`` does not
apply: the output is Mixpanel's own.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

from cyclopts import App, Parameter, validators

from mixpanel_data._reports_raw import (
    export_today,
    json_bytes,
    parse_params,
    raw_engage,
    raw_export,
    raw_get,
    raw_jql,
)
from mixpanel_data.cli._context import CtxParam
from mixpanel_data.exceptions import ValidationError

__all__ = ["raw_app"]

raw_app = App(
    name="raw",
    help="Call Mixpanel's endpoints directly; output is Mixpanel's own (never stored).",
)

Flag = Annotated[bool, Parameter(negative="")]


def _out() -> Any:
    return sys.stdout.buffer


def _write_json(data: Any) -> None:
    out = _out()
    out.write(json_bytes(data, pretty=sys.stdout.isatty()))
    out.flush()


@raw_app.command
def export(
    *,
    from_date: Annotated[dt.date, Parameter(name="--from")],
    to_date: Annotated[dt.date | None, Parameter(name="--to")] = None,
    event: Annotated[list[str] | None, Parameter(negative="")] = None,
    where: str | None = None,
    limit: Annotated[int | None, Parameter(validator=validators.Number(gte=1, lte=100_000))] = None,
    time_in_ms: Flag = False,
    ctx: CtxParam,
) -> None:
    """Stream raw events as NDJSON to stdout, one day per request, each day checked whole.

    A day whose body ends early ("terminated early", a cut stream) is requested again, so
    the output never holds half a day.

    Parameters
    ----------
    from_date
        First day, inclusive (the project's export time zone: UTC for projects created
        from 2023).
    to_date
        Last day, inclusive (default: today).
    event
        Only this event (repeat for several).
    where
        Only events matching this expression, e.g. 'properties["$browser"] == "Chrome"'.
    limit
        At most this many events (1-100000), in one request.
    time_in_ms
        Times in milliseconds instead of Mixpanel's default seconds.
    """
    from mixpanel_data.api.export import ExportQuery

    with ctx.make_client() as client:
        end = to_date or max(export_today(client.credentials, demo=ctx.demo), from_date)
        query = ExportQuery(
            from_date=from_date,
            to_date=end,
            events=tuple(event) if event else None,
            where=where,
            limit=limit,
            time_in_ms=time_in_ms,
        )
        out = _out()
        summary = raw_export(client, query, out.write)
        out.flush()
    ctx.info(
        f"exported {summary.events:,} events ({summary.bytes:,} bytes) over "
        f"{summary.days} request(s)" + (f", {summary.retries} retried" if summary.retries else "")
    )


@raw_app.command
def engage(
    *,
    where: str | None = None,
    cohort_id: int | None = None,
    distinct_id: Annotated[list[str] | None, Parameter(negative="")] = None,
    property: Annotated[list[str] | None, Parameter(negative="")] = None,
    ctx: CtxParam,
) -> None:
    """Stream every matching profile as NDJSON ({"$distinct_id", "$properties"}), all pages.

    Parameters
    ----------
    where
        Only profiles matching this expression, e.g. 'properties["plan"] == "pro"'.
    cohort_id
        Only members of this saved cohort (mp schema cohorts).
    distinct_id
        Only this profile (repeat for several).
    property
        Return only this property (repeat for several; smaller answers).
    """
    out = _out()
    count = 0
    with ctx.make_client() as client:
        for profile in raw_engage(
            client,
            where=where,
            cohort_id=cohort_id,
            distinct_ids=distinct_id,
            output_properties=property,
        ):
            out.write(json_bytes(profile))
            count += 1
        out.flush()
    ctx.info(f"{count:,} profiles")


@raw_app.command
def jql(
    *,
    script: str | None = None,
    file: Annotated[Path | None, Parameter(validator=validators.Path(exists=True))] = None,
    params: str | None = None,
    ctx: CtxParam,
) -> None:
    """Run a JQL script and print its JSON answer (JQL is in maintenance at Mixpanel).

    Parameters
    ----------
    script
        The script (it defines main()).
    file
        Read the script from this file instead.
    params
        A JSON object the script reads as `params`.
    """
    import orjson

    if (script is None) == (file is None):
        raise ValidationError("pass the script with --script or --file (one of them)")
    text = script if script is not None else Path(str(file)).read_text(encoding="utf-8")
    parsed: Any = None
    if params is not None:
        try:
            parsed = orjson.loads(params)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(
                f"--params is not JSON: {exc}", hint='e.g. {"limit": 10}'
            ) from exc
        if not isinstance(parsed, dict):
            raise ValidationError("--params must be a JSON object", hint='e.g. {"limit": 10}')
    with ctx.make_client() as client:
        _write_json(raw_jql(client, text, parsed))


@raw_app.command
def get(
    path: str,
    /,
    *,
    param: Annotated[list[str] | None, Parameter(negative="")] = None,
    ctx: CtxParam,
) -> None:
    """GET any Query API endpoint and print its JSON answer as Mixpanel sent it.

    Parameters
    ----------
    path
        The endpoint: events/names, segmentation, /api/query/funnels/list, /api/2.0/...
    param
        A query parameter as key=value (repeat); values are sent as written
        (JSON arrays for JSON parameters, e.g. event=["A","B"]).
    """
    with ctx.make_client() as client:
        _write_json(raw_get(client, path, parse_params(param or [])))
