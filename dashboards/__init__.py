"""Dashboards: the widget registry, the widgets, each role's layout, and the figures' cache.

A package of its own because a dashboard is neither a model view nor a report: it places many
small readers (figures, charts, short lists) on one page per role. Each widget is declared once
(`registry.WidgetKind`) with the fields and entities it reads, so the configurator and the page
ask the same question the rest of the panel asks (`forms_config.readability`,
`auth.permissions`) before a widget is offered or drawn; each reads through
`models.scoping.restrict_to_visible_rows` and, for receivables, through `reports.aging`.
"""
