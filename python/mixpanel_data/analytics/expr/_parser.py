"""Recursive-descent parser for Mixpanel segmentation expressions.

Grammar (Mixpanel docs, segmentation-expressions, plus what Mixpanel's own examples and
scripts use; keywords and function names are case-insensitive, so ``AND``/``OR``/``NOT``/
``IN`` work as in Mixpanel's hot-shard scripts)::

    expr    := or
    or      := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | cmp
    cmp     := add (('=='|'='|'!='|'>'|'>='|'<'|'<='|'in') add)*
    add     := mul (('+'|'-') mul)*
    mul     := unary (('*'|'/'|'%') unary)*
    unary   := '-' unary | primary
    primary := STRING | NUMBER | 'true' | 'false' | 'null' | list | '(' expr ')'
             | ('properties'|'user'|'event') '[' STRING ']'
             | ('any'|'all') '(' NAME ',' expr ',' expr ')'
             | FUNCTION '(' expr (',' expr)* ')'
             | NAME                          -- a variable bound by an enclosing any/all
    list    := '[' (item (',' item)*)? ']'   item := ['-'] literal | list

Binary operators are left-associative. Design choices where Mixpanel documents nothing:
a single ``=`` means ``==`` (Mixpanel's scripts write ``X="v"``); ``null`` is a literal
(handy against JSON nulls); list items must be literals; keywords and function names are
case-insensitive, variable names are not.

After parsing, a type pass rejects ``and``/``or`` operands that can never be boolean or
undefined (Mixpanel docs: "Any other types will result in an error").
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, cast

from mixpanel_data.analytics.expr._ast import (
    FUNCTIONS,
    Binary,
    BinaryOp,
    Boolean,
    Call,
    Expr,
    ListLiteral,
    Null,
    Number,
    Property,
    Quantifier,
    Source,
    String,
    Unary,
    Variable,
    to_source,
)
from mixpanel_data.analytics.expr._lexer import Token, tokenize
from mixpanel_data.analytics.expr._types import static_types
from mixpanel_data.exceptions import ExpressionError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["parse"]

_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_SOURCES = ("properties", "user", "event")
_COMPARISONS = frozenset({"==", "!=", ">", ">=", "<", "<="})
_ARTICLE = {
    "string": "a string",
    "number": "a number",
    "list": "a list",
    "object": "an object",
    "datetime": "a datetime",
}
_FUNCTION_LIST = ", ".join([*FUNCTIONS, "any", "all"])


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.scope: list[str] = []

    # -- helpers -------------------------------------------------------------------------
    def error(self, message: str, pos: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(
            f"{message} at position {pos}", expression=self.text, position=pos, hint=hint
        )

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.lower() in words

    @staticmethod
    def describe(tok: Token) -> str:
        if tok.kind == "end":
            return "the end of the expression"
        if tok.kind == "string":
            return "a string"
        if tok.kind == "number":
            return f"number {tok.text}"
        return repr(tok.text)

    def expect_op(self, op: str, context: str = "") -> Token:
        if not self.is_op(op):
            found = self.describe(self.tok)
            raise self.error(f"expected '{op}'{context}, found {found}", self.tok.pos)
        return self.advance()

    # -- grammar -------------------------------------------------------------------------
    def parse(self) -> Expr:
        if self.tok.kind == "end":
            raise self.error("empty expression", 0, hint='e.g. properties["$os"] == "Linux"')
        expr = self.parse_or()
        rest = self.tokens[self.i]
        if rest.kind != "end":
            raise self.error(
                f"unexpected {self.describe(rest)}; expected an operator or the end of"
                " the expression",
                rest.pos,
            )
        return expr

    def parse_binary_chain(self, words: tuple[str, ...], sub: str) -> Expr:
        parse_sub = getattr(self, sub)
        left: Expr = parse_sub()
        while self.is_word(*words):
            op_tok = self.advance()
            right: Expr = parse_sub()
            op = cast("BinaryOp", op_tok.text.lower())
            left = Binary(op, left, right, pos=left.pos, op_pos=op_tok.pos)
        return left

    def parse_or(self) -> Expr:
        return self.parse_binary_chain(("or",), "parse_and")

    def parse_and(self) -> Expr:
        return self.parse_binary_chain(("and",), "parse_not")

    def parse_not(self) -> Expr:
        if self.is_word("not"):
            tok = self.advance()
            return Unary("not", self.parse_not(), pos=tok.pos)
        return self.parse_cmp()

    def parse_cmp(self) -> Expr:
        left = self.parse_add()
        while (self.tok.kind == "op" and self.tok.text in _COMPARISONS) or self.is_word("in"):
            op_tok = self.advance()
            op = cast("BinaryOp", op_tok.text.lower())
            right = self.parse_add()
            left = Binary(op, left, right, pos=left.pos, op_pos=op_tok.pos)
        return left

    def parse_add(self) -> Expr:
        left = self.parse_mul()
        while self.is_op("+", "-"):
            op_tok = self.advance()
            right = self.parse_mul()
            left = Binary(
                cast("BinaryOp", op_tok.text), left, right, pos=left.pos, op_pos=op_tok.pos
            )
        return left

    def parse_mul(self) -> Expr:
        left = self.parse_unary()
        while self.is_op("*", "/", "%"):
            op_tok = self.advance()
            right = self.parse_unary()
            left = Binary(
                cast("BinaryOp", op_tok.text), left, right, pos=left.pos, op_pos=op_tok.pos
            )
        return left

    def parse_unary(self) -> Expr:
        if self.is_op("-"):
            tok = self.advance()
            return Unary("-", self.parse_unary(), pos=tok.pos)
        if self.is_word("not"):
            raise self.error(
                "'not' cannot follow an arithmetic or comparison operator without parentheses",
                self.tok.pos,
                hint="write e.g. a == (not b)",
            )
        return self.parse_primary()

    def parse_primary(self) -> Expr:
        tok = self.tok
        if tok.kind == "string":
            self.advance()
            return String(tok.text, pos=tok.pos)
        if tok.kind == "number":
            self.advance()
            return _number(tok.text, tok.integer, tok.pos)
        if self.is_op("("):
            self.advance()
            inner = self.parse_or()
            self.expect_op(")", " to close the '(' at position " + str(tok.pos))
            return inner
        if self.is_op("["):
            return self.parse_list()
        if tok.kind == "name":
            return self.parse_name()
        if tok.kind == "end":
            raise self.error("unexpected end of the expression; expected a value", tok.pos)
        raise self.error(f"unexpected {self.describe(tok)}; expected a value", tok.pos)

    def parse_list(self) -> ListLiteral:
        start = self.advance()
        items: list[Expr] = []
        if not self.is_op("]"):
            items.append(self.parse_list_item())
            while self.is_op(","):
                self.advance()
                items.append(self.parse_list_item())
        self.expect_op("]", " to close the list")
        return ListLiteral(tuple(items), pos=start.pos)

    def parse_list_item(self) -> Expr:
        tok = self.tok
        if self.is_op("-") and self.tokens[self.i + 1].kind == "number":
            self.advance()
            num = self.advance()
            return _number("-" + num.text, num.integer, tok.pos)
        if self.is_op("["):
            return self.parse_list()
        if tok.kind in ("string", "number") or self.is_word("true", "false", "null"):
            return self.parse_primary()
        raise self.error(
            f"unexpected {self.describe(tok)} in a list; list items must be literals", tok.pos
        )

    def parse_name(self) -> Expr:
        tok = self.advance()
        word = tok.text.lower()
        if word in ("true", "false"):
            return Boolean(word == "true", pos=tok.pos)
        if word == "null":
            return Null(pos=tok.pos)
        if word in _SOURCES:
            return self.parse_property(tok, cast("Source", word))
        if self.is_op("("):
            if word in ("any", "all"):
                return self.parse_quantifier(tok, word)
            if word in FUNCTIONS:
                return self.parse_call(tok, word)
            raise self.error(
                f"unknown function '{tok.text}'", tok.pos, hint=f"functions: {_FUNCTION_LIST}"
            )
        if tok.text in self.scope:
            return Variable(tok.text, pos=tok.pos)
        if word in _KEYWORDS:
            raise self.error(f"unexpected '{tok.text}'; expected a value", tok.pos)
        if word in FUNCTIONS or word in ("any", "all"):
            raise self.error(f"expected '(' after '{tok.text}'", self.tok.pos)
        raise self.error(
            f"unknown name '{tok.text}'",
            tok.pos,
            hint='properties are written properties["name"]; bare names are only the'
            " variable of an enclosing any()/all()",
        )

    def parse_property(self, tok: Token, source: Source) -> Property:
        self.expect_op("[", f" after '{tok.text}'")
        key = self.tok
        if key.kind != "string":
            raise self.error(
                f"expected a quoted property name, found {self.describe(key)}",
                key.pos,
                hint=f'write {source}["name"]',
            )
        self.advance()
        self.expect_op("]")
        return Property(source, key.text, pos=tok.pos)

    def parse_call(self, tok: Token, func: str) -> Call:
        self.advance()  # '('
        args: list[Expr] = []
        if not self.is_op(")"):
            args.append(self.parse_or())
            while self.is_op(","):
                self.advance()
                args.append(self.parse_or())
        self.expect_op(")", f" to close {func}(...)")
        fewest, most = FUNCTIONS[func]
        if not fewest <= len(args) <= most:
            wanted = str(fewest) if fewest == most else f"{fewest} or {most}"
            plural = "" if wanted == "1" else "s"
            raise self.error(f"{func}() takes {wanted} argument{plural}, got {len(args)}", tok.pos)
        if func == "datetime" and isinstance(args[0], String):
            from mixpanel_data.analytics.expr._values import UNDEFINED, parse_datetime

            if parse_datetime(args[0].value) is UNDEFINED:
                raise self.error(
                    f"invalid datetime {to_source(args[0])}",
                    args[0].pos,
                    hint='write datetime("YYYY-MM-DDTHH:MM:SS") (UTC) or datetime(<epoch ms>)',
                )
        return Call(func, tuple(args), pos=tok.pos)

    def parse_quantifier(self, tok: Token, kind: str) -> Quantifier:
        self.advance()  # '('
        var = self.tok
        if var.kind != "name" or var.text.lower() in _KEYWORDS or var.text.lower() in _SOURCES:
            raise self.error(
                f"expected a variable name as the first argument of {kind}(), found"
                f" {self.describe(var)}",
                var.pos,
                hint=f'e.g. {kind}(X, properties["list"], X == "value")',
            )
        self.advance()
        self.expect_op(",", f" after the variable of {kind}(...)")
        source = self.parse_or()
        self.expect_op(",", f" after the list of {kind}(...)")
        self.scope.append(var.text)
        try:
            predicate = self.parse_or()
        finally:
            self.scope.pop()
        self.expect_op(")", f" to close {kind}(...)")
        return Quantifier(
            "any" if kind == "any" else "all", var.text, source, predicate, pos=tok.pos
        )


def _number(text: str, integer: bool, pos: int) -> Number:
    return Number(float(text), integer, pos=pos)


def _walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    if isinstance(expr, Unary):
        yield from _walk(expr.operand)
    elif isinstance(expr, Binary):
        yield from _walk(expr.left)
        yield from _walk(expr.right)
    elif isinstance(expr, (Call, ListLiteral)):
        for child in expr.args if isinstance(expr, Call) else expr.items:
            yield from _walk(child)
    elif isinstance(expr, Quantifier):
        yield from _walk(expr.source)
        yield from _walk(expr.predicate)


def check_types(expr: Expr, text: str) -> None:
    """Reject ``and``/``or`` operands that can never be boolean or undefined."""
    for node in _walk(expr):
        if isinstance(node, Binary) and node.op in ("and", "or"):
            for side, operand in (("left", node.left), ("right", node.right)):
                types = static_types(operand)
                if not types & {"boolean", "undefined"}:
                    kinds = " or ".join(_ARTICLE.get(t, t) for t in sorted(types))
                    raise ExpressionError(
                        f"'{node.op}' needs boolean operands, but its {side} operand"
                        f" ({to_source(operand)}) is {kinds} at position {operand.pos}",
                        expression=text,
                        position=operand.pos,
                        hint='compare the value explicitly, e.g. x == "v", or cast it with'
                        " boolean(...)",
                    )


def parse(text: str) -> Expr:
    """Parse a Mixpanel segmentation expression.

    Parameters
    ----------
    text
        The expression, e.g. ``properties["$os"] == "Linux"``.

    Returns
    -------
    Expr
        The syntax tree.

    Raises
    ------
    ExpressionError
        When ``text`` is not a valid expression; ``position`` is the 0-based offset of the
        problem and the message says what was expected there.
    """
    if not isinstance(text, str):
        raise ExpressionError(
            f"an expression must be a string, got {type(text).__name__}",
            expression=repr(text),
            position=0,
        )
    try:
        expr = _Parser(text).parse()
    except RecursionError:
        # The parser recurses once per nesting level; Python's stack ends near 100 levels.
        raise ExpressionError(
            "the expression is nested too deeply",
            expression=text,
            position=0,
            hint="simplify the expression: remove redundant parentheses or split the filter",
        ) from None
    check_types(expr, text)
    return dataclasses.replace(expr, text=text)
