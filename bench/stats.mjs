// The benchmarks' statistics, shared by bench/run.mjs and bench/livestore/run.mjs: each
// case's ratio is the median of per-run paired ratios, with a percentile bootstrap 95 %
// interval, and met / missed only when the whole interval clears the goal.
import { rng } from './page/data.js';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
export const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

export const RESAMPLES = 10_000;
const BOOTSTRAP_SEED = 14; // fixed: the same samples give the same interval

/** Percentile bootstrap 95 % interval of `statistic(...sets)`, each set resampled with replacement. */
function bootstrap(sets, statistic) {
  const rand = rng(BOOTSTRAP_SEED);
  const values = new Float64Array(RESAMPLES);
  for (let k = 0; k < RESAMPLES; k++) {
    values[k] = statistic(...sets.map((xs) => xs.map(() => xs[Math.floor(rand() * xs.length)])));
  }
  values.sort();
  return [values[Math.floor(0.025 * (RESAMPLES - 1))], values[Math.ceil(0.975 * (RESAMPLES - 1))]];
}

/**
 * toolkit ÷ baseline, and a bootstrap 95 % interval of it. How samples pair:
 * - as many on each side: sample i of each side was measured in run i (the sides alternate
 *   run by run), so the ratio is the median of the per-run ratios and the interval
 *   resamples the runs;
 * - one value on one side (a budget, or a reference measured once) and several runs on the
 *   other: every run is paired with that value (its own noise, if any, is not in the interval);
 * - one value on each side (bundle sizes, heap): a plain ratio, no interval;
 * - several on each side but not as many (nothing to pair by): the ratio of the medians,
 *   and the interval resamples each side on its own.
 * Samples are in the case's unit. For throughput both sides are the same count ÷ time, so
 * toolkit_i ÷ baseline_i = baseline_ms_i ÷ toolkit_ms_i: the ratio of the paired times.
 */
export function compare(toolkit, baseline) {
  const [nt, nb] = [toolkit.length, baseline.length];
  if (nt === 1 && nb === 1) return { pairing: 'single sample', ratio: toolkit[0] / baseline[0], interval: null };
  if (nt === nb || nt === 1 || nb === 1) {
    const ratios = Array.from({ length: Math.max(nt, nb) }, (_, i) => toolkit[nt === 1 ? 0 : i] / baseline[nb === 1 ? 0 : i]);
    const pairing = nt === nb ? 'paired by run' : `every run against the one ${nt === 1 ? 'toolkit' : 'baseline'} value`;
    return { pairing, ratio: median(ratios), interval: bootstrap([ratios], median), ratios };
  }
  return {
    pairing: 'unpaired',
    ratio: median(toolkit) / median(baseline),
    interval: bootstrap([toolkit, baseline], (t, b) => median(t) / median(b)),
  };
}

/** met / missed only when the whole interval is on one side of the goal; no goal: informational. */
export function verdictOf({ ratio, interval, goal, better }) {
  if (goal === undefined) return 'informational';
  const meets = (x) => (better === 'higher' ? x >= goal : x <= goal);
  const [lo, hi] = interval ?? [ratio, ratio];
  if (meets(lo) && meets(hi)) return 'met';
  if (!meets(lo) && !meets(hi)) return 'missed';
  return 'inside noise';
}
