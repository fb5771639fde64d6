"""Pick the search backend from settings (no plugin system for two backends)."""

from __future__ import annotations

from indexer.protocol import SearchBackend
from registry.config import Settings


def make_backend(settings: Settings) -> SearchBackend:
    """Return the backend named by ``settings.search_backend`` (constructed without I/O)."""
    if settings.search_backend == "elasticsearch":
        from indexer.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend(settings.elasticsearch_url, prefix=settings.index_prefix,
                                    timeout_s=settings.elasticsearch_timeout_s)
    from indexer.embedded import EmbeddedBackend

    return EmbeddedBackend(settings.index_dir)
