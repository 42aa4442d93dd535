/**
 * Visibility rules, compatible with docker-proxy-filter: a container is visible when its name contains
 * any CONTAINER_NAMES value, or one of its labels matches a CONTAINER_LABELS rule. With no rules at all,
 * every container is visible.
 */
export interface LabelRule {
  readonly key: string;
  /** When set, the same label's value must contain it too. */
  readonly value?: string;
}

export interface VisibilityRules {
  readonly names: readonly string[];
  readonly labels: readonly LabelRule[];
  /**
   * How a rule's text is compared with a name, a label key or a label value: `substring` (the default,
   * as docker-proxy-filter), `exact`, `glob` (`*` any run, `?` one character) or `regex` (JavaScript,
   * anchored only where the pattern anchors itself).
   */
  readonly match?: MatchMode;
  /**
   * `containers: owned`: also every container whose owner label has this value (see ownership.ts).
   * A container is visible when it is owned or matches a name or label rule.
   */
  readonly owned?: { readonly key: string; readonly owner: string };
}

export type MatchMode = 'substring' | 'exact' | 'glob' | 'regex';

/** Compiles one rule's text into a predicate for the mode; a bad regex throws (a configuration error). */
export function compileText(text: string, mode: MatchMode): (candidate: string) => boolean {
  switch (mode) {
    case 'substring':
      return (c) => c.includes(text);
    case 'exact':
      return (c) => c === text;
    case 'glob': {
      const re = new RegExp(
        `^${text
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
        'su',
      );
      return (c) => re.test(c);
    }
    case 'regex': {
      const re = new RegExp(text, 'u');
      return (c) => re.test(c);
    }
  }
}

/** What the rules look at: the container's own name (without the leading `/`) and its labels. */
export interface ContainerIdentity {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>> | null | undefined;
}

export type Visibility = ((container: ContainerIdentity) => boolean) & {
  /** Set on the predicate of an empty rule set: every container is visible. */
  readonly seesAll?: boolean;
  /** Set when every container the client owns is visible (`containers: owned`). */
  readonly includesOwned?: boolean;
  /**
   * Set when visibility is decided by names alone, compared as substrings or exactly: Go regular
   * expressions for the daemon's own `name` list filter that keep every container these rules can
   * show (and drop most others before the daemon even serialises them). A list is still filtered by
   * the predicate: this only spares work.
   */
  readonly daemonNames?: readonly string[];
  /**
   * Set when one exact label rule, or the owner label alone, decides visibility (issue #26): values
   * for the daemon's `label` list filter (`key` or `key=value`, compared exactly, all of them must
   * hold), so the daemon serialises only the containers the client can see. Substring, glob and regex
   * rules cannot be said in the daemon's terms, nor can an OR of several rules. A list is still
   * filtered by the predicate.
   */
  readonly daemonLabels?: readonly string[];
};

/** Go's regexp.QuoteMeta: the text as a literal in an RE2 pattern. */
export function goQuoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

export function parseNameRules(value: string): string[] {
  return splitList(value);
}

export function parseLabelRules(value: string): LabelRule[] {
  return splitList(value).map((entry) => {
    const eq = entry.indexOf('=');
    if (eq === -1) return { key: entry };
    const key = entry.slice(0, eq).trim();
    const labelValue = entry.slice(eq + 1).trim();
    if (!key) throw new Error(`entry "${entry}" has an empty label key`);
    if (!labelValue)
      throw new Error(`entry "${entry}" has an empty value (write just "${key}" to match any value)`);
    return { key, value: labelValue };
  });
}

/** Splits a comma-separated list; empty entries are a configuration mistake, not something to skip. */
function splitList(value: string): string[] {
  if (value.trim() === '') return [];
  return value.split(',').map((raw, index) => {
    const entry = raw.trim();
    if (!entry) throw new Error(`entry ${index + 1} of "${value}" is empty`);
    return entry;
  });
}

export function hasRules(rules: VisibilityRules): boolean {
  return rules.names.length > 0 || rules.labels.length > 0 || rules.owned !== undefined;
}

/** Compiles the rules once into the predicate used on every request. */
export function buildVisibility(rules: VisibilityRules | 'all'): Visibility {
  if (rules === 'all' || !hasRules(rules)) return Object.assign(() => true, { seesAll: true });
  const mode = rules.match ?? 'substring';
  const names = rules.names.map((n) => compileText(n, mode));
  const labels = rules.labels.map((rule) => ({
    key: compileText(rule.key, mode),
    value: rule.value === undefined ? null : compileText(rule.value, mode),
  }));
  const owned = rules.owned;
  const visibility: Visibility = (container) => {
    if (owned && container.labels?.[owned.key] === owned.owner) return true;
    const name = stripSlash(container.name);
    for (const wanted of names) if (wanted(name)) return true;
    const own = container.labels;
    if (!own || labels.length === 0) return false;
    for (const key of Object.keys(own)) {
      const value = own[key] ?? '';
      for (const rule of labels) {
        if (rule.key(key) && (rule.value === null || rule.value(value))) return true;
      }
    }
    return false;
  };
  if (owned) {
    const alone = rules.names.length === 0 && rules.labels.length === 0;
    return Object.assign(
      visibility,
      alone
        ? { includesOwned: true, daemonLabels: [`${owned.key}=${owned.owner}`] }
        : { includesOwned: true },
    );
  }
  const [only] = rules.labels;
  if (mode === 'exact' && rules.names.length === 0 && rules.labels.length === 1 && only) {
    const daemonLabels = [only.value === undefined ? only.key : `${only.key}=${only.value}`];
    return Object.assign(visibility, { daemonLabels });
  }
  if (labels.length === 0 && (mode === 'substring' || mode === 'exact')) {
    // The daemon matches each pattern against the name with and without its leading `/`.
    const daemonNames = rules.names.map((n) => (mode === 'exact' ? `^${goQuoteMeta(n)}$` : goQuoteMeta(n)));
    return Object.assign(visibility, { daemonNames });
  }
  return visibility;
}

export function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/**
 * The container's own name from a list entry's `Names`. Legacy links add entries such as
 * `/web/db` (an alias of db inside web); those are not the container's name, so they are skipped,
 * which keeps list decisions identical to inspect decisions (which see only `Name`).
 */
export function ownName(names: readonly string[] | null | undefined): string {
  if (!names) return '';
  for (const n of names) {
    if (stripSlash(n).indexOf('/') === -1) return stripSlash(n);
  }
  return '';
}
