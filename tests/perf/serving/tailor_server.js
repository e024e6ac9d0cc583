'use strict';
// The peer: Zalando's Tailor (node-tailor, pinned in package-lock.json) composing one template.
// Usage: node tailor_server.js TEMPLATE.html
// Listens on a free 127.0.0.1 port, prints {"port": N, "tailor": version, "node": version} on one
// line, and serves until its standard input closes (or SIGTERM/SIGINT). Tailor is used as its
// README shows it: templatesPath (here one file, so every path gets this template), defaults
// for everything else (3000 ms fragment timeout, Tailor's own header filter).

const http = require('http');
const Tailor = require('node-tailor');
const { version } = require('node-tailor/package.json');

const templatePath = process.argv[2];
if (!templatePath) {
    process.stderr.write('usage: node tailor_server.js TEMPLATE.html\n');
    process.exit(2);
}

const tailor = new Tailor({ templatesPath: templatePath });
const server = http.createServer(tailor.requestHandler);
server.keepAliveTimeout = 30000;

let stopping = false;
function stop() {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
}

process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(0, '127.0.0.1', () => {
    const line = { port: server.address().port, tailor: version, node: process.version };
    process.stdout.write(JSON.stringify(line) + '\n');
});
