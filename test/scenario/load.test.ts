import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type LoadOptions,
  type LoadResult,
  loadScenarioFile,
  loadScenarioText,
} from '../../src/scenario/load.js';
import { formatProblem, type Problem } from '../../src/scenario/problems.js';

function problemsOf(r: LoadResult): Problem[] {
  if (r.ok) throw new Error('expected the scenario to be rejected');
  return r.problems;
}

function report(text: string, file = 's.yaml', opts: LoadOptions = {}): string[] {
  return problemsOf(loadScenarioText(text, file, opts)).map(formatProblem);
}

// A valid two-client scenario to which each test adds one mistake.
const BASE = `name: t
clients:
  - name: a
    kind: vm
  - name: b
    kind: native
`;

describe('loadScenarioText', () => {
  it('reports every problem in a file at once, each at its exact line and column', () => {
    const text = [
      'name: several',
      'duration: 5 parsecs',
      'nic:',
      '  rate: -3Gbps',
      '  rx_rings: 256',
      'clients:',
      '  - name: a',
      '    kind: vm',
      '  - name: a',
      '    kind: native',
      '    guest: { ram: 1MiB }',
      '  - kind: vn',
      'load:',
      '  - to: nobody',
      '    rate: 100Mbps',
      '',
    ].join('\n');
    expect(report(text, 'bad.yaml')).toEqual([
      "bad.yaml:2:11: duration: expected a time like '500ms' or a number of seconds, got '5 parsecs' (unknown unit 'parsecs')",
      "bad.yaml:4:9: nic.rate: must not be negative, got '-3Gbps'",
      "bad.yaml:5:3: nic.rx_rings: unknown key 'rx_rings' (did you mean 'rx_ring'?)",
      "bad.yaml:9:11: clients[1].name: duplicate client name 'a' (also clients[0])",
      "bad.yaml:11:12: clients[1].guest: guest options apply only to clients of kind 'vm'",
      "bad.yaml:12:5: clients[2].name: missing required field 'name'",
      "bad.yaml:12:11: clients[2].kind: expected one of native, vm, got 'vn' (did you mean 'vm'?)",
      "bad.yaml:14:9: load[0].to: no client named 'nobody'; expected 'a'",
    ]);
  });

  it('resolves YAML merge keys, so a client or a flow can be repeated from an anchor', () => {
    const text = `name: m
clients:
  - &guest { name: g0, kind: vm, app: echo, guest: { ram: 4MiB } }
  - { <<: *guest, name: g1 }
load:
  - &flow { to: g0, rate: 100Mbps, streams: 2 }
  - { <<: *flow, to: g1 }
`;
    const r = loadScenarioText(text, 'm.yaml');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.scenario.clients.map((c) => [c.name, c.kind, c.guest?.ram])).toEqual([
      ['g0', 'vm', 4 * 1024 * 1024],
      ['g1', 'vm', 4 * 1024 * 1024],
    ]);
    expect(r.scenario.load.map((l) => [l.to, l.rate, l.streams])).toEqual([
      ['g0', 100e6, 2],
      ['g1', 100e6, 2],
    ]);
    // A merged-in mistake is reported on the element that merges it.
    const bad = problemsOf(
      loadScenarioText(
        'name: m\nclients:\n  - &c { name: a, kind: vm, app: ech }\n  - { <<: *c, name: b }\n',
        'm.yaml',
      ),
    );
    expect(bad.map((p) => p.path)).toEqual(['clients[0].app', 'clients[1].app']);
    // JSON has no merge keys: '<<' is a key like any other, and unknown.
    const json = problemsOf(
      loadScenarioText('{"name":"j","clients":[{"name":"a","kind":"vm","<<":{}}]}', 'j.json'),
    );
    expect(json.map((p) => p.path)).toEqual(['clients[0]["<<"]']);
  });

  it('rejects an unknown key at the key, with a suggestion', () => {
    expect(report(`${BASE}    wieght: 2\n`)).toEqual([
      "s.yaml:7:5: clients[1].wieght: unknown key 'wieght' (did you mean 'weight'?)",
    ]);
  });

  it('rejects a value without a recognised unit', () => {
    expect(report(`${BASE}nic: { rate: 1 gigabit }\n`)).toEqual([
      "s.yaml:7:14: nic.rate: expected a bit rate like '400Mbps' or a number of bit/s, got '1 gigabit' (unknown unit 'gigabit')",
    ]);
  });

  it('rejects a negative or zero rate', () => {
    expect(report(`${BASE}load: [{ to: a, rate: -400Mbps }]\n`)).toEqual([
      "s.yaml:7:23: load[0].rate: must not be negative, got '-400Mbps'",
    ]);
    expect(report(`${BASE}load: [{ to: a, rate: 0 }]\n`)).toEqual([
      's.yaml:7:23: load[0].rate: must be greater than zero',
    ]);
  });

  it('rejects load and faults that name an unknown client, suggesting the closest', () => {
    const text = `${BASE}load:\n  - { to: c, rate: 1Mbps }\nfaults:\n  - { at: 1ms, kind: guest-crash, target: aa }\n`;
    expect(report(text)).toEqual([
      "s.yaml:8:11: load[0].to: no client named 'c'; expected one of 'a', 'b'",
      "s.yaml:10:43: faults[0].target: no client named 'aa' (did you mean 'a'?); expected one of 'a', 'b', 'driver'",
    ]);
  });

  it('accepts the driver as a fault target and a free description for a lost notification', () => {
    const text = `${BASE}faults:\n  - { at: 1ms, kind: driver-crash, target: driver }\n  - { at: 2ms, kind: lost-notification, target: virt_rx->guest0 }\n`;
    const r = loadScenarioText(text, 's.yaml');
    expect(r.ok && r.scenario.faults.map((f) => f.target)).toEqual(['driver', 'virt_rx->guest0']);
  });

  it('rejects a count or a duration on a fault that would ignore it, and keeps them where they count', () => {
    const text = `${BASE}faults:\n  - { at: 1ms, kind: snoop-rx-pool, target: b, count: 3 }\n  - { at: 2ms, kind: guest-crash, target: a, duration: 5ms }\n`;
    expect(report(text)).toEqual([
      's.yaml:8:48: faults[0].count: a snoop-rx-pool fault has no count (count applies to lost-notification and double-enqueue)',
      's.yaml:9:46: faults[1].duration: a guest-crash fault has no duration (duration applies to driver-crash and driver-restart)',
    ]);
    const ok = `${BASE}faults:\n  - { at: 1ms, kind: double-enqueue, target: b, count: 3 }\n  - { at: 2ms, kind: driver-crash, target: driver, duration: 5ms }\n`;
    const r = loadScenarioText(ok, 's.yaml');
    expect(r.ok && r.scenario.faults.map((f) => [f.count, f.duration])).toEqual([
      [3, undefined],
      [undefined, 5e6],
    ]);
  });

  it('rejects duplicate client names and reserved ones', () => {
    expect(report(`${BASE}  - name: b\n    kind: vm\n  - name: wire\n    kind: vm\n`)).toEqual([
      "s.yaml:7:11: clients[2].name: duplicate client name 'b' (also clients[1])",
      "s.yaml:9:11: clients[3].name: 'wire' is reserved (it means the wire); choose another name",
    ]);
  });

  it('requires a source block exactly for source clients', () => {
    const text = `name: t\nclients:\n  - { name: s, kind: native, app: source }\n  - { name: e, kind: native, source: { rate: 1Mbps } }\n`;
    expect(report(text)).toEqual([
      "s.yaml:3:5: clients[0].source: missing 'source' block: a client with app 'source' needs { rate: ... }",
      "s.yaml:4:38: clients[1].source: 'source' is only for app 'source', and this client's app is 'echo'",
    ]);
  });

  it('rejects a fault after the end of the run and a load that stops before it starts', () => {
    const text = `${BASE}duration: 1s\nwarmup: 200ms\nload: [{ to: a, rate: 1Mbps, start: 2ms, stop: 1ms }]\nfaults: [{ at: 1.2s, kind: guest-hang, target: a }]\n`;
    expect(report(text)).toEqual([
      's.yaml:9:48: load[0].stop: stop (1ms) must be after start (2ms)',
      's.yaml:10:16: faults[0].at: fault at 1.2s never happens: the run ends at 1.2s (warmup + duration)',
    ]);
  });

  it('rejects a zero duration and a core the board does not have', () => {
    expect(report(`${BASE}duration: 0\nboard: { cores: 2 }\nvirt: { core: 2 }\n`)).toEqual([
      's.yaml:7:11: duration: must be greater than zero',
      's.yaml:9:15: virt.core: core 2 does not exist: the board has 2 cores',
    ]);
  });

  it('points a missing required field at the mapping that should hold it', () => {
    expect(report('seed: 3\nclients:\n  - { name: a }\n')).toEqual([
      "s.yaml:1:1: name: missing required field 'name'",
      "s.yaml:3:5: clients[0].kind: missing required field 'kind'",
    ]);
  });

  it('checks cost overrides against the names the cost model knows', () => {
    const text = `${BASE}board:\n  costs:\n    syscal: 300\n    context_switch: -1\n`;
    expect(report(text, 's.yaml', { knownCosts: ['syscall', 'context_switch'] })).toEqual([
      "s.yaml:9:5: board.costs.syscal: unknown cost entry 'syscal' (did you mean 'syscall'?)",
      's.yaml:10:21: board.costs.context_switch: must be at least 0',
    ]);
    const r = loadScenarioText(`${BASE}board: { costs: { anything: 3 } }\n`, 's.yaml');
    expect(r.ok && r.scenario.board.costs).toEqual({ anything: 3 });
  });

  it('reports YAML syntax errors with their positions', () => {
    expect(report('name: t\nclients: [a, b\nload: 3\n')).toEqual([
      's.yaml:3:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(report('name: t\nname: u\n')).toEqual(['s.yaml:2:1: YAML syntax: Map keys must be unique']);
  });

  it('reads JSON through the same parser and gives JSON positions', () => {
    const json = '{\n  "name": "j",\n  "clients": [{ "name": "a", "kind": "vm", "weight": -1 }]\n}\n';
    expect(report(json, 's.json')).toEqual(['s.json:3:54: clients[0].weight: must be greater than 0']);
    expect(report('{ "name": j }', 's.json')).toEqual([
      's.json:1:11: JSON syntax: Unresolved plain scalar "j"',
    ]);
  });

  it('explains an empty document and a document that is not a mapping', () => {
    expect(report('')).toEqual([
      "s.yaml:1:1: the scenario is empty: expected a mapping with at least 'name' and 'clients'",
    ]);
    expect(report('- 1\n- 2\n')).toEqual(['s.yaml:1:1: expected a mapping, got a list']);
  });

  it('refuses an alias expansion bomb instead of building it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = `*a${i - 1}`;
      lines.push(`a${i}: &a${i} [${Array(10).fill(prev).join(', ')}]`);
    }
    const problems = problemsOf(loadScenarioText(`${lines.join('\n')}\n`, 's.yaml'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^cannot expand the document/);
  });
});

describe('loadScenarioFile', () => {
  it('reports an unreadable file as a problem', () => {
    const problems = problemsOf(loadScenarioFile('/nonexistent/dir/scenario.yaml'));
    expect(problems.map(formatProblem)).toEqual([
      '/nonexistent/dir/scenario.yaml:1:1: cannot read the scenario file: no such file',
    ]);
  });

  it('reads a file from disk and names it in problems', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sddfsim-scenario-'));
    try {
      const good = join(dir, 'good.yaml');
      writeFileSync(good, BASE);
      const r = loadScenarioFile(good);
      expect(r.ok && r.scenario.clients).toHaveLength(2);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"name": "x", "clients": []}');
      expect(problemsOf(loadScenarioFile(bad)).map(formatProblem)).toEqual([
        `${bad}:1:26: clients: needs at least 1 entry`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
