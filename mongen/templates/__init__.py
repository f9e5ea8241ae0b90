"""Jinja2 templates for the text formats a human reads (package data, loaded by mongen.templating)."""
