import { insertChecksums } from '../net/checksum_offload.js';
import { ETH_FCS_LEN, ETH_HEADER_LEN, ethernetWireBytes } from '../net/ethernet.js';
import { ParsedFrame, parseFrame } from '../net/frame_parser.js';
import { IPPROTO_ICMP, IPPROTO_UDP } from '../net/ipv4.js';
import { NetError } from '../net/net_error.js';
import { isBroadcastMac, isMulticastMac, readMac } from '../net/mac.js';
import { assert } from './assert.js';
import {
  DESC_LAST,
  DESC_OFF_ADDR,
  DESC_OFF_LEN,
  DESC_OFF_STAT,
  DESC_WRAP,
  DSR_MASK,
  ECR_ETHEREN,
  ECR_RESET,
  ECR_RESET_VALUE,
  EIR_EBERR,
  EIR_RXF,
  EIR_TXF,
  EMRBR_MASK,
  ENET_DESC_SIZE,
  ENET_ECR,
  ENET_EIMR,
  ENET_EIR,
  ENET_EMRBR,
  ENET_ERDSR,
  ENET_ETDSR,
  ENET_FTRL,
  ENET_GALR,
  ENET_GAUR,
  ENET_IALR,
  ENET_IAUR,
  ENET_IEEE_R_DROP,
  ENET_IEEE_R_FRAME_OK,
  ENET_IEEE_T_FRAME_OK,
  ENET_MIB_END,
  ENET_MIB_START,
  ENET_MIBC,
  ENET_MMFR,
  ENET_MMIO_SIZE,
  ENET_MSCR,
  ENET_OPD,
  ENET_PALR,
  ENET_PAUR,
  ENET_RACC,
  ENET_RAEM,
  ENET_RAFL,
  ENET_RCR,
  ENET_RDAR,
  ENET_RMON_R_OCTETS,
  ENET_RMON_R_PACKETS,
  ENET_RMON_T_OCTETS,
  ENET_RMON_T_PACKETS,
  ENET_RSEM,
  ENET_RSFL,
  ENET_RXIC0,
  ENET_RXIC1,
  ENET_RXIC2,
  ENET_TACC,
  ENET_TAEM,
  ENET_TAFL,
  ENET_TCR,
  ENET_TDAR,
  ENET_TFWR,
  ENET_TIPG,
  ENET_TSEM,
  ENET_TXIC0,
  ENET_TXIC1,
  ENET_TXIC2,
  IC_ICCS,
  IC_ICFT_MASK,
  IC_ICFT_SHIFT,
  IC_ICTT_MASK,
  IC_TIMER_CLOCKS_PER_UNIT,
  MIBC_CLEAR,
  MIBC_DIS,
  MIBC_IDLE,
  PAUR_TYPE,
  RACC_IPDIS,
  RACC_PRODIS,
  RCR_BC_REJ,
  RCR_MAX_FL_MASK,
  RCR_MAX_FL_SHIFT,
  RCR_PROM,
  RCR_RESET_VALUE,
  RDAR_RDAR,
  RXIC_ICEN,
  RXD_EMPTY,
  RXD_RO1,
  RXD_RO2,
  TACC_IPCHK,
  TACC_PROCHK,
  TDAR_TDAR,
  TXD_READY,
  TXD_SIM_ERROR,
  TXIC_ICEN,
} from './enet_regs.js';
import type { Engine, EventSink } from './engine.js';
import type { NicEndpoint, NicLink } from './host.js';
import type { Iommu } from './iommu.js';
import type { MmioHandler } from './memory.js';

export interface EnetNicOptions {
  name: string;
  engine: Engine;
  iommu: Iommu;
  /** Logical now in ns (the kernel's logicalNowNs): MMIO writes happen inside entry points. */
  clock: () => number;
  /** Drives the interrupt line (the kernel's setIrqLine for this NIC's IRQ). */
  setIrq: (level: boolean) => void;
  /** Line rate in bit/s; sets the GMII/MII clock the coalescing timer counts by default. */
  rateBps: number;
  /** Factory MAC (48-bit number), loaded into PALR/PAUR at power-up as a bootloader leaves it. */
  mac: number;
  /** ENET system clock, used by the coalescing timers when ICCS selects it. */
  systemClockHz?: number;
}

export class EnetCounters {
  rxFrames = 0;
  rxBytes = 0;
  /** No EMPTY descriptor, or RDAR inactive (the MAC had already found none). */
  rxDropNoDescriptor = 0;
  /** ECR.ETHEREN clear. */
  rxDropDisabled = 0;
  /** Unicast to another MAC while not promiscuous, or broadcast with RCR.BC_REJ. */
  rxDropFiltered = 0;
  /** Longer than MAX_FL (FCS included) or than EMRBR (multi-buffer RX is not modelled). */
  rxDropTooLong = 0;
  /** Shorter than an Ethernet header. */
  rxDropRunt = 0;
  /** Wrong IPv4 or UDP/ICMP checksum with RACC.IPDIS / RACC.PRODIS set. */
  rxDropChecksum = 0;
  /** The frame could not be written (IOMMU block); the descriptor stays EMPTY. */
  rxDropDmaBlocked = 0;
  txFrames = 0;
  txBytes = 0;
  /** TX frames completed with TXD_SIM_ERROR (unreadable buffer or longer than 2048 bytes). */
  txErrors = 0;
  /** TX frames whose checksums the MAC filled in (TACC.IPCHK / TACC.PROCHK). */
  txChecksumsInserted = 0;
  /** DMA accesses (descriptors or data) the IOMMU refused; each also raises EIR.EBERR. */
  dmaBlocked = 0;
  /** TXF / RXF assertions after coalescing. */
  txInterrupts = 0;
  rxInterrupts = 0;
  /** Rising edges of the interrupt line. */
  irqEdges = 0;
  /** Accesses to offsets the model does not decode, or with a width other than 32 bits. */
  unknownRegisterAccesses = 0;
}

/** Largest frame the transmit engine gathers; the TX FIFO of the real MAC is about this size. */
const TX_SCRATCH_SIZE = 2048;
/** Descriptors one frame may span before the MAC gives up on it (no LAST in sight). */
const MAX_DESC_PER_FRAME = 64;
const DEFAULT_SYSTEM_CLOCK_HZ = 266e6;

const EV_TX_KICK = 0;
const EV_TX_DONE = 1;
const EV_TX_TIMER = 2;
const EV_RX_TIMER = 3;
const EV_OPS = 4;

/** Offsets that hold plain read/write state with no side effect. */
const PLAIN_REGISTERS = [
  ENET_MMFR,
  ENET_MSCR,
  ENET_RCR,
  ENET_TCR,
  ENET_PALR,
  ENET_OPD,
  ENET_TXIC1,
  ENET_TXIC2,
  ENET_RXIC1,
  ENET_RXIC2,
  ENET_IAUR,
  ENET_IALR,
  ENET_GAUR,
  ENET_GALR,
  ENET_TFWR,
  ENET_RSFL,
  ENET_RSEM,
  ENET_RAEM,
  ENET_RAFL,
  ENET_TSEM,
  ENET_TAEM,
  ENET_TAFL,
  ENET_TIPG,
  ENET_FTRL,
  ENET_TACC,
  ENET_RACC,
];

/**
 * An i.MX8 ENET-like MAC: the register file sDDF's driver programs, 8-byte buffer descriptors
 * in DMA memory walked until a WRAP descriptor, RX into EMPTY descriptors, TX of READY
 * descriptors at line rate through the wire, EIR/EIMR interrupts with TX/RX coalescing. Every
 * memory access goes through the IOMMU; a refused access is counted, raises EIR.EBERR and is
 * never performed.
 *
 * Modelled simplifications, each the behaviour sDDF's configuration would see anyway:
 * - Descriptors are little-endian whatever ECR.DBSWP says (sDDF sets DBSWP).
 * - RX lengths and buffers exclude the FCS, as with RCR.CRCFWD set; MAX_FL still counts it.
 * - Frames longer than MAX_FL are dropped (sDDF sets RACC.LINEDIS, which discards them) and so
 *   are frames longer than EMRBR (the real MAC would spread them over several descriptors, which
 *   cannot happen with sDDF's MAX_FL 1518 < EMRBR 1536).
 * - The address filter accepts its own unicast MAC and every group address (no hash tables).
 * - TX frames may span descriptors up to LAST; TXD_SIM_ERROR marks a TX descriptor completed
 *   without sending (see enet_regs.ts).
 * - Checksum accelerators: TACC.IPCHK or TACC.PROCHK (sDDF sets both) fills in the IPv4 header
 *   and UDP/ICMP checksums of outgoing UDP/ICMP-over-IPv4 frames; RACC.IPDIS / RACC.PRODIS drop
 *   received frames whose IPv4 / UDP or ICMP checksum is wrong. Other protocols pass untouched.
 *
 * Coalescing timer unit (TXIC0/RXIC0 ICTT): 64 periods of the selected clock, as the i.MX ENET
 * counts it. With ICCS clear that is the GMII transmit clock, 125 MHz at 1 Gb/s (rate/8; MII at
 * 100 Mb/s and below runs at rate/4), so one unit is 512 ns and sDDF's ICTT 0xFF is 130.56 us.
 * With ICCS set it is `systemClockHz`. The timer starts at the first completion after the last
 * interrupt; TXF/RXF fires after ICFT frames or at the timer, whichever comes first. ICFT 0 acts
 * as 1; ICTT 0 disables the timer.
 *
 * Time: a TDAR write starts the transmit engine at clock() (the writer's logical time). RX
 * happens when the wire delivers the last bit. The register file is otherwise updated at once.
 */
export class EnetNic implements MmioHandler, EventSink, NicEndpoint {
  readonly name: string;
  readonly counters = new EnetCounters();

  private readonly engine: Engine;
  private readonly iommu: Iommu;
  private readonly clock: () => number;
  private readonly setIrq: (level: boolean) => void;
  private readonly rateBps: number;
  private readonly systemClockHz: number;
  private readonly sinkId: number;
  private link: NicLink | null = null;

  /** Backing store of the plain registers, indexed by offset / 4. */
  private readonly regs = new Uint32Array(ENET_MMIO_SIZE >>> 2);
  private readonly plain = new Uint8Array(ENET_MMIO_SIZE >>> 2);
  private eir = 0;
  private eimr = 0;
  private ecr = ECR_RESET_VALUE;
  private mibc = MIBC_DIS;
  private paur = 0;
  private txic0 = 0;
  private rxic0 = 0;
  private erdsr = 0;
  private etdsr = 0;
  private emrbr = 0;
  private irqLevel = false;

  private rdarActive = false;
  private rxIndex = 0;

  /** TDAR: set by a write, cleared when the engine finds no READY descriptor. */
  private tdarActive = false;
  /** A kick is pending or a frame is on the wire. */
  private txBusy = false;
  /** Bumped on reset/disable so the engine ignores its own stale events. */
  private txGen = 0;
  private txIndex = 0;
  private txFrameDescs = 0;
  private txFrameLen = 0;
  private readonly txScratch = new Uint8Array(TX_SCRATCH_SIZE);
  private readonly parsed = new ParsedFrame();

  private txCoalCount = 0;
  private txTimerGen = 0;
  private rxCoalCount = 0;
  private rxTimerGen = 0;

  constructor(opts: EnetNicOptions) {
    assert(opts.rateBps > 0, `NIC ${opts.name}: rate must be positive`);
    this.name = opts.name;
    this.engine = opts.engine;
    this.iommu = opts.iommu;
    this.clock = opts.clock;
    this.setIrq = opts.setIrq;
    this.rateBps = opts.rateBps;
    this.systemClockHz = opts.systemClockHz ?? DEFAULT_SYSTEM_CLOCK_HZ;
    this.sinkId = opts.engine.addSink(this);
    for (const off of PLAIN_REGISTERS) this.plain[off >>> 2] = 1;
    this.regs[ENET_RCR >>> 2] = RCR_RESET_VALUE;
    this.regs[ENET_PALR >>> 2] = Math.floor(opts.mac / 0x1_0000) >>> 0;
    this.paur = ((opts.mac % 0x1_0000) << 16) >>> 0;
  }

  attachLink(link: NicLink): void {
    this.link = link;
  }

  /** Current level of the interrupt line. */
  get irq(): boolean {
    return this.irqLevel;
  }

  /** The MAC the address filter matches (PALR/PAUR as the driver left them). */
  get mac(): number {
    return (this.regs[ENET_PALR >>> 2]! >>> 0) * 0x1_0000 + (this.paur >>> 16);
  }

  /**
   * The coalescing timer unit in ns for a TXIC/RXIC value: 64 periods of the GMII/MII clock
   * (ICCS clear) or of the system clock (ICCS set).
   */
  coalescingUnitNs(icValue: number): number {
    const rate = this.rateBps;
    const hz = (icValue & IC_ICCS) !== 0 ? this.systemClockHz : rate >= 1e9 ? rate / 8 : rate / 4;
    return (IC_TIMER_CLOCKS_PER_UNIT * 1e9) / hz;
  }

  // ------------------------------------------------------------------ registers

  mmioRead(offset: number, width: number): number {
    if (width !== 4 || (offset & 3) !== 0 || offset < 0 || offset >= ENET_MMIO_SIZE) {
      this.counters.unknownRegisterAccesses++;
      return 0;
    }
    const c = this.counters;
    switch (offset) {
      case ENET_EIR:
        return this.eir >>> 0;
      case ENET_EIMR:
        return this.eimr >>> 0;
      case ENET_RDAR:
        return this.rdarActive ? RDAR_RDAR : 0;
      case ENET_TDAR:
        return this.tdarActive ? TDAR_TDAR : 0;
      case ENET_ECR:
        return this.ecr >>> 0;
      case ENET_MIBC:
        return (this.mibc | MIBC_IDLE) >>> 0;
      case ENET_PAUR:
        return ((this.paur & 0xffff_0000) | PAUR_TYPE) >>> 0;
      case ENET_TXIC0:
        return this.txic0 >>> 0;
      case ENET_RXIC0:
        return this.rxic0 >>> 0;
      case ENET_ERDSR:
        return this.erdsr;
      case ENET_ETDSR:
        return this.etdsr;
      case ENET_EMRBR:
        return this.emrbr;
      case ENET_RMON_T_PACKETS:
      case ENET_IEEE_T_FRAME_OK:
        return c.txFrames % 0x1_0000_0000;
      case ENET_RMON_T_OCTETS:
        return c.txBytes % 0x1_0000_0000;
      case ENET_RMON_R_PACKETS:
      case ENET_IEEE_R_FRAME_OK:
        return c.rxFrames % 0x1_0000_0000;
      case ENET_RMON_R_OCTETS:
        return c.rxBytes % 0x1_0000_0000;
      case ENET_IEEE_R_DROP:
        return c.rxDropNoDescriptor % 0x1_0000_0000;
    }
    const w = offset >>> 2;
    if (this.plain[w] === 1) return this.regs[w]!;
    if (offset >= ENET_MIB_START && offset < ENET_MIB_END) return 0;
    c.unknownRegisterAccesses++;
    return 0;
  }

  mmioWrite(offset: number, width: number, value: number): void {
    if (width !== 4 || (offset & 3) !== 0 || offset < 0 || offset >= ENET_MMIO_SIZE) {
      this.counters.unknownRegisterAccesses++;
      return;
    }
    value >>>= 0;
    switch (offset) {
      case ENET_EIR:
        this.eir &= ~value;
        this._updateIrq();
        return;
      case ENET_EIMR:
        this.eimr = value | 0;
        this._updateIrq();
        return;
      case ENET_RDAR:
        if (this._enabled()) this.rdarActive = true;
        return;
      case ENET_TDAR:
        if (this._enabled()) this._kickTx();
        return;
      case ENET_ECR:
        this._writeEcr(value);
        return;
      case ENET_MIBC:
        this.mibc = value & (MIBC_DIS | MIBC_CLEAR);
        return;
      case ENET_PAUR:
        this.paur = value & 0xffff_0000;
        return;
      case ENET_TXIC0:
        this.txic0 = value | 0;
        this.txCoalCount = 0;
        this.txTimerGen++;
        return;
      case ENET_RXIC0:
        this.rxic0 = value | 0;
        this.rxCoalCount = 0;
        this.rxTimerGen++;
        return;
      case ENET_ERDSR:
        this.erdsr = (value & DSR_MASK) >>> 0;
        this.rxIndex = 0;
        return;
      case ENET_ETDSR:
        this.etdsr = (value & DSR_MASK) >>> 0;
        this.txIndex = 0;
        return;
      case ENET_EMRBR:
        this.emrbr = value & EMRBR_MASK;
        return;
    }
    const w = offset >>> 2;
    if (this.plain[w] === 1) {
      this.regs[w] = value;
      return;
    }
    // The MIB counters are read-only here; writes to them are harmless and not counted.
    if (offset >= ENET_MIB_START && offset < ENET_MIB_END) return;
    this.counters.unknownRegisterAccesses++;
  }

  private _enabled(): boolean {
    return (this.ecr & ECR_ETHEREN) !== 0;
  }

  private _writeEcr(value: number): void {
    if ((value & ECR_RESET) !== 0) {
      this._reset();
      return;
    }
    const wasEnabled = this._enabled();
    this.ecr = (value | ECR_RESET_VALUE) & ~ECR_RESET;
    if (wasEnabled && !this._enabled()) this._stopDma();
  }

  /** Clearing ETHEREN stops both DMA engines and rewinds them to the ring starts. */
  private _stopDma(): void {
    this.rdarActive = false;
    this.tdarActive = false;
    this.txBusy = false;
    this.txGen++;
    this.rxIndex = 0;
    this.txIndex = 0;
    this.txCoalCount = 0;
    this.rxCoalCount = 0;
    this.txTimerGen++;
    this.rxTimerGen++;
  }

  /** ECR.RESET: registers to their reset values; the MAC address survives, as sDDF expects. */
  private _reset(): void {
    const palr = this.regs[ENET_PALR >>> 2]!;
    this.regs.fill(0);
    this.regs[ENET_PALR >>> 2] = palr;
    this.regs[ENET_RCR >>> 2] = RCR_RESET_VALUE;
    this.ecr = ECR_RESET_VALUE;
    this.mibc = MIBC_DIS;
    this.eir = 0;
    this.eimr = 0;
    this.txic0 = 0;
    this.rxic0 = 0;
    this.erdsr = 0;
    this.etdsr = 0;
    this.emrbr = 0;
    this._stopDma();
    this._updateIrq();
  }

  // ------------------------------------------------------------------ interrupts

  private _raise(bits: number): void {
    this.eir |= bits;
    this._updateIrq();
  }

  private _updateIrq(): void {
    const level = (this.eir & this.eimr) !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    if (level) this.counters.irqEdges++;
    this.setIrq(level);
  }

  private _busError(): void {
    this.counters.dmaBlocked++;
    this._raise(EIR_EBERR);
  }

  private _txCompleted(now: number): void {
    const ic = this.txic0;
    if ((ic & TXIC_ICEN) === 0) {
      this._fireTx();
      return;
    }
    this.txCoalCount++;
    const ictt = ic & IC_ICTT_MASK;
    if (this.txCoalCount === 1 && ictt !== 0) {
      this.txTimerGen++;
      const at = now + ictt * this.coalescingUnitNs(ic);
      this.engine.at(at, this.sinkId, this.txTimerGen * EV_OPS + EV_TX_TIMER);
    }
    const icft = (ic >>> IC_ICFT_SHIFT) & IC_ICFT_MASK;
    if (this.txCoalCount >= (icft === 0 ? 1 : icft)) this._fireTx();
  }

  private _fireTx(): void {
    this.txCoalCount = 0;
    this.txTimerGen++;
    this.counters.txInterrupts++;
    this._raise(EIR_TXF);
  }

  private _rxCompleted(now: number): void {
    const ic = this.rxic0;
    if ((ic & RXIC_ICEN) === 0) {
      this._fireRx();
      return;
    }
    this.rxCoalCount++;
    const ictt = ic & IC_ICTT_MASK;
    if (this.rxCoalCount === 1 && ictt !== 0) {
      this.rxTimerGen++;
      const at = now + ictt * this.coalescingUnitNs(ic);
      this.engine.at(at, this.sinkId, this.rxTimerGen * EV_OPS + EV_RX_TIMER);
    }
    const icft = (ic >>> IC_ICFT_SHIFT) & IC_ICFT_MASK;
    if (this.rxCoalCount >= (icft === 0 ? 1 : icft)) this._fireRx();
  }

  private _fireRx(): void {
    this.rxCoalCount = 0;
    this.rxTimerGen++;
    this.counters.rxInterrupts++;
    this._raise(EIR_RXF);
  }

  // ------------------------------------------------------------------ receive

  /** NicEndpoint: the wire delivers a frame whose last bit arrived at `timeNs`. */
  receiveFrame(buf: Uint8Array, off: number, len: number, timeNs: number): void {
    const c = this.counters;
    if (!this._enabled()) {
      c.rxDropDisabled++;
      return;
    }
    if (!this.rdarActive) {
      c.rxDropNoDescriptor++;
      return;
    }
    if (len < ETH_HEADER_LEN || off < 0 || off + len > buf.length) {
      c.rxDropRunt++;
      return;
    }
    const rcr = this.regs[ENET_RCR >>> 2]!;
    if ((rcr & RCR_PROM) === 0) {
      const dst = readMac(buf, off);
      const accept = isBroadcastMac(dst) ? (rcr & RCR_BC_REJ) === 0 : isMulticastMac(dst) || dst === this.mac;
      if (!accept) {
        c.rxDropFiltered++;
        return;
      }
    }
    const maxFl = (rcr >>> RCR_MAX_FL_SHIFT) & RCR_MAX_FL_MASK;
    if (len + ETH_FCS_LEN > maxFl || len > this.emrbr) {
      c.rxDropTooLong++;
      return;
    }
    const racc = this.regs[ENET_RACC >>> 2]!;
    if ((racc & (RACC_IPDIS | RACC_PRODIS)) !== 0 && this._badChecksum(buf, off, len, racc)) {
      c.rxDropChecksum++;
      return;
    }
    const iommu = this.iommu;
    const desc = this.erdsr + this.rxIndex * ENET_DESC_SIZE;
    const stat = iommu.dmaReadInt(desc + DESC_OFF_STAT, 2);
    if (stat < 0) {
      c.rxDropDmaBlocked++;
      this._busError();
      return;
    }
    if ((stat & RXD_EMPTY) === 0) {
      // The real ENET stops receive DMA until the driver writes RDAR again.
      this.rdarActive = false;
      c.rxDropNoDescriptor++;
      return;
    }
    const addr = iommu.dmaReadInt(desc + DESC_OFF_ADDR, 4);
    if (addr < 0 || !iommu.dmaWrite(addr, buf, off, len)) {
      c.rxDropDmaBlocked++;
      this._busError();
      return;
    }
    if (
      !iommu.dmaWriteInt(desc + DESC_OFF_LEN, 2, len) ||
      !iommu.dmaWriteInt(desc + DESC_OFF_STAT, 2, (stat & (DESC_WRAP | RXD_RO1 | RXD_RO2)) | DESC_LAST)
    ) {
      c.rxDropDmaBlocked++;
      this._busError();
      return;
    }
    this.rxIndex = (stat & DESC_WRAP) !== 0 ? 0 : this.rxIndex + 1;
    c.rxFrames++;
    c.rxBytes += len;
    this._rxCompleted(timeNs);
  }

  /** What the receive checksum accelerator rejects; non-IP and fragmented frames pass. */
  private _badChecksum(buf: Uint8Array, off: number, len: number, racc: number): boolean {
    const p = this.parsed;
    if (parseFrame(buf, off, len, p)) return false;
    if (p.error === NetError.BAD_IP_CHECKSUM && (racc & RACC_IPDIS) !== 0) return true;
    if ((racc & RACC_PRODIS) === 0 || p.payloadOffset === 0) return false;
    if (p.ipProtocol === IPPROTO_UDP) return !p.udpChecksumOk;
    if (p.ipProtocol === IPPROTO_ICMP) return !p.icmpChecksumOk;
    return false;
  }

  // ------------------------------------------------------------------ transmit

  private _kickTx(): void {
    if (this.tdarActive) return; // the engine re-reads the ring after each frame
    this.tdarActive = true;
    this.txBusy = true;
    const now = this.engine.now;
    const t = this.clock();
    this.engine.at(Math.max(t, now), this.sinkId, this.txGen * EV_OPS + EV_TX_KICK);
  }

  onEvent(arg: number, time: number): void {
    const op = arg % EV_OPS;
    const gen = (arg - op) / EV_OPS;
    switch (op) {
      case EV_TX_KICK:
        if (gen !== this.txGen) return;
        this.txBusy = false;
        this._txRun(time);
        return;
      case EV_TX_DONE:
        if (gen !== this.txGen) return;
        this.txBusy = false;
        this.counters.txFrames++;
        this.counters.txBytes += this.txFrameLen;
        if (this._completeFrame(false, time)) this._txRun(time);
        return;
      case EV_TX_TIMER:
        if (gen === this.txTimerGen && this.txCoalCount > 0) this._fireTx();
        return;
      case EV_RX_TIMER:
        if (gen === this.rxTimerGen && this.rxCoalCount > 0) this._fireRx();
        return;
    }
  }

  /**
   * Takes READY descriptors in ring order: gathers one frame (up to LAST) and hands it to the
   * wire, or completes it with an error and moves on. Goes idle (TDAR cleared) at the first
   * descriptor that is not READY.
   */
  private _txRun(now: number): void {
    const iommu = this.iommu;
    const scratch = this.txScratch;
    for (;;) {
      if (!this._enabled()) {
        this.tdarActive = false;
        return;
      }
      let idx = this.txIndex;
      let total = 0;
      let ndesc = 0;
      let bad = false;
      for (;;) {
        const desc = this.etdsr + idx * ENET_DESC_SIZE;
        const stat = iommu.dmaReadInt(desc + DESC_OFF_STAT, 2);
        const len = stat < 0 ? -1 : iommu.dmaReadInt(desc + DESC_OFF_LEN, 2);
        const addr = len < 0 ? -1 : iommu.dmaReadInt(desc + DESC_OFF_ADDR, 4);
        if (addr < 0) {
          // The ring itself is unreachable: the DMA engine stops.
          this._busError();
          this.tdarActive = false;
          return;
        }
        if ((stat & TXD_READY) === 0) {
          // Nothing (more) to send; a partly posted frame waits for the next TDAR write.
          this.tdarActive = false;
          return;
        }
        if (!bad) {
          if (total + len > TX_SCRATCH_SIZE) {
            bad = true;
          } else if (!iommu.dmaRead(addr, scratch, total, len)) {
            bad = true;
            this._busError();
          }
        }
        total += len;
        ndesc++;
        if ((stat & DESC_LAST) !== 0) break;
        if (ndesc >= MAX_DESC_PER_FRAME) {
          bad = true;
          break;
        }
        idx = (stat & DESC_WRAP) !== 0 ? 0 : idx + 1;
      }
      this.txFrameDescs = ndesc;
      if (bad) {
        this.counters.txErrors++;
        if (!this._completeFrame(true, now)) return;
        continue;
      }
      this.txFrameLen = total;
      // The accelerator fills checksums in the MAC's FIFO copy; memory is left as it was.
      const tacc = this.regs[ENET_TACC >>> 2]!;
      if ((tacc & (TACC_IPCHK | TACC_PROCHK)) !== 0 && insertChecksums(scratch, 0, total)) {
        this.counters.txChecksumsInserted++;
      }
      const link = this.link;
      const end =
        link !== null
          ? link.transmitFromNic(scratch, 0, total, now)
          : now + (ethernetWireBytes(total) * 8e9) / this.rateBps;
      this.txBusy = true;
      this.engine.at(end, this.sinkId, this.txGen * EV_OPS + EV_TX_DONE);
      return;
    }
  }

  /** Hands the frame's descriptors back (READY cleared); false if the ring became unreachable. */
  private _completeFrame(error: boolean, now: number): boolean {
    const iommu = this.iommu;
    let idx = this.txIndex;
    for (let k = 0; k < this.txFrameDescs; k++) {
      const desc = this.etdsr + idx * ENET_DESC_SIZE;
      const stat = iommu.dmaReadInt(desc + DESC_OFF_STAT, 2);
      const next = stat < 0 ? -1 : (stat & ~TXD_READY) | (error ? TXD_SIM_ERROR : 0);
      if (next < 0 || !iommu.dmaWriteInt(desc + DESC_OFF_STAT, 2, next)) {
        this._busError();
        this.tdarActive = false;
        return false;
      }
      idx = (stat & DESC_WRAP) !== 0 ? 0 : idx + 1;
    }
    this.txIndex = idx;
    this.txFrameDescs = 0;
    this._txCompleted(now);
    return true;
  }

  // ------------------------------------------------------------------ inspection

  snapshot(): object {
    return {
      name: this.name,
      regs: {
        eir: this.eir >>> 0,
        eimr: this.eimr >>> 0,
        ecr: this.ecr >>> 0,
        rcr: this.regs[ENET_RCR >>> 2]!,
        tcr: this.regs[ENET_TCR >>> 2]!,
        txic0: this.txic0 >>> 0,
        rxic0: this.rxic0 >>> 0,
        erdsr: this.erdsr,
        etdsr: this.etdsr,
        emrbr: this.emrbr,
        mac: this.mac,
      },
      irq: this.irqLevel,
      rx: { active: this.rdarActive, index: this.rxIndex, coalesced: this.rxCoalCount },
      tx: { active: this.tdarActive, busy: this.txBusy, index: this.txIndex, coalesced: this.txCoalCount },
      counters: { ...this.counters },
    };
  }
}
