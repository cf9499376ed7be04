"""Import Tolk's engine for the benchmark, even while parts of it are still landing.

The benchmark builds ``Document`` objects directly (the corpus is clean and
its language is known), so it needs ``index.documents`` but not cleaning or
language detection. If ``index.cleaning`` or ``index.language`` does not
exist yet, stand-ins that raise are registered so ``index.documents`` still
imports; ``MISSING`` then names them and the cleaning/detection benchmark
(``prepare``) is reported as not measured. Nothing here changes Tolk.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MISSING: list[str] = []


def _stub(name: str) -> None:
    module = types.ModuleType(name)

    class LanguageError(ValueError):
        pass

    def unavailable(*args, **kwargs):
        raise RuntimeError(f"{name} is not in this checkout yet")

    module.LanguageError = LanguageError
    module.clean_text = unavailable
    module.detect_language = unavailable
    sys.modules[name] = module
    MISSING.append(name)


def ensure_importable() -> list[str]:
    """Make ``import index.documents`` work; return the stubbed module names."""
    for _ in range(3):
        try:
            import index.documents  # noqa: F401
            return MISSING
        except ModuleNotFoundError as exc:
            if exc.name in ("index.cleaning", "index.language") and exc.name not in MISSING:
                sys.modules.pop("index.documents", None)
                _stub(exc.name)
                continue
            raise
    return MISSING


def prepare_available() -> bool:
    ensure_importable()
    return not MISSING
