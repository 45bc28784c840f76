"""The answering core: a question in, an Answer with citations out. No front end, no settings,
no web ingestion: everything it uses is handed to it (see bot/app.py)."""
