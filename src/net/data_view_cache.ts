/**
 * A DataView per underlying buffer, created once and reused, so checksum loops can read 32 bits
 * at a time (about twice as fast as byte pairs) without allocating a view per packet. The last
 * buffer seen is checked first because a simulation mostly works on one memory.
 */
const views = new WeakMap<ArrayBufferLike, DataView>();
let lastBuffer: ArrayBufferLike | null = null;
let lastView: DataView | null = null;

/** A DataView over the whole buffer behind `b` (index with b.byteOffset + i). */
export function dataViewOf(b: Uint8Array): DataView {
  const buffer = b.buffer;
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
