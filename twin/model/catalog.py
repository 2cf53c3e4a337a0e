"""The device catalog: shipped types from ``assets/catalog/*.yaml`` plus a layout's own."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from twin.model.catalog_schema import CatalogFile, CatalogItem
from twin.model.errors import LayoutError, Problem, field_path
from twin.model.yamlpos import lines_of, load_fast


def assets_dir() -> Path:
    """Installed wheels carry the assets inside the package; a checkout has them at the top."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_assets"
    return packaged if packaged.is_dir() else here.parent / "assets"


def _load_file(path: Path) -> list[CatalogItem]:
    text = path.read_text(encoding="utf-8")
    try:
        return CatalogFile.model_validate(load_fast(text)).items
    except ValidationError as exc:
        errs = exc.errors()
        lines = lines_of(text, [tuple(e["loc"]) for e in errs])
        raise LayoutError(
            [
                Problem(e["msg"], field_path(tuple(e["loc"])), line, str(path))
                for e, line in zip(errs, lines, strict=True)
            ],
            path,
        ) from None


class Catalog:
    """Device types by id. A layout's inline items override shipped ones of the same id."""

    def __init__(self, items: Iterable[CatalogItem]):
        self._items: dict[str, CatalogItem] = {}
        for item in items:
            self._items[item.id] = item

    def __contains__(self, type_id: str) -> bool:
        return type_id in self._items

    def __getitem__(self, type_id: str) -> CatalogItem:
        return self._items[type_id]

    def get(self, type_id: str) -> CatalogItem | None:
        return self._items.get(type_id)

    def __iter__(self):
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def of_kind(self, *kinds: str) -> list[CatalogItem]:
        return [i for i in self._items.values() if i.kind in kinds]

    def with_items(self, items: Iterable[CatalogItem]) -> Catalog:
        extra = list(items)
        if not extra:
            return self
        return Catalog([*self._items.values(), *extra])


@functools.cache
def shipped_catalog() -> Catalog:
    """Every type in ``assets/catalog/`` (read once per process)."""
    items: list[CatalogItem] = []
    for path in sorted(assets_dir().glob("catalog/*.yaml")):
        items.extend(_load_file(path))
    return Catalog(items)
