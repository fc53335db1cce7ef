"""The asyncio driver's side of client.py (Python 3.8+).

client.py imports this only for ``--driver aio``: the rest of the runner
stays readable by Python 2.7.
"""

import asyncio


def session_class(base, clock, printable):
    """The asyncio Session, built on client.py's ``base`` Session (passed
    in: client.py runs as ``__main__``)."""

    class AioSession(base):
        """A Session run by ``lomond.aio``: the same guard, the same
        notes, with ``async for`` and awaited sends."""

        def run(self):
            asyncio.run(self._run())
            return self

        async def _run(self):
            from lomond.aio import WebSocket

            started = clock()
            events = None
            try:
                websocket = WebSocket(self.url, compress=True)

                def close():
                    asyncio.ensure_future(websocket.close())

                events = websocket.connect(
                    ping_rate=0,
                    poll=self.options.poll,
                    close_timeout=self.options.close_timeout,
                )
                async for event in events:
                    self._record(event)
                    if self.on_event is not None:
                        try:
                            result = self.on_event(websocket, event)
                            if asyncio.iscoroutine(result):
                                await result
                        except Exception as error:
                            # e.g. echoing after the server started closing;
                            # keep reading so the close handshake completes.
                            self.note("%s raised %s: %s" % (event.name, type(error).__name__, printable(error)))
                    if self._check_guard(websocket, started, close):
                        break
            except Exception as error:
                self.note("client raised %s: %s" % (type(error).__name__, printable(error)))
            finally:
                if events is not None:
                    await events.aclose()
                self.elapsed = clock() - started

    return AioSession


async def echo(websocket, event):
    """Send text and binary messages straight back."""
    if event.name == "text":
        await websocket.send_text(event.text)
    elif event.name == "binary":
        await websocket.send_binary(event.data)
