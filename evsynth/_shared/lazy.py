"""Modules imported on first use.

``import evsynth`` should cost little more than ``import pandas`` (a reviewer restarts a kernel
often): scipy's ``stats``, ``optimize`` and ``special`` take most of the import time and are
needed only when something is computed. ``stats = lazy_module("scipy.stats")`` gives a stand-in
that imports the module when one of its attributes is first read.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule(types.ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_module"] = None

    def _load(self) -> types.ModuleType:
        module = self.__dict__["_module"]
        if module is None:
            module = importlib.import_module(self.__name__)
            self.__dict__["_module"] = module
        return module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it on first attribute access."""
    return _LazyModule(name)
