"""Tokens of a segmentation expression."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mixpanel_data.exceptions import ExpressionError

__all__ = ["Token", "tokenize"]

Kind = Literal["string", "number", "name", "op", "end"]


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its text (decoded for strings) and its 0-based offset."""

    kind: Kind
    text: str
    pos: int
    integer: bool = False


_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# Longest first. '=' alone is accepted as '==': Mixpanel's own export scripts write
# any(X, properties["k"], X="v") (Mixpanel docs, hot-shard-limits).
_OPERATORS = (
    "==",
    "!=",
    ">=",
    "<=",
    "=",
    ">",
    "<",
    "+",
    "-",
    "*",
    "/",
    "%",
    "(",
    ")",
    "[",
    "]",
    ",",
)
_SIMPLE_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_HINTS = {
    "&": "use 'and' to combine conditions",
    "|": "use 'or' to combine conditions",
    "!": "use 'not' to negate, or '!=' for inequality",
}


def _error(message: str, text: str, pos: int, hint: str | None = None) -> ExpressionError:
    return ExpressionError(f"{message} at position {pos}", expression=text, position=pos, hint=hint)


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(text):
            break
        esc = text[i + 1]
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
            continue
        if esc != "u":
            raise _error(
                f"unknown escape '\\{esc}' in string",
                text,
                i,
                hint="valid escapes are \\\" \\' \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
            )
        code, i = _read_unicode_escape(text, i)
        if 0xD800 <= code < 0xDC00 and text.startswith("\\u", i):
            low, after = _read_unicode_escape(text, i)
            if 0xDC00 <= low < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                i = after
        if 0xD800 <= code < 0xE000:
            raise _error("unpaired surrogate in \\u escape", text, i - 6)
        out.append(chr(code))
    raise _error(
        "unterminated string starting",
        text,
        start,
        hint=f"close the string with {quote}",
    )


def _read_unicode_escape(text: str, i: int) -> tuple[int, int]:
    digits = text[i + 2 : i + 6]
    if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise _error("\\u must be followed by 4 hex digits", text, i)
    return int(digits, 16), i + 6


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token.

    Raises
    ------
    ExpressionError
        For a character that starts no token, a bad escape or an unterminated string.
    """
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch in "\"'":
            value, end = _read_string(text, i)
            tokens.append(Token("string", value, i))
            i = end
            continue
        number = _NUMBER.match(text, i)
        if number is not None:
            literal = number.group()
            integer = literal.isdigit()
            tokens.append(Token("number", literal, i, integer=integer))
            i = number.end()
            if i < n and (_NAME.match(text, i) is not None):
                raise _error(f"unexpected character {text[i]!r} after the number", text, i)
            continue
        name = _NAME.match(text, i)
        if name is not None:
            tokens.append(Token("name", name.group(), i))
            i = name.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", "==" if op == "=" else op, i))
                i += len(op)
                break
        else:
            raise _error(f"unexpected character {ch!r}", text, i, hint=_HINTS.get(ch))
    tokens.append(Token("end", "", n))
    return tokens
