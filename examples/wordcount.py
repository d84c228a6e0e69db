"""Word count: a running count per word.

Reads JSON ``{"text": "..."}`` lines from ``lines`` and writes
``{"word": w, "count": n}`` keyed by word to ``word-counts``, once per update.

    streamkit run examples/wordcount.py --until-idle 5
"""

from streamkit import App


def build(name: str = "wordcount", lines: str = "lines", word_counts: str = "word-counts",
          **options: object) -> App:
    """The word-count app (names are parameters so tests can run it in isolation)."""
    app = App(name, **options)  # type: ignore[arg-type]
    source = app.topic(lines, value="json", partitions=2)
    sink = app.topic(word_counts, value="json", partitions=2)
    (
        app.stream(source)
        .flat_map(lambda line: line["text"].lower().split())
        .group_by(lambda word: word, name="by-word")  # repartition: each word to one task
        .count(name="counts")  # RocksDB table, logged to <app>-counts-store-changelog
        .to_stream()
        .map(lambda word, count: {"word": word, "count": count})
        .to(sink)
    )
    return app


app = build()
