// pcap captures at the points a run asks for: 'wire' (both directions, as a tap on the cable
// would see them) and any client's interface (what the client received and sent).

import { PcapWriter } from '../../net/pcap_writer.js';
import type { Simulation } from '../../scenario/build.js';
import type { RunObserver } from '../../scenario/run.js';
import { WIRE } from '../../scenario/schema.js';
import { tapClient, tapWire } from '../../scenario/frame_hooks.js';

export class PcapCapture implements RunObserver {
  readonly points: readonly string[];
  /** Capture point -> its file's contents so far; points that could not be tapped are absent. */
  readonly writers = new Map<string, PcapWriter>();
  /** Human-readable notes about points skipped (printed by the caller on stderr). */
  readonly warnings: string[] = [];

  constructor(points: readonly string[]) {
    this.points = points;
  }

  attach(sim: Simulation): void {
    for (const point of this.points) {
      if (this.writers.has(point)) continue;
      const w = new PcapWriter();
      const hook = (_dir: number, timeNs: number, buf: Uint8Array, off: number, len: number) => {
        w.addPacket(timeNs, buf, off, len);
      };
      if (point === WIRE) {
        tapWire(sim.board.wire, hook);
        this.writers.set(point, w);
        continue;
      }
      const view = sim.clients.find((c) => c.name === point);
      if (view === undefined) {
        this.warnings.push(`capture point '${point}' is not 'wire' or a client of this scenario: skipped`);
      } else if (!tapClient(view, hook)) {
        this.warnings.push(
          `capture point '${point}': a ${view.kind} client has no capture point in this build: skipped`,
        );
      } else {
        this.writers.set(point, w);
      }
    }
  }
}

/** File name of a capture point's pcap. */
export function pcapFileName(point: string): string {
  return `${point}.pcap`;
}
