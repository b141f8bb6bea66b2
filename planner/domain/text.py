"""Text made safe to show (SPEC §5, §6): whatever wrote it — the planner, the sqlite3 shell, a script,
a colleague's file — a title, note or name never drives the terminal or disguises what it says.

`shown(text)` is applied where user text becomes something on screen: every CLI message and plain-
text output (through `planner.cli`'s output streams) and every place the TUI turns user text into a
`Content`/`Text`, a dialog's initial value, a notification or the top bar. What is stored is not
changed: JSON output and the CSV export carry the text exactly (JSON escapes what needs escaping).

What happens to each kind of character (decided once, here):
- terminal escape sequences (CSI `ESC[…`, OSC `ESC]…` such as window titles and hyperlinks, DCS /
  SOS / PM / APC strings, two-character escapes and the 8-bit CSI) are dropped whole, so no "[2J"
  is left behind;
- other control characters (C0, DEL, C1) are dropped; line breaks of every kind become a newline
  where the text may span lines (`multiline`) and a space elsewhere; a tab is kept in multiline
  text and becomes a space elsewhere;
- bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) are dropped: text
  is shown in the order it is stored, so "invoice\u202Efdp.exe" reads as what it is;
- invisible format characters (zero-width space U+200B, word joiner U+2060, U+FEFF, the invisible
  operators U+2061–U+2064, soft hyphen U+00AD, Mongolian vowel separator U+180E, tag characters
  U+E0000–U+E007F…: Unicode category Cf) are dropped, so two titles that look the same are the
  same. Two exceptions keep real scripts and emoji intact: the zero-width joiner and non-joiner
  (U+200D, U+200C) between two non-ASCII characters (emoji sequences like 👩‍💻, Indic and Persian
  text), and tag characters that follow a black flag (subdivision flags like 🏴󠁧󠁢󠁳󠁣󠁴󠁿);
- a lone surrogate (undecodable bytes) becomes U+FFFD.
Dropped rather than shown as a placeholder: the characters carry nothing a reader needs, and a
placeholder per character would let a planted title fill a screen with markers.
"""

from __future__ import annotations

import re
import unicodedata

#: CSI (colours, cursor moves, clearing), OSC (titles, hyperlinks; ended by BEL or ST), DCS / SOS /
#: PM / APC strings, other two-character escapes, and the 8-bit CSI. Removed whole.
ESCAPES = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
)
_LINE_BREAKS = "\r\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"
_JOINERS = "\u200c\u200d"
_BLACK_FLAG = "\U0001f3f4"


def _is_tag(ch: str) -> bool:
    return "\U000e0020" <= ch <= "\U000e007f"


def shown(text: str, *, multiline: bool = False) -> str:
    """`text` as it may be shown on a terminal (see the module docstring). Text that needs no
    change (nearly all of it) is returned as it is, checked in C."""
    if text.isprintable():
        return text
    if multiline:
        if "\n" in text:
            return "\n".join(shown(line, multiline=True) for line in text.split("\n"))
        if text.replace("\t", "").isprintable():
            return text
    return _clean(text, multiline)


def _clean(text: str, multiline: bool) -> str:
    if "\x1b" in text or any("\x80" <= ch <= "\x9f" for ch in text):
        text = re.sub(ESCAPES, "", text)
    for br in _LINE_BREAKS:
        if br in text:
            text = text.replace(br, "\n")
    out: list[str] = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch.isprintable():
            out.append(ch)
            continue
        if ch == "\n":
            out.append("\n" if multiline else " ")
            continue
        if ch == "\t":
            out.append("\t" if multiline else " ")
            continue
        category = unicodedata.category(ch)
        if category == "Cs":
            out.append("\ufffd")
        elif category in ("Zl", "Zp"):
            out.append("\n" if multiline else " ")
        elif ch in _JOINERS:
            before = text[i - 1] if i > 0 else ""
            after = text[i + 1] if i < last else ""
            if before and after and not before.isascii() and not after.isascii() and before.isprintable():
                out.append(ch)
        elif _is_tag(ch) and out and (out[-1] == _BLACK_FLAG or _is_tag(out[-1])):
            out.append(ch)
        elif category in ("Cc", "Cf"):
            continue
        else:  # unassigned, private use…: shown as the terminal can
            out.append(ch)
    return "".join(out)


def shown_line(text: str) -> str:
    """`shown(text)` kept on one line (a card, a table cell, a message naming a deal): any line
    break or tab becomes a space, and the white space around them one space."""
    if text.isprintable():
        return text
    return " ".join(shown(text).split())


def shortened(message: str, *, longest: int = 120) -> str:
    """A one-line message with every very long word (a path of thousands of characters, a header
    of a million columns) cut in its middle, so it still fits on a screen."""
    if len(message) <= longest:
        return message
    words = message.split(" ")
    keep = longest // 2
    return " ".join(w if len(w) <= longest else f"{w[:keep]}…{w[-(longest - keep - 1):]}" for w in words)
