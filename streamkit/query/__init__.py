"""Queries from outside an app: read a stopped app's stores (``streamkit state``)
or ask a running one over HTTP (``streamkit run APP.py --serve HOST:PORT``).
See ``docs/queries.md``."""

from streamkit.query.catalog import StoreRoute, UnknownStore, store_routes
from streamkit.query.directory import StoreDirectory
from streamkit.query.http_server import QueryServer
from streamkit.query.instances import (
           InstanceInfo,
           InstanceMembership,
           OwnerMap,
           instances_topic,
           locate_key,
)
from streamkit.query.service import QueryService, parse_serve_address

__all__ = ["InstanceInfo", "InstanceMembership", "OwnerMap", "QueryServer", "QueryService",
           "StoreDirectory", "StoreRoute", "UnknownStore", "instances_topic", "locate_key",
           "parse_serve_address", "store_routes"]
