"""What guests learn about themselves: the metadata service (app.py) and the
config drive (configdrive.py), both from one instance's documents
(document.py)."""
