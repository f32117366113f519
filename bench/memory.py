"""Memory the datapoint catalog takes, measured with tracemalloc.

The integration holds the catalog parsed from ``data.json`` (``load_catalog``, cached for the
process) and the copy adapted to the installation's voltages (``for_installation``). Both are
measured as what stays allocated after they are built (the retained size) and the peak reached
while building them (the JSON text and its parsed form are transient).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
import tracemalloc

from custom_components.studer_innotec.xcom import catalog as catalog_package
from custom_components.studer_innotec.xcom.catalog import DATA_FILE, Catalog, catalog_from_json

from .scenarios import AC_VOLTAGE, BATTERY_VOLTAGE


@dataclass(frozen=True, slots=True)
class CatalogMemory:
    """Sizes in bytes."""

    json_bytes: int  #: size of data.json
    datapoints: int
    retained: int  #: allocated and still held once the catalog is built
    peak: int  #: the most allocated at once while parsing
    adapted_retained: int  #: what ``for_installation(230, 48)`` adds on top


def measure_catalog() -> CatalogMemory:
    """Parse data.json under tracemalloc (the file is read before tracing starts)."""
    text = resources.files(catalog_package).joinpath(DATA_FILE).read_text(encoding="utf-8")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        parsed: Catalog = catalog_from_json(text)
        after, peak = tracemalloc.get_traced_memory()
        adapted = parsed.for_installation(AC_VOLTAGE, BATTERY_VOLTAGE)
        adapted_after, _ = tracemalloc.get_traced_memory()
        result = CatalogMemory(
            json_bytes=len(text.encode()),
            datapoints=len(parsed),
            retained=after - start,
            peak=peak - start,
            adapted_retained=adapted_after - after,
        )
        del adapted, parsed
        return result
    finally:
        if not was_tracing:
            tracemalloc.stop()
