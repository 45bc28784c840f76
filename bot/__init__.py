"""Answering (retrieve, compose, cite, verify) and the front ends: CLI, terminal chat, Discord."""
