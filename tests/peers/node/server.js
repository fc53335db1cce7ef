// An echo server made with the `ws` package, for Lomond's interoperability
// tests. It listens on 127.0.0.1, on a port the system picks, and prints
// "port N" once it accepts connections. It exits when its standard input
// ends, so it never outlives the test that started it.
//
//     node server.js '{"perMessageDeflate": false}'
//
// The one argument is JSON: options for ws's WebSocketServer (host and
// port are always set here).

"use strict";

const { WebSocketServer } = require("ws");

const options = JSON.parse(process.argv[2] || "{}");
const server = new WebSocketServer(Object.assign({}, options, { host: "127.0.0.1", port: 0 }));

server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on("error", (error) => process.stderr.write("connection error: " + error.message + "\n"));
});

server.on("listening", () => {
  process.stdout.write("port " + server.address().port + "\n");
});

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
