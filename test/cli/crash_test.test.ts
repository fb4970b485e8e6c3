import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { drawFaults, verdict } from '../../src/cli/crash_test_command.js';
import type { ResultDocument } from '../../src/report/result.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { cleanup, cli, scratchDir } from './cli_harness.js';

const dir = scratchDir();
afterAll(() => cleanup(dir));

const SCENARIO = `name: ct
duration: 40ms
warmup: 20ms
board: { cores: 2 }
clients:
  - { name: g0, kind: vm, app: echo, core: 0 }
  - { name: n0, kind: native, app: echo, core: 1 }
load:
  - { to: g0, rate: 50Mbps }
  - { to: n0, rate: 50Mbps }
`;

/** `sddfsim crash-test <file> --runs N --seed S --parallel 1 --json --out DIR [extra...]`. */
function campaign(file: string, runs: number, seed: number, out: string, ...extra: string[]) {
  const args = ['--runs', `${runs}`, '--seed', `${seed}`, '--parallel', '1', '--json', '--out', out];
  return cli(['crash-test', file, ...args, ...extra]);
}

function doc(violations: unknown[], faults: ResultDocument['faults'] = []): ResultDocument {
  return {
    invariants: { violations, violation_count: violations.length },
    faults,
  } as unknown as ResultDocument;
}

describe('sddfsim crash-test', () => {
  it('draws fault schedules from the seed: same seed same schedule, kinds fitting each client', () => {
    const r = loadScenarioText(SCENARIO, 's.yaml');
    if (!r.ok) throw new Error('bad');
    const a = drawFaults(r.scenario, 3, 7);
    expect(drawFaults(r.scenario, 3, 7)).toEqual(a);
    expect(drawFaults(r.scenario, 4, 7)).not.toEqual(a);
    for (let k = 0; k < 50; k++) {
      for (const f of drawFaults(r.scenario, 3, k)) {
        expect(f.at).toBeGreaterThanOrEqual(20e6);
        expect(f.at).toBeLessThan(60e6);
        if (f.target === 'g0')
          expect(['guest-crash', 'guest-hang', 'guest-restart', 'malformed-chain']).toContain(f.kind);
        else expect(f.kind).not.toMatch(/^guest-|malformed/);
      }
    }
  });

  it('counts a faulted client losing its own TX buffers as survived, anything else as a violation', () => {
    const own = { kind: 'tx-buffer-lost', detail: 'TX buffer 3 of client n0 is in 0 places' };
    expect(verdict(doc([own]), new Set(['n0']))).toBeNull();
    expect(verdict(doc([own]), new Set(['g0']))).toMatch(/invariant violation/);
    expect(
      verdict(doc([{ kind: 'rx-buffer-lost', detail: 'RX buffer 9 is in 0 places' }]), new Set(['n0'])),
    ).toMatch(/rx-buffer-lost/);
    const stopped = [{ time_ns: 1, thread: 'net_virt_tx', kind: 'vm-fault', detail: 'x' }];
    expect(verdict(doc([], stopped), new Set(['n0']))).toMatch(/net_virt_tx stopped/);
    // A faulted client's copier is trusted: its stopping is not excused with the client.
    const copier = [{ time_ns: 1, thread: 'n0_net_copier', kind: 'vm-fault', detail: 'x' }];
    expect(verdict(doc([], copier), new Set(['n0']))).toMatch(/n0_net_copier stopped/);
    expect(
      verdict(doc([], [{ time_ns: 1, thread: 'g0_vcpu', kind: 'crash', detail: 'x' }]), new Set(['g0'])),
    ).toBeNull();
  });

  it('runs a campaign, prints the summary and exits 0 when every run survives', async () => {
    const file = join(dir, 'ct.yaml');
    writeFileSync(file, SCENARIO);
    const r = await campaign(file, 6, 2, join(dir, 'repro'));
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.runs).toBe(6);
    expect(summary.survived).toBe(6);
    expect(
      Object.values(summary.faults_injected as Record<string, number>).reduce((a, b) => a + b, 0),
    ).toBeGreaterThanOrEqual(6);
  });
});

describe('sddfsim crash-test with a driver VM', () => {
  it('crashes and reboots the driver VM among the guest faults, and every run survives', async () => {
    // The example the docs give for driver-VM campaigns, shortened.
    const file = fileURLToPath(new URL('../../examples/driver-vm-guests.yaml', import.meta.url));
    const r = await campaign(file, 12, 3, join(dir, 'repro-dvm'), '--duration', '40ms');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.survived).toBe(12);
    const injected = summary.faults_injected as Record<string, number>;
    expect((injected['driver-crash'] ?? 0) + (injected['driver-restart'] ?? 0)).toBeGreaterThan(0);
  });
});

describe('sddfsim crash-test with a protection removed', () => {
  it('finds violations, writes reproducers, and `sddfsim run <reproducer>` replays each one exactly', async () => {
    const file = join(dir, 'unprotected.yaml');
    writeFileSync(
      file,
      `${SCENARIO}protections: { virt_tx_validation: false, vmm_chain_validation: false }\n`,
    );
    const out = join(dir, 'repro-unprotected');
    const r = await campaign(file, 6, 2, out);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout) as {
      survived: number;
      violations: { run: number; why: string; file: string; trace_hash: string; violation_count: number }[];
    };
    expect(summary.violations.length).toBeGreaterThan(0);
    expect(summary.survived + summary.violations.length).toBe(6);
    for (const f of summary.violations) {
      const text = readFileSync(f.file, 'utf8');
      expect(text).toContain(`# expect: trace_hash ${f.trace_hash}, ${f.violation_count} violation(s)`);
      const replay = await cli(['run', f.file, '--json']);
      // The replay breaks the same invariants, so it fails the same way.
      expect(replay.code).toBe(1);
      const d = JSON.parse(replay.stdout) as ResultDocument;
      expect(d.trace_hash).toBe(f.trace_hash);
      expect(d.invariants.violation_count).toBe(f.violation_count);
      const first = JSON.parse(f.why.slice(f.why.indexOf('first: ') + 'first: '.length));
      expect(d.invariants.violations).toContainEqual(first);
      expect(first.component).toMatch(/^(net_virt_tx|g0)$/);
      expect(first.victim).toBeTruthy();
    }
  });
});
