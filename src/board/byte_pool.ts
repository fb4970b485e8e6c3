/**
 * Zeroed byte buffers for region memory and cache mirrors, kept across simulations in one process.
 *
 * A sweep or crash-test worker builds board after board. On the virtual machines this project runs
 * on, the first touch of a 4 KiB page costs about 12 µs (a page fault the hypervisor serves too),
 * and a board cycles through its sDDF data regions and their cache mirrors within the first tenth
 * of a simulated second: about 4,000 faults for the default scenario, 8,000 for eight guests. A
 * buffer handed back when a simulation is done (PhysicalMemory.release) is resident, and zeroing
 * it for the next board is a memset.
 *
 * Only buffers below 8 MiB are kept: guest RAM (16 MiB by default) is mostly never touched by a
 * run, and zeroing a reused one would touch all of it. A buffer is zeroed when it is taken, so a
 * board always starts from zeroed memory, exactly as from a new allocation.
 */

const POOLED_BELOW = 8 * 1024 * 1024;
const POOL_MAX_BYTES = 512 * 1024 * 1024;

const free = new Map<number, Uint8Array[]>();
let freeBytes = 0;

/**
 * A zeroed buffer of exactly `size` bytes at byteOffset 0 of an ArrayBuffer of its own (which, for
 * the large ones, may be a little longer).
 */
export function takeZeroedBytes(size: number): Uint8Array {
  const list = free.get(size);
  if (list !== undefined && list.length > 0) {
    const b = list.pop()!;
    freeBytes -= size;
    b.fill(0);
    return b;
  }
  return size >= POOLED_BELOW ? lazyZeroedBytes(size) : new Uint8Array(size);
}

const WASM_PAGE = 65536;

/** The one WebAssembly call made here (the Node typings this project builds with do not declare it). */
interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmMemoryApi }).WebAssembly;

/**
 * A zeroed buffer whose pages the OS zeroes when first touched, however many were freed before.
 *
 * A plain ArrayBuffer comes from the C heap (calloc). Once a run has freed a buffer of this size,
 * glibc raises its mmap threshold above it, and the next one is carved from the heap and zeroed in
 * full: every later board in the process then touched all of its guests' RAM. Measured on eight
 * 16 MiB guests, 1 s runs one after another in one process: about one run in three took 31k page
 * faults instead of 2k, 0.95x instead of 1.29x. A WebAssembly memory is a fresh mapping of its own
 * (V8 maps it directly, never through malloc) and is unmapped when collected. If the reservation
 * is refused (V8 caps the address space its memories may reserve), a plain buffer will do.
 */
function lazyZeroedBytes(size: number): Uint8Array {
  const pages = Math.ceil(size / WASM_PAGE);
  if (wasm !== undefined && pages <= 65536) {
    try {
      return new Uint8Array(new wasm.Memory({ initial: pages, maximum: pages }).buffer, 0, size);
    } catch {
      // Out of reservable address space: fall through.
    }
  }
  return new Uint8Array(size);
}

/**
 * Hands a buffer back for a later takeZeroedBytes. The caller must never touch it again: the
 * next board may be given the same memory.
 */
export function giveBytes(b: Uint8Array): void {
  const size = b.byteLength;
  if (size === 0 || size >= POOLED_BELOW || b.byteOffset !== 0 || size !== b.buffer.byteLength) return;
  if (freeBytes + size > POOL_MAX_BYTES) return;
  let list = free.get(size);
  if (list === undefined) {
    list = [];
    free.set(size, list);
  }
  // A buffer already in the pool (a double release) must not be handed out twice.
  if (list.includes(b)) return;
  list.push(b);
  freeBytes += size;
}

/** Bytes waiting in the pool (for tests). */
export function pooledBytes(): number {
  return freeBytes;
}
