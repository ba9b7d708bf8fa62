"""Blended-care views: ``staff`` (schedule, enrollment page, sessions), ``work`` (plan, load limit,
homework),
``session`` (agenda work view, notes), ``patient`` ("between our sessions") and ``feed``
(calendar feeds)."""
