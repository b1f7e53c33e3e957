/** The one frozen rule table. Order is the order findings are produced in. */
import { descriptorRules } from './rules/descriptor';
import { mixedRules } from './rules/mixed';
import { structureRules } from './rules/structure';
import { topLevelRules } from './rules/topLevel';
import { manifestRules } from './rules/manifest';
import { indexRules } from './rules/indexRules';
import { platformRules } from './rules/platform';
import { annotationRules } from './rules/annotations';
import { dockerFormatRules } from './rules/dockerFormats';
import { schema1Rules } from './rules/schema1';
import { configRules } from './rules/config';
import type { Rule } from './types';

export const RULES: readonly Rule[] = Object.freeze(
  [
    ...structureRules, ...topLevelRules, ...mixedRules, ...descriptorRules,
    ...manifestRules, ...indexRules, ...platformRules, ...annotationRules, ...dockerFormatRules, ...schema1Rules, ...configRules,
  ].map((r) => Object.freeze(r)),
);

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));
