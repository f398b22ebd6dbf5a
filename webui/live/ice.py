"""ICE settings from ``web`` in wawai.yaml: host addresses, UDP port range, STUN/TURN servers.

aioice (aiortc's ICE) offers every local address except loopback and binds random UDP ports; neither is
configurable through aiortc. Loopback is needed for viewers on the server itself (and the tests), a LAN
deployment may need to pin the offered addresses (``web.ice_hosts``) and the ports a firewall opens
(``web.udp_ports``). Both are set here, once per process/event loop, and only touch ICE sockets.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
from typing import Any

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer

from wawai.config.schema import WebSection

log = logging.getLogger(__name__)

_original_host_addresses = aioice.ice.get_host_addresses
_bounded_loops: set[int] = set()


def host_addresses(configured: list[str], use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """Addresses offered as host candidates: the configured ones, else every local one plus 127.0.0.1."""
    if configured:
        wanted = []
        for address in configured:
            version = ipaddress.ip_address(address).version
            if (version == 4 and use_ipv4) or (version == 6 and use_ipv6):
                wanted.append(address)
        return wanted
    addresses = list(_original_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6))
    if use_ipv4 and "127.0.0.1" not in addresses:
        addresses.append("127.0.0.1")  # aioice leaves it out; viewers on this machine need it
    return addresses


def install_host_addresses(configured: list[str]) -> None:
    def patched(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return host_addresses(configured, use_ipv4, use_ipv6)

    aioice.ice.get_host_addresses = patched


def bind_ports_in_range(loop: asyncio.AbstractEventLoop, ports: tuple[int, int]) -> None:
    """Make UDP sockets that asked for any port (port 0) on this loop bind within ``ports`` instead.

    aioice binds its host candidates with ``local_addr=(address, 0)``; nothing else in the node opens
    UDP sockets, so the range applies to ICE alone.
    """
    if id(loop) in _bounded_loops:
        return
    _bounded_loops.add(id(loop))
    low, high = ports
    real = loop.create_datagram_endpoint

    async def create_datagram_endpoint(protocol_factory: Any, local_addr: Any = None, **kwargs: Any) -> Any:
        if local_addr is None or local_addr[1] != 0:
            return await real(protocol_factory, local_addr=local_addr, **kwargs)
        candidates = list(range(low, high + 1))
        random.shuffle(candidates)  # spread viewers over the range and avoid reusing a port at once
        for port in candidates:
            try:
                return await real(protocol_factory, local_addr=(local_addr[0], port), **kwargs)
            except OSError:
                continue
        raise OSError(f"no free UDP port in web.udp_ports {low}-{high} (widen the range)")

    loop.create_datagram_endpoint = create_datagram_endpoint  # type: ignore[method-assign,assignment]


def rtc_configuration(web: WebSection) -> RTCConfiguration:
    """STUN/TURN servers from config; none configured means none at all (aiortc's default is Google's)."""
    servers = []
    if web.stun_urls:
        servers.append(RTCIceServer(urls=list(web.stun_urls)))
    if web.turn_urls:
        servers.append(
            RTCIceServer(urls=list(web.turn_urls), username=web.turn_username, credential=web.turn_password)
        )
    return RTCConfiguration(iceServers=servers)


def configure(web: WebSection) -> RTCConfiguration:
    """Apply ``web``'s ICE settings to this process and the running loop; return the RTC configuration."""
    install_host_addresses(list(web.ice_hosts))
    if web.udp_ports is not None:
        bind_ports_in_range(asyncio.get_running_loop(), web.udp_ports)
    return rtc_configuration(web)
