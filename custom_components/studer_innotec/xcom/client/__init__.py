"""Layer 3 of the xcom library: requests, response matching, retries, batching and statistics.

:class:`XcomApi` is what the rest of the world uses; :class:`ScomClient` implements it over a
:class:`~..links.Link` with the SCOM serial protocol. A future Xcom-CAN backend implements the
same interface, so discovery, the simulator's tests and the integration stay unchanged.
"""

from .api import InfoBatchResult, InfoRead, XcomApi
from .scom import ScomClient
from .stats import LinkStatistics

__all__ = ["InfoBatchResult", "InfoRead", "LinkStatistics", "ScomClient", "XcomApi"]
