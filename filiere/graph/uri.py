"""Open a store from a URI: a file path for the embedded store, a Bolt URI for Neo4j."""

from __future__ import annotations

from filiere.errors import ConfigError
from filiere.graph.store import GraphStore
from filiere.settings import Settings, get_settings

NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def is_neo4j_uri(uri: str) -> bool:
    """Whether ``uri`` names a Neo4j server rather than a file."""
    return uri.startswith(NEO4J_SCHEMES)


def open_store(uri: str | None = None, settings: Settings | None = None) -> GraphStore:
    """Open the store named by ``uri`` (default: the ``FILIERE_STORE`` setting).

    >>> import tempfile, os
    >>> open_store(os.path.join(tempfile.mkdtemp(), "g.json")).kind
    'embedded'
    """
    settings = settings or get_settings()
    uri = uri or settings.store
    scheme = uri.split("://", 1)[0] if "://" in uri else None
    if scheme is not None and not is_neo4j_uri(uri) and scheme != "file":
        raise ConfigError(
            f"unknown store URI scheme {scheme!r} in {uri!r}: give a file path, file://, "
            "or a Neo4j URI (bolt://, neo4j://, neo4j+s://...)"
        )
    if is_neo4j_uri(uri):
        from filiere.graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
            batch_size=settings.neo4j_batch_size,
        )
    from filiere.graph.embedded import EmbeddedStore

    return EmbeddedStore(uri.removeprefix("file://"))
