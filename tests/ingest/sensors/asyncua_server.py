"""A test OPC UA server on asyncua: loads NodeSet2 files and publishes changing values.

Run as a script by the fixtures (one process per server, so a test can kill it): binds
127.0.0.1 only, prints ``READY <port>`` when it listens, logs every value it writes as a
JSON line (the ground truth the tests compare summaries with) and exits by itself after
``--timeout`` seconds. ``--chaos`` mixes in bad-status values, text on a numeric node and
timestamps far in the future; ``--secure`` serves Basic256Sha256 only, with a password and
a trusted client certificate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.crypto.permission_rules import SimpleRoleRuleset, User, UserRole
from asyncua.server.user_managers import UserManager

MILL = "urn:kgthread:test:mill/"
ANALOG = (6001, 6004, 6007)


class Passwords(UserManager):
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        if username is not None and self.users.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


async def _trusted_only(trusted: list[bytes]) -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    async def validate(cert: Any, _app: Any) -> None:
        if cert.public_bytes(Encoding.DER) not in trusted:
            from asyncua.common.utils import ServiceError

            raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)

    return validate


async def main(args: argparse.Namespace) -> None:
    users = dict(u.split(":", 1) for u in args.user)
    server = Server(user_manager=Passwords(users)) if users else Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{args.port}/kgthread/")
    server.set_server_name("kgthread test server")
    if args.secure:
        await server.load_certificate(args.certificate)
        await server.load_private_key(args.private_key)
        server.set_security_policy(
            [
                ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                ua.SecurityPolicyType.Basic256Sha256_Sign,
            ],
            permission_ruleset=SimpleRoleRuleset(),
        )
        server.set_security_IDs(["Username"])
        trusted = [Path(p).read_bytes() for p in args.trust]
        server.set_certificate_validator(await _trusted_only(trusted))
    else:
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    for nodeset in args.nodeset:
        await server.import_xml(nodeset)
    if args.chaos:
        # asyncua refuses a write whose variant type differs from the node's; a faulty device
        # does not ask, so the chaos server lets text reach a Double node.
        server.iserver.aspace._is_expected_variant_type = lambda *_: True
    index = await server.get_namespace_index(MILL)
    nodes = [server.get_node(ua.NodeId(i, index)) for i in ANALOG]
    keys = [f"nsu={MILL};i={i}" for i in ANALOG]
    with Path(args.log or os.devnull).open("a", encoding="utf-8") as log:
        async with server:
            print(f"READY {args.port}", flush=True)
            await publish(server, nodes, keys, log, args)


async def publish(server: Server, nodes: list[Any], keys: list[str], log: Any, args: Any) -> None:
    """Write changing values at ``--rate`` ticks per second and log each one."""
    period = 1.0 / args.rate
    started = time.monotonic()
    tick = 0
    deadline = started + args.timeout
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        tick += 1
        now = datetime.now(UTC)
        for n, (node, key) in enumerate(zip(nodes, keys, strict=True)):
            value: Any = round(50 + 40 * math.sin(tick / 7 + n) + n, 6)
            kind, status, stamp = "ok", ua.StatusCode(ua.StatusCodes.Good), now
            if args.chaos and tick % 11 == 0 and n == 0:
                kind, status = "bad", ua.StatusCode(ua.StatusCodes.BadSensorFailure)
            elif args.chaos and tick % 13 == 0 and n == 1:
                kind, value = "text", "sensor says hello"
            elif args.chaos and tick % 17 == 0 and n == 2:
                kind, stamp = "future", now + timedelta(days=3650)
            variant = ua.Variant(
                value, ua.VariantType.String if kind == "text" else ua.VariantType.Double
            )
            data = ua.DataValue(
                variant, StatusCode=status, SourceTimestamp=stamp, ServerTimestamp=now
            )
            await server.write_attribute_value(node.nodeid, data)
            if args.log:
                log.write(
                    json.dumps({"node": key, "value": value, "t": stamp.timestamp(), "kind": kind})
                    + "\n"
                )
        log.flush()  # a killed server's log must hold what it wrote
        next_at += period
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--nodeset", action="append", default=[])
    parser.add_argument("--rate", type=float, default=20.0, help="ticks per second (3 values each)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--log")
    parser.add_argument("--chaos", action="store_true")
    parser.add_argument("--secure", action="store_true")
    parser.add_argument("--certificate")
    parser.add_argument("--private-key")
    parser.add_argument("--trust", action="append", default=[])
    parser.add_argument("--user", action="append", default=[], help="name:password")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
