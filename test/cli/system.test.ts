import { describe, expect, it } from 'vitest';
import { cli, ECHO2 } from './cli_harness.js';
import { descendants, parseXml } from './xml_check.js';

describe('the XML checker used here', () => {
  it('rejects documents that are not well formed', () => {
    for (const bad of [
      '<a><b></a></b>',
      '<a x="1" x="2"/>',
      '<a>&</a>',
      '<a/><b/>',
      '<a><!-- x -- y --></a>',
      '<a>',
    ]) {
      expect(() => parseXml(bad), bad).toThrow(/not well formed/);
    }
    expect(parseXml('<a x="&lt;1&gt;"><b/><!-- ok --></a>').attrs['x']).toBe('<1>');
  });
});

describe('sddfsim system --format microkit', () => {
  it('writes a well-formed .system document with the echo-server PDs, priorities and budgets', async () => {
    const r = await cli(['system', ECHO2, '--format', 'microkit']);
    expect(r.code, r.stderr).toBe(0);
    const root = parseXml(r.stdout);
    expect(root.name).toBe('system');
    const pds = new Map(descendants(root, 'protection_domain').map((p) => [p.attrs['name']!, p.attrs]));
    const expected: Record<string, number> = {
      ethernet_driver: 101,
      net_virt_tx: 100,
      net_virt_rx: 99,
      client0_net_copier: 98,
      client1_net_copier: 98,
      client0: 97,
      client1: 97,
    };
    expect([...pds.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, prio] of Object.entries(expected)) {
      expect(Number(pds.get(name)!['priority']), name).toBe(prio);
      expect(pds.get(name)!['cpu'], name).toBe('0');
    }
    expect(pds.get('ethernet_driver')!['budget']).toBe('100');
    expect(pds.get('ethernet_driver')!['period']).toBe('400');
  });

  it('maps only declared regions, names existing PDs at both channel ends, and gives the driver its IRQ', async () => {
    const root = parseXml((await cli(['system', ECHO2])).stdout);
    const regions = new Map(
      root.children.filter((c) => c.name === 'memory_region').map((c) => [c.attrs['name']!, c]),
    );
    const pdNames = new Set(descendants(root, 'protection_domain').map((p) => p.attrs['name']));
    for (const m of descendants(root, 'map')) {
      expect(regions.has(m.attrs['mr']!), m.attrs['mr']).toBe(true);
      expect(m.attrs['perms']).toMatch(/^r?w?x?$/);
      expect(['true', 'false']).toContain(m.attrs['cached']);
      expect(m.attrs['vaddr']).toMatch(/^0x[0-9a-f]+$/);
    }
    // Device registers and DMA regions have fixed physical addresses.
    expect(regions.get('enet/regs')!.attrs['phys_addr']).toBe('0x30be0000');
    expect(regions.get('net/rx/data/device')!.attrs['phys_addr']).toMatch(/^0x/);
    const channels = descendants(root, 'channel');
    // driver<->virt_rx, driver<->virt_tx, and per client virt_rx<->copier, copier<->client, virt_tx<->client.
    expect(channels).toHaveLength(2 + 3 * 2);
    const ends = new Set<string>();
    for (const c of channels) {
      expect(c.children.map((e) => e.name)).toEqual(['end', 'end']);
      for (const e of c.children) {
        expect(pdNames.has(e.attrs['pd'])).toBe(true);
        const key = `${e.attrs['pd']}/${e.attrs['id']}`;
        expect(ends.has(key), `channel end ${key} used once`).toBe(false);
        ends.add(key);
      }
    }
    const driver = descendants(root, 'protection_domain').find((p) => p.attrs['name'] === 'ethernet_driver')!;
    const irqs = driver.children.filter((c) => c.name === 'irq');
    expect(irqs.map((i) => i.attrs['irq'])).toEqual(['150']);
    expect(ends.has(`ethernet_driver/${irqs[0]!.attrs['id']}`)).toBe(false);
  });

  it('refuses an unknown format with exit 2', async () => {
    expect((await cli(['system', ECHO2, '--format', 'capdl'])).code).toBe(2);
  });
});

describe('sddfsim system beyond Microkit limits', () => {
  it('warns about the PDs and channels a Microkit image could not hold', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'sddfsim-mk-'));
    const clients = Array.from(
      { length: 64 },
      (_, i) => `  - { name: g${i}, kind: vm, app: echo, guest: { ram: 4MiB } }`,
    );
    const file = join(dir, 'g64.yaml');
    writeFileSync(file, `name: g64\nduration: 10ms\nwarmup: 5ms\nclients:\n${clients.join('\n')}\n`);
    const r = await cli(['system', file, '--format', 'microkit']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/131 protection domains: Microkit allows at most 63/);
    expect(r.stderr).toMatch(/net_virt_rx uses channel ids up to 64/);
  });
});
