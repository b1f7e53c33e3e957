/** The one frozen rule table. Order is the order findings are produced in. */
import { descriptorRules } from './rules/descriptor';
import { mixedRules } from './rules/mixed';
import { structureRules } from './rules/structure';
import { topLevelRules } from './rules/topLevel';
import type { Rule } from './types';

export const RULES: readonly Rule[] = Object.freeze(
  [...structureRules, ...topLevelRules, ...mixedRules, ...descriptorRules].map((r) => Object.freeze(r)),
);

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));
