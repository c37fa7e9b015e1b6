// Prometheus keeps one time series per distinct label set, so a label fed from outside (a command name, a factor
// type) is bounded: only short, plain values, and at most `max` distinct ones; anything else is `other`.
// https://prometheus.io/docs/practices/naming/#labels ("do not use labels to store dimensions with high cardinality")
export function boundedLabel(max: number, allowed?: readonly string[], shape = /^[A-Za-z0-9_.:-]{1,40}$/): (value: unknown) => string {
  const seen = new Set<string>(allowed ?? []);
  const fixed = allowed !== undefined;
  return (value) => {
    if (typeof value !== 'string' || !shape.test(value)) return 'other';
    if (seen.has(value)) return value;
    if (fixed || seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}
