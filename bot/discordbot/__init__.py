"""The Discord front end: the client, its commands and views, and Discord-sized formatting."""
