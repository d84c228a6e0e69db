"""What happens to records whose decoding or processing raises."""

from streamkit.runtime.errors.dead_letter import DeadLetterWriter, dead_letter_headers
from streamkit.runtime.errors.policy import ErrorPolicy, OnError, ProcessingStopped

__all__ = ["DeadLetterWriter", "ErrorPolicy", "OnError", "ProcessingStopped", "dead_letter_headers"]
