/** How a guest app hands frames to the guest kernel's network device. */
export interface NetTx {
  /** Copies buf[off, off+len) out; `more` defers the device kick (xmit_more). False when dropped. */
  transmit(buf: Uint8Array, off: number, len: number, more: boolean): boolean;
  /** Kicks the device for frames sent with `more`. */
  flush(): void;
}
