"""Renderers: pure functions of report data to PDF, xlsx and JSON."""
