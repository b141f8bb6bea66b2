"""A line with a fixed-width gutter whose text wraps under itself, not back under the gutter.

Today's agenda lines ("OVERDUE Tue 01 Dec  Negotiate terms — …") and the deal details' rows
("Fit            62 / 100  (meets: …)") keep a column on the left; a long text wraps under its own
first letter, as a hanging indent, at whatever width the terminal has.
"""

from __future__ import annotations

from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual


class Hanging(Visual):
    """`gutter` in the first `indent` cells, `body` wrapped in the rest."""

    def __init__(self, gutter: Content, body: Content, indent: int) -> None:
        self.gutter = gutter
        self.body = body
        self.indent = indent

    @property
    def plain(self) -> str:
        """The text as read, gutter then body (for tests and for searching)."""
        return self.gutter.plain + self.body.plain

    def __str__(self) -> str:
        return self.plain

    def _body_width(self, width: int) -> int:
        return width - self.indent

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        body_width = self._body_width(width)
        if body_width < 8:  # too narrow for a column: one flowing text instead
            return Content.assemble(self.gutter, self.body).render_strips(width, height, style, options)
        rich_style = style.rich_style
        gutter = self.gutter.render_strips(self.indent, None, style, options)
        body = self.body.render_strips(body_width, None, style, options)
        blank = Strip.blank(self.indent, rich_style)
        lines = [
            Strip.join([
                gutter[i].crop_extend(0, self.indent, rich_style) if i < len(gutter) else blank,
                body[i] if i < len(body) else Strip.blank(0),
            ])
            for i in range(max(len(gutter), len(body)))
        ]
        return lines if height is None else lines[:height]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.indent + self.body.get_optimal_width(rules, max(1, container_width - self.indent))

    def get_height(self, rules: RulesMap, width: int) -> int:
        body_width = self._body_width(width)
        if body_width < 8:
            return Content.assemble(self.gutter, self.body).get_height(rules, width)
        return max(self.gutter.get_height(rules, self.indent), self.body.get_height(rules, body_width))


class Stacked(Visual):
    """Visuals one under the other, each at the full width (a details page of rows and sections)."""

    def __init__(self, parts: list[Visual]) -> None:
        self.parts = parts

    @property
    def plain(self) -> str:
        return "\n".join(part.plain for part in self.parts)  # type: ignore[attr-defined]

    def __str__(self) -> str:
        return self.plain

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        lines: list[Strip] = []
        for part in self.parts:
            lines.extend(part.render_strips(width, None, style, options) or [Strip.blank(0)])
        return lines if height is None else lines[:height]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((part.get_optimal_width(rules, container_width) for part in self.parts), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return sum(max(1, part.get_height(rules, width)) for part in self.parts)


class Fitted(Visual):
    """The first of `variants` (longest first) that fits the width whole, one per line given: a
    header says "33 % of your week · 4.9 h" where there is room and "33 % · 4.9 h" where there
    is not, rather than losing its end. The last variant is cut with an ellipsis if even it
    does not fit."""

    def __init__(self, *lines: tuple[Content, ...]) -> None:
        self.lines = lines

    @property
    def plain(self) -> str:
        """The text as shown where there is room (for tests and for searching)."""
        return "\n".join(variants[0].plain for variants in self.lines)

    def __str__(self) -> str:
        return self.plain

    @property
    def plain_variants(self) -> tuple:
        """Every variant with its styles: equal when what may be shown is the same."""
        return tuple(tuple((v.plain, tuple(v.spans)) for v in variants) for variants in self.lines)

    def chosen(self, width: int) -> list[Content]:
        shown = []
        for variants in self.lines:
            fit = next((v for v in variants if v.cell_length <= width), None)
            shown.append(fit if fit is not None else variants[-1].truncate(width, ellipsis=True))
        return shown

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        strips: list[Strip] = []
        for line in self.chosen(width):
            strips.extend(line.render_strips(width, 1, style, options))
        return strips if height is None else strips[:height]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((variants[0].cell_length for variants in self.lines), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return len(self.lines)
