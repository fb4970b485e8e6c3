/**
 * CPU frequency scaling of the Linux baseline: the schedutil governor of Linux 6.1 driving
 * the i.MX8M Mini's operating points through cpufreq-dt.
 *
 * Facts it rests on:
 * - drivers/cpufreq/Kconfig: the default governor is schedutil on ARM64 (since 5.10; a
 *   defconfig could choose another, the calibration file does not say).
 * - imx8mm.dtsi `a53_opp_table`: 1.2, 1.6 and 1.8 GHz (a 1.8 GHz part has all three), one
 *   policy for the four A53s (`opp-shared`), `clock-latency-ns = <150000>`.
 * - cpufreq_policy_transition_delay_us(): 150 us x LATENCY_MULTIPLIER (1000), capped at
 *   10 ms, is schedutil's rate limit: it re-evaluates the frequency at most every 10 ms.
 * - schedutil's get_next_freq()/map_util_freq(): freq = 1.25 x max_freq x util / capacity,
 *   resolved to the lowest operating point at or above it (CPUFREQ_RELATION_L). util is
 *   frequency invariant (arm64 scales PELT by cur/max), i.e. "busy fraction at max_freq".
 * - PELT: utilisation is a geometric average with a 32 ms half-life (y^32 = 1/2).
 *
 * Why it matters here: at low load the core runs at 1.2 GHz, so every operation takes 1.5x
 * the time it takes at 1.8 GHz and the measured CPU (a share of time) is 1.5x higher; once
 * util x 1.25 exceeds the lower operating points the core is clocked up and the CPU share
 * per datagram drops by a third. That is the fall of the measured Linux CPU per datagram
 * between 300 and 500 Mb/s (about 43.5k down to 29.4k cycles at 1.8 GHz, a ratio of 1.48).
 */
export const IMX8MM_OPPS_GHZ: readonly number[] = [1.2, 1.6, 1.8];
/** schedutil's rate limit: min(150 us x 1000, 10 ms). */
export const SCHEDUTIL_RATE_LIMIT_NS = 10e6;
/** PELT half-life. */
export const PELT_HALF_LIFE_NS = 32e6;
/** map_util_freq's headroom: freq + freq / 4. */
export const SCHEDUTIL_HEADROOM = 1.25;

export class Schedutil {
  readonly opps: readonly number[];
  readonly maxGhz: number;
  /** Current frequency (GHz) and the time one cycle at max_freq takes, relative. */
  ghz: number;
  /** Cost multiplier: work that takes c cycles at max_freq takes c x scale max_freq cycles now. */
  scale: number;
  /** Frequency-invariant utilisation, 0..1; negative until the first window was measured. */
  util = -1;
  changes = 0;
  private lastNs = -1;
  private lastIdleCycles = 0;

  constructor(opps: readonly number[] = IMX8MM_OPPS_GHZ, startGhz?: number) {
    this.opps = [...opps].sort((a, b) => a - b);
    this.maxGhz = this.opps[this.opps.length - 1]!;
    this.ghz = startGhz ?? this.maxGhz;
    this.scale = this.maxGhz / this.ghz;
  }

  /** Whether update() would do anything now (it is rate-limited). */
  due(nowNs: number): boolean {
    return this.lastNs < 0 || nowNs - this.lastNs >= SCHEDUTIL_RATE_LIMIT_NS;
  }

  /**
   * Called from the kernel's scheduling paths (cpufreq_update_util): folds the busy share of
   * the time since the last evaluation into util and, at most every rate-limit interval,
   * picks the frequency. `idleCycles` is the core's idle time so far, in max_freq cycles.
   */
  update(nowNs: number, idleCycles: number, cyclesPerNs: number): void {
    if (this.lastNs < 0) {
      this.lastNs = nowNs;
      this.lastIdleCycles = idleCycles;
      return;
    }
    const dt = nowNs - this.lastNs;
    if (dt < SCHEDUTIL_RATE_LIMIT_NS) return;
    const idle = (idleCycles - this.lastIdleCycles) / cyclesPerNs;
    const busy = Math.min(1, Math.max(0, 1 - idle / dt));
    // Time spent busy at ghz does ghz/max of the work max_freq would do in it.
    const u = (busy * this.ghz) / this.maxGhz;
    if (this.util < 0) this.util = u;
    else {
      const decay = 0.5 ** (dt / PELT_HALF_LIFE_NS);
      this.util = this.util * decay + u * (1 - decay);
    }
    this.lastNs = nowNs;
    this.lastIdleCycles = idleCycles;
    const target = SCHEDUTIL_HEADROOM * this.maxGhz * this.util;
    let next = this.maxGhz;
    for (const f of this.opps) {
      if (f >= target - 1e-9) {
        next = f;
        break;
      }
    }
    if (next !== this.ghz) {
      this.ghz = next;
      this.scale = this.maxGhz / next;
      this.changes++;
    }
  }
}
