"""Import Tolk's engine for the benchmark, even while parts of it are still landing.

The benchmark builds ``Document`` objects directly (the corpus is clean and
its language is known), so it needs ``index.ingest.documents`` but not cleaning or
language detection. If ``index.ingest.cleaning`` or ``index.ingest.language`` does not
exist yet, stand-ins that raise are registered so ``index.ingest.documents`` still
imports; ``MISSING`` then names them and the cleaning/detection benchmark
(``prepare``) is reported as not measured. Nothing here changes Tolk.

With ``TOLK_BENCH_CODE`` set (by ``run_all.py``), Tolk is imported from that
frozen copy of ``index/`` and ``service/`` instead of the checkout.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/run_all.py measures a frozen copy of index/ and service/ (others keep
# editing the checkout during a long run); it names that copy here.
CODE = Path(os.environ.get("TOLK_BENCH_CODE") or ROOT)
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))

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
    """Make ``import index.ingest.documents`` work; return the stubbed module names."""
    for _ in range(3):
        try:
            import index.ingest.documents  # noqa: F401
            return MISSING
        except ModuleNotFoundError as exc:
            if exc.name in ("index.ingest.cleaning", "index.ingest.language") and exc.name not in MISSING:
                sys.modules.pop("index.ingest.documents", None)
                _stub(exc.name)
                continue
            raise
    return MISSING


def prepare_available() -> bool:
    ensure_importable()
    return not MISSING
