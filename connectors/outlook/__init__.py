"""Outlook and Microsoft 365 over Microsoft Graph: mail, calendar and the daily block.

Modules: ``auth`` (msal sign-in and the token cache), ``graph`` (the HTTP client:
throttling, retries, ``$batch``), ``mail`` and ``calendar`` (delta-query sources),
``block`` (the recurring block written into Outlook).

This module stays light on purpose: config validation imports the connector
classes to read their ``Options``, and users who only use local files must not
pay for msal or requests. Everything heavy is imported inside functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GLOBAL_AUTHORITY = "https://login.microsoftonline.com"
GLOBAL_GRAPH_URL = "https://graph.microsoft.com/v1.0"
CATEGORY = "Connect 5"
# A named single-value extended property marks the block as ours; the GUID is
# connect5's own property set. https://learn.microsoft.com/graph/api/resources/extended-properties-overview
BLOCK_PROPERTY_ID = "String {6b1c3c1e-5c2a-4c8e-9a55-c0aa5c0de005} Name connect5Block"
BLOCK_PROPERTY_VALUE = "daily-block"
SIGN_IN_COMMAND = "connect5 auth outlook"


def _doc(text: str, **kwargs):
    return field(metadata={"doc": text}, **kwargs)


@dataclass(frozen=True)
class AccountOptions:
    """The keys every Outlook source and the Outlook writer share: which app, cloud and account."""

    client_id: str = _doc("Application (client) id of your app registration; empty = the one given to `connect5 auth outlook`", default="")
    tenant: str = _doc("Directory: common | organizations | consumers | a tenant id or domain; empty = the one used at sign-in, else common", default="")
    account: str = _doc("Which signed-in account (its user name) when the token cache holds several; empty = the only one", default="")
    authority: str = _doc("Sign-in host; national clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn", default=GLOBAL_AUTHORITY)
    graph_url: str = _doc("Graph base URL; national clouds: https://graph.microsoft.us/v1.0, https://microsoftgraph.chinacloudapi.cn/v1.0", default=GLOBAL_GRAPH_URL)
    ca_bundle: str = _doc("A CA bundle to trust for the two URLs above (private clouds, tests); empty = the system's", default="")
    request_budget: int = _doc("Graph requests allowed per budget window and mailbox (Outlook's limit: 10000 per 10 minutes)", default=10_000)
    budget_window_seconds: float = _doc("Length of the request budget window, in seconds", default=600.0)
    max_concurrency: int = _doc("Concurrent requests per mailbox (Outlook's limit: 4)", default=4)
    timeout_seconds: float = _doc("Seconds to wait for an answer before trying again", default=60.0)
