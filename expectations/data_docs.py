"""The offline Data Docs site of the suites' results, with its templates compiled once.

GE makes a Jinja environment for every page view of every build (four per build), and
each compiles the same templates from their source again: half of a build, 0.25 s of
every refresh. The views here are GE's own, named in the site's configuration (GE's
``view`` setting), and share one in-memory bytecode cache, so that each template is
compiled once per process. Jinja checks every template's source against the checksum
it was compiled from, so a changed template is compiled again.
"""

import hashlib
from pathlib import Path

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

SECTIONS = ("expectations", "validations", "profiling")  # GE's site sections


class _KeptBytecode(BytecodeCache):
    """Compiled templates, kept in memory for the life of the process."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _KeptBytecode()


class CompiledOncePageView(DefaultJinjaPageView):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _COMPILED


class CompiledOnceIndexPageView(DefaultJinjaIndexPageView):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = _COMPILED


def _view(cls: type) -> dict:
    return {"module_name": __name__, "class_name": cls.__name__}


def site_name(docs_dir: Path) -> str:
    return "site_" + hashlib.sha1(str(docs_dir).encode()).hexdigest()[:12]


def site_config(docs_dir: Path) -> dict:
    """GE's SiteBuilder writing to ``docs_dir``, with the views above."""
    return {
        "class_name": "SiteBuilder",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": _view(CompiledOnceIndexPageView),
        },
        "site_section_builders": {
            section: {"view": _view(CompiledOncePageView)} for section in SECTIONS
        },
    }
