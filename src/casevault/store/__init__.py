"""Storage (layer 1): schema, engine, migrations, interchange import/export, bulk loading."""
