// The snoop-rx-pool attack's ground: where the shared RX DMA pool lies for each client (mapped
// read-only without copiers, nowhere with them), how a snooper sizes what it reads, and that the
// fault is refused against anything but a native client.
import { describe, expect, it } from 'vitest';
import { PERM_R } from '../../src/board/address_space.js';
import { buildSimulation } from '../../src/scenario/build.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { snoopedFrameLength } from '../../src/sddf/rx_pool_snoop.js';

function build(extra: string) {
  const r = loadScenarioText(
    `name: pool\nclients:\n  - { name: a, kind: native, app: echo }\n  - { name: g, kind: vm, app: echo }\n${extra}`,
    'pool.yaml',
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return buildSimulation(r.scenario);
}

describe('the shared RX DMA pool as a client sees it', () => {
  it('with copiers: no address of the pool range is mapped into the client', () => {
    const sim = build('');
    const pool = sim.net!.clientConfigs[0]!.rxPool!;
    expect(pool.size).toBe(sim.net!.rxDma.size);
    const as = sim.net!.clients[0]!.as;
    for (const m of as.mappings) {
      expect(m.region.name).not.toBe('net/rx/data/device');
      expect(m.vaddr + m.size <= pool.vaddr || m.vaddr >= pool.vaddr + pool.size).toBe(true);
    }
  });

  it('with rx_copier false: the pool is mapped read-only into every client, and no copier exists', () => {
    const sim = build('protections: { rx_copier: false }\n');
    expect(sim.net!.copiers).toEqual([null, null]);
    sim.net!.clients.forEach((pd, i) => {
      const m = pd.as.mappingOf('net/rx/data/device');
      expect(m).not.toBeNull();
      expect(m!.perms).toBe(PERM_R);
      expect(sim.net!.clientConfigs[i]!.rxPool).toEqual({ vaddr: m!.vaddr, size: m!.size });
    });
  });

  it('refuses snoop-rx-pool against a guest (its VMM is trusted, and a guest sees only its RAM)', () => {
    expect(() => build('faults:\n  - { at: 1ms, kind: snoop-rx-pool, target: g }\n')).toThrow(
      /snoop-rx-pool.*not a native client/,
    );
  });
});

describe('snoopedFrameLength', () => {
  it('sizes IPv4 and ARP frames from their headers and ignores a buffer holding neither', () => {
    const b = new Uint8Array(2048);
    expect(snoopedFrameLength(b)).toBe(0);
    b.set([0x08, 0x06], 12);
    expect(snoopedFrameLength(b)).toBe(60);
    b.set([0x08, 0x00], 12);
    b.set([0x05, 0xdc], 16); // total length 1500
    expect(snoopedFrameLength(b)).toBe(1514);
    b.set([0x00, 0x1c], 16); // 28: a header-only datagram, padded to the minimum frame
    expect(snoopedFrameLength(b)).toBe(60);
    b.set([0xff, 0xff], 16); // longer than any frame: cut at the largest
    expect(snoopedFrameLength(b)).toBe(1514);
    b.set([0x00, 0x10], 16); // shorter than an IPv4 header: not a datagram
    expect(snoopedFrameLength(b)).toBe(0);
  });
});
