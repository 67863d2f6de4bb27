"""Analytics pages, metric imports and collection, and branded PDF reports.

- :mod:`~studio.reports.store`: upserts of metric snapshots and followers on natural keys.
- :mod:`~studio.reports.data`: reads a brand's rows for :mod:`studio.analytics.summary`.
- :mod:`~studio.reports.analytics`: the analytics page's view (KPIs, charts, rankings).
- :mod:`~studio.reports.imports`: CSV uploads, remembered mappings, the import job's work.
- :mod:`~studio.reports.collect`: reading Mastodon and Bluesky counts for a channel.
- :mod:`~studio.reports.sections`, :mod:`~studio.reports.render`,
  :mod:`~studio.reports.fetcher`: report templates, the report's data and HTML, and
  WeasyPrint with a URL fetcher that serves only the report's own files.
- :mod:`~studio.reports.operations`: reports, history, schedules, signed links, downloads.
"""
