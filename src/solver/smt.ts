// A small builder for SMT-LIB2 scripts over non-negative integers: variables, linear constraints
// and named (tracked) assertions, so that an unsat core names the requirements in conflict.

import { smtName, type SolverRule } from '../rules.js';

export type Term = string;

export interface Tracked {
  /** The rule it tracks (src/rules.ts). */
  rule: SolverRule;
  /** SMT name of the assertion, used in unsat cores: the rule's, with its part (smtName). */
  name: string;
  /** What a person is told when it is part of a conflict. */
  meaning: string;
}

export class Smt {
  private readonly decls: string[] = [];
  private readonly asserts: string[] = [];
  readonly vars: string[] = [];
  readonly tracked = new Map<string, Tracked>();

  /** A fresh integer variable in [lo, hi]. The bounds are structural (never in a core). */
  int(name: string, lo = 0, hi?: number): Term {
    if (this.vars.includes(name)) throw new Error(`duplicate SMT variable ${name}`);
    this.vars.push(name);
    this.decls.push(`(declare-const ${name} Int)`);
    this.asserts.push(hi === undefined ? `(assert (>= ${name} ${lo}))` : `(assert (<= ${lo} ${name} ${hi}))`);
    return name;
  }

  /** A structural constraint: always part of the model, never reported. */
  assert(expr: Term): void {
    this.asserts.push(`(assert ${expr})`);
  }

  /**
   * A tracked assertion of a rule (the class or location it is about as `part`, where the rule has
   * one per class or location): named, so unsat cores report it.
   */
  require(rule: SolverRule, part: string | number | undefined, meaning: string, expr: Term): void {
    const name = smtName(rule, part);
    this.tracked.set(name, { rule, name, meaning });
    this.asserts.push(`(assert (! ${expr} :named ${name}))`);
  }

  script(): string {
    return `${this.decls.join('\n')}\n${this.asserts.join('\n')}\n`;
  }
}

export const num = (n: number): Term => (n < 0 ? `(- ${-n})` : String(n));

export function sum(terms: readonly Term[]): Term {
  const t = terms.filter((x) => x !== '0');
  if (t.length === 0) return '0';
  if (t.length === 1) return t[0]!;
  return `(+ ${t.join(' ')})`;
}

export const mul = (k: number, t: Term): Term => (k === 0 || t === '0' ? '0' : k === 1 ? t : `(* ${num(k)} ${t})`);
export const le = (a: Term, b: Term): Term => `(<= ${a} ${b})`;
export const ge = (a: Term, b: Term): Term => `(>= ${a} ${b})`;
export const eq = (a: Term, b: Term): Term => `(= ${a} ${b})`;
export const implies = (a: Term, b: Term): Term => `(=> ${a} ${b})`;
export const and = (...t: Term[]): Term => (t.length === 1 ? t[0]! : `(and ${t.join(' ')})`);
