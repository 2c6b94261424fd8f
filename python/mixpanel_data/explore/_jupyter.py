"""Jupyter notebooks (nbformat 4) as JSON text, written without the nbformat package.

The format is small and stable: a JSON object with ``cells``, ``metadata``, ``nbformat`` 4
and ``nbformat_minor`` 5 (which gives every cell an ``id``). Cell ids are numbered rather
than random, so the same settings always give the same file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mixpanel_data.explore._cells import Cell, jupyter_cells

if TYPE_CHECKING:
    from mixpanel_data.explore._spec import ExploreSpec

__all__ = ["notebook_json"]


def _lines(text: str) -> list[str]:
    # nbformat stores multi-line sources as a list of lines, each but the last with "\n"
    # (split on "\n" only: an event name may hold other line-breaking characters).
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _cell(cell: Cell, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cell_type": cell.kind,
        "id": f"cell-{index:02d}",
        "metadata": {},
        "source": _lines(cell.source),
    }
    if cell.kind == "code":
        data["execution_count"] = None
        data["outputs"] = []
    return data


def notebook_json(spec: ExploreSpec, *, command: str) -> str:
    """The notebook for ``spec`` as nbformat 4 JSON text.

    Parameters
    ----------
    spec
        What the notebook explores.
    command
        The ``mp`` command that generates it again (shown in its first cell).
    """
    notebook = {
        "cells": [_cell(c, i) for i, c in enumerate(jupyter_cells(spec, command), start=1)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
