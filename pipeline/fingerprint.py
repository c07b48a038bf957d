"""Code fingerprints for TFX caching.

Components get their code as dotted paths of this installed package, and TFX's cache key hashes
component properties but not the code behind a dotted path. Each component therefore carries a
fingerprint of the source it runs in its properties: edit the code, and the cache key changes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from typing import Iterable, List, Tuple


def _source_files(module_name: str) -> List[Tuple[str, str]]:
    """(name relative to the package, path) of each source file of a module or package."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None and not spec.submodule_search_locations:
        raise ImportError(f"cannot fingerprint {module_name!r}: module not found")
    if spec.submodule_search_locations:  # a package: every .py file below it
        files = []
        for location in spec.submodule_search_locations:
            for directory, _, names in os.walk(location):
                files.extend((os.path.relpath(os.path.join(directory, n), location),
                              os.path.join(directory, n)) for n in names if n.endswith(".py"))
        return sorted(files)
    return [(os.path.basename(spec.origin), spec.origin)]


def code_fingerprint(module_names: Iterable[str]) -> str:
    """SHA-256 over the source of the named modules or packages (names and contents)."""
    digest = hashlib.sha256()
    for module_name in sorted(set(module_names)):
        for relative, path in _source_files(module_name):
            digest.update(f"{module_name}:{relative}".encode())
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


def file_fingerprint(path: str) -> str:
    """SHA-256 of a file's bytes (16 hex digits), e.g. the schema file ImportSchemaGen copies:
    TFX's cache key has its path, not its content."""
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]
