"""A real HL7 v2 MLLP receiver for tests, on python-hl7's asyncio server.

Usage: hl7_peer.py LOG_FILE [--ae-first N] [--port P] [--tls CERT KEY [--require-client-cert CA]]
Listens on 127.0.0.1 (port P, or a free port; printed as "LISTENING <port>" on stdout), appends one JSON line
per received message to LOG_FILE ({"control_id", "ack", "message"}), and answers AA, or AE for the
first N messages (to test retries).
With --tls it speaks MLLP over TLS (server certificate CERT, private key KEY, both PEM); with
--require-client-cert it also demands a client certificate signed by CA (mutual TLS); asyncio
drops a connection whose handshake fails without a word.
"""
import asyncio
import json
import ssl
import sys

import hl7
from hl7.mllp import start_hl7_server



def option(name, count=1):
    if name not in sys.argv:
        return None
    at = sys.argv.index(name)
    values = sys.argv[at + 1 : at + 1 + count]
    return values if count > 1 else values[0]


log_path = sys.argv[1]
ae_first = int(option("--ae-first") or 0)
listen_port = int(option("--port") or 0)
received = 0


def tls_context():
    cert_key = option("--tls", 2)
    if cert_key is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_key[0], cert_key[1])
    client_ca = option("--require-client-cert")
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


async def handle(reader, writer):
    global received
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            received += 1
            code = "AE" if received <= ae_first else "AA"
            ack = message.create_ack(ack_code=code, application="HL7PEER", facility="TEST")
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"control_id": str(message.segment("MSH")[10]), "ack": code, "message": str(message)}) + "\n")
            writer.writemessage(ack)
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


async def main():
    server = await start_hl7_server(handle, "127.0.0.1", listen_port, encoding="utf-8", ssl=tls_context())
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
