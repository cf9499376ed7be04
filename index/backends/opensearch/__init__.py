"""The OpenSearch backend: Tolk's analysis, documents and queries in OpenSearch terms."""
