"""Reading a config file's YAML: PyYAML's safe loader, refusing a mapping that writes a key twice
(PyYAML keeps the last value without a word)."""

from __future__ import annotations

from typing import Any, Dict


class DuplicateKey(ValueError):
    """A YAML mapping that names a key twice."""


def safe_load_unique_keys(stream) -> Any:
    """`yaml.safe_load`, refusing a mapping with a key written twice (PyYAML keeps the last
    value without a word): a SafeLoader whose mappings check their keys first."""
    import yaml

    class UniqueKeysLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        def construct_mapping(self, node, deep=False):
            lines: Dict[str, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    continue
                line = key_node.start_mark.line + 1
                if key in lines:
                    raise DuplicateKey(f"key {key!r} is written twice (lines {lines[key]} and "
                                        f"{line}): keep one")
                lines[key] = line
            return super().construct_mapping(node, deep=deep)

    loader = UniqueKeysLoader(stream)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
