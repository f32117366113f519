"""link_from_url builds the right link from every URL form and rejects bad ones in one line."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from custom_components.studer_innotec.xcom.links import (
    SCHEMES,
    Link,
    SerialLink,
    SerialMode,
    TcpLink,
    TcpListenLink,
    UdpLink,
    link_from_url,
)
from custom_components.studer_innotec.xcom.links.base import host_port, normalize_ip, os_error_text


def test_serial_native_defaults() -> None:
    link = link_from_url("serial:///dev/ttyUSB0")
    assert isinstance(link, SerialLink)
    assert link.url == "serial:///dev/ttyUSB0"
    assert link.port == "/dev/ttyUSB0"
    assert link.mode is SerialMode.NATIVE
    assert (link.baudrate, link.parity, link.stopbits) == (38400, "E", 1)
    assert link.frame_suffix == b""
    assert link.describe() == "serial /dev/ttyUSB0 38400 8E1 native mode (closed)"
    assert not link.is_ready
    assert link.connections == 0


def test_serial_lan_mode_and_baud() -> None:
    link = link_from_url("serial:///dev/serial/by-id/usb-FTDI%20x-if00?mode=LAN")
    assert isinstance(link, SerialLink)
    assert link.port == "/dev/serial/by-id/usb-FTDI x-if00"
    assert (link.mode, link.baudrate, link.parity) == (SerialMode.LAN, 115200, "N")
    assert link.frame_suffix == b"\r\n"
    assert link.line_settings == "115200 8N1"
    link = link_from_url("serial:///dev/ttyS0?baud=115200&mode=native")
    assert isinstance(link, SerialLink)
    assert (link.baudrate, link.line_settings) == (115200, "115200 8E1")


def test_serial_device_without_path_is_taken_from_the_host_part() -> None:
    link = link_from_url("serial://COM3")
    assert isinstance(link, SerialLink)
    assert link.port == "COM3"


@pytest.mark.parametrize(
    ("url", "port", "baud", "suffix"),
    [
        ("socket://127.0.0.1:7000?mode=lan", "socket://127.0.0.1:7000", 115200, b"\r\n"),
        ("rfc2217://ser2net.lan:2217?baud=38400", "rfc2217://ser2net.lan:2217", 38400, b""),
        ("SOCKET://[fe80::1]:7000/", "socket://[fe80::1]:7000", 38400, b""),
    ],
)
def test_network_serial_urls_pass_through_without_our_query(
    url: str, port: str, baud: int, suffix: bytes
) -> None:
    link = link_from_url(url)
    assert isinstance(link, SerialLink)
    assert (link.port, link.baudrate, link.frame_suffix) == (port, baud, suffix)


def test_tcp_client() -> None:
    link = link_from_url(" tcp://moxa.example:4001 ", backoff_initial=1, backoff_max=8.5)
    assert isinstance(link, TcpLink)
    assert link.url == "tcp://moxa.example:4001"
    assert (link.host, link.port, link.frame_suffix) == ("moxa.example", 4001, b"")
    assert (link.backoff.initial, link.backoff.maximum) == (1, 8.5)
    assert link.describe() == "tcp moxa.example:4001 (not connected)"


def test_tcp_listen_with_peers() -> None:
    link = link_from_url("tcp-listen://0.0.0.0:4001?peer=192.168.1.20,::ffff:192.168.1.21")
    assert isinstance(link, TcpListenLink)
    assert (link.host, link.port) == ("0.0.0.0", 4001)
    assert link.peers == {
        ipaddress.ip_address("192.168.1.20"),
        ipaddress.ip_address("192.168.1.21"),
    }
    assert link.describe() == "tcp-listen 0.0.0.0:4001 (not listening)"
    assert link.address is None


def test_tcp_listen_on_every_interface_without_peer() -> None:
    link = link_from_url("tcp-listen://:4001", buffer_limit=8192)
    assert isinstance(link, TcpListenLink)
    assert (link.host, link.peers, link.buffer_limit) == ("", frozenset(), 8192)
    assert link.name == "tcp-listen *:4001"


def test_udp() -> None:
    link = link_from_url("udp://192.168.1.20:4002?local=4001", queue_size=8)
    assert isinstance(link, UdpLink)
    assert (link.host, link.port, link.local_port) == ("192.168.1.20", 4002, 4001)
    assert link.describe() == "udp 192.168.1.20:4002 (closed)"
    link = link_from_url("udp://[::1]:4002")
    assert isinstance(link, UdpLink)
    assert (link.host, link.local_port, link.name) == ("::1", 0, "udp [::1]:4002")


def test_every_scheme_is_documented_and_builds_a_link() -> None:
    examples = {
        "serial": "serial:///dev/ttyUSB0",
        "socket": "socket://h:1",
        "rfc2217": "rfc2217://h:1",
        "tcp": "tcp://h:1",
        "tcp-listen": "tcp-listen://0.0.0.0:1",
        "udp": "udp://h:1",
    }
    assert set(SCHEMES) == set(examples)
    for url in examples.values():
        assert isinstance(link_from_url(url), Link)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "no scheme"),
        ("/dev/ttyUSB0", "no scheme"),
        ("ftp://host:1", "unknown scheme 'ftp://'"),
        ("tcp://host", "port is missing (expected tcp://HOST:PORT)"),
        ("tcp://:4001", "host is missing"),
        ("tcp://host:0", "port must be a number from 1 to 65535"),
        ("tcp://host:65536", "port must be a number from 1 to 65535"),
        ("tcp://host:abc", "port must be a number"),
        ("tcp://user:secret@host:1", "credentials are not supported"),
        ("tcp://host:1/path", "unexpected path '/path'"),
        ("tcp://host:1#x", "unexpected '#' fragment"),
        ("tcp://host:1?timeout=3", "unknown parameter 'timeout' (accepted: none)"),
        ("tcp://host:1?a", "malformed query"),
        ("tcp://bad host:1", "invalid host 'bad host'"),
        ("tcp://[::1:1", "Invalid IPv6 URL"),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial://", "device path is missing"),
        ("serial:///dev/x?mode=8e1", "mode must be native or lan, not '8e1'"),
        ("serial:///dev/x?baud=12345", "baud must be one of"),
        ("serial:///dev/x?baud=fast", "baud must be one of"),
        ("serial:///dev/x?mode=lan&mode=lan", "parameter 'mode' given twice"),
        ("serial:///dev/x?parity=even", "unknown parameter 'parity' (accepted: baud, mode)"),
        ("socket://host?mode=lan", "port is missing"),
        ("rfc2217://host:1/x", "unexpected path"),
        ("tcp-listen://0.0.0.0", "port is missing"),
        ("tcp-listen://moxa.lan:4001", "must be an IP address of this machine"),
        ("tcp-listen://0.0.0.0:4001?peer=moxa.lan", "peer must be an IP address, not 'moxa.lan'"),
        ("tcp-listen://0.0.0.0:4001?peer=", "peer is empty"),
        ("udp://host:1?local=-1", "local must be a port number"),
        ("udp://host:1?local=70000", "local must be a port number"),
        ("udp://host", "port is missing"),
    ],
)
def test_invalid_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match="invalid link URL") as info:
        link_from_url(url)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert repr(url) in text


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("tcp://h:1", {"queue_size": 3}, "option 'queue_size' does not apply to tcp links"),
        ("udp://h:1", {"backoff_initial": 1}, "does not apply to udp links"),
        ("tcp://h:1", {"backoff_initial": "1"}, "option 'backoff_initial' has an invalid value"),
        ("tcp://h:1", {"buffer_limit": True}, "option 'buffer_limit' has an invalid value"),
        ("tcp://h:1", {"clock": 3}, "option 'clock' has an invalid value"),
        ("serial:///dev/x", {"exclusive": 1}, "option 'exclusive' has an invalid value"),
        ("tcp://h:1", {"backoff_initial": 5, "backoff_max": 1}, "backoff_initial <= backoff_max"),
        ("tcp-listen://0.0.0.0:1", {"buffer_limit": 100}, "at least 4096 bytes"),
        ("udp://h:1", {"queue_size": 0}, "queue_size must be at least 1"),
    ],
)
def test_invalid_options(url: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="invalid link URL") as info:
        link_from_url(url, **options)
    assert message in str(info.value)


def test_options_reach_the_link() -> None:
    def clock() -> float:
        return 0.0

    tcp = link_from_url("tcp://h:1", connect_timeout=2, clock=clock, buffer_limit=4096)
    assert isinstance(tcp, TcpLink)
    assert (tcp.connect_timeout, tcp.buffer_limit) == (2, 4096)
    serial = link_from_url("serial:///dev/x", exclusive=False, open_timeout=1.5)
    assert isinstance(serial, SerialLink)
    assert (serial.exclusive, serial.open_timeout) == (False, 1.5)
    udp = link_from_url("udp://h:1", max_datagram=100)
    assert isinstance(udp, UdpLink)
    assert udp.max_datagram == 100


def test_helpers() -> None:
    assert host_port("::1", 5) == "[::1]:5"
    assert host_port("10.0.0.1", 5) == "10.0.0.1:5"
    assert normalize_ip("::ffff:10.0.0.1") == ipaddress.ip_address("10.0.0.1")
    assert normalize_ip("fe80::1%eth0") == ipaddress.ip_address("fe80::1")
    assert normalize_ip("moxa") is None
    assert os_error_text(OSError(98, "Address already in use")) == "address already in use"
    assert os_error_text(OSError(1234, "Strange Failure")) == "strange Failure"
    assert os_error_text(RuntimeError()) == "RuntimeError"
    assert os_error_text(ValueError("bad")) == "bad"
