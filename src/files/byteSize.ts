/** A size in bytes as people read it, to three digits in decimal units: `512 bytes`, `1.05 MB`, `315 MB`. */
export function describeBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let unit = 0;
  let value = bytes / 1000;
  while (Number(value.toPrecision(3)) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}

/**
 * Two sizes (a file's and its limit) as {@link describeBytes} gives them, or to the byte when that would show them
 * alike (`1,000,001 bytes` over `1,000,000 bytes`, not `1 MB` over `1 MB`).
 */
export function describeBytesApart(size: number, limit: number): [string, string] {
  const [a, b] = [describeBytes(size), describeBytes(limit)];
  const exact = (bytes: number) => `${bytes.toLocaleString('en-US')} bytes`;
  return a === b ? [exact(size), exact(limit)] : [a, b];
}
