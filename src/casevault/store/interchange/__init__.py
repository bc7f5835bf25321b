"""The case interchange folder: format declaration, reader/importer and writer/exporter."""
