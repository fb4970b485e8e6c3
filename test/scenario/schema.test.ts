import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCENARIO_FILE,
  DEFAULT_SCENARIO_INPUT,
  DEFAULT_SCENARIO_TEXT,
  defaultScenario,
} from '../../src/scenario/default_scenario.js';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.js';
import { formatProblem } from '../../src/scenario/problems.js';
import { FAULT_KINDS, type Scenario, scenarioJsonSchema, scenarioSchema } from '../../src/scenario/schema.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/four-guests-echo.yaml', import.meta.url));

function mustLoad(path: string): Scenario {
  const r = loadScenarioFile(path);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
}

describe('the DESIGN example scenario', () => {
  it('validates and comes out in base units', () => {
    const s = mustLoad(EXAMPLE);
    expect(s.name).toBe('four-guests-echo');
    expect(s.seed).toBe(1);
    expect(s.duration).toBe(1e9);
    expect(s.warmup).toBe(2e8);
    expect(s.nic.rate).toBe(1e9);
    expect(s.board).toEqual({
      cores: 1,
      cost_model: 'imx8mm',
      costs: {},
      kernel: { smp: false, smp_barriers: false },
    });
    expect(s.driver.kind).toBe('native');
    expect(s.virt.tx_policy).toBe('fixed-order');
    expect(s.clients.map((c) => c.name)).toEqual(['guest0', 'guest1', 'native0']);
    expect(s.clients[1]?.weight).toBe(2);
    expect(s.clients[1]?.rate_limit).toEqual({ rate: 2e8, burst: 65536 });
    expect(s.clients[2]?.source).toEqual({ rate: 1e8, payload: 1472, to: 'wire' });
    expect(s.load.map((l) => l.rate)).toEqual([4e8, 4e8]);
    expect(s.load[1]?.payload).toBe(1472);
    expect(s.faults).toEqual([{ at: 5e8, kind: 'guest-crash', target: 'guest1' }]);
    expect(s.capture).toEqual({ pcap: ['wire', 'guest0'], trace: true });
  });

  it('fills defaults that the file leaves out', () => {
    const s = mustLoad(EXAMPLE);
    expect(s.nic.rx_ring).toBe(256);
    expect(s.nic.tx_coalesce_frames).toBe(128);
    expect(s.nic.tx_coalesce_time).toBeUndefined();
    expect(s.clients[0]?.app).toBe('echo');
    expect(s.clients[0]?.weight).toBe(1);
    expect(s.clients[0]?.guest).toEqual({ ram: 16 * 1024 * 1024, queue_size: 256, event_idx: true });
    expect(s.clients[2]?.guest).toBeUndefined();
    expect(s.invariants.check).toBe(false);
    expect(s.system).toBeUndefined();
  });
});

describe('the built-in default scenario', () => {
  it('has four echoing guests sharing 800 Mb/s evenly', () => {
    const s = defaultScenario();
    expect(s.name).toBe('default-four-guests-echo');
    expect(s.seed).toBe(1);
    expect(s.duration).toBe(1e9);
    expect(s.warmup).toBe(2e8);
    expect(s.driver.kind).toBe('native');
    expect(s.clients.map((c) => [c.name, c.kind, c.app])).toEqual([
      ['guest0', 'vm', 'echo'],
      ['guest1', 'vm', 'echo'],
      ['guest2', 'vm', 'echo'],
      ['guest3', 'vm', 'echo'],
    ]);
    expect(s.load.map((l) => [l.to, l.rate])).toEqual([
      ['guest0', 2e8],
      ['guest1', 2e8],
      ['guest2', 2e8],
      ['guest3', 2e8],
    ]);
    expect(s.load.reduce((sum, l) => sum + l.rate, 0)).toBe(8e8);
  });

  it('reads the same from its YAML text as from its object form', () => {
    const fromObject = scenarioSchema.parse(DEFAULT_SCENARIO_INPUT);
    const fromText = loadScenarioText(DEFAULT_SCENARIO_TEXT, DEFAULT_SCENARIO_FILE);
    expect(fromText.ok && fromText.scenario).toEqual(fromObject);
  });

  it('hands out a fresh copy each time', () => {
    const a = defaultScenario();
    a.clients.pop();
    expect(defaultScenario().clients).toHaveLength(4);
  });
});

describe('the JSON Schema export', () => {
  it('describes the input format with field names, enums, defaults and closed objects', () => {
    const schema = scenarioJsonSchema() as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, Record<string, unknown>>;
    };
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'clients']));
    expect(schema.required).not.toContain('seed');
    expect(schema.properties['duration']).toMatchObject({ default: '1s', type: ['string', 'number'] });
    const client = (schema.properties['clients'] as { items: { properties: Record<string, unknown> } }).items;
    expect(Object.keys(client.properties)).toEqual(
      expect.arrayContaining(['name', 'kind', 'app', 'weight', 'rate_limit', 'source', 'guest']),
    );
    expect(client.properties['kind']).toMatchObject({ enum: ['native', 'vm'] });
    const fault = (schema.properties['faults'] as { items: { properties: Record<string, unknown> } }).items;
    expect(fault.properties['kind']).toMatchObject({ enum: [...FAULT_KINDS] });
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
