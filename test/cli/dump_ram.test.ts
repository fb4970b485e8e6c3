import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, cli, scratchDir } from './cli_harness.js';

const dir = scratchDir();
afterAll(() => cleanup(dir));

const SCENARIO = `name: two-guests
duration: 20ms
warmup: 10ms
clients:
  - { name: g0, kind: vm, app: echo }
  - { name: n0, kind: native, app: echo }
load:
  - { to: g0, rate: 50Mbps }
`;

describe('sddfsim run --dump-ram', () => {
  it("writes each guest's RAM and a layout whose rings read correctly with virtio_ring.h offsets", async () => {
    const file = join(dir, 's.yaml');
    writeFileSync(file, SCENARIO);
    const out = join(dir, 'ram');
    const r = await cli(['run', file, '--dump-ram', out]);
    expect(r.code).toBe(0);
    const layout = JSON.parse(readFileSync(join(out, 'g0.json'), 'utf8'));
    const ram = readFileSync(join(out, layout.ram_file));
    expect(ram.length).toBe(layout.ram_bytes);
    expect(layout.virtqueues).toHaveLength(2);
    for (const q of layout.virtqueues) {
      expect(q.ready).toBe(true);
      const at = (gpa: number) => gpa - layout.gpa_base;
      // struct vring_avail { le16 flags; le16 idx; le16 ring[]; }: the driver has made buffers available.
      const availIdx = ram.readUInt16LE(at(q.driver_gpa) + 2);
      expect(availIdx).toBeGreaterThan(0);
      // Every descriptor the avail ring names points inside guest RAM (struct vring_desc: le64 addr, le32 len).
      const n = Math.min(availIdx, q.size);
      for (let i = 0; i < n; i++) {
        const head = ram.readUInt16LE(at(q.driver_gpa) + 4 + 2 * i);
        expect(head).toBeLessThan(q.size);
        const addr = Number(ram.readBigUInt64LE(at(q.desc_gpa) + 16 * head));
        expect(addr).toBeGreaterThanOrEqual(layout.gpa_base);
        expect(addr).toBeLessThan(layout.gpa_base + layout.ram_bytes);
      }
    }
    // RX (queue 0): the device has used buffers: struct vring_used { le16 flags; le16 idx; ... }.
    const rx = layout.virtqueues[0];
    expect(ram.readUInt16LE(rx.device_gpa - layout.gpa_base + 2)).toBeGreaterThan(0);
  });

  it('refuses to overwrite a previous dump without --force', async () => {
    const file = join(dir, 's.yaml');
    const r = await cli(['run', file, '--dump-ram', join(dir, 'ram')]);
    expect(r.code).toBe(2);
  });
});

describe('sddfsim run --driver', () => {
  it('swaps the native driver for a driver VM and reports its CPU split', async () => {
    const file = join(dir, 'drv.yaml');
    writeFileSync(
      file,
      'name: drv\nduration: 40ms\nwarmup: 20ms\nclients:\n  - { name: n0, kind: native, app: echo }\nload:\n  - { to: n0, rate: 5Mbps }\n',
    );
    const vm = await cli(['run', file, '--driver', 'vm', '--json']);
    expect(vm.code).toBe(0);
    const doc = JSON.parse(vm.stdout);
    expect(doc.driver_vm).toBeDefined();
    expect(doc.pds.some((p: { name: string }) => p.name.endsWith('_vcpu'))).toBe(true);
    const native = JSON.parse((await cli(['run', file, '--json'])).stdout);
    expect(native.driver_vm).toBeUndefined();
    expect(doc.load[0].achieved_mbps).toBeGreaterThan(4.5);
    expect(native.load[0].achieved_mbps).toBeGreaterThan(4.5);
  });
});
