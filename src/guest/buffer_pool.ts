import { assert } from '../board/assert.js';

/**
 * Fixed-size packet buffers laid out back to back in guest RAM (buffer i at baseGpa + i*size),
 * with a free stack of indices. The index is the token a virtqueue hands back with a used
 * buffer, so the driver never trusts the device for an address.
 */
export class BufferPool {
  readonly baseGpa: number;
  readonly count: number;
  readonly size: number;
  private readonly free: Int32Array;
  private top: number;

  constructor(baseGpa: number, count: number, size: number) {
    this.baseGpa = baseGpa;
    this.count = count;
    this.size = size;
    this.free = new Int32Array(count);
    for (let i = 0; i < count; i++) this.free[i] = count - 1 - i;
    this.top = count;
  }

  get available(): number {
    return this.top;
  }

  /** A free buffer's index, or -1. */
  take(): number {
    if (this.top === 0) return -1;
    return this.free[--this.top]!;
  }

  give(i: number): void {
    assert(this.top < this.count && i >= 0 && i < this.count, 'BufferPool.give: buffer returned twice');
    this.free[this.top++] = i;
  }

  gpa(i: number): number {
    return this.baseGpa + i * this.size;
  }
}
