// The project's .npmrc: install scripts stay skipped (they download from outside the npm registry), and
// npm prints no "Unknown project config" warning on every `npm start` / `npm run` (issue: a new user's
// first command opened with an npm warning).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('.npmrc: ignore-scripts is on and npm reads it without warnings', () => {
  const r = spawnSync('npm', ['config', 'get', 'ignore-scripts'], { encoding: 'utf8', cwd: process.cwd() });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'true');
  assert.doesNotMatch(r.stderr, /Unknown (project )?config/);
});
