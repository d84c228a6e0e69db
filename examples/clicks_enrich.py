"""Enrich clicks: drop negative amounts and add the page's group.

Reads ``{"user", "page", "amount", "ts"}`` from ``clicks``, writes the clicks with
``"page_group"`` (the first path segment of ``page``) to ``clicks-enriched``.
Malformed JSON goes to the dead-letter topic ``clicks-enrich-dlq`` with headers
saying where it came from and why; processing goes on.

    streamkit run examples/clicks_enrich.py --until-idle 5
"""

from streamkit import App


def page_group(page: str) -> str:
    """The first path segment: "/shop/shoes/42" → "shop"; "/" → ""."""
    return page.strip("/").split("/", 1)[0]


def build(name: str = "clicks-enrich", clicks: str = "clicks",
          enriched: str = "clicks-enriched", **options: object) -> App:
    """The click-enrichment app (names are parameters so tests can run it in isolation)."""
    app = App(name, **options)  # type: ignore[arg-type]
    source = app.topic(clicks, value="json", partitions=2)
    sink = app.topic(enriched, value="json", partitions=2)
    (
        app.stream(source, timestamp=lambda click: click["ts"])
        .filter(lambda click: click["amount"] >= 0)
        .map(lambda click: {**click, "page_group": page_group(click["page"])})
        .to(sink)
    )
    return app


app = build()
