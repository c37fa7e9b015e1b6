// A bar chart as plain SVG geometry for the template (no script, no inline style: CSP allows it as is). Each bar
// carries its day and count as a <title> for hover and for assistive technology.

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
}

export function barChart(values: Array<{ day: string; n: number }>, size = { width: 600, height: 120 }) {
  const max = Math.max(1, ...values.map((v) => v.n));
  const slot = size.width / Math.max(values.length, 1);
  const bars: Bar[] = values.map((v, i) => {
    const height = Math.round((v.n / max) * (size.height - 16));
    return { x: Math.round(i * slot + 1), y: size.height - height, width: Math.max(1, Math.round(slot - 2)), height, title: `${v.day}: ${v.n}` };
  });
  return { ...size, viewBox: `0 0 ${size.width} ${size.height}`, bars, max, first: values[0]?.day, last: values.at(-1)?.day };
}
