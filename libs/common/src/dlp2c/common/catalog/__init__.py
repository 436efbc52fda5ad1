"""The layer catalog (the paper's dictionary and grammar): one spec per op, with its shape rule."""

from dlp2c.common.catalog.registry import CATALOG, AliasMatch, Catalog, normalize_alias
from dlp2c.common.catalog.spec import REQUIRED, Kind, OpSpec, Param, TensorType

__all__ = ["CATALOG", "REQUIRED", "AliasMatch", "Catalog", "Kind", "OpSpec", "Param", "TensorType",
           "normalize_alias"]
