"""The SCOM client: :class:`XcomApi` over a :class:`Link`, one request at a time.

A gateway handles one request at a time and its answers carry no request id, so a lock keeps a
single request outstanding and every received frame is checked against the request it should
answer (service, object, property and device address). Anything else on the link, stale answers
or the Studer portal's own conversation on a shared Moxa, is counted and skipped. Multi-info
requests all share one key (object 0x0A, id 1), so their answers are matched by content too: an
answer counts only if its items are those asked, in order (the gateway may leave some out). A
late answer to an earlier batch, or the portal's batch, is skipped like any foreign frame.

Reads are retried a bounded number of times. Writes are never repeated after a timeout or a lost
connection: the device may have applied them, and repeating a write behind the caller's back is
how settings end up applied twice or flash gets worn. A GATEWAY_BUSY answer is an explicit refusal,
so retrying it is safe for both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
import contextlib
import contextvars
import logging
import math
import time
from typing import Final
import uuid

from ..errors import (
    ConnectionLostError,
    DeviceError,
    ProtocolError,
    XcomConnectionError,
    XcomError,
    XcomTimeoutError,
)
from ..links import Link
from ..protocol.constants import (
    DEFAULT_SOURCE_ADDRESS,
    MULTI_INFO_MAX_ITEMS,
    Address,
    DeviceFamily,
    ErrorCode,
    Format,
    ObjectType,
    ParamProperty,
    PropertyId,
    device_index,
)
from ..protocol.frame import Frame, Service, read_request, write_request
from ..protocol.payloads import (
    MessageRecord,
    MultiInfoItem,
    MultiInfoResponse,
    decode_guid,
    decode_message,
    decode_multi_info_response,
    encode_multi_info_request,
)
from ..protocol.stream import FrameDecoder
from ..protocol.values import Value, decode_value, encode_value
from .api import InfoBatchResult, InfoRead
from .stats import LinkStatistics

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 3.0
DEFAULT_RETRIES: Final = 2
DEFAULT_DEAD_AFTER: Final = 3
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
#: Seconds before a unit batch whose split found nothing answering is split again.
SPLIT_RETRY: Final = 900.0
BUSY_RETRY_DELAY: Final = 0.5
_INTEGER_FORMATS: Final = frozenset(
    {Format.SHORT_ENUM, Format.LONG_ENUM, Format.INT32, Format.FORMAT, Format.ERROR}
)
#: Errors after which splitting a failed batch per device can isolate the culprit.
_DEVICE_SCOPED_ERRORS: Final = frozenset(
    {
        ErrorCode.DEVICE_NOT_FOUND,
        ErrorCode.RESPONSE_TIMEOUT,
        ErrorCode.OBJECT_ID_NOT_FOUND,
        ErrorCode.READ_PROPERTY_FAILED,
        ErrorCode.INVALID_SERVICE_ARGUMENT,
    }
)
#: Errors one unsupported info can cause (an info the unit's firmware does not have): splitting
#: a refused batch of one unit can find the item.
_ITEM_SCOPED_ERRORS: Final = frozenset(
    {
        ErrorCode.OBJECT_ID_NOT_FOUND,
        ErrorCode.READ_PROPERTY_FAILED,
        ErrorCode.INVALID_SERVICE_ARGUMENT,
    }
)


def multi_info_item(read: InfoRead) -> MultiInfoItem:
    """The multi-info item that reads ``read``: the device's index within its family.

    The single-unit families (BSP, Xcom-CAN BMS) are read as "master", as in the spec's own
    example (§5.8); multi-unit families by their 1-based index.
    """
    family, index = device_index(read.address)
    return MultiInfoItem(read.number, 0 if family is DeviceFamily.BSP else index)


class ScomClient:
    """An Xcom client over one link (serial, Moxa TCP either way, or UDP)."""

    def __init__(
        self,
        link: Link,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        dead_after: int = DEFAULT_DEAD_AFTER,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        burst_pause: float = 0.0,
        busy_retry_delay: float = BUSY_RETRY_DELAY,
        source_address: int = DEFAULT_SOURCE_ADDRESS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.link = link
        self.timeout = timeout
        self.retries = retries
        self.dead_after = dead_after
        self.connect_timeout = connect_timeout
        self.burst_pause = burst_pause
        self.busy_retry_delay = busy_retry_delay
        self.source_address = source_address
        self._clock = clock
        self._lock = asyncio.Lock()
        self._decoder = FrameDecoder()
        self._stats = LinkStatistics()
        self._gateway_flags: int | None = None
        self._consecutive_timeouts = 0
        self._quiet_until = 0.0
        self._multi_info_supported: bool | None = None
        self._suspects: set[int] = set()
        #: (address, number) of infos a unit refused alone while others of it answered.
        self._unsupported: dict[tuple[int, int], DeviceError] = {}
        #: Batches of one unit whose split found nothing that answers, and until when they are
        #: not split again (a unit refusing everything would cost 2n requests every poll).
        self._split_quiet: dict[frozenset[MultiInfoItem], float] = {}
        self._overrides: contextvars.ContextVar[tuple[float | None, int | None]] = (
            contextvars.ContextVar(f"xcom_overrides_{id(self)}", default=(None, None))
        )

    # -- XcomApi -------------------------------------------------------------------------------

    @property
    def statistics(self) -> LinkStatistics:
        """Traffic counters since the client was created."""
        self._stats.skipped_bytes = self._decoder.skipped_bytes
        return self._stats

    @property
    def gateway_flags(self) -> int | None:
        """The frame flags of the last response, None before the first one."""
        return self._gateway_flags

    @property
    def multi_info_supported(self) -> bool | None:
        """Whether the gateway answers multi-info (None until the first batch)."""
        return self._multi_info_supported

    async def read_info(self, address: int, number: int, fmt: Format = Format.FLOAT) -> Value:
        """Read one user info of one device."""
        request = read_request(
            address, ObjectType.USER_INFO, number, PropertyId.VALUE, src=self.source_address
        )
        service = await self._transact(request)
        return decode_value(fmt, service.data)

    async def read_param(
        self,
        address: int,
        number: int,
        fmt: Format,
        prop: ParamProperty = ParamProperty.VALUE,
    ) -> Value:
        """Read a property of a parameter; the level is returned as its numeric value."""
        request = read_request(
            address, ObjectType.PARAMETER, number, prop.property_id, src=self.source_address
        )
        service = await self._transact(request)
        if prop is ParamProperty.LEVEL:
            if len(service.data) not in (1, 2, 4):
                raise ProtocolError(f"level of {len(service.data)} bytes")
            return int.from_bytes(service.data, "little")
        return decode_value(fmt, service.data)

    async def write_param(
        self, address: int, number: int, value: Value, fmt: Format, *, flash: bool = False
    ) -> None:
        """Write a parameter to RAM (unsaved value), or to flash when ``flash`` is true."""
        prop = PropertyId.PARAM_VALUE if flash else PropertyId.PARAM_UNSAVED_VALUE
        request = write_request(
            address,
            ObjectType.PARAMETER,
            number,
            prop,
            encode_value(fmt, value),
            src=self.source_address,
        )
        await self._transact(request, write=True)

    async def read_message(self, index: int = 0) -> MessageRecord:
        """Read one message of the gateway's log; index 0 also clears the pending flag."""
        request = read_request(
            Address.GATEWAY, ObjectType.MESSAGE, index, PropertyId.NONE, src=self.source_address
        )
        return decode_message((await self._transact(request)).data)

    async def read_messages(self, count: int) -> list[MessageRecord]:
        """Read up to ``count`` newest messages, newest first (index 0 sets the log pointer)."""
        if count <= 0:
            return []
        first = await self.read_message(0)
        records = [first]
        # §4.6.1 says ``total`` counts the messages before the one read; §4.6.6 calls it the
        # total. Either way the log ends where the gateway answers with an error.
        for index in range(1, min(count, first.total + 1)):
            try:
                records.append(await self.read_message(index))
            except DeviceError:
                break
        return records

    async def read_guid(self) -> uuid.UUID:
        """Read the installation's GUID."""
        request = read_request(
            Address.GATEWAY, ObjectType.GUID, 0, PropertyId.NONE, src=self.source_address
        )
        return decode_guid((await self._transact(request)).data)

    async def read_infos(self, reads: Sequence[InfoRead]) -> InfoBatchResult:
        """Read user infos in multi-info batches of up to 76 items.

        Items are packed across devices. A batch refused with a device-scoped error is split
        per device, so one missing unit fails alone, and such a unit gets batches of its own
        until it answers again. A unit's batch refused because of one info its firmware lacks
        is halved until that info stands alone; it is then left out of later batches (its
        read fails without a request) while the unit's other infos are read. Gateways without
        multi-info (firmware < 1.6.74) answer SERVICE_NOT_SUPPORTED; from then on every item is
        read on its own.
        """
        values: dict[InfoRead, Value] = {}
        errors: dict[InfoRead, XcomError] = {}
        unique = sorted(set(reads))
        requests_before = self._stats.requests
        presence: list[tuple[int, int]] = []
        if self._multi_info_supported is not False:
            for chunk in self._chunks(unique):
                await self._read_batch(chunk, values, errors, presence)
        pending = [r for r in unique if r not in values and r not in errors]
        for read in pending:  # multi-info unsupported: one request per value
            try:
                values[read] = await self.read_info(read.address, read.number, read.fmt)
            except XcomError as err:
                errors[read] = err
        return InfoBatchResult(
            values,
            errors,
            self._stats.requests - requests_before,
            presence[0][0] if presence else None,
            presence[0][1] if presence else None,
        )

    async def read_multi_info(self, items: Sequence[MultiInfoItem]) -> MultiInfoResponse:
        """Read raw multi-info items, one request per 76, in the order given.

        This is what :meth:`read_infos` cannot express: the family's master (aggregation 0),
        and the average (0xFD) or sum (0xFE) the gateway computes over all units of a family.
        The flags and time are those of the first response; the values of every response
        follow in order. Each request is retried like any read, but nothing is split per
        device or read singly: a refused request raises its DeviceError (SERVICE_NOT_SUPPORTED
        on gateways older than 1.6.74, where averages and sums have no equivalent), and an item
        the gateway leaves out is simply absent from the values.
        """
        if not items:
            raise ValueError("a multi-info read needs at least one item")
        flags: int | None = None
        timestamp = 0
        values: list[tuple[MultiInfoItem, float]] = []
        for start in range(0, len(items), MULTI_INFO_MAX_ITEMS):
            try:
                response = await self._transact_multi_info(
                    items[start : start + MULTI_INFO_MAX_ITEMS]
                )
            except DeviceError as err:
                if err.code == ErrorCode.SERVICE_NOT_SUPPORTED:
                    self._multi_info_supported = False
                raise
            self._multi_info_supported = True
            if flags is None:
                flags, timestamp = response.flags, response.timestamp
            values += response.values
        assert flags is not None
        return MultiInfoResponse(flags, timestamp, tuple(values))

    async def close(self) -> None:
        """Close the link."""
        await self.link.close()

    # -- burst pause -------------------------------------------------------------------------

    @contextlib.contextmanager
    def overrides(
        self, *, timeout: float | None = None, retries: int | None = None
    ) -> Iterator[None]:
        """Use another timeout or retry count for the requests of the current task only.

        A rescan probes with short time-outs while the polls share the same client: keeping
        the override in a context variable confines it to the task that asked for it.
        """
        current = self._overrides.get()
        token = self._overrides.set(
            (
                timeout if timeout is not None else current[0],
                retries if retries is not None else current[1],
            )
        )
        try:
            yield
        finally:
            self._overrides.reset(token)

    @property
    def effective_timeout(self) -> float:
        """The time-out the current task's requests use."""
        override = self._overrides.get()[0]
        return self.timeout if override is None else override

    @property
    def effective_retries(self) -> int:
        """The read retry count the current task's requests use."""
        override = self._overrides.get()[1]
        return self.retries if override is None else override

    @contextlib.asynccontextmanager
    async def burst(self) -> AsyncIterator[None]:
        """Group requests (one poll cycle); the link then stays quiet for ``burst_pause`` s.

        The Studer portal uploads through the same Moxa and starves when the link never pauses.
        """
        try:
            yield
        finally:
            self._quiet_until = self._clock() + self.burst_pause

    # -- batching ----------------------------------------------------------------------------

    def _chunks(self, reads: Sequence[InfoRead]) -> list[list[InfoRead]]:
        healthy = [r for r in reads if r.address not in self._suspects]
        groups = [healthy] if healthy else []
        for address in sorted(self._suspects):
            group = [r for r in reads if r.address == address]
            if group:
                groups.append(group)
        return [
            group[i : i + MULTI_INFO_MAX_ITEMS]
            for group in groups
            for i in range(0, len(group), MULTI_INFO_MAX_ITEMS)
        ]

    async def _read_batch(
        self,
        chunk: list[InfoRead],
        values: dict[InfoRead, Value],
        errors: dict[InfoRead, XcomError],
        presence: list[tuple[int, int]],
    ) -> None:
        if self._multi_info_supported is False:
            return
        # One item per info and device; the same info asked in two formats shares its item.
        items: dict[MultiInfoItem, list[InfoRead]] = {}
        for read in chunk:
            known = self._unsupported.get((read.address, read.number))
            if known is not None:
                errors[read] = known
            else:
                items.setdefault(multi_info_item(read), []).append(read)
        if not items:
            return
        chunk = [read for asked in items.values() for read in asked]
        addresses = {read.address for read in chunk}
        try:
            response = await self._transact_multi_info(list(items))
        except DeviceError as err:
            if err.code == ErrorCode.SERVICE_NOT_SUPPORTED:
                _LOGGER.info("Gateway has no multi-info service; reading values one by one")
                self._multi_info_supported = False
                return
            if err.code in _DEVICE_SCOPED_ERRORS and len(addresses) > 1:
                self._suspects |= addresses
                for address in sorted(addresses):
                    part = [read for read in chunk if read.address == address]
                    await self._read_batch(part, values, errors, presence)
                return
            if err.code in _ITEM_SCOPED_ERRORS and len(addresses) == 1:
                await self._split_refused(items, err, values, errors, presence)
                return
            errors.update(dict.fromkeys(chunk, err))
            return
        except XcomError as err:
            errors.update(dict.fromkeys(chunk, err))
            return
        self._multi_info_supported = True
        presence.append((response.flags, response.timestamp))
        received = dict(response.values)
        for item, asked in items.items():
            for read in asked:
                if item in received:
                    values[read] = _from_float(received[item], read.fmt)
                else:
                    errors[read] = XcomError(
                        f"info {read.number} of device {read.address} missing from the response"
                    )
        for address in addresses:
            if not any(read in errors for read in chunk if read.address == address):
                self._suspects.discard(address)
            else:
                self._suspects.add(address)

    async def _split_refused(
        self,
        items: dict[MultiInfoItem, list[InfoRead]],
        err: DeviceError,
        values: dict[InfoRead, Value],
        errors: dict[InfoRead, XcomError],
        presence: list[tuple[int, int]],
    ) -> None:
        """Find the infos that made one unit's batch fail by halving it (see read_infos)."""
        chunk = [read for asked in items.values() for read in asked]
        keys = list(items)
        key = frozenset(keys)
        now = self._clock()
        if len(keys) == 1 or now < self._split_quiet.get(key, -math.inf):
            errors.update(dict.fromkeys(chunk, err))
            return
        self._split_quiet.pop(key, None)
        half = len(keys) // 2
        for part in (keys[:half], keys[half:]):
            await self._read_batch(
                [read for item in part for read in items[item]], values, errors, presence
            )
        if not any(read in values for read in chunk):
            # Nothing answers: that is the unit, not its infos. Ask whole for a while.
            self._split_quiet[key] = now + SPLIT_RETRY
            return
        for read in chunk:
            failure = errors.get(read)
            if isinstance(failure, DeviceError) and failure.code in _ITEM_SCOPED_ERRORS:
                self._unsupported[(read.address, read.number)] = failure
                _LOGGER.info(
                    "Device %d refuses info %d (%s): no longer asked for",
                    read.address,
                    read.number,
                    failure,
                )

    # -- one request -------------------------------------------------------------------------

    async def _transact_multi_info(self, items: Sequence[MultiInfoItem]) -> MultiInfoResponse:
        """One multi-info request whose answer must carry the items asked (see module doc)."""
        request = read_request(
            Address.GATEWAY,
            ObjectType.MULTI_INFO,
            1,
            PropertyId.VALUE,
            encode_multi_info_request(items),
            src=self.source_address,
        )
        decoded: list[MultiInfoResponse] = []

        def carries_the_items(service: Service) -> bool:
            try:
                response = decode_multi_info_response(service.data)
            except ProtocolError:
                return True  # addressed to us and broken: the caller reports it as such
            asked = iter(items)
            if not all(item in asked for item, _value in response.values):
                return False
            decoded.append(response)
            return True

        service = await self._transact(request, accept=carries_the_items)
        return decoded[-1] if decoded else decode_multi_info_response(service.data)

    async def _transact(
        self,
        request: Frame,
        *,
        write: bool = False,
        accept: Callable[[Service], bool] | None = None,
    ) -> Service:
        async with self._lock:
            delay = self._quiet_until - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            attempts = 1 + self.effective_retries
            attempt = 0
            while True:
                attempt += 1
                try:
                    return await self._exchange(request, write=write, accept=accept)
                except XcomTimeoutError, ConnectionLostError:
                    if write or attempt >= attempts:
                        raise
                except DeviceError as err:
                    if err.code != ErrorCode.GATEWAY_BUSY or attempt >= attempts:
                        raise
                    await asyncio.sleep(self.busy_retry_delay)
                self._stats.retries += 1

    async def _exchange(
        self, request: Frame, *, write: bool, accept: Callable[[Service], bool] | None
    ) -> Service:
        """Send ``request`` once and wait for its answer.

        ``accept`` judges the content of a non-error answer that matches the request's key;
        one it refuses is skipped as a foreign frame.
        """
        link = self.link
        await link.wait_ready(self.connect_timeout)
        link.discard_input()
        self._decoder.reset()
        raw = request.encode() + link.frame_suffix
        started = self._clock()
        try:
            await link.send(raw)
        except ConnectionLostError:
            self._stats.connection_losses += 1
            await link.drop_connection()
            raise
        self._stats.requests += 1
        self._stats.bytes_sent += len(raw)
        try:
            async with asyncio.timeout(self.effective_timeout):
                while True:
                    chunk = await link.receive()
                    self._stats.bytes_received += len(chunk)
                    for event in self._decoder.feed(chunk):
                        if isinstance(event, ProtocolError):
                            self._stats.protocol_errors += 1
                        elif event.answers(request) and (
                            accept is None or event.service.is_error or accept(event.service)
                        ):
                            return self._accept(event, started)
                        else:
                            self._stats.foreign_frames += 1
        except TimeoutError:
            await self._timed_out()
            what = "write" if write else "read"
            raise XcomTimeoutError(
                f"no answer from device {request.dst} to the {what} of object "
                f"{request.service.object_id} within {self.effective_timeout} s",
                write=write,
            ) from None
        except ConnectionLostError as err:
            self._stats.connection_losses += 1
            await link.drop_connection()
            if write:
                # Sent, then the link went: the unit may well have applied it. Reported like a
                # timed-out write (unconfirmed, never repeated), not as a write that failed.
                raise XcomTimeoutError(
                    f"connection lost before device {request.dst} confirmed the write of "
                    f"object {request.service.object_id}: {err}",
                    write=True,
                ) from err
            raise
        except XcomConnectionError:  # pragma: no cover - links raise ConnectionLostError here
            await link.drop_connection()
            raise

    def _accept(self, frame: Frame, started: float) -> Service:
        self._stats.record_latency(self._clock() - started)
        self._consecutive_timeouts = 0
        self._gateway_flags = frame.flags
        service = frame.service
        if service.is_error:
            code = service.error_code
            assert code is not None
            self._stats.device_errors += 1
            if code == ErrorCode.GATEWAY_BUSY:
                self._stats.busy += 1
            raise DeviceError(code)
        return service

    async def _timed_out(self) -> None:
        self._stats.timeouts += 1
        self._consecutive_timeouts += 1
        if self._consecutive_timeouts >= self.dead_after:
            _LOGGER.info(
                "%d requests in a row unanswered on %s: reconnecting",
                self._consecutive_timeouts,
                self.link.describe(),
            )
            self._consecutive_timeouts = 0
            self._stats.dead_links += 1
            await self.link.drop_connection()


def _from_float(value: float, fmt: Format) -> Value:
    """Multi-info answers every value as a float: give it back the type of its format."""
    if fmt in _INTEGER_FORMATS and math.isfinite(value):  # NaN stays a float: no number read
        return round(value)
    if fmt is Format.BOOL:
        return bool(value)
    return value
