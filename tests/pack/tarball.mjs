// Packs the project as `npm pack` would publish it and installs the tarball
// into a fresh project, offline: what a user of the npm package gets, without
// a registry. Used by the pack tests and by the bundler test in the browser.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

// Scripts are skipped: prepack's `make dist` would print into the JSON answer,
// and the test targets build dist/ before any test runs.
export async function pack(destination) {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], { cwd: PROJECT });
  const [info] = JSON.parse(stdout);
  return { tarball: join(destination, info.filename), files: info.files.map((f) => f.path).sort(), version: info.version };
}

// A new project folder with only a package.json, then `npm install <tarball>`
// with --offline: wsshare has no dependencies, so nothing needs the network.
export async function installInto(dir, tarball, manifest = {}) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'wsshare-consumer', private: true, type: 'module', ...manifest }, null, 2));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball], { cwd: dir });
  return join(dir, 'node_modules', 'wsshare');
}
