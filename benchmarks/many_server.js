'use strict';
// The server of benchmarks/many.py: holds many connections for the
// asyncio clients being measured.
//
// Listens on 127.0.0.1 (port 0 = any free port) and prints "PORT <n>".
// On each connection: a text "burst N SIZE" makes it send N text messages
// of SIZE bytes; a text "count" makes it answer "count <messages received
// so far on this connection>"; any other message is only counted. It
// exits when its standard input closes, so it never outlives the runner.

const path = require('path');
const modules = process.env.LOMOND_NODE_MODULES;
const { WebSocketServer } = require(path.join(modules, 'ws'));

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  backlog: 4096,
  perMessageDeflate: false,
  clientTracking: false,
});

server.on('listening', () => {
  process.stdout.write('PORT ' + server.address().port + '\n');
});

server.on('connection', (socket) => {
  let received = 0;
  socket.on('message', (data, isBinary) => {
    if (!isBinary && data.length < 64) {
      const text = data.toString();
      if (text.startsWith('burst ')) {
        const parts = text.split(' ');
        const payload = 'x'.repeat(Number(parts[2]));
        for (let i = 0; i < Number(parts[1]); i++) socket.send(payload);
        return;
      }
      if (text === 'count') {
        socket.send('count ' + received);
        return;
      }
    }
    received += 1;
  });
  socket.on('error', () => {});
});

server.on('error', (err) => {
  process.stderr.write('server error: ' + err + '\n');
  process.exit(1);
});

process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
