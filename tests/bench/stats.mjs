// The few statistics the benchmarks report: medians and spreads over rounds,
// percentiles within a round, ratios of rounds run side by side.

// The p-th percentile (0..100) by nearest rank of a list of numbers.
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

// Median and spread (min, max) of a scenario's rounds; null for no rounds.
export function summary(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

// f(a[r], b[r]) for each round r both lists have, summarised: the rounds of a
// pair ran one after the other, so the machine's drift mostly cancels out.
export function paired(a, b, f) {
  const n = Math.min(a.length, b.length);
  return summary(Array.from({ length: n }, (_, r) => f(a[r], b[r])));
}
