import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/cli/sweep/pool.js';
import type { SweepDocument } from '../../src/cli/sweep/table.js';
import { cleanup, cli, ECHO1_JSON, ECHO2, scratchDir } from './cli_harness.js';

const dir = scratchDir();
const SETS = ['--set', 'load[0].rate=50Mbps,100Mbps', '--set', 'virt.tx_policy=fixed-order,round-robin'];
let whole: SweepDocument;
let wholeCsv: string;

beforeAll(async () => {
  const j = await cli(['sweep', ECHO1_JSON, ...SETS, '--json', '--parallel', '1']);
  expect(j.code, j.stderr).toBe(0);
  whole = JSON.parse(j.stdout) as SweepDocument;
  const c = await cli(['sweep', ECHO1_JSON, ...SETS, '--parallel', '1']);
  expect(c.code, c.stderr).toBe(0);
  wholeCsv = c.stdout;
});
afterAll(() => cleanup(dir));

describe('sddfsim sweep', () => {
  it('runs the cross product in run order, the last --set varying fastest', () => {
    expect(whole.total_runs).toBe(4);
    expect(whole.shard).toBeNull();
    expect(whole.rows.map((r) => [r['run'], r['load[0].rate'], r['virt.tx_policy']])).toEqual([
      [0, '50Mbps', 'fixed-order'],
      [1, '50Mbps', 'round-robin'],
      [2, '100Mbps', 'fixed-order'],
      [3, '100Mbps', 'round-robin'],
    ]);
    expect(whole.columns).toEqual([
      'sweep_id',
      'run',
      'load[0].rate',
      'virt.tx_policy',
      'client0.rx_mbps',
      'client0.tx_mbps',
      'client0.rtt_mean_us',
      'core0.cpu',
      'jain',
      'trace_hash',
      'error',
    ]);
    for (const r of whole.rows) expect(r['sweep_id']).toBe(whole.sweep_id);
    // Twice the load, about twice the throughput.
    const rx = whole.rows.map((r) => r['client0.rx_mbps'] as number);
    expect(rx[2]! / rx[0]!).toBeGreaterThan(1.8);
    expect(wholeCsv.split('\n')[0]).toBe(whole.columns.join(','));
    expect(wholeCsv.trim().split('\n')).toHaveLength(5);
  });

  it('sets a field in every element of a list with [*]', async () => {
    const r = await cli(['sweep', ECHO2, '--set', 'load[*].rate=20Mbps,60Mbps', '--json', '--parallel', '1']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as SweepDocument;
    expect(doc.rows.map((row) => row['load[*].rate'])).toEqual(['20Mbps', '60Mbps']);
    // Both flows moved: each client echoes about the rate set for all.
    for (const [row, mbps] of [
      [doc.rows[0]!, 20],
      [doc.rows[1]!, 60],
    ] as const) {
      for (const c of ['client0', 'client1']) {
        expect(Number(row[`${c}.rx_mbps`])).toBeGreaterThan(mbps);
        expect(Number(row[`${c}.rx_mbps`])).toBeLessThan(mbps * 1.1);
      }
    }
  });

  it('gives the same rows on worker threads as in one thread', async () => {
    const r = await cli(['sweep', ECHO1_JSON, ...SETS, '--parallel', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(wholeCsv);
  });

  it('starts workers from the compiled worker when compiled, through the tsx entry otherwise', () => {
    // (bin.test.ts runs a sweep on workers through the compiled build.)
    expect(workerEntry('file:///p/dist/cli/sweep/pool.js').href).toBe('file:///p/dist/cli/sweep/worker.js');
    expect(workerEntry('file:///p/dist/sddfsim.js').href).toBe('file:///p/dist/cli/sweep/worker.js');
    expect(workerEntry('file:///p/src/cli/sweep/pool.ts').href).toBe(
      'file:///p/src/cli/sweep/worker_entry.mjs',
    );
  });

  it('merges shards back into exactly the whole sweep, in JSON and in CSV', async () => {
    const files: Record<string, string> = {};
    for (const fmt of ['json', 'csv']) {
      for (const k of [2, 1]) {
        const f = join(dir, `part${k}.${fmt}`);
        const r = await cli([
          'sweep',
          ECHO1_JSON,
          ...SETS,
          '--shard',
          `${k}/2`,
          '--parallel',
          '1',
          '--out',
          f,
        ]);
        expect(r.code, r.stderr).toBe(0);
        files[`${fmt}${k}`] = f;
      }
    }
    const part1 = JSON.parse(readFileSync(files['json1']!, 'utf8')) as SweepDocument;
    expect(part1.shard).toBe('1/2');
    expect(part1.rows.map((r) => r['run'])).toEqual([0, 2]);

    const mj = await cli(['merge', files['json2']!, files['json1']!]);
    expect(mj.code, mj.stderr).toBe(0);
    expect(JSON.parse(mj.stdout)).toEqual(whole);
    const mc = await cli(['merge', files['csv2']!, files['csv1']!]);
    expect(mc.code, mc.stderr).toBe(0);
    expect(mc.stdout).toBe(wholeCsv);

    const partial = await cli(['merge', files['json1']!]);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toContain('2 of 4 runs are missing (1, 3)');
  });

  it('refuses to merge outputs of different sweeps, or a mix of formats', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    expect((await cli(['sweep', ECHO1_JSON, '--set', 'seed=1', '--json', '--out', a])).code).toBe(0);
    expect((await cli(['sweep', ECHO1_JSON, '--set', 'seed=2', '--json', '--out', b])).code).toBe(0);
    const r = await cli(['merge', a, b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is from sweep [0-9a-f]+/);
    const csv = join(dir, 'c.csv');
    writeFileSync(csv, wholeCsv);
    expect((await cli(['merge', a, csv])).code).toBe(2);
  });

  it('validates every run before starting and reports bad values once, with the runs they affect', async () => {
    const r = await cli([
      'sweep',
      ECHO1_JSON,
      '--set',
      'load[0].rate=50Mbps,fast',
      '--set',
      'virt.tx_polcy=drr',
      '--set',
      'load[3].rate=1',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('load[3] does not exist: load has 1 entry (runs 0, 1)');
    const r2 = await cli([
      'sweep',
      ECHO1_JSON,
      '--set',
      'load[0].rate=50Mbps,fast',
      '--set',
      'virt.tx_polcy=drr',
    ]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(
      "virt.tx_polcy: unknown key 'tx_polcy' (did you mean 'tx_policy'?) (runs 0, 1)",
    );
    expect(r2.stderr).toContain(
      "load[0].rate: expected a bit rate like '400Mbps' or a number of bit/s, got 'fast' (run 1)",
    );
    for (const bad of ['nonsense', '=1,2', 'load[0].rate=', 'load..rate=1']) {
      expect((await cli(['sweep', ECHO1_JSON, '--set', bad])).code, bad).toBe(2);
    }
    expect((await cli(['sweep', ECHO1_JSON])).code).toBe(2);
  });

  it('writes a report of throughput and CPU against the swept load', async () => {
    const f = join(dir, 'sweep.html');
    const r = await cli(['sweep', ECHO1_JSON, '--set', 'load[0].rate=50Mbps,100Mbps', '--out', f]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(f, 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('load[0].rate (Mb/s)');
  });

  it('shows a progress bar only on a terminal, without CI, and not with --json', async () => {
    const args = ['sweep', ECHO1_JSON, '--set', 'seed=1,2', '--parallel', '1'];
    const tty = await cli(args, { tty: true, env: {} });
    expect(tty.stderr).toContain('\r');
    expect(tty.stderr).toContain('2/2 runs');
    expect((await cli(args, { tty: false })).stderr).not.toContain('\r');
    expect((await cli(args, { tty: true, env: { CI: 'true' } })).stderr).not.toContain('\r');
    expect((await cli([...args, '--json'], { tty: true, env: {} })).stderr).not.toContain('\r');
  });
});
