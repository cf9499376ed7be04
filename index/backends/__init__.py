"""Search engine backends behind one interface (Whoosh embedded, OpenSearch)."""
