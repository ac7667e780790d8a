// `saenggak train sft --config run.yaml --json`: relative paths resolve against the config file, the
// final line is the JSON summary, and the run's saved config.yaml is a complete config that parses
// back to what ran (so `--config runs/<name>/config.yaml` reproduces the run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse, stringify } from 'yaml';
import { parseSftConfig } from '../../../main/train/sft/index.ts';
import { RunFolder } from '../../../main/train/run/index.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { makeStudent, writeRows } from './arithmetic-fixture.ts';

test('train sft --config --json runs, prints the summary line and saves a reproducible config', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sft-cli-'));
  try {
    makeStudent(join(dir, 'model'), { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 }, 2);
    writeRows(join(dir, 'data', 'train.jsonl'), arithmeticProblems({ count: 30, seed: 4 }));
    writeFileSync(join(dir, 'run.yaml'), stringify({ name: 'cli-run', model: 'model', data: 'data/train.jsonl', maxSeqLength: 256, batchSize: 4, maxSteps: 3, evalSplit: 0.1, provider: 'cpu' }));
    const workspace = join(dir, 'ws');
    const cli = spawnSync(process.execPath, [join(import.meta.dirname, '../../../bin/saenggak.js'), 'train', 'sft', '--config', join(dir, 'run.yaml'), '--workspace', workspace, '--json', '--learning-rate', '0.002'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const summary = JSON.parse(cli.stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.run, 'cli-run');
    assert.equal(summary.steps, 3);
    for (const key of ['loss', 'evalLoss', 'tokensPerSecond', 'packingEfficiency']) assert.ok(Number.isFinite(summary[key]) && summary[key] > 0, key);
    // traffic (#20), the engine's counter: the 3 steps are one run of the loop step, so every parameter and
    // its two AdamW moments (float32) cross once each way — not once per step (3×) as the per-step runner did.
    const stateBytes = 3 * 4 * [...loadModel(join(dir, 'model')).weights.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    assert.ok(summary.traffic.hostToDevice >= stateBytes && summary.traffic.deviceToHost >= stateBytes, `${JSON.stringify(summary.traffic)} vs ${stateBytes} B of state`);
    assert.ok(summary.traffic.deviceToHost < 1.5 * stateBytes, `the state came back once: ${summary.traffic.deviceToHost} B vs ${stateBytes} B of state`);
    assert.ok(existsSync(join(summary.output, 'model.safetensors')));
    const run = RunFolder.inWorkspace(workspace, 'cli-run');
    // Per-step traffic in the metrics: each train point has its share of its run's bytes (run_steps steps
    // shared them), so the points of the one run add up to the state crossing once each way, within the total.
    const train = run.readMetrics().records.filter((r) => r.split === 'train');
    assert.equal(train.length, 3);
    for (const r of train) assert.equal(r.run_steps, 3, JSON.stringify(r));
    assert.ok(train.reduce((n, r) => n + (r.traffic_d2h as number), 0) >= stateBytes - 3, JSON.stringify(train));
    assert.ok(train.reduce((n, r) => n + (r.traffic_h2d as number), 0) >= stateBytes - 3, JSON.stringify(train));
    assert.ok(train.reduce((n, r) => n + (r.traffic_h2d as number), 0) <= summary.traffic.hostToDevice + 3, 'shares are rounded to whole bytes');
    assert.ok(train.reduce((n, r) => n + (r.traffic_d2h as number), 0) <= summary.traffic.deviceToHost + 3);
    const saved = parseSftConfig(parse(run.configText()));
    assert.equal(saved.model, join(dir, 'model'), 'paths resolved against the config file');
    assert.equal(saved.data.source, join(dir, 'data', 'train.jsonl'));
    assert.equal(saved.learningRate, 0.002, 'overrides are part of the saved config');
    assert.deepEqual(parse(readFileSync(join(summary.output, 'sft_config.yaml'), 'utf8')), parse(run.configText()));
    // --steps-per-run: one optimizer step per run of the loop step; a bad value is refused with the field's name.
    const bin = join(import.meta.dirname, '../../../bin/saenggak.js');
    const one = spawnSync(process.execPath, [bin, 'train', 'sft', '--config', join(dir, 'run.yaml'), '--workspace', workspace, '--name', 'one-per-run', '--max-steps', '2', '--steps-per-run', '1'], { encoding: 'utf8' });
    assert.equal(one.status, 0, one.stderr);
    assert.deepEqual(RunFolder.inWorkspace(workspace, 'one-per-run').readMetrics().records.filter((r) => r.split === 'train').map((r) => r.run_steps), [1, 1]);
    const bad = spawnSync(process.execPath, [bin, 'train', 'sft', '--config', join(dir, 'run.yaml'), '--workspace', workspace, '--name', 'bad-per-run', '--steps-per-run', '0'], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /stepsPerRun/);
    const again = spawnSync(process.execPath, [join(import.meta.dirname, '../../../bin/saenggak.js'), 'train', 'sft', '--config', run.configPath, '--workspace', workspace], { encoding: 'utf8' });
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /run "cli-run" already (exists|finished)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train sft --precision fp16 trains with float32 masters and gradient checkpointing; --precision bf16 is refused on the CPU', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sft-cli-precision-'));
  try {
    makeStudent(join(dir, 'model'), { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 }, 2);
    writeRows(join(dir, 'data', 'train.jsonl'), arithmeticProblems({ count: 30, seed: 4 }));
    writeFileSync(join(dir, 'run.yaml'), stringify({ name: 'fp16-run', model: 'model', data: 'data/train.jsonl', maxSeqLength: 256, batchSize: 4, maxSteps: 3, evalSplit: 0.1, provider: 'cpu', gradientCheckpointing: true, lossChunks: 2 }));
    const workspace = join(dir, 'ws');
    const bin = join(import.meta.dirname, '../../../bin/saenggak.js');
    const cli = spawnSync(process.execPath, [bin, 'train', 'sft', '--config', join(dir, 'run.yaml'), '--workspace', workspace, '--json', '--precision', 'fp16'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const summary = JSON.parse(cli.stdout.trim().split('\n').at(-1)!);
    assert.equal(summary.steps, 3, 'three applied steps (overflowing ones are retried)');
    assert.ok(Number.isFinite(summary.loss) && summary.loss > 0);
    const saved = parseSftConfig(parse(RunFolder.inWorkspace(workspace, 'fp16-run').configText()));
    assert.equal(saved.precision, 'fp16');
    assert.equal(saved.gradientCheckpointing, true);
    const bf16 = spawnSync(process.execPath, [bin, 'train', 'sft', '--config', join(dir, 'run.yaml'), '--workspace', workspace, '--name', 'bf16-run', '--precision', 'bf16'], { encoding: 'utf8' });
    assert.notEqual(bf16.status, 0);
    assert.match(bf16.stderr, /bf16 needs a GPU provider/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
