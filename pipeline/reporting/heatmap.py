"""The confusion matrix's chart: a square matrix of counts as shaded cells, each count written
out, the class names along both sides (slanted when wider than a cell)."""

from __future__ import annotations

import math
from typing import Sequence

from pipeline.reporting import charts

HEATMAP_LABEL = 16  # characters of a class name a heatmap writes (longer ones end in "…")
HEATMAP_SIDE, HEATMAP_CELL = 480, (14, 48)  # a heatmap's matrix side; its cells' px bounds


def heatmap(matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str,
            x_label: str, y_label: str) -> str:
    """A square matrix of counts (rows: y_label, columns: x_label), darker for larger counts,
    each cell written out. The cells share HEATMAP_SIDE px (within HEATMAP_CELL), their counts
    written up to 14 px tall; the class names are written whole up to HEATMAP_LABEL characters,
    the column names slanted when wider than a cell; the chart grows to hold its texts."""
    size = len(labels)
    cell = max(HEATMAP_CELL[0], min(HEATMAP_CELL[1], HEATMAP_SIDE // max(size, 1)))
    count_font = max(11, min(14, cell * 3 // 10))
    names = [n if len(n) <= HEATMAP_LABEL else n[:HEATMAP_LABEL - 1] + "…" for n in labels]
    widest = max(map(len, names), default=0) * charts.CHAR_WIDTH
    slanted = widest > cell - charts.CHAR_WIDTH
    left, top, side = 24 + widest + 6, 30, cell * size
    slant_height = round(widest * math.sin(math.radians(charts.SLANT)))
    below = top + side + (slant_height + 16 if slanted else 20)
    width = round(max(left + side + 14, left + (side + len(x_label) * charts.CHAR_WIDTH) / 2 + 6,
                      len(title) * charts.BOLD_CHAR_WIDTH + 16))
    y_middle = max(top + side / 2, len(y_label) * charts.CHAR_WIDTH / 2 + 4)
    height = round(max(below + 18, y_middle + len(y_label) * charts.CHAR_WIDTH / 2 + 4))
    peak = max([max(row, default=0) for row in matrix] + [1])
    parts = [f"<text x='{width / 2:.0f}' y='16' text-anchor='middle' font-weight='bold'>"
             f"{charts.esc(title)}</text>"]
    for row, counts in enumerate(matrix):
        for column, count in enumerate(counts):
            shade = count / peak
            fill = f"rgb({255 - int(224 * shade)},{255 - int(175 * shade)},{255 - int(75 * shade)})"
            x, y = left + column * cell, top + row * cell
            parts.append(f"<rect x='{x}' y='{y}' width='{cell}' height='{cell}' fill='{fill}' "
                         f"stroke='#fff'><title>{charts.esc(labels[row])} as "
                         f"{charts.esc(labels[column])}: "
                         f"{count}</title></rect>")
            if count:
                baseline = y + (cell + count_font) / 2 - 1  # the count centred in its cell
                parts.append(f"<text x='{x + cell / 2:.0f}' y='{baseline:.0f}' "
                             f"text-anchor='middle' font-size='{count_font}' "
                             f"fill='{'#fff' if shade > 0.5 else '#222'}'>{count}</text>")
    for index, name in enumerate(names):
        middle = index * cell + cell / 2
        parts.append(f"<text x='{left - 4}' y='{top + middle + 4:.0f}' text-anchor='end'>"
                     f"{charts.esc(name)}</text>"
                     + charts.category_label(left + middle, top + side - 2, name, slanted))
    parts.append(f"<text x='{left + side / 2:.0f}' y='{height - 6}' text-anchor='middle'>"
                 f"{charts.esc(x_label)}</text><text transform='translate(13,{y_middle:.0f})"
                 f" rotate(-90)' text-anchor='middle'>{charts.esc(y_label)}</text>")
    return charts.svg(parts, title, width=width, height=height)
