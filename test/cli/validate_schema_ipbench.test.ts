import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/report/result.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BAD, cleanup, cli, ECHO2, scratchDir } from './cli_harness.js';

describe('sddfsim validate', () => {
  it('prints ok and exits 0 for a valid scenario', async () => {
    const r = await cli(['validate', ECHO2]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
  });

  it('lists every problem with file:line:column and field path, and exits 2', async () => {
    const r = await cli(['validate', BAD]);
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/bad\.yaml:\d+:\d+: [a-z_[\]0-9.]+: /);
    expect(lines.map((l) => l.split(': ')[1])).toEqual(['duraton', 'load[0].rate', 'load[1].to']);
    const j = await cli(['validate', BAD, '--json']);
    expect(j.code).toBe(2);
    expect((JSON.parse(j.stdout) as { problems: unknown[] }).problems).toHaveLength(3);
  });
});

describe('a scenario no system can build (a guest fault aimed at a native client)', () => {
  it('is refused by validate and by run alike, with the position of the field, exit 2', async () => {
    const dir = scratchDir();
    try {
      const f = join(dir, 'wrong_target.yaml');
      writeFileSync(
        f,
        'name: x\nclients:\n  - { name: n0, kind: native }\nfaults:\n  - { at: 1ms, kind: guest-crash, target: n0 }\n',
      );
      for (const cmd of ['validate', 'run']) {
        const r = await cli([cmd, f]);
        expect(r.code, cmd).toBe(2);
        expect(r.stdout + r.stderr, cmd).toMatch(
          /wrong_target\.yaml:5:\d+: faults\[0\]\.target: fault 'guest-crash' targets 'n0', which is not a guest VM/,
        );
      }
    } finally {
      cleanup(dir);
    }
  });
});

describe('a lost-notification fault naming a channel the system does not have', () => {
  it('is a problem with a position for validate, which builds the system, and exit 2 for run', async () => {
    const dir = scratchDir();
    try {
      const f = join(dir, 'no_channel.yaml');
      writeFileSync(
        f,
        "name: x\nclients:\n  - { name: n0, kind: native }\nfaults:\n  - { at: 1ms, kind: lost-notification, target: 'net_virt_rx->n0' }\n",
      );
      const v = await cli(['validate', f]);
      expect(v.code).toBe(2);
      // With copiers, virt_rx talks to n0's copier, not to n0.
      expect(v.stdout).toMatch(
        /no_channel\.yaml:5:\d+: faults\[0\]\.target: fault 'lost-notification': no channel from 'net_virt_rx' to 'n0'/,
      );
      const r = await cli(['run', f]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "faults[0].target: fault 'lost-notification': no channel from 'net_virt_rx' to 'n0'",
      );
    } finally {
      cleanup(dir);
    }
  });
});

describe('a scenario that repeats a guest with a YAML merge key', () => {
  it('runs with command-line overrides, which edit the merged document', async () => {
    const dir = scratchDir();
    try {
      const f = join(dir, 'merged.yaml');
      writeFileSync(
        f,
        'name: merged\nclients:\n  - &g { name: g0, kind: vm, app: echo }\n  - { <<: *g, name: g1 }\nload:\n  - { to: g1, rate: 50Mbps }\n',
      );
      const r = await cli(['run', f, '--duration', '20ms', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as ResultDocument;
      expect(doc.clients.map((c) => [c.name, c.kind])).toEqual([
        ['g0', 'vm'],
        ['g1', 'vm'],
      ]);
      expect(doc.clients[1]!.rx_frames).toBeGreaterThan(0);
    } finally {
      cleanup(dir);
    }
  });
});

describe('sddfsim schema', () => {
  it('prints the JSON Schema of scenario files', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('sddfsim scenario');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['name', 'clients', 'load', 'capture']),
    );
  });
});

describe('sddfsim ipbench', () => {
  const quick = ['--loads', '50,100', '--duration', '20ms', '--warmup', '5ms'];

  it("prints ipbench's CSV columns, one row per requested rate", async () => {
    const r = await cli(['ipbench', '--system', 'echo-server', ...quick, '--csv']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'Requested_Throughput,Receive_Throughput,Send_Throughput,Packet_Size,Min_RTT,Avg_RTT,Max_RTT,Stdev_RTT,Median_RTT,Idle_Cycles,Total_Cycles',
    );
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['50000000', '100000000']);
  });

  it('prints JSON rows and a readable table', async () => {
    const j = await cli(['ipbench', '--system', 'sddf-2pd', ...quick, '--json']);
    expect(j.code, j.stderr).toBe(0);
    const rows = JSON.parse(j.stdout) as { requested_mbps: number; achieved_mbps: number; cpu: number }[];
    expect(rows.map((r) => r.requested_mbps)).toEqual([50, 100]);
    expect(rows[1]!.achieved_mbps).toBeGreaterThan(90);
    expect(rows[1]!.cpu).toBeGreaterThan(rows[0]!.cpu);
    const t = await cli(['ipbench', '--system', 'sddf-2pd', ...quick]);
    expect(t.stdout).toMatch(/^requested Mb\/s/);
  });

  it('reports a failing point as an error with exit 1, and bad options with exit 2', async () => {
    const failing = await cli(['ipbench', '--system', 'echo-server', '--loads', '10'], {
      simulate: (): ResultDocument => {
        throw new Error('not built yet');
      },
    });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('echo-server at 10 Mb/s failed: not built yet');
    expect((await cli(['ipbench', '--system', 'nope'])).code).toBe(2);
    expect((await cli(['ipbench'])).code).toBe(2);
    expect((await cli(['ipbench', '--system', 'sddf-2pd', '--loads', '10,x'])).code).toBe(2);
    expect((await cli(['ipbench', '--system', 'sddf-2pd', '--csv', '--json'])).code).toBe(2);
  });
});
