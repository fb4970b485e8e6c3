// The recording file (`run --record FILE`, read by `replay`): everything needed to run again
// and to tell whether the second run did the same thing. msgpack, one map:
//
// | key           | value                                                           |
// |---------------|-----------------------------------------------------------------|
// | format        | 'sddfsim-recording'                                             |
// | version       | RECORDING_VERSION                                               |
// | scenarioText  | the scenario file's text as read                                |
// | scenarioFile  | its name as given (the extension picks YAML or JSON)            |
// | overrides     | [{ path, value }] applied on top (--seed, --duration)           |
// | seed          | the seed the run used                                           |
// | build         | { package_version, src_hash } (see build_id.ts)                 |
// | events        | EventLog, typed arrays stored as little-endian bytes            |
// | result        | the result document                                             |

import { pack, unpack } from 'msgpackr';
import type { ResultDocument } from '../report/result.js';
import type { BuildId } from './build_id.js';
import type { EventLog } from './observers/event_recorder.js';
import type { OverrideValue, PathSegment } from './scenario_path.js';

export const RECORDING_FORMAT = 'sddfsim-recording';
export const RECORDING_VERSION = 1;

export interface Recording {
  scenarioText: string;
  scenarioFile: string;
  overrides: { text: string; path: PathSegment[]; value: OverrideValue }[];
  seed: number;
  build: BuildId;
  events: EventLog;
  result: ResultDocument;
}

function bytesOf(a: Float64Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeRecording(r: Recording): Uint8Array {
  const e = r.events;
  return pack({
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    scenarioText: r.scenarioText,
    scenarioFile: r.scenarioFile,
    overrides: r.overrides,
    seed: r.seed,
    build: r.build,
    events: {
      count: e.count,
      checkpointEvery: e.checkpointEvery,
      checkpointHashes: bytesOf(e.checkpointHashes),
      checkpointTimes: bytesOf(e.checkpointTimes),
      stored: e.stored,
      times: bytesOf(e.times),
      targets: bytesOf(e.targets),
      args: bytesOf(e.args),
    },
    result: r.result,
  });
}

/** Decodes a recording; a string says why the bytes are not one (never throws on bad input). */
export function decodeRecording(bytes: Uint8Array): Recording | string {
  let raw: unknown;
  try {
    raw = unpack(bytes);
  } catch (e) {
    return `not a recording (msgpack: ${(e as Error).message})`;
  }
  const o = record(raw);
  if (o === null || o['format'] !== RECORDING_FORMAT) return 'not an sddfsim recording';
  if (o['version'] !== RECORDING_VERSION) {
    return `recording version ${String(o['version'])} is not supported (this build reads version ${RECORDING_VERSION})`;
  }
  const ev = record(o['events']);
  const build = record(o['build']);
  const result = record(o['result']);
  if (
    typeof o['scenarioText'] !== 'string' ||
    typeof o['scenarioFile'] !== 'string' ||
    !Array.isArray(o['overrides']) ||
    typeof o['seed'] !== 'number' ||
    ev === null ||
    build === null ||
    result === null
  ) {
    return 'the recording is incomplete or damaged';
  }
  const overrides: Recording['overrides'] = [];
  for (const x of o['overrides'] as unknown[]) {
    const ov = record(x);
    if (ov === null || typeof ov['text'] !== 'string' || !Array.isArray(ov['path'])) {
      return 'the recording has a damaged override';
    }
    const path = ov['path'] as unknown[];
    const value = ov['value'];
    if (!path.every((p) => typeof p === 'string' || typeof p === 'number')) return 'damaged override path';
    const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    const list = Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (!scalar && !list) return 'damaged override value';
    overrides.push({ text: ov['text'], path: path as PathSegment[], value: value as OverrideValue });
  }
  const f64 = (k: string) => typedFrom(ev[k], 8, (b) => new Float64Array(b));
  const u32 = (k: string) => typedFrom(ev[k], 4, (b) => new Uint32Array(b));
  const checkpointHashes = u32('checkpointHashes');
  const checkpointTimes = f64('checkpointTimes');
  const times = f64('times');
  const targets = u32('targets');
  const args = f64('args');
  const count = ev['count'];
  const every = ev['checkpointEvery'];
  const stored = ev['stored'];
  if (
    checkpointHashes === null ||
    checkpointTimes === null ||
    times === null ||
    targets === null ||
    args === null ||
    typeof count !== 'number' ||
    typeof every !== 'number' ||
    typeof stored !== 'number' ||
    times.length !== stored ||
    targets.length !== stored ||
    args.length !== stored ||
    checkpointHashes.length !== checkpointTimes.length
  ) {
    return 'the recording has a damaged event log';
  }
  return {
    scenarioText: o['scenarioText'],
    scenarioFile: o['scenarioFile'],
    overrides,
    seed: o['seed'],
    build: {
      package_version: String(build['package_version']),
      src_hash: String(build['src_hash']),
    },
    events: {
      count,
      checkpointEvery: every,
      checkpointHashes,
      checkpointTimes,
      stored,
      times,
      targets,
      args,
    },
    result: result as unknown as ResultDocument,
  };
}

function record(x: unknown): Record<string, unknown> | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array)
    ? (x as Record<string, unknown>)
    : null;
}

// Copies into a fresh, aligned buffer: the decoded bytes may sit at any offset.
function typedFrom<T>(x: unknown, width: number, make: (b: ArrayBuffer) => T): T | null {
  if (!(x instanceof Uint8Array) || x.byteLength % width !== 0) return null;
  const copy = new Uint8Array(x.byteLength);
  copy.set(x);
  return make(copy.buffer);
}
