#!/usr/bin/python3
"""A TCP proxy in front of a Redis server for the shared-state tests: on a
connection that sent bytes holding MARKER (a user id in a command), the
server's next reply is held back DELAY_MS, as a slow network or a busy io
thread would hold it. Everything else passes at once.

With HOLD "requests", the bytes holding MARKER are themselves held back
DELAY_MS before they reach the server (a command that arrives late), and
"held" is printed when they are.

Usage: delay_proxy.py TARGET_PORT MARKER DELAY_MS [LISTEN_PORT [HOLD]].
Prints "listening PORT" once it accepts connections on 127.0.0.1 (on
LISTEN_PORT when given and not 0: a proxy stopped and started again on the
port its clients know, as a network cut and mended).
"""
import asyncio
import sys

TARGET_PORT, MARKER, DELAY = int(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]) / 1000
LISTEN_PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
HOLD_REQUESTS = len(sys.argv) > 5 and sys.argv[5] == "requests"


async def handle(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", TARGET_PORT)
    except OSError:
        client_writer.close()
        return
    held = asyncio.Event()  # the next reply is to be held back

    async def to_server():
        while data := await client_reader.read(65536):
            if MARKER in data and HOLD_REQUESTS:
                print("held", flush=True)
                await asyncio.sleep(DELAY)
            elif MARKER in data:
                held.set()
            server_writer.write(data)
            await server_writer.drain()
        server_writer.close()

    async def to_client():
        while data := await server_reader.read(65536):
            if held.is_set():
                held.clear()
                await asyncio.sleep(DELAY)
            client_writer.write(data)
            await client_writer.drain()
        client_writer.close()

    try:
        await asyncio.gather(to_server(), to_client())
    except (ConnectionError, OSError):
        pass
    finally:
        client_writer.close()
        server_writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN_PORT)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
