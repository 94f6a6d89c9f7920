/**
 * Functions route templates (ASP.NET style): `channels/{channelId}/customers/{customerId}`,
 * optional `{x?}`, constraints `{id:int}` / `{id:alpha}` / `{id:guid}`, catch-all `{*rest}`.
 * Matching is case-insensitive on literals, like the host.
 */

type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string; optional: boolean; catchAll: boolean; constraint?: string };

export interface CompiledRoute {
  template: string;
  segments: Segment[];
  /** Lower sorts first: literal segments beat parameters, which beat optional and catch-all ones. */
  precedence: number[];
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  double: /^-?\d+(\.\d+)?$/,
  decimal: /^-?\d+(\.\d+)?$/,
  float: /^-?\d+(\.\d+)?$/,
};

export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments: Segment[] = trimmed === '' ? [] : trimmed.split('/').map(parseSegment);
  const precedence = segments.map((s) => (s.kind === 'literal' ? 0 : s.catchAll ? 4 : s.optional ? 3 : s.constraint ? 1 : 2));
  return { template: trimmed, segments, precedence };
}

function parseSegment(text: string): Segment {
  const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(text);
  if (!m) return { kind: 'literal', text };
  return { kind: 'param', catchAll: !!m[1], name: m[2], constraint: m[3]?.toLowerCase(), optional: !!m[4] };
}

/** The route parameters when `path` (without prefix, no leading slash) matches, else undefined. */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const parts = path === '' ? [] : path.split('/');
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of route.segments) {
    if (segment.kind === 'literal') {
      if (parts[i] === undefined || parts[i].toLowerCase() !== segment.text.toLowerCase()) return undefined;
      i++;
      continue;
    }
    if (segment.catchAll) {
      const rest = parts.slice(i).map(safeDecode).join('/');
      if (rest) params[segment.name] = rest;
      else if (!segment.optional) return undefined;
      i = parts.length;
      continue;
    }
    const part = parts[i];
    if (part === undefined || part === '') {
      if (!segment.optional) return undefined;
      continue;
    }
    const value = safeDecode(part);
    const check = segment.constraint ? CONSTRAINTS[segment.constraint] : undefined;
    if (check && !check.test(value)) return undefined;
    params[segment.name] = value;
    i++;
  }
  return i === parts.length ? params : undefined;
}

export function comparePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? -1;
    const y = b.precedence[i] ?? -1;
    if (x !== y) return x - y;
  }
  return 0;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
