#!/usr/bin/env python3
# Soak helper, run as separate processes so the load does not share the test's interpreter:
#   soak_load.py serve PORT      an echo server
#   soak_load.py load PORT N     N connections (64 at a time), each one exchange then close;
#                                exits 1 if any exchange fails.
import asyncio
import sys


async def serve(port):
    async def handle(r, w):
        try:
            while True:
                d = await r.read(65536)
                if not d:
                    break
                w.write(d)
                await w.drain()
        except ConnectionError:
            pass
        w.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with srv:
        await srv.serve_forever()


async def load(port, n):
    failures = 0
    todo = iter(range(n))

    async def one_worker():
        nonlocal failures
        for _ in todo:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write(b"ping")
                d = await r.readexactly(4)
                if d != b"ping":
                    failures += 1
                w.close()
            except (OSError, asyncio.IncompleteReadError):
                failures += 1

    await asyncio.gather(*(one_worker() for _ in range(64)))
    print("%d connections, %d failures" % (n, failures))
    return failures


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        asyncio.run(serve(int(sys.argv[2])))
    else:
        sys.exit(1 if asyncio.run(load(int(sys.argv[2]), int(sys.argv[3]))) else 0)
