"""Importing this module registers every widget kind (one module per shape of widget)."""

from dashboards import widget_charts, widget_figures, widget_lists

__all__ = ["widget_charts", "widget_figures", "widget_lists"]
