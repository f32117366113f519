"""Numbers of the Xcom (SCOM) protocol, named once (spec V1.6.32 §3.3-§4.9, §6).

Everything here is a fact of the wire format; nothing depends on a particular installation.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag, StrEnum
from typing import Final

START_BYTE: Final = 0xAA
HEADER_SIZE: Final = 14  # start byte, flags, src, dst, data_length, header checksum
SERVICE_HEADER_SIZE: Final = 10  # service flags, service id, object type, object id, property id
CHECKSUM_SIZE: Final = 2
#: The spec says 240 bytes of frame_data, yet multi-info responses reach 554 and screen responses
#: 1034. Anything above this is treated as a corrupted length rather than waited for.
MAX_FRAME_DATA: Final = 4096
MULTI_INFO_MAX_ITEMS: Final = 76
DEFAULT_SOURCE_ADDRESS: Final = 1


class FrameFlags(IntFlag):
    """Status bits the gateway sets in every response's frame_flags (§3.3); bits 6-7 reserved."""

    MESSAGE_PENDING = 0x01
    GATEWAY_RESTARTED = 0x02
    SD_CARD_PRESENT = 0x04
    SD_CARD_FULL = 0x08
    NEW_DATALOG_FILE = 0x10
    DATALOGGER_SUPPORTED = 0x20


class ServiceFlags(IntFlag):
    """service_flags bits (§4.1); bits 2-7 reserved."""

    ERROR = 0x01
    RESPONSE = 0x02


class ServiceId(IntEnum):
    """The two services of the protocol (§4.1)."""

    READ_PROPERTY = 0x01
    WRITE_PROPERTY = 0x02


class ObjectType(IntEnum):
    """object_type values (§4.4-§4.9, §6)."""

    USER_INFO = 0x0001
    PARAMETER = 0x0002
    MESSAGE = 0x0003
    GUID = 0x0004
    DATALOG_FIELD = 0x0005
    MULTI_INFO = 0x000A
    SCREEN = 0x0100
    DATALOG_TRANSFER = 0x0101


class PropertyId(IntEnum):
    """property_id values used by this library."""

    NONE = 0x0000  # messages, GUID
    VALUE = 0x0001  # user info value, multi info
    PARAM_VALUE = 0x0005  # value_qsp: the value saved in flash
    PARAM_MIN = 0x0006
    PARAM_MAX = 0x0007
    PARAM_LEVEL = 0x0008
    PARAM_UNSAVED_VALUE = 0x000D  # unsaved_value_qsp: the running value, not saved in flash


class ParamProperty(StrEnum):
    """User-facing names of the readable parameter properties."""

    VALUE = "value"
    MIN = "min"
    MAX = "max"
    LEVEL = "level"
    UNSAVED = "unsaved"

    @property
    def property_id(self) -> PropertyId:
        """The wire property_id of this property."""
        return _PARAM_PROPERTY_IDS[self]


_PARAM_PROPERTY_IDS: Final = {
    ParamProperty.VALUE: PropertyId.PARAM_VALUE,
    ParamProperty.MIN: PropertyId.PARAM_MIN,
    ParamProperty.MAX: PropertyId.PARAM_MAX,
    ParamProperty.LEVEL: PropertyId.PARAM_LEVEL,
    ParamProperty.UNSAVED: PropertyId.PARAM_UNSAVED_VALUE,
}


class ErrorCode(IntEnum):
    """Error codes a gateway answers with (§4.3)."""

    INVALID_FRAME = 0x0001
    DEVICE_NOT_FOUND = 0x0002
    RESPONSE_TIMEOUT = 0x0003
    SERVICE_NOT_SUPPORTED = 0x0011
    INVALID_SERVICE_ARGUMENT = 0x0012
    GATEWAY_BUSY = 0x0013
    TYPE_NOT_SUPPORTED = 0x0021
    OBJECT_ID_NOT_FOUND = 0x0022
    PROPERTY_NOT_SUPPORTED = 0x0023
    INVALID_DATA_LENGTH = 0x0024
    PROPERTY_IS_READ_ONLY = 0x0025
    INVALID_DATA = 0x0026
    DATA_TOO_SMALL = 0x0027
    DATA_TOO_BIG = 0x0028
    WRITE_PROPERTY_FAILED = 0x0029
    READ_PROPERTY_FAILED = 0x002A
    ACCESS_DENIED = 0x002B
    OBJECT_NOT_SUPPORTED = 0x002C
    MULTICAST_READ_NOT_SUPPORTED = 0x002D
    OBJECT_PROPERTY_INVALID = 0x002E
    FILE_OR_DIR_NOT_PRESENT = 0x002F
    FILE_CORRUPTED = 0x0030
    INVALID_SHELL_ARG = 0x0081


class Level(IntEnum):
    """User access levels of parameters (§4.5.2); a user sees parameters at or below their level."""

    VIEW_ONLY = 0x00
    BASIC = 0x10
    EXPERT = 0x20
    INSTALLER = 0x30
    QSP = 0x40


class Aggregation(IntEnum):
    """Multi-info aggregation codes (§4.9.1); 0x01-0x0F address device 1-15 of a family."""

    MASTER = 0x00
    AVERAGE = 0xFD
    SUM = 0xFE


class Format(StrEnum):
    """Value formats of §4.2.3, named as the appendix's "Scom format" column."""

    BOOL = "BOOL"
    FORMAT = "FORMAT"
    SHORT_ENUM = "SHORT_ENUM"
    ERROR = "ERROR"
    LONG_ENUM = "LONG_ENUM"
    INT32 = "INT32"
    FLOAT = "FLOAT"
    STRING = "STRING"
    BYTE_STREAM = "BYTE_STREAM"


class DeviceFamily(StrEnum):
    """Families of Studer units, by the short names the command line and the catalog use."""

    XTENDER = "xt"
    RCC = "rcc"  # the Xcom-232i gateway (RCC parameters 5xxx live at address 501)
    BSP = "bsp"
    BMS = "bms"  # an Xcom-CAN in BMS mode, at the BSP's address
    VARIOTRACK = "vt"
    VARIOSTRING = "vs"


class Address(IntEnum):
    """Fixed and base addresses (§3.5); devices of a family are base + index (1-based)."""

    BROADCAST = 0
    XTENDER_MULTICAST = 100
    XTENDER_L1 = 191
    XTENDER_L2 = 192
    XTENDER_L3 = 193
    VARIOTRACK_MULTICAST = 300
    GATEWAY = 501
    BSP_MULTICAST = 600
    BSP = 601
    VARIOSTRING_MULTICAST = 700


#: Address ranges of the unit families that can be read one by one: (first, last) inclusive.
ADDRESS_RANGES: Final[dict[DeviceFamily, tuple[int, int]]] = {
    DeviceFamily.XTENDER: (101, 109),
    DeviceFamily.VARIOTRACK: (301, 315),
    DeviceFamily.BSP: (601, 601),
    DeviceFamily.BMS: (601, 601),
    DeviceFamily.VARIOSTRING: (701, 715),
    DeviceFamily.RCC: (501, 501),
}

#: Info number ranges per family (notes "Addresses"); BSP and Xcom-CAN BMS share theirs.
INFO_RANGES: Final[dict[DeviceFamily, range]] = {
    DeviceFamily.XTENDER: range(3000, 4000),
    DeviceFamily.BSP: range(7000, 8000),
    DeviceFamily.VARIOTRACK: range(11000, 12000),
    DeviceFamily.VARIOSTRING: range(15000, 16000),
}

#: Parameter number ranges per family.
PARAM_RANGES: Final[dict[DeviceFamily, range]] = {
    DeviceFamily.XTENDER: range(1000, 2000),
    DeviceFamily.RCC: range(5000, 6000),
    DeviceFamily.BSP: range(6000, 7000),
    DeviceFamily.VARIOTRACK: range(10000, 11000),
    DeviceFamily.VARIOSTRING: range(14000, 15000),
}


def info_family(number: int) -> DeviceFamily:
    """The family whose devices publish user info ``number`` (BSP stands for BSP and BMS)."""
    for family, numbers in INFO_RANGES.items():
        if number in numbers:
            return family
    raise ValueError(f"{number} is not a user info number of any device family")


def device_address(family: DeviceFamily, index: int) -> int:
    """The address of device ``index`` (1-based) of ``family``."""
    first, last = ADDRESS_RANGES[family]
    address = first + index - 1
    if not first <= address <= last:
        raise ValueError(f"{family.value} has no device {index}")
    return address


def device_index(address: int) -> tuple[DeviceFamily, int]:
    """The family and 1-based index of a device address (BSP for 601, RCC for 501)."""
    for family in (
        DeviceFamily.XTENDER,
        DeviceFamily.VARIOTRACK,
        DeviceFamily.BSP,
        DeviceFamily.VARIOSTRING,
        DeviceFamily.RCC,
    ):
        first, last = ADDRESS_RANGES[family]
        if first <= address <= last:
            return family, address - first + 1
    raise ValueError(f"{address} is not the address of a single device")
