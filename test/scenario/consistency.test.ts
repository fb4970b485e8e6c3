import { describe, expect, it } from 'vitest';
import { BuildError, buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import type { Problem } from '../../src/scenario/problems.js';

/** The problems of a scenario that must be refused; fails if it loads. */
function problems(text: string): Problem[] {
  const r = loadScenarioText(text, 's.yaml');
  if (r.ok) throw new Error('expected the scenario to be refused');
  return r.problems;
}

describe('scenarios well formed field by field but impossible to build', () => {
  it('are refused at load with the position and path of the field to change', () => {
    const cases: [string, number, string, RegExp][] = [
      [
        'name: x\nclients:\n  - { name: n0, kind: native }\nfaults:\n  - { at: 1ms, kind: guest-crash, target: n0 }\n',
        5,
        'faults[0].target',
        /which is not a guest VM/,
      ],
      [
        "name: x\nclients:\n  - { name: n0, kind: native }\nfaults:\n  - { at: 1ms, kind: lost-notification, target: 'a-b' }\n",
        5,
        'faults[0].target',
        /needs a target 'from->to'/,
      ],
      [
        'name: x\nsystem: linux\nclients:\n  - { name: g0, kind: vm }\n',
        4,
        'clients',
        /exactly one native echo client/,
      ],
      [
        'name: x\nsystem: linux\nclients:\n  - { name: n0, kind: native, rate_limit: { rate: 1Mbps, burst: 1514 } }\n',
        4,
        'clients[0].rate_limit',
        /no sDDF virtualisers/,
      ],
      [
        'name: x\nsystem: sddf-2pd\nclients:\n  - { name: a, kind: native }\n  - { name: b, kind: native }\n',
        4,
        'clients',
        /exactly one client/,
      ],
      [
        'name: x\nsystem: sddf-4pd\nclients:\n  - { name: a, kind: native, rx_rate_limit: { rate: 1Mbps, burst: 1514 } }\n',
        4,
        'clients[0].rx_rate_limit',
        /copier, which system 'sddf-4pd' has not/,
      ],
      [
        'name: x\nclients:\n  - { name: a, kind: native }\n  - { name: b, kind: native, app: source, source: { rate: 1Mbps, to: a } }\n',
        4,
        'clients[1].source.to',
        /only send to 'wire'/,
      ],
    ];
    for (const [text, line, path, message] of cases) {
      const p = problems(text);
      expect(p, text).toHaveLength(1);
      expect(p[0]!.line, text).toBe(line);
      expect(p[0]!.path, text).toBe(path);
      expect(p[0]!.message, text).toMatch(message);
    }
  });

  it('refuse more clients than virt_tx has channels for, and TX buffers beyond one queue', () => {
    const many = (n: number, extra = '') =>
      `name: x\nclients:\n${Array.from({ length: n }, (_, i) => `  - { name: c${i}, kind: native${extra} }`).join('\n')}\n`;
    expect(problems(many(127, ', tx_buffers: 2'))[0]!.message).toMatch(
      /has more than 126 entries: virt_tx has a channel for each client/,
    );
    expect(loadScenarioText(many(126, ', tx_buffers: 256'), 's.yaml').ok).toBe(true);
    // 64 clients of 512 TX buffers fill the driver's TX queue exactly; a 65th is one too many.
    expect(loadScenarioText(many(64), 's.yaml').ok).toBe(true);
    const p = problems(many(65));
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe('clients');
    expect(p[0]!.message).toMatch(/TX buffers add up to 33280 .* at most 32768/);
  });

  it('are refused by buildSimulation too, for a scenario made in code', () => {
    const r = loadScenarioText('name: x\nclients:\n  - { name: n0, kind: native }\n', 's.yaml');
    if (!r.ok) throw new Error('valid');
    const s = { ...r.scenario, faults: [{ at: 1e6, kind: 'guest-crash' as const, target: 'n0' }] };
    expect(() => buildSimulation(s)).toThrow(BuildError);
    expect(() => buildSimulation(s)).toThrow(/which is not a guest VM/);
  });
});
