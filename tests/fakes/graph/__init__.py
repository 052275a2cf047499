"""A stateful fake of Microsoft Graph and the identity platform, over HTTPS on 127.0.0.1.

``FakeGraph`` is what tests start; ``mailbox`` and ``calendar`` hold the data,
``identity`` the sign-in state, ``requests`` every Graph request it answered.
"""

from .calendar import graph_time, instance_id, parse_graph_time
from .mail import address
from .server import FakeGraph
from .wire import Fault, Recorded

__all__ = ["FakeGraph", "Fault", "Recorded", "address", "graph_time", "instance_id", "parse_graph_time"]
