// "Protection removed" demonstrations (issue 9): for each invariant the checker has, a scenario
// whose attack breaks it once the protection that stops the attack is removed
// (`protections: { <name>: false }`), and leaves it whole with every protection on, same seed.
// (rx_copier removes a component rather than a check: the copiers that keep the RX DMA pool away
// from clients.)
// Each violation must name the trusted component and the victim.
import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/result.js';
import type { Violation } from '../../src/scenario/invariants.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { formatProblem } from '../../src/scenario/problems.js';
import { runScenario } from '../../src/scenario/run.js';
import { PROTECTIONS } from '../../src/scenario/schema.js';

function run(text: string, protection: string, on: boolean): ResultDocument {
  const r = loadScenarioText(`${text}protections: { ${protection}: ${on} }\n`, 'p.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return runScenario(r.scenario);
}

const violations = (d: ResultDocument) => d.invariants.violations as Violation[];
/** What the attacker did to itself is not a violation of the others' isolation. */
const ofOthers = (d: ResultDocument, attacker: string) =>
  violations(d).filter((v) => v.victim !== `client ${attacker}`);

/** Runs the attack with the protection removed and on; returns both result documents. */
function demonstrate(text: string, protection: string): { off: ResultDocument; on: ResultDocument } {
  return { off: run(text, protection, false), on: run(text, protection, true) };
}

// A client whose source keeps the link busy, so its buffers queue at the driver, and an attacker
// that hands virt_tx the same buffer 512 times, ten times over: more than the driver queue holds.
const FLOOD = `name: flood
seed: 3
duration: 40ms
warmup: 10ms
clients:
  - { name: bad, kind: native, app: echo }
  - { name: c0, kind: native, app: source, source: { rate: 900Mbps } }
invariants: { check: true }
faults:
${Array.from({ length: 10 }, (_, k) => `  - { at: ${20 + 0.15 * k}ms, kind: double-enqueue, target: bad, count: 511 }`).join('\n')}
`;

// An attacker that writes offsets outside its regions into its TX queue and its RX free queue.
const BAD_OFFSET = `name: bad-offset
seed: 3
duration: 40ms
warmup: 10ms
clients:
  - { name: bad, kind: native, app: echo }
  - { name: c0, kind: native, app: echo }
load:
  - { to: c0, rate: 300Mbps, streams: 2 }
  - { to: bad, rate: 400Mbps, streams: 2 }
invariants: { check: true }
faults:
  - { at: 20ms, kind: bad-offset, target: bad }
`;

// A guest that scribbles over its own virtqueues, next to an honest one.
const MALFORMED = `name: malformed
seed: 3
duration: 40ms
warmup: 10ms
clients:
  - { name: bad, kind: vm, app: echo }
  - { name: g0, kind: vm, app: echo }
load:
  - { to: g0, rate: 100Mbps }
  - { to: bad, rate: 100Mbps }
invariants: { check: true }
faults:
  - { at: 20ms, kind: malformed-chain, target: bad }
`;

// Two honest clients receiving, and an attacker that walks the shared RX DMA pool by address.
const SNOOP_BASE = `name: snoop
seed: 3
duration: 40ms
warmup: 10ms
clients:
  - { name: bad, kind: native, app: echo }
  - { name: c0, kind: native, app: echo }
  - { name: c1, kind: native, app: echo }
load:
  - { to: c0, rate: 300Mbps, streams: 2 }
  - { to: c1, rate: 300Mbps, streams: 2 }
  - { to: bad, rate: 100Mbps }
invariants: { check: true }
`;
const SNOOP = `${SNOOP_BASE}faults:
  - { at: 20ms, kind: snoop-rx-pool, target: bad }
`;

describe('protection removed: each invariant breaks without its protection, holds with it', () => {
  it('TX buffer conservation, virt_tx_queue_guard: a duplicate flood makes virt_tx lose another client’s buffers', () => {
    const { off, on } = demonstrate(FLOOD, 'virt_tx_queue_guard');
    const lost = ofOthers(off, 'bad');
    expect(lost.length).toBeGreaterThan(0);
    expect(lost[0]).toMatchObject({ kind: 'tx-buffer-lost', component: 'net_virt_tx', victim: 'client c0' });
    expect(lost[0]!.detail).toMatch(/of client c0 is in 0 places \(net_virt_tx has lost \d+ of its buffers/);
    expect(ofOthers(on, 'bad')).toEqual([]);
    // Guarded, the flood only delays c0: it keeps its rate.
    const tx = (d: ResultDocument) => d.clients.find((c) => c.name === 'c0')!.tx_mbps;
    expect(tx(on)).toBeGreaterThan(0.95 * tx(off));
  });

  it('RX buffer conservation, copier_validation: a bad offset faults the copier with a shared DMA buffer in its hands', () => {
    const { off, on } = demonstrate(BAD_OFFSET, 'copier_validation');
    const rx = ofOthers(off, 'bad').filter((v) => v.kind === 'rx-buffer-lost');
    expect(rx.length).toBeGreaterThan(0);
    expect(rx[0]).toMatchObject({
      component: 'bad_net_copier',
      victim: 'every client (the shared RX DMA pool)',
    });
    expect(ofOthers(on, 'bad')).toEqual([]);
    expect(on.faults).toEqual([]);
  });

  it('no silent access outside the mappings, virt_tx_validation: virt_tx’s clean of a bad offset faults and is recorded', () => {
    const { off, on } = demonstrate(BAD_OFFSET, 'virt_tx_validation');
    const access = violations(off).find((v) => v.kind === 'access-outside-mapping');
    expect(access).toMatchObject({ component: 'net_virt_tx', victim: 'every client (transmit path)' });
    expect(access!.detail).toMatch(/net_virt_tx: unmapped read of 60 bytes at 0x[0-9a-f]+/);
    expect(off.faults.map((f) => [f.thread, f.kind])).toEqual([['net_virt_tx', 'vm-fault']]);
    // Every client's transmit path is gone with it: c0's echoes stop coming back.
    expect(off.load.find((l) => l.to === 'c0')!.lost).toBeGreaterThan(0);
    expect(ofOthers(on, 'bad')).toEqual([]);
    expect(on.faults).toEqual([]);
  });

  it('frames reach only their own client, rx_copier: without copiers a client reads the others’ frames out of the RX DMA pool', () => {
    const { off, on } = demonstrate(SNOOP, 'rx_copier');
    // Off: bad maps the pool read-only, as every client of a copier-less system does, and its walk
    // finds frames for both honest clients in buffers virt_rx handed to them.
    const leaked = violations(off);
    expect(leaked.length).toBeGreaterThan(0);
    expect(leaked.every((v) => v.kind === 'frame-to-wrong-client' && v.component === 'bad')).toBe(true);
    expect(new Set(leaked.map((v) => v.victim))).toEqual(new Set(['client c0', 'client c1']));
    expect(leaked[0]!.detail).toMatch(
      /^client bad \(02:00:00:00:00:10\) read a frame for c[01] \(02:00:00:00:00:1[12]\) out of the shared RX DMA pool/,
    );
    expect(off.faults).toEqual([]);
    // On: bad has no mapping of the pool, its first read faults and stops it; nothing leaks and
    // nobody else notices.
    expect(violations(on)).toEqual([]);
    expect(on.faults.map((f) => [f.thread, f.kind])).toEqual([['bad', 'vm-fault']]);
    expect(on.faults[0]!.detail).toMatch(/^bad: unmapped read of \d+ bytes at 0x[0-9a-f]+$/);
    const calm = run(SNOOP_BASE, 'rx_copier', true);
    const rx = (d: ResultDocument, name: string) => d.clients.find((c) => c.name === name)!.rx_mbps;
    for (const name of ['c0', 'c1']) {
      expect(rx(on, name)).toBeGreaterThanOrEqual(0.95 * rx(calm, name));
      expect(on.load.find((l) => l.to === name)!.lost).toBe(0);
    }
  });

  it('trusted components never throw or stall, vmm_chain_validation: the VMM follows a scribbled chain out of guest RAM', () => {
    const { off, on } = demonstrate(MALFORMED, 'vmm_chain_validation');
    const stopped = violations(off).find((v) => v.kind === 'trusted-component-stopped');
    expect(stopped).toMatchObject({ component: 'bad', victim: 'guest bad' });
    expect(stopped!.detail).toMatch(/^bad stopped \((vm-fault|stall)\)/);
    expect(violations(on)).toEqual([]);
    expect(on.faults).toEqual([]);
    // The honest guest is untouched either way.
    for (const d of [off, on]) expect(d.load.find((l) => l.to === 'g0')!.lost).toBe(0);
  });
});

describe('the protections knob', () => {
  it('defaults every protection on and rejects an unknown name at its position', () => {
    const ok = loadScenarioText('name: x\nclients: [{ name: a, kind: native }]\n', 'k.yaml');
    if (!ok.ok) throw new Error('bad');
    expect(Object.keys(ok.scenario.protections)).toEqual([...PROTECTIONS]);
    expect(Object.values(ok.scenario.protections).every((v) => v)).toBe(true);
    const bad = loadScenarioText(
      'name: x\nclients: [{ name: a, kind: native }]\nprotections:\n  virt_tx_queue_gard: false\n',
      'k.yaml',
    );
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map(formatProblem)).toEqual([
      "k.yaml:4:3: protections.virt_tx_queue_gard: unknown key 'virt_tx_queue_gard' (did you mean 'virt_tx_queue_guard'?)",
    ]);
  });

  it('refuses rx_copier: false where there is no copying copier, or with what only a copier does', () => {
    const bad = loadScenarioText(
      [
        'name: x',
        'system: sddf-4pd',
        'clients:',
        '  - { name: a, kind: native, rx_rate_limit: { rate: 10Mbps, burst: 64KiB } }',
        'protections: { rx_copier: false, copier_validation: false }',
        '',
      ].join('\n'),
      'k.yaml',
    );
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map(formatProblem)).toEqual([
      "k.yaml:4:45: clients[0].rx_rate_limit: rx_rate_limit is applied by the client's copier, and protections.rx_copier is false",
      "k.yaml:5:27: protections.rx_copier: system 'sddf-4pd' has no copying RX copiers to remove; rx_copier: false applies to the default system, sddf-5pd and echo-server",
      'k.yaml:5:53: protections.copier_validation: there is no copier to validate anything: rx_copier is false',
    ]);
  });
});
