/**
 * A DataView per underlying buffer, created once and reused, so checksum loops can read 32 bits
 * at a time (about twice as fast as byte pairs) without allocating a view per packet. The last
 * buffer seen is checked first because a simulation mostly works on one memory.
 *
 * Each cache also remembers the last Uint8Array it was asked about and answers the same array
 * again without reading `b.buffer`: that getter is not inlined by Node 20's optimising compiler
 * (a property-lookup call and a runtime call, ~15 ns), and an array's buffer never changes.
 */
const views = new WeakMap<ArrayBufferLike, DataView>();
let lastBuffer: ArrayBufferLike | null = null;
let lastView: DataView | null = null;
let lastViewArray: Uint8Array | null = null;

/** A DataView over the whole buffer behind `b` (index with b.byteOffset + i). */
export function dataViewOf(b: Uint8Array): DataView {
  if (b === lastViewArray) return lastView!;
  const buffer = b.buffer;
  lastViewArray = b;
  if (buffer === lastBuffer && lastView !== null) return lastView;
  let view = views.get(buffer);
  if (view === undefined) {
    view = new DataView(buffer);
    views.set(buffer, view);
  }
  lastBuffer = buffer;
  lastView = view;
  return view;
}

const wordViews = new WeakMap<ArrayBufferLike, Uint16Array>();
let lastWordBuffer: ArrayBufferLike | null = null;
let lastWords: Uint16Array | null = null;
let lastWordsArray: Uint8Array | null = null;

/** A Uint16Array over the whole buffer behind `b` (index with (b.byteOffset + i) / 2). */
export function wordsOf(b: Uint8Array): Uint16Array {
  if (b === lastWordsArray) return lastWords!;
  const buffer = b.buffer;
  lastWordsArray = b;
  if (buffer === lastWordBuffer && lastWords !== null) return lastWords;
  let w = wordViews.get(buffer);
  if (w === undefined) {
    w = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    wordViews.set(buffer, w);
  }
  lastWordBuffer = buffer;
  lastWords = w;
  return w;
}

const dwordViews = new WeakMap<ArrayBufferLike, Uint32Array>();
let lastDwordBuffer: ArrayBufferLike | null = null;
let lastDwords: Uint32Array | null = null;
let lastDwordsArray: Uint8Array | null = null;

/** A host-endian 32-bit view of the whole of b's buffer (a trailing partial word is left out). */
export function dwordsOf(b: Uint8Array): Uint32Array {
  if (b === lastDwordsArray) return lastDwords!;
  const buffer = b.buffer;
  lastDwordsArray = b;
  if (buffer === lastDwordBuffer && lastDwords !== null) return lastDwords;
  let w = dwordViews.get(buffer);
  if (w === undefined) {
    w = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    dwordViews.set(buffer, w);
  }
  lastDwordBuffer = buffer;
  lastDwords = w;
  return w;
}
