"""marimo apps: a plain Python file of ``@app.cell`` functions.

marimo works out the order of cells from the names each one defines and reads; in the file,
every cell function takes the names it reads from other cells as parameters and returns the
names it defines. Those lists are computed here from the cells' code (with :mod:`ast`), so
the cell texts in :mod:`mixpanel_data.explore._cells` stay the only thing to edit. Names
starting with ``_`` are private to their cell, as in marimo.
"""

from __future__ import annotations

import ast
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from mixpanel_data.explore._cells import Cell, marimo_cells
from mixpanel_data.explore._spec import literal

if TYPE_CHECKING:
    from mixpanel_data.explore._spec import ExploreSpec

__all__ = ["cell_names", "marimo_source"]

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Names(ast.NodeVisitor):
    """Global names a cell binds, and every name it reads."""

    def __init__(self) -> None:
        self.defined: set[str] = set()
        self.read: set[str] = set()
        self._depth = 0

    def _bind(self, name: str) -> None:
        if self._depth == 0:
            self.defined.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.read.add(node.id)
        else:
            self._bind(node.id)

    def visit_alias(self, node: ast.alias) -> None:
        self._bind(node.asname or node.name.split(".")[0])

    def _nested(self, node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self._bind(node.name)
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES + _COMPREHENSIONS):
                self._nested(child)
            else:
                self.visit(child)


def cell_names(source: str) -> tuple[set[str], set[str]]:
    """The public global names a cell defines, and the names it reads."""
    names = _Names()
    names.visit(ast.parse(source))
    defined = {n for n in names.defined if not n.startswith("_")}
    return defined, names.read


def _markdown_code(text: str) -> str:
    if '"""' in text or text.endswith("\\"):
        return f"mo.md({literal(text)})"
    return 'mo.md(r"""\n' + text + '\n""")'


def _function(source: str, reads: list[str], returns: list[str]) -> str:
    if not returns:
        result = "return"
    elif len(returns) == 1:
        result = f"return ({returns[0]},)"
    else:
        result = "return " + ", ".join(returns)
    # Split on "\n" only: str.splitlines() also breaks at characters such as U+2028 that may
    # sit inside a string literal (an event name), and indenting there would change it.
    lines = [("    " + line) if line.strip() else "" for line in source.split("\n")]
    if isinstance(ast.parse(source).body[-1], ast.Import | ast.ImportFrom):
        lines.append("")  # marimo's own layout: a blank line after the imports
    return f"@app.cell\ndef _({', '.join(reads)}):\n" + "\n".join(lines) + f"\n    {result}\n"


def _marimo_version() -> str | None:
    try:
        return version("marimo")
    except PackageNotFoundError:
        return None


def marimo_source(spec: ExploreSpec, *, command: str) -> str:
    """The marimo app for ``spec`` as Python source.

    Parameters
    ----------
    spec
        What the app explores.
    command
        The ``mp`` command that generates it again (shown in its first cell).
    """
    return render_app(marimo_cells(spec, command))


def render_app(cells: list[Cell]) -> str:
    """A marimo file holding ``cells`` in order (Markdown cells become ``mo.md``)."""
    sources = [c.source if c.kind == "code" else _markdown_code(c.source) for c in cells]
    analysed = [cell_names(s) for s in sources]
    owners: dict[str, int] = {}
    for index, (defined, _) in enumerate(analysed):
        for name in defined:
            owners.setdefault(name, index)
    parts = ["import marimo", ""]
    generated = _marimo_version()
    if generated is not None:
        parts.append(f"__generated_with = {literal(generated)}")
    parts += ['app = marimo.App(width="medium")', "", ""]
    reads = [
        sorted(n for n in read if n in owners and n not in defined) for defined, read in analysed
    ]
    used = {name for names in reads for name in names}
    for source, (defined, _), cell_reads in zip(sources, analysed, reads, strict=True):
        # Like marimo, a cell returns only the names other cells read.
        parts += [_function(source, cell_reads, sorted(defined & used)), ""]
    parts += ['if __name__ == "__main__":', "    app.run()", ""]
    return "\n".join(parts)
