// A one-line progress indicator on stderr, for people at a terminal only: never when stderr is
// not a TTY or when CI is set, so logs and pipes stay clean.

import type { CliIo } from './io.js';

export function progressAllowed(io: CliIo): boolean {
  const ci = io.env['CI'];
  return io.stderrIsTTY && (ci === undefined || ci === '' || ci === 'false' || ci === '0');
}

export class Progress {
  private readonly io: CliIo;
  private readonly label: string;
  private readonly enabled: boolean;
  private shown = false;
  private last = '';

  constructor(io: CliIo, label: string, enabled: boolean) {
    this.io = io;
    this.label = label;
    this.enabled = enabled;
  }

  /** fraction in [0, 1]; `detail` follows the bar. */
  update(fraction: number, detail = ''): void {
    if (!this.enabled) return;
    const width = Math.max(
      10,
      Math.min(40, (this.io.stderrColumns ?? 80) - this.label.length - detail.length - 12),
    );
    const f = Math.max(0, Math.min(1, fraction));
    const filled = Math.round(f * width);
    const line = `${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(f * 100)}% ${detail}`;
    if (line === this.last) return;
    this.last = line;
    this.io.stderr(`\r${line}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.io.stderr('\n');
    this.shown = false;
  }
}
