"""Pure analytics building blocks: no Flask, no database, plain data in and out.

Modules:

- :mod:`~studio.analytics.metrics`: every metric once, as data (label, definition, unit),
  the engagement-rate formula, and each platform's names for the metrics.
- :mod:`~studio.analytics.summary`: :class:`MetricRow` in; periods, KPIs with deltas,
  trends in the brand's time zone, breakdowns, top and bottom posts, best-time heatmap.
- :mod:`~studio.analytics.charts`: accessible SVG charts as strings, and the same data as
  HTML tables, for the pages and the PDF report alike.
- :mod:`~studio.analytics.csvimport`: streaming import of platforms' CSV exports with
  row-level errors and natural keys for idempotent upserts.
- :mod:`~studio.analytics.demo`: a seeded year of believable metrics for demo brands.
"""
