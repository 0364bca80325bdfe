"""Model files: the built-in YOLOv3-tiny conversion, class names and the cache folder."""

from pipelines.models.builtin import ensure_builtin_model
from pipelines.models.labels import coco80_names
from pipelines.models.paths import cache_dir

__all__ = ["cache_dir", "coco80_names", "ensure_builtin_model"]
