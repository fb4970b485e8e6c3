// Colour for people at a terminal, plain text for everyone else: styles apply only when the
// stream is a TTY and NO_COLOR is unset (https://no-color.org).

import { styleText } from 'node:util';
import type { CliIo } from './io.js';

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';
export type Styler = (style: Style, text: string) => string;

const plain: Styler = (_style, text) => text;

export function colourEnabled(io: CliIo, stream: 'stdout' | 'stderr'): boolean {
  const tty = stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY;
  const noColor = io.env['NO_COLOR'];
  return tty && (noColor === undefined || noColor === '');
}

export function stylerFor(io: CliIo, stream: 'stdout' | 'stderr'): Styler {
  // The decision is ours (the io may not be the process's streams), so styleText must not re-check.
  return colourEnabled(io, stream)
    ? (style, text) => styleText(style, text, { validateStream: false })
    : plain;
}
