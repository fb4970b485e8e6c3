import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecording, encodeRecording, type Recording } from '../../src/cli/recording.js';
import { cleanup, cli, ECHO1_JSON, scratchDir } from './cli_harness.js';

const dir = scratchDir();
const rec = join(dir, 'run.rec');
let original: Recording;

beforeAll(async () => {
  const r = await cli(['run', ECHO1_JSON, '--seed', '5', '--record', rec]);
  expect(r.code, r.stderr).toBe(0);
  const decoded = decodeRecording(readFileSync(rec));
  if (typeof decoded === 'string') throw new Error(decoded);
  original = decoded;
});
afterAll(() => cleanup(dir));

function tampered(name: string, change: (r: Recording) => void): string {
  const copy = decodeRecording(encodeRecording(original));
  if (typeof copy === 'string') throw new Error(copy);
  change(copy);
  const path = join(dir, name);
  writeFileSync(path, encodeRecording(copy));
  return path;
}

describe('sddfsim replay', () => {
  it('records the scenario, its overrides, the build and the event stream', () => {
    expect(original.seed).toBe(5);
    expect(original.overrides).toEqual([{ text: '--seed', path: ['seed'], value: 5 }]);
    expect(original.build.src_hash).toMatch(/^[0-9a-f]{16}$/);
    expect(original.events.count).toBe(original.result.events);
    expect(original.events.stored).toBe(original.events.count);
    expect(original.events.checkpointHashes.length).toBe(Math.floor(original.events.count / 1000));
    // The tests below alter event 700 and the first checkpoint.
    expect(original.events.count).toBeGreaterThan(1000);
  });

  it('reproduces a recording exactly and exits 0', async () => {
    const r = await cli(['replay', rec]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('identical');
    expect(r.stdout).toContain(original.result.trace_hash);
  });

  it('names the first differing field of the result document and exits 1', async () => {
    const path = tampered('doc.rec', (r) => {
      r.result.clients[0]!.rx_frames += 1;
    });
    const r = await cli(['replay', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('clients[0].rx_frames');
  });

  it('names the first differing event and exits 1', async () => {
    const path = tampered('events.rec', (r) => {
      r.events.args[700] = r.events.args[700]! + 1;
    });
    const r = await cli(['replay', path, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { identical: boolean; first_event_difference: string };
    expect(report.identical).toBe(false);
    expect(report.first_event_difference).toMatch(/^event 700 differs/);
  });

  it('finds the block of a difference beyond the stored events from the checkpoints', async () => {
    const path = tampered('checkpoints.rec', (r) => {
      r.events.stored = 0;
      r.events.times = new Float64Array(0);
      r.events.targets = new Uint32Array(0);
      r.events.args = new Float64Array(0);
      r.events.checkpointHashes[0] = r.events.checkpointHashes[0]! ^ 1;
    });
    const r = await cli(['replay', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('events 0..999');
  });

  it('refuses a file that is not a recording with exit 2', async () => {
    const junk = join(dir, 'junk.rec');
    writeFileSync(junk, 'hello, not msgpack');
    const r = await cli(['replay', junk]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not (an sddfsim recording|a recording)/);
    expect((await cli(['replay', join(dir, 'absent.rec')])).code).toBe(2);
  });
});
