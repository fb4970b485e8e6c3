/**
 * Zeroed byte buffers for region memory and cache mirrors, kept across simulations in one process.
 *
 * A sweep or crash-test worker builds board after board. On the virtual machines this project runs
 * on, the first touch of a 4 KiB page costs 11-14 µs (a page fault the hypervisor serves too), and
 * a board cycles through its sDDF data regions and their cache mirrors within its first simulated
 * second: about 4,000 faults for the default scenario, 8,000 for eight guests, 40,000 for 64. A
 * buffer handed back when a simulation is done (PhysicalMemory.release) is resident, and zeroing
 * it for the next board is a memset.
 *
 * That only pays for dense memory, which a run touches all of. A VM's RAM is sparse (a 16 MiB
 * guest touches about 1 MiB: its rings and buffers), and zeroing a kept one would touch the rest:
 * it comes from freshZeroedBytes and is never handed back. A buffer is zeroed when it is taken, so
 * a board always starts from zeroed memory, exactly as from a new allocation.
 */

const POOL_MAX_BYTES = 512 * 1024 * 1024;

const free = new Map<number, Uint8Array<ArrayBuffer>[]>();
let freeBytes = 0;

/**
 * A zeroed buffer of exactly `size` bytes, of its own (byteOffset 0, the whole ArrayBuffer), for
 * memory a run will touch all of.
 */
export function takeZeroedBytes(size: number): Uint8Array<ArrayBuffer> {
  const list = free.get(size);
  if (list !== undefined && list.length > 0) {
    const b = list.pop()!;
    freeBytes -= size;
    b.fill(0);
    return b;
  }
  return new Uint8Array(size);
}

/**
 * Hands a buffer back for a later takeZeroedBytes. The caller must never touch it again: the
 * next board may be given the same memory.
 */
export function giveBytes(b: Uint8Array): void {
  const size = b.byteLength;
  if (size === 0 || b.byteOffset !== 0 || size !== b.buffer.byteLength) return;
  if (freeBytes + size > POOL_MAX_BYTES) return;
  let list = free.get(size);
  if (list === undefined) {
    list = [];
    free.set(size, list);
  }
  // A buffer already in the pool (a double release) must not be handed out twice.
  const own = b as Uint8Array<ArrayBuffer>;
  if (list.includes(own)) return;
  list.push(own);
  freeBytes += size;
}

/** Bytes waiting in the pool (for tests). */
export function pooledBytes(): number {
  return freeBytes;
}

const WASM_PAGE = 65536;

/** The one WebAssembly call made here (the Node typings this project builds with do not declare it). */
interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmMemoryApi }).WebAssembly;

/**
 * A zeroed buffer of `size` bytes at byteOffset 0 whose pages the OS zeroes when first touched,
 * however many buffers were freed before: for sparse memory (a VM's RAM).
 *
 * A plain ArrayBuffer comes from the C heap (calloc). Once a run has freed a buffer of this size,
 * glibc raises its mmap threshold above it, and the next one is carved from the heap and zeroed in
 * full. Measured on eight 16 MiB guests, 1 s runs one after another in one process: about one run
 * in three took 31k page faults instead of 2k, 0.95x instead of 1.29x. A WebAssembly memory is a
 * mapping of its own (V8 maps it directly, never through malloc) and is unmapped when collected.
 * Its buffer may be a little longer than `size` (whole 64 KiB pages). If the reservation is refused
 * (V8 caps the address space its memories may reserve: about a hundred of them), a plain buffer
 * will do.
 */
export function freshZeroedBytes(size: number): Uint8Array {
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
