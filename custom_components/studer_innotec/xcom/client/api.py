"""The wire-independent interface of an Xcom client, and the values it exchanges.

Everything above the client (discovery, the integration, the command line) is written against
:class:`XcomApi`, never against frames: the SCOM serial protocol is one implementation, Studer's
Xcom-CAN public protocol will be another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol
import uuid

from ..errors import XcomError
from ..protocol.constants import Format, ParamProperty
from ..protocol.payloads import MessageRecord, MultiInfoItem, MultiInfoResponse
from ..protocol.values import Value
from .stats import LinkStatistics


@dataclass(frozen=True, slots=True, order=True)
class InfoRead:
    """One user info of one device, as a batch read asks for it.

    ``fmt`` matters only when the value must be read on its own (old gateways without
    multi-info): a single read answers in the info's own format, a batch always in FLOAT.
    """

    address: int
    number: int
    fmt: Format = Format.FLOAT


@dataclass(frozen=True, slots=True)
class InfoBatchResult:
    """The outcome of a batch read: a value or an error for every item asked for, never both."""

    values: Mapping[InfoRead, Value] = field(default_factory=dict)
    errors: Mapping[InfoRead, XcomError] = field(default_factory=dict)
    requests: int = 0
    #: The header flags of the first multi-info response (§4.9.2: which families the gateway
    #: sees), None when no batch was answered.
    presence_flags: int | None = None
    #: The gateway's clock (seconds since 1970, installation wall-clock time) in the first
    #: multi-info response: what "today" means for the units' daily counters.
    gateway_time: int | None = None

    def failed_addresses(self) -> set[int]:
        """Devices with at least one item that could not be read."""
        return {read.address for read in self.errors}


class XcomApi(Protocol):
    """Operations on a Studer installation, whatever the wire.

    Every read returns a value that was actually received, or raises: there is no default, no
    cached or guessed value anywhere below this interface.
    """

    @property
    def statistics(self) -> LinkStatistics:
        """Traffic counters since the client was created."""

    @property
    def gateway_flags(self) -> int | None:
        """The frame flags of the last response (message pending, gateway restarted...)."""

    @property
    def multi_info_supported(self) -> bool | None:
        """Whether the gateway reads batches natively (None until the first batch)."""

    def overrides(
        self, *, timeout: float | None = None, retries: int | None = None
    ) -> AbstractContextManager[None]:
        """Temporarily use another timeout or retry count (short probes during discovery)."""

    async def read_info(self, address: int, number: int, fmt: Format = Format.FLOAT) -> Value:
        """Read one user info of one device."""

    async def read_infos(self, reads: Sequence[InfoRead]) -> InfoBatchResult:
        """Read many user infos with as few requests as the protocol allows."""

    async def read_multi_info(self, items: Sequence[MultiInfoItem]) -> MultiInfoResponse:
        """Read raw multi-info items, including the gateway's family averages and sums.

        The gateway aggregates (master, one unit, average, sum of a family) itself; a backend
        without that service raises DeviceError(SERVICE_NOT_SUPPORTED).
        """

    async def read_param(
        self,
        address: int,
        number: int,
        fmt: Format,
        prop: ParamProperty = ParamProperty.VALUE,
    ) -> Value:
        """Read a property of a parameter (value, min, max, level or unsaved value)."""

    async def write_param(
        self, address: int, number: int, value: Value, fmt: Format, *, flash: bool = False
    ) -> None:
        """Write a parameter: to RAM (unsaved value) by default, to flash only when asked."""

    async def read_message(self, index: int = 0) -> MessageRecord:
        """Read one entry of the gateway's message log (0 = newest)."""

    async def read_messages(self, count: int) -> list[MessageRecord]:
        """Read up to ``count`` newest messages, newest first."""

    async def read_guid(self) -> uuid.UUID:
        """Read the installation's GUID (held by the gateway)."""

    async def close(self) -> None:
        """Release the link."""
