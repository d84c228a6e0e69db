"""Built-in operators (windows, aggregations), written only against
:mod:`streamkit.processor`, exactly as a user's own operators would be."""

from operators import agg, windows
from operators.results import WindowResult, WindowResultSerde

__all__ = ["WindowResult", "WindowResultSerde", "agg", "windows"]
