"""Shared page layout, templates and static assets."""
