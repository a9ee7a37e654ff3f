"""A real HL7 v2 MLLP receiver for tests, on python-hl7's asyncio server.

Usage: hl7_peer.py LOG_FILE [--ae-first N] [--port P]
Listens on 127.0.0.1 (port P, or a free port; printed as "LISTENING <port>" on stdout), appends one JSON line
per received message to LOG_FILE ({"control_id", "ack", "message"}), and answers AA, or AE for the
first N messages (to test retries).
"""
import asyncio
import json
import sys

import hl7
from hl7.mllp import start_hl7_server

log_path = sys.argv[1]
ae_first = int(sys.argv[sys.argv.index("--ae-first") + 1]) if "--ae-first" in sys.argv else 0
listen_port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
received = 0


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
    server = await start_hl7_server(handle, "127.0.0.1", listen_port, encoding="utf-8")
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
