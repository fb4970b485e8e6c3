/**
 * i.MX8M ENET (10/100/1000 Ethernet MAC) register map, bits and buffer-descriptor layout, as in
 * the i.MX 8M Mini Applications Processor Reference Manual (IMX8MMRM rev. 3, section 11.5) and
 * sDDF's drivers/network/imx/ethernet.h. Only what the model implements or the driver writes.
 *
 * Legacy buffer descriptor (8 bytes, little-endian as with ECR.DBSWP set, in DMA memory):
 * | off | size | field                                                        |
 * |-----|------|--------------------------------------------------------------|
 * |   0 |    2 | len: RX = frame length written by the MAC (no FCS, see       |
 * |     |      |      nic_enet.ts); TX = bytes to send from addr               |
 * |   2 |    2 | stat: ownership and status bits (RXD_* / TXD_* / DESC_WRAP)  |
 * |   4 |    4 | addr: IO address of the data buffer                          |
 */

/** Size of one buffer descriptor in bytes. */
export const ENET_DESC_SIZE = 8;
export const DESC_OFF_LEN = 0;
export const DESC_OFF_STAT = 2;
export const DESC_OFF_ADDR = 4;

/** Size of the register window the model decodes (the ENET block spans 16 KiB). */
export const ENET_MMIO_SIZE = 0x4000;

// Register offsets (ENET_* as in the reference manual's memory map).
export const ENET_EIR = 0x004;
export const ENET_EIMR = 0x008;
export const ENET_RDAR = 0x010;
export const ENET_TDAR = 0x014;
export const ENET_ECR = 0x024;
export const ENET_MMFR = 0x040;
export const ENET_MSCR = 0x044;
export const ENET_MIBC = 0x064;
export const ENET_RCR = 0x084;
export const ENET_TCR = 0x0c4;
export const ENET_PALR = 0x0e4;
export const ENET_PAUR = 0x0e8;
export const ENET_OPD = 0x0ec;
export const ENET_TXIC0 = 0x0f0;
export const ENET_TXIC1 = 0x0f4;
export const ENET_TXIC2 = 0x0f8;
export const ENET_RXIC0 = 0x100;
export const ENET_RXIC1 = 0x104;
export const ENET_RXIC2 = 0x108;
export const ENET_IAUR = 0x118;
export const ENET_IALR = 0x11c;
export const ENET_GAUR = 0x120;
export const ENET_GALR = 0x124;
export const ENET_TFWR = 0x144;
export const ENET_ERDSR = 0x180;
export const ENET_ETDSR = 0x184;
export const ENET_EMRBR = 0x188;
export const ENET_RSFL = 0x190;
export const ENET_RSEM = 0x194;
export const ENET_RAEM = 0x198;
export const ENET_RAFL = 0x19c;
export const ENET_TSEM = 0x1a0;
export const ENET_TAEM = 0x1a4;
export const ENET_TAFL = 0x1a8;
export const ENET_TIPG = 0x1ac;
export const ENET_FTRL = 0x1b0;
export const ENET_TACC = 0x1c0;
export const ENET_RACC = 0x1c4;

/** MIB statistics block (read-only counters); the model backs the few listed below. */
export const ENET_MIB_START = 0x200;
export const ENET_MIB_END = 0x300;
export const ENET_RMON_T_PACKETS = 0x204;
export const ENET_RMON_T_OCTETS = 0x244;
export const ENET_IEEE_T_FRAME_OK = 0x24c;
export const ENET_RMON_R_PACKETS = 0x284;
export const ENET_RMON_R_OCTETS = 0x2c4;
export const ENET_IEEE_R_DROP = 0x2c8;
export const ENET_IEEE_R_FRAME_OK = 0x2cc;

// EIR / EIMR bits.
export const EIR_BABR = 1 << 30;
export const EIR_BABT = 1 << 29;
export const EIR_GRA = 1 << 28;
export const EIR_TXF = 1 << 27;
export const EIR_TXB = 1 << 26;
export const EIR_RXF = 1 << 25;
export const EIR_RXB = 1 << 24;
export const EIR_MII = 1 << 23;
export const EIR_EBERR = 1 << 22;

/** RDAR/TDAR: the "descriptor active" bit; any write sets it. */
export const RDAR_RDAR = 1 << 24;
export const TDAR_TDAR = 1 << 24;

// ECR bits.
export const ECR_RESET = 1 << 0;
export const ECR_ETHEREN = 1 << 1;
export const ECR_SPEED = 1 << 5;
export const ECR_DBSWP = 1 << 8;
/** Reset value: bits 28..30 are reserved and read as one. */
export const ECR_RESET_VALUE = 0x7000_0000;

// MIBC bits: the MIB block reports idle at once, so sDDF's "wait for MIBC_IDLE" loops end.
export const MIBC_DIS = 1 << 31;
export const MIBC_IDLE = 1 << 30;
export const MIBC_CLEAR = 1 << 29;

// RCR bits.
export const RCR_LOOP = 1 << 0;
export const RCR_MII_MODE = 1 << 2;
export const RCR_PROM = 1 << 3;
export const RCR_RGMII_EN = 1 << 6;
export const RCR_BC_REJ = 1 << 4;
export const RCR_CRCFWD = 1 << 14;
export const RCR_MAX_FL_SHIFT = 16;
export const RCR_MAX_FL_MASK = 0x3fff;
/** Reset value: MAX_FL 1518, MII mode, LOOP. */
export const RCR_RESET_VALUE = 0x05ee_0001;

// TCR bits.
export const TCR_GTS = 1 << 0;
export const TCR_FDEN = 1 << 2;

/** PAUR low half: the MAC control frame type, read-only 0x8808. */
export const PAUR_TYPE = 0x8808;

// TACC / RACC (checksum accelerator) bits.
export const TACC_SHIFT16 = 1 << 0;
/** Insert the IPv4 header checksum into transmitted frames. */
export const TACC_IPCHK = 1 << 3;
/** Insert the TCP/UDP/ICMP checksum into transmitted frames. */
export const TACC_PROCHK = 1 << 4;
export const RACC_PADREM = 1 << 0;
/** Discard received frames whose IPv4 header checksum is wrong. */
export const RACC_IPDIS = 1 << 1;
/** Discard received frames whose TCP/UDP/ICMP checksum is wrong. */
export const RACC_PRODIS = 1 << 2;
/** Discard frames with MAC-layer errors (the model always drops them). */
export const RACC_LINEDIS = 1 << 6;
export const RACC_SHIFT16 = 1 << 7;
/** TFWR: store and forward, which checksum insertion needs on the real MAC. */
export const TFWR_STRFWD = 1 << 8;

// TXIC/RXIC (interrupt coalescing) fields.
export const TXIC_ICEN = 1 << 31;
export const RXIC_ICEN = TXIC_ICEN;
/** Clock source: 0 = the MII/GMII transmit clock, 1 = the ENET system clock. */
export const IC_ICCS = 1 << 30;
export const IC_ICFT_SHIFT = 20;
export const IC_ICFT_MASK = 0xff;
export const IC_ICTT_MASK = 0xffff;
/** The coalescing timer counts in units of 64 periods of the selected clock. */
export const IC_TIMER_CLOCKS_PER_UNIT = 64;

/** ICFT(x): the frame-count threshold field. */
export function icft(frames: number): number {
  return (frames & IC_ICFT_MASK) << IC_ICFT_SHIFT;
}

/** RCR_MAX_FL(x): the maximum frame length field (length including FCS). */
export function rcrMaxFl(len: number): number {
  return (len & RCR_MAX_FL_MASK) << RCR_MAX_FL_SHIFT;
}

/** Ring start registers ignore the low 3 bits (descriptors are 8-byte aligned). */
export const DSR_MASK = 0xffff_fff8;
/** EMRBR: receive buffer size, a multiple of 16 in bits 4..13. */
export const EMRBR_MASK = 0x3ff0;

// Descriptor stat bits shared by RX and TX.
export const DESC_WRAP = 1 << 13;
export const DESC_LAST = 1 << 11;

// RX descriptor stat bits.
export const RXD_EMPTY = 1 << 15;
export const RXD_RO1 = 1 << 14;
export const RXD_WRAP = DESC_WRAP;
export const RXD_RO2 = 1 << 12;
export const RXD_LAST = DESC_LAST;

// TX descriptor stat bits.
export const TXD_READY = 1 << 15;
export const TXD_TO1 = 1 << 14;
export const TXD_WRAP = DESC_WRAP;
export const TXD_TO2 = 1 << 12;
export const TXD_LAST = DESC_LAST;
/** TC: the MAC appends the FCS (sDDF calls it ADDCRC). */
export const TXD_ADDCRC = 1 << 10;
export const TXD_TC = TXD_ADDCRC;
/**
 * Simulator addition, in a bit the legacy descriptor leaves reserved: set on a TX descriptor the
 * MAC completed without sending because its buffer could not be read (IOMMU block) or its length
 * was impossible. The real ENET reports this only through EIR.EBERR.
 */
export const TXD_SIM_ERROR = 1 << 0;
