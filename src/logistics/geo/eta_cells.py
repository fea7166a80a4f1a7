"""The areas ETAs are calibrated by: a point's H3 cell at a coarse resolution (a few square
kilometres, about a leg's start) and that cell's parent, the coarser bucket a sparse cell
borrows from."""

from __future__ import annotations

import h3

CELL_RESOLUTION = 7  # about 5 km², edges of 1.4 km
PARENT_RESOLUTION = 6  # seven cells, about 36 km²


def area_of(latitude: float, longitude: float) -> tuple[str, str]:
    """(cell, parent) of a point."""
    cell = h3.latlng_to_cell(latitude, longitude, CELL_RESOLUTION)
    return cell, h3.cell_to_parent(cell, PARENT_RESOLUTION)
