"""A workaround for a Textual rendering bug, for the pinned Textual (8.2): applied by `PlannerApp`.

Wide characters (Chinese, Japanese, Korean, most emoji) vanished from a toast where it lay over
the edge of a widget under it: "Moved “客户 门   站”" for "Moved “客户 门户网站”". Textual's
compositor cuts every line at every widget's left and right edge, also the edges of widgets
hidden behind the toast, and renders each widget's line in those pieces; a character two cells
wide that straddles such a cut is split, and a split wide character becomes two spaces
(`Segment.split_cells`). Upstream: https://github.com/Textualize/textual/issues/6357 (open).

The fix: a widget's line is cut only where what is drawn changes hands, that is between the
stretches it shows and the stretches a widget in front of it already took. A stretch it shows
is one piece, put at the stretch's first cut; the cuts inside it get an empty piece, so no
widget behind can take them. Full and partial updates read the pieces as before (a partial
update that begins inside such a stretch skips what did not change).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip

_EMPTY = Strip([], 0)


def _render_chops(self: Compositor, crop: Region, is_rendered_line: Callable[[int], bool]
                  ) -> Sequence[Mapping[int, Strip]]:
    """`Compositor._render_chops` of Textual 8.2, with each stretch a widget shows kept whole."""
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    intersection = Region.intersection
    # Front to back: the first widget to take a stretch of a line shows there.
    for region, clip, strips in self._get_renders(crop):
        render_region = intersection(region, clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips):
            if not is_rendered_line(y):
                continue
            chops_line = chops[y]
            get = chops_line.get
            line_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            starts = line_cuts[:-1]
            free = [get(cut) is None for cut in starts]
            if not any(free):
                continue
            # Cut only where a stretch this widget shows meets one taken by a widget in front.
            ends = [line_cuts[i] for i in range(1, len(starts)) if free[i] != free[i - 1]]
            ends.append(line_cuts[-1])
            pieces = strip.divide([end - render_x for end in ends])
            piece = -1
            piece_end = first_cut
            for i, cut in enumerate(starts):
                if i == 0 or free[i] != free[i - 1]:
                    piece += 1
                    if piece >= len(pieces):
                        break  # a strip shorter than its region: the rest is left to others
                    if free[i]:
                        chops_line[cut] = pieces[piece]
                        piece_end = cut + pieces[piece].cell_length
                elif free[i] and cut < piece_end:
                    chops_line[cut] = _EMPTY  # inside a piece put at an earlier cut
    return cast("Sequence[Mapping[int, Strip]]", chops)


def apply() -> None:
    """Install the workaround (once; a later call changes nothing)."""
    Compositor._render_chops = _render_chops  # type: ignore[method-assign]
