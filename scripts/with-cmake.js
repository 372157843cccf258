#!/usr/bin/env node
'use strict';

// Runs a command with `CMAKE` pointing at a working cmake (>= 3.18). libSQL's encryption
// feature builds SQLite3MultipleCiphers with cmake, which a fresh machine may lack: then
// PyPI's `cmake` package (it ships the binary) is installed once into a cache outside the
// repository and reused after.
//
//   node scripts/with-cmake.js cargo build ...     runs the command with CMAKE set
//   node scripts/with-cmake.js                     prints the cmake it would use

const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const MINIMUM = [3, 18];

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'objectql-driver-turso', 'cmake');
}

function works(binary) {
  try {
    const out = execFileSync(binary, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [major, minor] = /cmake version (\d+)\.(\d+)/.exec(out).slice(1).map(Number);
    return major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1]);
  } catch {
    return false;
  }
}

function ensureCmake() {
  for (const candidate of [process.env.CMAKE, 'cmake'].filter(Boolean)) {
    if (works(candidate)) return candidate;
  }
  const cached = path.join(cacheDir(), 'cmake', 'data', 'bin', 'cmake');
  if (works(cached)) return cached;
  fs.mkdirSync(cacheDir(), { recursive: true });
  execFileSync(
    'python3',
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--root-user-action=ignore',
      '--target',
      cacheDir(),
      'cmake>=3.18',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (!works(cached)) throw new Error(`cmake: PyPI's cmake did not install a working ${cached}`);
  return cached;
}

module.exports = { ensureCmake };

if (require.main === module) {
  const cmake = ensureCmake();
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.log(cmake);
  } else {
    const run = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, CMAKE: cmake } });
    if (run.error) throw run.error;
    process.exit(run.status ?? 1);
  }
}
