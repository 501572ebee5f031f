import { ResourceType } from '../resources';
import { badRequest } from '../status';
import { KubeObject } from '../types';

/*
 * Label and field selectors with the grammar of k8s.io/apimachinery/pkg/labels and /fields:
 * `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3` and `metadata.name=x,status.phase!=Running`.
 */

type Operator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<';

interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

export type Matcher = (object: KubeObject) => boolean;

const everything: Matcher = () => true;

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map(p => p.trim()).filter(p => p.length > 0);
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseLabelRequirement(text: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(text);
  if (m) return { key: m[1], op: '!', values: [] };
  m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (m) {
    const values = m[3]
      .split(',')
      .map(v => v.trim())
      .filter(v => v !== '');
    return { key: m[1], op: m[2] as Operator, values };
  }
  m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$/.exec(text);
  if (m) {
    const op = m[2] === '==' ? '=' : (m[2] as Operator);
    return { key: m[1], op, values: [m[3].trim()] };
  }
  if (/^[^=!<>\s()]+$/.test(text))
    return { key: text, op: 'exists', values: [] };
  throw badRequest(
    `unable to parse requirement: found '${text}', expected: a valid label selector`,
  );
}

function matchesRequirement(
  labels: Record<string, string>,
  r: Requirement,
): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case '=':
      return has && value === r.values[0];
    case '!=':
      return !has || value !== r.values[0];
    case 'in':
      return has && r.values.includes(value);
    case 'notin':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case '>':
    case '<': {
      const n = Number(value);
      const bound = Number(r.values[0]);
      if (!has || Number.isNaN(n)) return false;
      return r.op === '>' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

export function parseLabelSelector(
  selector: string | undefined | null,
): Matcher {
  if (!selector || !selector.trim()) return everything;
  const requirements = splitTopLevel(selector).map(parseLabelRequirement);
  for (const r of requirements) {
    if (!LABEL_KEY.test(r.key) || r.key.length > 317) {
      throw badRequest(
        `unable to parse requirement: invalid label key "${r.key}"`,
      );
    }
    for (const v of r.values) {
      if (!LABEL_VALUE.test(v) || v.length > 63) {
        throw badRequest(
          `unable to parse requirement: invalid label value: "${v}"`,
        );
      }
    }
    if ((r.op === '>' || r.op === '<') && Number.isNaN(Number(r.values[0]))) {
      throw badRequest(
        `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
      );
    }
  }
  return object => {
    const labels = object.metadata.labels ?? {};
    return requirements.every(r => matchesRequirement(labels, r));
  };
}

const EXPRESSION_OPERATORS: Record<string, Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/** Selects from a LabelSelector object (matchLabels / matchExpressions), as in NetworkPolicy. */
export function matchLabelSelectorObject(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: Array<{
          key: string;
          operator: string;
          values?: string[];
        }>;
      }
    | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const op = EXPRESSION_OPERATORS[e.operator] ?? '!';
    if (!matchesRequirement(labels, { key: e.key, op, values: e.values ?? [] }))
      return false;
  }
  return true;
}

/** Field selector keys that are not plain paths (events' `source` means source.component). */
const FIELD_ALIASES: Record<string, string> = { source: 'source.component' };

function fieldValue(object: KubeObject, key: string): string {
  const path = FIELD_ALIASES[key] ?? key;
  let current: any = object;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return '';
    current = current[part];
  }
  if (current === undefined || current === null) return '';
  return String(current);
}

/** Unescapes `\,` `\=` `\\` as fields.EscapeValue writes them. */
function unescapeFieldValue(v: string): string {
  return v.replace(/\\([\\,=])/g, '$1');
}

export function parseFieldSelector(
  selector: string | undefined | null,
  resource: ResourceType,
): Matcher {
  if (!selector || !selector.trim()) return everything;
  const allowed = new Set([
    'metadata.name',
    'metadata.namespace',
    ...(resource.fieldSelectors ?? []),
  ]);
  const parts = selector
    .split(/(?<!\\),/)
    .map(p => p.trim())
    .filter(Boolean);
  const requirements = parts.map(part => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) {
      throw badRequest(
        `invalid selector: '${selector}'; can't understand '${part}'`,
      );
    }
    const key = m[1].trim();
    if (!allowed.has(key)) {
      throw badRequest(`field label not supported: ${key}`);
    }
    return { key, negate: m[2] === '!=', value: unescapeFieldValue(m[3]) };
  });
  return object =>
    requirements.every(
      r => (fieldValue(object, r.key) === r.value) !== r.negate,
    );
}
