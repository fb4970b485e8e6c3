import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, cli, scratchDir } from './cli_harness.js';

const TSHARK = '/usr/bin/tshark';
const dir = scratchDir();
afterAll(() => cleanup(dir));

const SCENARIO = `name: pcap-tshark
duration: 20ms
warmup: 10ms
clients:
  - { name: g0, kind: vm, app: echo }
  - { name: n0, kind: native, app: echo }
load:
  - { to: g0, rate: 100Mbps }
  - { to: n0, rate: 100Mbps }
capture: { pcap: [wire, n0, g0] }
`;

function tshark(args: string[]): string {
  return execFileSync(TSHARK, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

describe.skipIf(!existsSync(TSHARK))('pcap captures in tshark', () => {
  it('open with no malformed frame and with correct IPv4 and UDP checksums', async () => {
    const file = join(dir, 's.yaml');
    writeFileSync(file, SCENARIO);
    const out = join(dir, 'out');
    expect((await cli(['run', file, '--out', out])).code).toBe(0);
    for (const name of ['wire.pcap', 'n0.pcap', 'g0.pcap']) {
      const pcap = join(out, name);
      const all = tshark(['-r', pcap, '-T', 'fields', '-e', 'frame.number']).trim().split('\n');
      expect(all.length).toBeGreaterThan(100);
      const bad = tshark([
        '-r',
        pcap,
        '-o',
        'ip.check_checksum:TRUE',
        '-o',
        'udp.check_checksum:TRUE',
        '-Y',
        '_ws.malformed || ip.checksum.status == "Bad" || udp.checksum.status == "Bad"',
        '-T',
        'fields',
        '-e',
        'frame.number',
      ]).trim();
      expect(bad).toBe('');
      const good = tshark([
        '-r',
        pcap,
        '-o',
        'udp.check_checksum:TRUE',
        '-Y',
        'udp.checksum.status == "Good"',
        '-T',
        'fields',
        '-e',
        'frame.number',
      ])
        .trim()
        .split('\n');
      expect(good.length).toBe(all.length);
    }
  });
});
