// Issue 10 item 22: import → train → export → predict through the `graft` command line with no
// network, failing on any connection attempt that does not stay on this machine. Each command
// runs in a new network namespace (`unshare -n`: only a loopback device exists) under
// `strace -f`, which sees the attempts native code makes too (onnxruntime's telemetry resolved
// its host from C++). Skipped, saying why, where either tool is missing or not permitted.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLabelledFolder } from '../e2e/fixtures/photo-corpus';

const CLI = path.join(__dirname, 'cli', 'index.ts');
const TSX = createRequire(__filename).resolve('tsx/cjs');

function unavailable(): string | null {
  if (process.platform !== 'linux') return `unshare and strace need Linux (this is ${process.platform})`;
  for (const [tool, args] of [
    ['unshare', ['-n', 'true']],
    ['strace', ['-o', '/dev/null', 'true']],
  ] as const) {
    const probe = spawnSync(tool, args, { encoding: 'utf8' });
    if (probe.error) return `${tool} is not installed (apt-get install -y ${tool === 'unshare' ? 'util-linux' : tool})`;
    if (probe.status !== 0)
      return `${tool} ${args.join(' ')} is not permitted here (${probe.stderr.trim()}); run as root`;
  }
  return null;
}

const skipReason = unavailable();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-offline-'));
/** The commands' home folder: onnxruntime's telemetry, when on, writes its event cache under it. */
const home = path.join(scratch, 'home');
fs.mkdirSync(home);
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** `connect`/`sendto`/`sendmsg` calls in an strace log that leave the machine (not loopback, not a Unix socket). */
export function outsideAttempts(log: string): string[] {
  return log.split('\n').filter((line) => {
    if (!/\b(connect|sendto|sendmsg)\(/.test(line)) return false;
    const family = /sa_family=(AF_\w+)/.exec(line)?.[1];
    if (family === undefined || family === 'AF_UNIX' || family === 'AF_NETLINK') return false;
    if (/inet_addr\("127\.|inet_pton\(AF_INET6, "::1"/.test(line)) return false;
    return true;
  });
}

let run = 0;
/** Runs `command` without a network, under strace; returns its output and every outside attempt. */
function offline(command: string, args: string[]): { status: number | null; output: string; attempts: string[] } {
  const log = path.join(scratch, `strace-${++run}.log`);
  const result = spawnSync(
    'unshare',
    [
      '-n',
      'strace',
      '-f',
      '-qq',
      '-e',
      'signal=none',
      '-e',
      'trace=connect,sendto,sendmsg',
      '-o',
      log,
      command,
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: home, ORT_DISABLE_TELEMETRY: undefined } },
  );
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    attempts: outsideAttempts(fs.readFileSync(log, 'utf8')),
  };
}

function graft(...args: string[]) {
  return offline(process.execPath, ['--require', TSX, CLI, '--data-dir', path.join(scratch, 'data'), ...args]);
}

describe.skipIf(skipReason !== null)(`offline${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('notices an attempt to reach the network (the check itself can fail)', () => {
    const probe = offline(process.execPath, ['-e', "require('node:dns').lookup('example.com', () => {})"]);
    expect(probe.attempts.length).toBeGreaterThan(0);
  });

  it('imports, trains, exports and predicts with no network and no attempt to reach one', async () => {
    const photos = path.join(scratch, 'photos');
    await writeLabelledFolder(photos, { red: 12, blue: 12 });
    const steps = [];

    steps.push(graft('import', '--project', 'Offline', photos, '--labels-from-folders'));
    const train = graft('train', '--project', 'Offline', '--seed', '5');
    steps.push(train);
    const experimentId = /Training experiment (\d+)/.exec(train.output)?.[1];
    expect(experimentId, train.output).toBeDefined();
    const out = path.join(scratch, 'export');
    steps.push(graft('export', '--experiment', String(experimentId), '--format', 'onnx', '--out', out));
    const predict = graft('predict', '--model', path.join(out, 'model.onnx'), path.join(photos, 'red'));
    steps.push(predict);

    for (const step of steps) {
      expect(step.attempts, step.output).toEqual([]);
      expect(step.status, step.output).toBe(0);
    }
    expect(predict.output).toMatch(/red-\d+\.\w+\s+red\s/);
    expect(fs.readdirSync(home)).toEqual([]);
  });
});
