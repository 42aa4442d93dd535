import { goToLower, goTrimSpace } from '../body/go-strings.ts';

const FALSE_VALUES: ReadonlySet<string> = new Set(['', '0', 'no', 'false', 'none']);

/**
 * httputils.BoolValue: any value but empty, 0, no, false and none is true, after Go's TrimSpace and
 * ToLower. JavaScript's trim() strips U+FEFF, which Go keeps, and keeps U+0085, which Go strips:
 * `logs=<BOM>0` is true to the daemon (review of #19).
 */
export function goBool(value: string | null): boolean {
  if (value === null) return false;
  return !FALSE_VALUES.has(goToLower(goTrimSpace(value)));
}
