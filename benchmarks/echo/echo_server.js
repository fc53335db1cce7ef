'use strict';
// Echo server for the round-trip workload of the lomond benchmark.
// Listens on 127.0.0.1 (port 0 = any free port), prints "PORT <n>",
// sends every message straight back with the same type, and exits when its
// standard input closes (so it never outlives the runner).

const path = require('path');
const modules = process.env.LOMOND_BENCH_NODE_MODULES || path.join(__dirname, 'node_modules');
const { WebSocketServer } = require(path.join(modules, 'ws'));

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  maxPayload: 256 * 1024 * 1024,
  clientTracking: false,
});

server.on('listening', () => {
  process.stdout.write('PORT ' + server.address().port + '\n');
});

server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    socket.send(data, { binary: isBinary });
  });
  socket.on('error', () => {});
});

server.on('error', (err) => {
  process.stderr.write('echo server error: ' + err + '\n');
  process.exit(1);
});

process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
