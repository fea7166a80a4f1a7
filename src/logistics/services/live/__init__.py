"""Live views for dispatchers: the views, their viewers, the ingest side that feeds them, and
the ports they are built on."""
